"""The inbox: a clerk's reports with filters, counts, SLA badges, bulk actions and CSV, as the page shows them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Report
from tests.web.console.conftest import TONIGHT, WEDNESDAY, csrf_token, member, submit


def report(public_id: str) -> Report:
    return db.session.scalars(select(Report).where(Report.public_id == public_id)).one()


def inbox(signed_in_client, who: str = "staff road", **query):
    return signed_in_client(who).get("/staff/reports", query_string=query)


def test_a_clerk_sees_the_departments_reports_with_counts_and_deadlines(wednesday, client, keys, signed_in_client, road_report,
                                                                        parks_report):
    late = submit(client, lat=35.655, lon=139.785)
    report(road_report).first_response_due_at = TONIGHT
    report(late).first_response_due_at = WEDNESDAY - timedelta(hours=1)
    db.session.commit()
    response = inbox(signed_in_client)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<title>受信箱" in html
    assert road_report in html and late in html and parks_report not in html
    assert "本日期限" in html and "期限超過" in html
    assert '受付 <span class="count">2</span>' in html
    overdue = inbox(signed_in_client, overdue="true").get_data(as_text=True)
    assert late in overdue and road_report not in overdue


def test_filters_answer_htmx_with_the_results_only(client, keys, signed_in_client, road_report, parks_report):
    response = signed_in_client("admin None").get("/staff/reports", query_string={"category": "park_equipment", "ward": ""},
                                                  headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert parks_report in html and road_report not in html


def test_bad_filters_are_a_400_naming_the_field(client, keys, signed_in_client, road_report):
    response = inbox(signed_in_client, status="lost", sort="sideways")
    assert response.status_code == 400 and "絞り込みの条件を確認してください" in response.get_data(as_text=True)


def test_a_day_range_covers_whole_days_in_tokyo(client, keys, signed_in_client, road_report):
    # Received at 23:30 in Tokyo on 17 June: the 17th in the form, though the 17th in UTC ends earlier.
    report(road_report).created_at = datetime(2025, 6, 17, 14, 30, tzinfo=UTC)
    db.session.commit()
    assert road_report in inbox(signed_in_client, created_from="2025-06-17", created_to="2025-06-17").get_data(as_text=True)
    assert road_report not in inbox(signed_in_client, created_from="2025-06-18").get_data(as_text=True)
    assert road_report not in inbox(signed_in_client, created_to="2025-06-16").get_data(as_text=True)


def test_bulk_acknowledge_and_assign_change_the_ticked_reports(client, keys, signed_in_client, road_report):
    second = submit(client, lat=35.655, lon=139.785)
    page = inbox(signed_in_client).get_data(as_text=True)
    token = csrf_token(page)
    acknowledged = signed_in_client("staff road").post("/staff/reports/bulk",
                               data={"csrf_token": token, "action": "acknowledge", "report": [road_report],
                                     "back": "/staff/reports?status=received"})
    assert acknowledged.status_code == 303 and acknowledged.headers["Location"].endswith("/staff/reports?status=received")
    assert report(road_report).status == "acknowledged" and report(second).status == "received"
    clerk = member("staff road")
    assigned = signed_in_client("staff road").post("/staff/reports/bulk", follow_redirects=True,
                           data={"csrf_token": token, "action": "assign", "assignee": str(clerk.id),
                                 "report": [road_report, second], "back": "https://elsewhere.example/"})
    html = assigned.get_data(as_text=True)
    assert "2件を更新しました。" in html
    mine = inbox(signed_in_client, assignee="mine").get_data(as_text=True)
    assert road_report in mine and second in mine
    # Acknowledging again is not allowed from 確認済: skipped and said so.
    again = signed_in_client("staff road").post("/staff/reports/bulk", follow_redirects=True,
                        data={"csrf_token": token, "action": "acknowledge", "report": [road_report]})
    assert "1件は更新できませんでした" in again.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "report").order_by(AuditEntry.id)).all()
    assert actions == ["report.transition", "report.assignee", "report.assignee"]


def test_bulk_acknowledge_and_assign_happen_at_the_app_s_clock(wednesday, client, keys, signed_in_client, road_report):
    second = submit(client, lat=35.655, lon=139.785)
    staff_client = signed_in_client("staff road")
    token = csrf_token(inbox(signed_in_client).get_data(as_text=True))
    # The app's clock says Wednesday 10:10 in Tokyo, then 10:20: whatever the real time, that is when each happened.
    wednesday.instant = WEDNESDAY + timedelta(minutes=10)
    staff_client.post("/staff/reports/bulk", data={"csrf_token": token, "action": "acknowledge",
                                                   "report": [road_report, second]})
    clerk = member("staff road")
    wednesday.instant = WEDNESDAY + timedelta(minutes=20)
    staff_client.post("/staff/reports/bulk", data={"csrf_token": token, "action": "assign", "assignee": str(clerk.id),
                                                   "report": [road_report, second]})
    db.session.expire_all()
    for public_id in (road_report, second):
        found = report(public_id)
        assert found.status == "acknowledged"
        assert found.first_response_at == WEDNESDAY + timedelta(minutes=10)
        assert found.assignment.assigned_at == WEDNESDAY + timedelta(minutes=20)
        assert found.updated_at == WEDNESDAY + timedelta(minutes=20)
        times = {e.kind: e.created_at for e in found.history if e.kind in ("transition", "assignee")}
        assert times == {"transition": WEDNESDAY + timedelta(minutes=10), "assignee": WEDNESDAY + timedelta(minutes=20)}
    # The report page shows the history at those times (in Tokyo).
    page = staff_client.get(f"/staff/reports/{road_report}").get_data(as_text=True)
    assert "10:10" in page and "10:20" in page


def test_a_bulk_post_without_the_csrf_token_is_refused(client, keys, signed_in_client, road_report):
    response = signed_in_client("staff road").post("/staff/reports/bulk",
                           data={"action": "acknowledge", "report": [road_report]})
    assert response.status_code == 400 and report(road_report).status == "received"


def test_a_viewer_gets_no_bulk_actions_and_cannot_change_reports(client, keys, signed_in_client, road_report):
    html = inbox(signed_in_client, "viewer road").get_data(as_text=True)
    assert road_report in html and 'name="action"' not in html
    signed_in_client("viewer road").post("/staff/reports/bulk",
                data={"csrf_token": csrf_token(html), "action": "acknowledge", "report": [road_report]})
    assert report(road_report).status == "received"


def test_another_departments_report_is_skipped_in_bulk(client, keys, signed_in_client, road_report, parks_report):
    token = csrf_token(inbox(signed_in_client).get_data(as_text=True))
    signed_in_client("staff road").post("/staff/reports/bulk",
                data={"csrf_token": token, "action": "acknowledge", "report": [road_report, parks_report]})
    assert report(road_report).status == "acknowledged" and report(parks_report).status == "received"


def test_csv_export_holds_the_current_filter(client, keys, signed_in_client, road_report, parks_report):
    response = signed_in_client("admin None").get("/staff/reports.csv", query_string={"q": "穴"})
    lines = response.get_data(as_text=True).strip().splitlines()
    assert response.mimetype == "text/csv" and lines[0].lstrip("\ufeff").startswith("id,created_at")
    assert {line.split(",")[0] for line in lines[1:]} == {road_report, parks_report}
    only_parks = signed_in_client("admin None").get("/staff/reports.csv", query_string={"category": "park_equipment"})
    assert [line.split(",")[0] for line in only_parks.get_data(as_text=True).strip().splitlines()[1:]] == [parks_report]


def test_counts_beyond_the_exact_bound_say_about_on_postgresql(monkeypatch, client, keys, signed_in_client, road_report):
    from service.web.console import inbox as inbox_view

    submit(client, lat=35.655, lon=139.785)
    acknowledged = submit(client, lat=35.656, lon=139.786)
    report(acknowledged).status = "acknowledged"
    db.session.commit()
    monkeypatch.setattr(inbox_view, "EXACT_COUNTS_UP_TO", 1)
    html = inbox(signed_in_client).get_data(as_text=True)
    received = re.search(r'受付 <span class="count">([^<]+)</span>', html)
    assert received is not None
    if db.session.get_bind().dialect.name == "postgresql":
        # Two received reports are more than the bound: the count is an estimate, never below what was counted.
        assert received.group(1).startswith("約") and int(received.group(1)[1:]) >= 2
        assert re.search(r"約\d+件中 1 / \d+ ページ", html)
    else:
        assert received.group(1) == "2" and "3件中 1 / 1 ページ" in html
    # The one acknowledged report is within the bound: exact.
    assert '確認済 <span class="count">1</span>' in html
    narrowed = inbox(signed_in_client, status="acknowledged").get_data(as_text=True)
    assert "1件中 1 / 1 ページ" in narrowed and acknowledged in narrowed and road_report not in narrowed
