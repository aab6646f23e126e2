"""Staff work a report: transitions, replies, notes, merges, re-routing, moderation, and what the resident sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, HistoryEntry, OutboxEvent, Report, Staff
from service.timefmt import iso_tokyo
from tests.staff.conftest import submit


def move(client, keys, report_id, who="road_staff", **body):
    return client.post(f"/api/v1/staff/reports/{report_id}/transitions", json=body, headers=keys.header(who))


def test_status_changes_and_replies_reach_the_resident_but_notes_do_not(client, keys, road_report):
    assert move(client, keys, road_report, to="acknowledged", public_reply="確認しました。現地を調査します。",
                internal_note="業者Aに連絡予定").status_code == 201
    assert move(client, keys, road_report, to="in_progress").status_code == 201
    done = move(client, keys, road_report, to="resolved", public_reply="補修しました。")
    assert done.status_code == 201 and done.get_json()["resolved_at"].endswith("+09:00")
    public = client.get(f"/api/v1/reports/{road_report}", headers={"Accept-Language": "en"}).get_json()
    assert public["status"] == "resolved" and public["status_label"] == "Resolved"
    steps = [(h["status"], h["status_label_ja"], h["public_reply"]) for h in public["history"]]
    assert steps == [("received", "受付", None), ("acknowledged", "確認済", "確認しました。現地を調査します。"),
                     ("in_progress", "対応中", None), ("resolved", "対応済", "補修しました。")]
    assert "業者A" not in client.get(f"/api/v1/reports/{road_report}").get_data(as_text=True)
    events = [e for e, in db.session.execute(select(OutboxEvent.event_type).order_by(OutboxEvent.id))]
    assert events.count("report.status_changed") == 3 and "report.resolved" in events and "report.replied" in events
    staff_view = client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header("road_staff")).get_json()
    assert staff_view["history"][2]["internal_note"] == "業者Aに連絡予定"
    assert staff_view["first_response_at"] is not None


def test_illegal_transition_is_409_naming_the_allowed_targets(client, keys, road_report):
    move(client, keys, road_report, to="in_progress")
    response = move(client, keys, road_report, to="acknowledged")
    assert response.status_code == 409 and response.content_type == "application/problem+json"
    assert response.get_json()["allowed"] == ["resolved", "not_actionable", "forwarded"]


@pytest.mark.parametrize("body,field", [
    ({"to": "not_actionable"}, "reason"),
    ({"to": "forwarded", "reason": "国道のため"}, "forwarded_to"),
    ({"to": "duplicate"}, "duplicate_of"),
    ({"to": "closed"}, "to"),
    ({"to": "acknowledged", "public_reply": "あ" * 4001}, "public_reply"),
    ({"to": "acknowledged", "colour": "red"}, "colour"),
])
def test_bad_transitions_are_422_and_change_nothing(client, keys, road_report, body, field):
    who = "road_manager" if body.get("to") == "duplicate" else "road_staff"
    response = move(client, keys, road_report, who=who, **body)
    assert response.status_code == 422 and field in response.get_json()["errors"]
    assert db.session.scalar(select(Report.status).where(Report.public_id == road_report)) == "received"


def test_forwarded_records_to_whom(client, keys, road_report):
    response = move(client, keys, road_report, to="forwarded", reason="国道のため", forwarded_to="国")
    assert response.status_code == 201
    assert response.get_json()["history"][-1]["details"] == {"forwarded_to": "国"}


def test_duplicate_follows_its_primary_and_chains_are_refused(client, keys, road_report):
    second = submit(client, lat=35.6501, lon=139.7801)
    staff_view = client.get(f"/api/v1/staff/reports/{second}", headers=keys.header("road_staff")).get_json()
    assert [c["id"] for c in staff_view["duplicate_candidates"]] == [road_report]
    assert move(client, keys, second, who="road_staff", to="duplicate", duplicate_of=road_report).status_code == 403
    assert move(client, keys, second, who="road_manager", to="duplicate", duplicate_of=road_report).status_code == 201
    move(client, keys, road_report, to="resolved")
    public = client.get(f"/api/v1/reports/{second}").get_json()
    assert public["duplicate_of"] == road_report and public["primary"]["status"] == "resolved"
    third = submit(client, lat=35.6502, lon=139.7802)
    chain = move(client, keys, third, who="road_manager", to="duplicate", duplicate_of=second)
    assert chain.status_code == 422 and "duplicate_of" in chain.get_json()["errors"]
    itself = move(client, keys, third, who="road_manager", to="duplicate", duplicate_of=third)
    assert itself.status_code == 422


def test_duplicate_of_a_report_in_another_jurisdiction_is_refused(client, keys, road_report, other_report):
    response = move(client, keys, road_report, who="road_manager", to="duplicate", duplicate_of=other_report)
    assert response.status_code == 422


def test_stale_etag_is_412_and_changes_nothing(client, keys, road_report):
    read = client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header("road_staff"))
    etag = read.headers["ETag"]
    assert move(client, keys, road_report, to="acknowledged").status_code == 201
    stale = client.post(f"/api/v1/staff/reports/{road_report}/transitions", json={"to": "in_progress"},
                        headers={**keys.header("road_staff"), "If-Match": etag})
    assert stale.status_code == 412
    fresh = client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header("road_staff")).headers["ETag"]
    ok = client.post(f"/api/v1/staff/reports/{road_report}/transitions", json={"to": "in_progress"},
                     headers={**keys.header("road_staff"), "If-Match": fresh})
    assert ok.status_code == 201


def test_comment_without_status_change(client, keys, road_report):
    response = client.post(f"/api/v1/staff/reports/{road_report}/comments", json={"internal_note": "内部メモ"},
                           headers=keys.header("road_staff"))
    assert response.status_code == 201 and response.get_json()["status"] == "received"
    assert response.get_json()["first_response_at"] is None
    empty = client.post(f"/api/v1/staff/reports/{road_report}/comments", json={}, headers=keys.header("road_staff"))
    assert empty.status_code == 422
    reply = client.post(f"/api/v1/staff/reports/{road_report}/comments", json={"public_reply": "ありがとうございます"},
                        headers=keys.header("road_staff"))
    assert reply.get_json()["first_response_at"] is not None


def test_manager_reroutes_and_history_keeps_the_reason(client, keys, road_report):
    response = client.post(f"/api/v1/staff/reports/{road_report}/assign", json={"department": "sewer", "reason": "側溝の破損"},
                           headers=keys.header("road_manager"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["department"]["code"] == "sewer" and body["history"][-1]["reason"] == "側溝の破損"
    # It has left the road department: its staff no longer see it.
    assert client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header("road_staff")).status_code == 403
    other = client.post(f"/api/v1/staff/reports/{road_report}/assign", json={"department": "koho"}, headers=keys.header("admin"))
    assert other.status_code == 422


def test_category_correction_reroutes(client, keys, road_report):
    response = client.patch(f"/api/v1/staff/reports/{road_report}", json={"category": "illegal_dumping"},
                            headers=keys.header("road_manager"))
    assert response.status_code == 200
    assert response.get_json()["department"]["code"] == "environment"


def test_moderation_hides_and_redacts_keeping_the_original_for_admins(client, keys, road_report):
    redacted = client.patch(f"/api/v1/staff/reports/{road_report}", json={"description": "（個人情報のため削除）"},
                            headers=keys.header("road_manager"))
    assert redacted.status_code == 200 and redacted.get_json()["description_original"] is None
    admin_view = client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header("admin")).get_json()
    assert admin_view["description_original"] == "道路に穴があります"
    assert client.get(f"/api/v1/reports/{road_report}").get_json()["description"] == "（個人情報のため削除）"
    assert client.patch(f"/api/v1/staff/reports/{road_report}", json={"hidden": True},
                        headers=keys.header("road_staff")).status_code == 403
    client.patch(f"/api/v1/staff/reports/{road_report}", json={"hidden": True}, headers=keys.header("admin"))
    assert client.get(f"/api/v1/reports/{road_report}").status_code == 404
    assert road_report not in client.get("/api/v1/reports").get_data(as_text=True)
    # Each response also showed the reporter's contact, audited as a view of its own.
    audit = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action != "report.contact_viewed")
                               .order_by(AuditEntry.id)).all()
    assert audit == ["report.update", "report.update"]


def test_list_filters_sorts_pages_and_exports_csv(client, keys, road_report, parks_report):
    near = submit(client, lat=35.6702, lon=139.8002)
    listed = client.get("/api/v1/staff/reports", query_string={"status": "received", "page_size": 1},
                        headers=keys.header("admin")).get_json()
    assert listed["total"] == 3 and listed["items"][0]["id"] == near and listed["links"]["next"]
    road_only = client.get("/api/v1/staff/reports", headers=keys.header("road_staff")).get_json()
    assert {i["id"] for i in road_only["items"]} == {road_report, near}
    by_distance = client.get("/api/v1/staff/reports", query_string={"sort": "distance", "lat": 35.67, "lon": 139.80},
                             headers=keys.header("admin")).get_json()
    assert by_distance["items"][0]["id"] == near and by_distance["items"][0]["distance_m"] < 50
    text = client.get("/api/v1/staff/reports", query_string={"q": "穴", "ward": "中央区"}, headers=keys.header("admin")).get_json()
    assert [i["id"] for i in text["items"]] == [road_report]
    csv_response = client.get("/api/v1/staff/reports", headers={**keys.header("admin"), "Accept": "text/csv"})
    lines = csv_response.get_data(as_text=True).strip().splitlines()
    assert csv_response.mimetype == "text/csv" and lines[0].startswith("id,created_at") and len(lines) == 4


def test_overdue_and_has_rating_filters(client, keys, road_report, parks_report):
    from datetime import timedelta

    from service.models.types import utcnow

    late = db.session.scalar(select(Report).where(Report.public_id == road_report))
    late.first_response_due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    overdue = client.get("/api/v1/staff/reports", query_string={"overdue": "true"}, headers=keys.header("admin")).get_json()
    assert [i["id"] for i in overdue["items"]] == [road_report]
    on_time = client.get("/api/v1/staff/reports", query_string={"overdue": "false"}, headers=keys.header("admin")).get_json()
    assert [i["id"] for i in on_time["items"]] == [parks_report]
    # A first response stops the first-response clock.
    move(client, keys, road_report, to="acknowledged")
    assert client.get("/api/v1/staff/reports", query_string={"overdue": "true"}, headers=keys.header("admin")).get_json()["total"] == 0
    rated = client.get("/api/v1/staff/reports", query_string={"has_rating": "true"}, headers=keys.header("admin")).get_json()
    assert rated["total"] == 0


def test_history_and_closing_take_the_apps_clock(fixed_clock, client, keys, road_report):
    fixed_clock.instant += timedelta(days=3, hours=2)
    at = fixed_clock.instant
    noted = client.post(f"/api/v1/staff/reports/{road_report}/comments", json={"internal_note": "現地確認"},
                        headers=keys.header("road_staff"))
    assert noted.status_code == 201
    moved = move(client, keys, road_report, to="not_actionable", reason="私有地のため")
    assert moved.status_code == 201
    body = moved.get_json()
    shown = iso_tokyo(at)
    assert [h["at"] for h in body["history"][-2:]] == [shown, shown]
    assert body["closed_at"] == shown and body["first_response_at"] == shown
    # The report came in at the fixed instant itself, three days earlier.
    assert body["created_at"] == iso_tokyo(at - timedelta(days=3, hours=2))


def test_an_assignment_and_an_edit_happen_at_the_app_s_clock(fixed_clock, client, keys, road_report):
    clerk = db.session.scalars(select(Staff).where(Staff.name == "staff road").order_by(Staff.id)).first()
    fixed_clock.instant += timedelta(days=2)
    assigned = client.put(f"/api/v1/staff/reports/{road_report}/assignee", json={"staff": clerk.id},
                          headers=keys.header("road_manager"))
    assert assigned.status_code == 200
    report = db.session.scalars(select(Report).where(Report.public_id == road_report)).one()
    entry = db.session.scalars(select(HistoryEntry).where(HistoryEntry.report_id == report.id,
                                                          HistoryEntry.kind == "assignee")).one()
    assert entry.created_at == fixed_clock.instant and report.assignment.assigned_at == fixed_clock.instant
    fixed_clock.instant += timedelta(hours=1)
    assert client.patch(f"/api/v1/staff/reports/{road_report}", json={"priority": 2},
                        headers=keys.header("road_manager")).status_code == 200
    db.session.expire_all()
    assert db.session.get(Report, report.id).updated_at == fixed_clock.instant
