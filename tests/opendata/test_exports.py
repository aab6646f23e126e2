"""Open data: public reports only, no personal data, rounded positions, filters and caching."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Report
from tests.staff.conftest import submit as submit_report

BASE = "/api/v1/opendata/reports"
PRIVATE = ("resident@example.jp", "090-1111-2222", "device-777", "内部メモ", "道路に穴", "originals/")


def submit(client, category: str = "road_damage", lat: float = 35.65123456, lon: float = 139.78123456) -> str:
    return submit_report(client, category=category, lat=lat, lon=lon, device_id="device-777",
                         reporter={"email": "resident@example.jp", "phone": "090-1111-2222"})


def resolve(client, public_id: str) -> None:
    key = create_staff(db.session, name="道路", role="staff", jurisdiction_code="990019", department_code="road")[1]
    response = client.post(f"/api/v1/staff/reports/{public_id}/transitions", headers={"Authorization": f"Bearer {key}"},
                           json={"to": "resolved", "public_reply": "補修しました。", "internal_note": "内部メモ"})
    assert response.status_code in (200, 201), response.get_json()


def rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_starts_with_the_standard_columns_and_holds_no_private_data(client) -> None:
    public_id = submit(client)
    resolve(client, public_id)
    response = client.get(f"{BASE}.csv")
    assert response.status_code == 200 and response.content_type == "text/csv; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text.splitlines()[0].split(",")[:3] == ["全国地方公共団体コード", "ID", "地方公共団体名"]
    (row,) = rows(response)
    assert (row["全国地方公共団体コード"], row["ID"], row["地方公共団体名"]) == ("990019", public_id, "みなと市")
    assert (row["種別コード"], row["状態"], row["対応済"], row["対応日数"]) == ("road_damage", "対応済", "1", "0")
    assert (row["緯度"], row["経度"]) == ("35.6512", "139.7812")
    assert row["担当課"] == "道路課"
    for private in PRIVATE:
        assert private not in text


def test_bom_option_is_for_spreadsheets(client) -> None:
    assert client.get(f"{BASE}.csv?bom=true").data.startswith("\ufeff".encode())
    assert not client.get(f"{BASE}.csv").data.startswith("\ufeff".encode())


def test_geojson_is_a_feature_collection_of_rounded_points(client, app, monkeypatch) -> None:
    public_id = submit(client)
    monkeypatch.setitem(app.config, "OPENDATA_COORDINATE_DECIMALS", 3)
    response = client.get(f"{BASE}.geojson")
    assert response.content_type == "application/geo+json"
    body = json.loads(response.get_data(as_text=True))
    (feature,) = body["features"]
    assert body["type"] == "FeatureCollection" and feature["id"] == public_id
    assert feature["geometry"] == {"type": "Point", "coordinates": [139.781, 35.651]}
    assert feature["properties"]["resolved"] is False and feature["properties"]["days_to_resolution"] is None
    for private in PRIVATE:
        assert private not in response.get_data(as_text=True)


def test_hidden_reports_are_left_out(client) -> None:
    public_id = submit(client)
    db.session.scalar(select(Report).where(Report.public_id == public_id)).hidden = True
    db.session.commit()
    assert rows(client.get(f"{BASE}.csv")) == []
    assert json.loads(client.get(f"{BASE}.geojson").data)["features"] == []


def test_filters_by_category_status_and_dates(client) -> None:
    road = submit(client)
    light = submit(client, category="streetlight")
    resolve(client, road)

    def ids(query: str) -> list[str]:
        response = client.get(f"{BASE}.csv{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [r["ID"] for r in rows(response)]

    assert ids("") == [road, light]
    assert ids("?category=streetlight") == [light]
    assert ids("?status=resolved") == [road]
    assert ids("?status=received&status=resolved") == [road, light]
    assert ids("?end_date=2000-01-01") == []
    assert ids("?start_date=2000-01-01") == [road, light]


def test_bad_filters_are_problem_details(client) -> None:
    for query in ("?status=lost", "?start_date=yesterday", "?start_date=2024-02-01&end_date=2024-01-01"):
        response = client.get(f"{BASE}.geojson{query}")
        assert response.status_code == 422 and response.content_type == "application/problem+json", query


def test_exports_are_cacheable_until_a_report_changes(client) -> None:
    public_id = submit(client)
    first = client.get(f"{BASE}.csv")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"] and "public" in first.headers["Cache-Control"]
    again = client.get(f"{BASE}.csv", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(f"{BASE}.geojson", headers={"If-None-Match": etag}).status_code == 200
    resolve(client, public_id)
    assert client.get(f"{BASE}.csv", headers={"If-None-Match": etag}).status_code == 200
