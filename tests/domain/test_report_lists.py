"""The one query layer of report lists: the inbox's filters, counts and SLA standing, through the staff API and directly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from service.domain import report_lists
from service.domain.sla import standing
from service.extensions import db
from service.models import Report, Staff
from tests.staff import conftest as staff_fixtures
from tests.staff.conftest import submit

keys, road_report, parks_report = staff_fixtures.keys, staff_fixtures.road_report, staff_fixtures.parks_report

# Wednesday 18 June 2025, 10:00 in Tokyo: the end of its day is 15:00 UTC.
WEDNESDAY = datetime(2025, 6, 18, 1, 0, tzinfo=UTC)
TONIGHT = datetime(2025, 6, 18, 15, 0, tzinfo=UTC)


@pytest.fixture()
def wednesday(fixed_clock):
    fixed_clock.instant = WEDNESDAY
    return fixed_clock


def member(name: str) -> Staff:
    """The staff member the keys fixture named so (the demo city's comes first)."""
    return db.session.scalars(select(Staff).where(Staff.name == name).order_by(Staff.id)).first()


def report(public_id: str) -> Report:
    return db.session.scalars(select(Report).where(Report.public_id == public_id)).one()


def listed(client, keys, who: str, **query) -> list[str]:
    response = client.get("/api/v1/staff/reports", query_string=query, headers=keys.header(who))
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def put_assignee(client, keys, who: str, public_id: str, staff_id: int | None):
    return client.put(f"/api/v1/staff/reports/{public_id}/assignee", data=json.dumps({"staff": staff_id}),
                      content_type="application/json", headers=keys.header(who))


def test_assignee_filter_finds_mine_nobodys_and_a_named_members(client, keys, road_report):
    second = submit(client, lat=35.655, lon=139.785)
    clerk = member("staff road")
    response = put_assignee(client, keys, "road_manager", road_report, clerk.id)
    assert response.status_code == 200 and response.get_json()["assignee_id"] == clerk.id
    assert listed(client, keys, "road_staff", assignee="mine") == [road_report]
    assert listed(client, keys, "road_manager", assignee="mine") == []
    assert listed(client, keys, "road_manager", assignee=str(clerk.id)) == [road_report]
    assert listed(client, keys, "road_manager", assignee="none") == [second]
    # Taken back: nobody works on it any more.
    assert put_assignee(client, keys, "road_staff", road_report, None).status_code == 200
    assert set(listed(client, keys, "road_manager", assignee="none")) == {road_report, second}


def test_only_a_writer_who_sees_the_report_can_be_its_assignee(client, keys, road_report):
    for name in ("viewer road", "staff parks"):
        response = put_assignee(client, keys, "road_manager", road_report, member(name).id)
        assert response.status_code == 422 and "assignee" in response.get_json()["errors"]
    assert put_assignee(client, keys, "road_manager", road_report, 999_999).status_code == 422
    assert put_assignee(client, keys, "road_viewer", road_report, member("staff road").id).status_code == 403
    assert report(road_report).assignee_id is None
    assert client.get("/api/v1/staff/reports", query_string={"assignee": "someone"},
                      headers=keys.header("road_staff")).status_code == 422


def test_due_today_and_overdue_follow_the_clock(client, keys, road_report, parks_report, wednesday):
    later = submit(client, lat=35.655, lon=139.785)
    report(road_report).first_response_due_at = TONIGHT
    report(parks_report).first_response_due_at = WEDNESDAY - timedelta(minutes=1)
    report(later).first_response_due_at = TONIGHT + timedelta(days=3)
    db.session.commit()
    assert listed(client, keys, "admin", due_today="true") == [road_report]
    assert listed(client, keys, "admin", overdue="true") == [parks_report]
    assert set(listed(client, keys, "admin", due_today="false")) == {parks_report, later}
    # At midnight in Tokyo the report due today becomes overdue.
    wednesday.instant = TONIGHT + timedelta(seconds=1)
    assert listed(client, keys, "admin", due_today="true") == []
    assert set(listed(client, keys, "admin", overdue="true")) == {road_report, parks_report}


def test_status_counts_cover_the_other_filters_but_not_the_status(client, keys, road_report, parks_report):
    submit(client, lat=35.655, lon=139.785)
    transition = client.post(f"/api/v1/staff/reports/{road_report}/transitions", data=json.dumps({"to": "acknowledged"}),
                             content_type="application/json", headers=keys.header("road_staff"))
    assert transition.status_code == 201
    admin, clerk = member("admin None"), member("staff road")
    wanted = report_lists.StaffFilter(statuses=("received",))
    now = datetime.now(UTC)
    assert report_lists.status_counts(db.session(), admin, wanted, now) == {"received": 2, "acknowledged": 1}
    assert report_lists.status_counts(db.session(), clerk, wanted, now) == {"received": 1, "acknowledged": 1}
    parks_only = report_lists.StaffFilter(category="park_equipment")
    assert report_lists.status_counts(db.session(), admin, parks_only, now) == {"received": 1}


def test_list_rows_count_merged_duplicates_and_open_candidates(client, keys, road_report):
    copy = submit(client, lat=35.6501, lon=139.7801)
    merged = client.post(f"/api/v1/staff/reports/{copy}/transitions", content_type="application/json",
                         data=json.dumps({"to": "duplicate", "duplicate_of": road_report}), headers=keys.header("road_manager"))
    assert merged.status_code == 201
    items = {i["id"]: i for i in client.get("/api/v1/staff/reports", headers=keys.header("admin")).get_json()["items"]}
    assert items[road_report]["duplicates"] == 1
    assert items[copy]["duplicates"] == 0
    # Processing found each as a candidate of the other before the merge.
    assert items[copy]["candidates"] == 1


def test_map_points_and_export_read_the_same_filter(client, keys, road_report, parks_report):
    clerk = member("staff road")
    now = datetime.now(UTC)
    points = report_lists.map_points(db.session(), clerk, report_lists.StaffFilter(), now, limit=10)
    assert [(p[0], p[3], report(p[0]).category.code) for p in points] == [(road_report, "received", "road_damage")]
    rows = list(report_lists.export_rows(db.session(), clerk, report_lists.StaffFilter(text="穴"), now))
    assert [r[0] for r in rows] == [road_report]


def test_public_list_leaves_hidden_reports_out(client, keys, road_report, parks_report):
    report(parks_report).hidden = True
    db.session.commit()
    found = report_lists.public_page(db.session(), report_lists.PublicFilter(), decimals=3, page=1, page_size=10)
    assert [r.public_id for r in found.rows] == [road_report] and found.total == 1


@pytest.mark.parametrize(("now", "due", "state", "days"), [
    # Friday 10:00 in Tokyo; due at the end of Tuesday: Monday and Tuesday are left.
    (datetime(2025, 6, 20, 1, 0, tzinfo=UTC), datetime(2025, 6, 24, 15, 0, tzinfo=UTC), "running", 2),
    (WEDNESDAY, TONIGHT, "due_today", 0),
    (WEDNESDAY, WEDNESDAY - timedelta(seconds=1), "overdue", 0),
    # Friday 18 July 2025, due at the end of Tuesday 22nd: Monday 21st is 海の日, a holiday.
    (datetime(2025, 7, 18, 1, 0, tzinfo=UTC), datetime(2025, 7, 22, 15, 0, tzinfo=UTC), "running", 1),
])
def test_standing_counts_business_days_left(now, due, state, days):
    shown = standing(Report(status="received", first_response_due_at=due, resolution_due_at=due + timedelta(days=30)), now)
    assert shown is not None and (shown.state, shown.days_left) == (state, days)


def test_a_closed_report_or_one_without_targets_has_no_standing():
    assert standing(Report(status="resolved", resolution_due_at=WEDNESDAY), WEDNESDAY) is None
    assert standing(Report(status="received"), WEDNESDAY) is None
