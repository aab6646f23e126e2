"""The map page and its JSON: the inbox's filters, the staff member's scope, a bound on pins, the outlines."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from service.domain import outlines
from service.extensions import db
from service.models import Jurisdiction, Report
from service.web.console import map_page
from tests.web.console.conftest import WEDNESDAY, submit


def make_late(public_id: str) -> None:
    db.session.scalars(select(Report).where(Report.public_id == public_id)).one().first_response_due_at = \
        WEDNESDAY - timedelta(hours=2)
    db.session.commit()


def points(signed_in_client, who: str = "staff road", **query):
    return signed_in_client(who).get("/staff/map/points", query_string=query)


def test_the_page_names_its_data_tiles_and_filters_without_inline_script(app, client, keys, signed_in_client):
    response = signed_in_client("staff road").get("/staff/map", query_string={"overdue": "true", "category": "road_damage"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>地図" in html
    assert f'data-tile-url="{app.config["MAP_TILE_URL"]}"' in html and "地理院タイル" in html
    assert 'data-points-url="/staff/map/points?overdue=true&amp;category=road_damage"' in html
    assert 'data-outlines-url="/staff/map/outlines"' in html
    assert re.search(r'name="overdue" value="true" checked', html)
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html)), "a script without src is inline"
    assert "/static/console/map.js" in html and 'aria-current="page">地図' in html


def test_pins_follow_the_inbox_filter_and_the_members_scope(wednesday, client, keys, signed_in_client, road_report, parks_report):
    late = submit(client, lat=35.665, lon=139.775)
    make_late(late)
    every = points(signed_in_client).get_json()
    assert every["complete"] is True and every["count"] == 2
    assert {row[0] for row in every["points"]} == {road_report, late}, "a road clerk sees the road department's reports"
    overdue = points(signed_in_client, overdue="true").get_json()
    assert overdue["count"] == 1 and overdue["fields"] == ["id", "lat", "lon", "status", "category"]
    [[public_id, lat, lon, status, category]] = overdue["points"]
    assert (public_id, lat / overdue["scale"], lon / overdue["scale"]) == (late, 35.665, 139.775)
    assert overdue["statuses"][status] == "received" and overdue["categories"][str(category)] == "road_damage"
    admin = points(signed_in_client, "admin None").get_json()
    assert {row[0] for row in admin["points"]} == {road_report, late, parks_report}
    body = points(signed_in_client).get_data(as_text=True)
    assert "resident@example.jp" not in body and "device-777" not in body
    assert points(signed_in_client).headers["Cache-Control"] == "no-store"


def test_pins_are_bounded_and_say_so(monkeypatch, client, keys, signed_in_client, road_report):
    submit(client, lat=35.66, lon=139.79)
    monkeypatch.setattr(map_page, "MAX_POINTS", 1)
    answer = points(signed_in_client).get_json()
    assert answer["count"] == 1 and answer["complete"] is False and answer["limit"] == 1
    assert answer["points"][0][0] != road_report, "the newest report is shown first"


def test_a_bad_filter_is_a_problem_naming_the_field_and_the_page_says_so(client, keys, signed_in_client, road_report):
    response = points(signed_in_client, status="lost")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert "status" in response.get_json()["errors"]
    page = signed_in_client("staff road").get("/staff/map", query_string={"overdue": "maybe"})
    assert page.status_code == 400 and "絞り込みの条件が正しくありません。" in page.get_data(as_text=True)


def test_outlines_are_the_jurisdiction_and_its_wards(client, keys, signed_in_client):
    response = signed_in_client("staff road").get("/staff/map/outlines")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = response.get_json()
    assert collection["type"] == "FeatureCollection" and collection["bbox"] == [139.76, 35.62, 139.84, 35.69]
    kinds = [(f["properties"]["kind"], f["properties"]["name"]) for f in collection["features"]]
    assert kinds == [("jurisdiction", "みなと市"), ("ward", "中央区"), ("ward", "北区"), ("ward", "南区")]
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in collection["features"])
    chiba = db.session.scalars(select(Jurisdiction.id).where(Jurisdiction.code == "121002")).one()
    assert [f["properties"]["name"] for f in outlines.jurisdiction_outlines(db.session, chiba)["features"]] == ["千葉市"]


def test_signed_out_the_pins_are_not_given(client, keys, road_report):
    response = client.get("/staff/map/points")
    assert response.status_code in (302, 303) and "/staff/login" in response.headers["Location"]
    assert road_report not in response.get_data(as_text=True)


def test_the_pins_json_written_by_the_database_holds_the_rows_the_list_reads(client, keys, signed_in_client, road_report,
                                                                             parks_report):
    from datetime import UTC, datetime

    from service.domain import report_lists
    from tests.web.console.conftest import member

    # Coordinates in millionths of a degree, rounded to the nearest.
    submit(client, lat=35.6612341678901, lon=139.7712345678901)
    submit(client, lat=35.6500005000001, lon=139.8000004999999)
    admin = member("admin None")
    rows = report_lists.map_points(db.session, admin, report_lists.StaffFilter(), datetime.now(UTC), limit=10)
    answer = points(signed_in_client, "admin None").get_json()
    assert len(rows) == 4 and answer["points"] == [report_lists.map_pin(row) for row in rows], "same rows and order"
    assert answer["points"][0][1:3] == [35650001, 139800000] and answer["points"][1][1:3] == [35661234, 139771235]
    assert {answer["statuses"][row[3]] for row in answer["points"]} == {"received"}
    matched, text = report_lists.map_points_json(db.session, admin, report_lists.StaffFilter(), datetime.now(UTC), limit=2)
    assert matched == 3 and [row[0] for row in json.loads(text)] == [row[0] for row in rows[:2]]
    none = report_lists.StaffFilter(statuses=("duplicate",))
    assert report_lists.map_points_json(db.session, admin, none, datetime.now(UTC), limit=2) == (0, "[]")
