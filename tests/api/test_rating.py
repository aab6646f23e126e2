"""住民評価: rating a resolved report with its tracking token."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service.domain import feedback
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import HistoryEntry, OutboxEvent, Rating, Report
from tests.conftest import INSIDE


def resolved_report(client):
    created = client.post("/api/v1/reports", json={"category": "road_damage", "description": "穴", **INSIDE}).get_json()
    report = db.session.scalar(select(Report).where(Report.public_id == created["id"]))
    report.department_id = report.jurisdiction.departments[0].id
    db.session.commit()
    _, key = create_staff(db.session, name="admin", role="admin", jurisdiction_code="990019", department_code=None)
    response = client.post(f"/api/v1/staff/reports/{created['id']}/transitions", json={"to": "resolved", "public_reply": "補修しました"},
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 201
    return created["id"], created["tracking_token"]


def rate(client, report_id, token, **body):
    return client.post(f"/api/v1/reports/{report_id}/rating", json=body, headers={"X-Tracking-Token": token})


def test_resident_rates_a_resolved_report(client):
    report_id, token = resolved_report(client)
    response = rate(client, report_id, token, score=5, fixed=True, comment="早い対応でした")
    assert response.status_code == 201
    assert response.get_json()["report_status"] == "resolved" and response.get_json()["created_at"].endswith("+09:00")
    assert "report.rated" in db.session.scalars(select(OutboxEvent.event_type)).all()


def test_second_rating_replaces_the_first_and_keeps_history(client):
    report_id, token = resolved_report(client)
    rate(client, report_id, token, score=2, fixed=True)
    assert rate(client, report_id, token, score=4, fixed=True).status_code == 201
    ratings = db.session.execute(select(Rating.score, Rating.current).order_by(Rating.id)).all()
    assert [tuple(r) for r in ratings] == [(2, False), (4, True)]


def test_not_fixed_reopens_the_report(client):
    report_id, token = resolved_report(client)
    response = rate(client, report_id, token, score=1, fixed=False, comment="まだ穴があります")
    assert response.status_code == 201 and response.get_json()["report_status"] == "in_progress"
    entry = db.session.scalars(select(HistoryEntry).order_by(HistoryEntry.id.desc())).first()
    assert (entry.from_status, entry.to_status, entry.actor_type) == ("resolved", "in_progress", "resident")
    assert "report.reopened" in db.session.scalars(select(OutboxEvent.event_type)).all()
    assert client.get(f"/api/v1/reports/{report_id}").get_json()["status"] == "in_progress"


def test_rating_outside_resolved_or_after_the_window_is_409(client):
    created = client.post("/api/v1/reports", json={"category": "road_damage", "description": "穴", **INSIDE}).get_json()
    early = rate(client, created["id"], created["tracking_token"], score=3, fixed=True)
    assert early.status_code == 409 and "resolved" in early.get_json()["detail"]
    report_id, token = resolved_report(client)
    report = db.session.scalar(select(Report).where(Report.public_id == report_id))
    report.resolved_at = report.resolved_at - timedelta(days=31)
    db.session.commit()
    late = rate(client, report_id, token, score=3, fixed=True)
    assert late.status_code == 409 and "30 days" in late.get_json()["detail"]


def test_the_window_is_counted_on_the_apps_clock(client, fixed_clock):
    report_id, token = resolved_report(client)
    fixed_clock.instant += timedelta(days=31)
    late = rate(client, report_id, token, score=3, fixed=False)
    assert late.status_code == 409 and "30 days" in late.get_json()["detail"]
    fixed_clock.instant -= timedelta(days=2)
    assert rate(client, report_id, token, score=3, fixed=False).status_code == 201
    reopened = db.session.scalars(select(HistoryEntry).order_by(HistoryEntry.id.desc())).first()
    assert reopened.to_status == "in_progress" and reopened.created_at == fixed_clock.instant


def test_token_of_another_report_is_404(client):
    report_id, _ = resolved_report(client)
    other = client.post("/api/v1/reports", json={"category": "road_damage", "description": "別", **INSIDE}).get_json()
    assert rate(client, report_id, other["tracking_token"], score=3, fixed=True).status_code == 404
    assert client.post(f"/api/v1/reports/{report_id}/rating", json={"score": 3, "fixed": True}).status_code == 404


def test_bad_ratings_are_422(client):
    report_id, token = resolved_report(client)
    for body in ({"score": 6, "fixed": True}, {"score": 0, "fixed": True}, {"score": "5", "fixed": True},
                 {"score": 3, "fixed": "yes"}, {"score": 3}, {"score": 3, "fixed": True, "stars": 5}):
        response = rate(client, report_id, token, **body)
        assert response.status_code == 422, body
    assert db.session.scalar(select(Rating)) is None


def test_due_dates_are_set_from_the_category_targets(client):
    created = client.post("/api/v1/reports", json={"category": "road_damage", "description": "穴", **INSIDE}).get_json()
    report = db.session.scalar(select(Report).where(Report.public_id == created["id"]))
    assert report.created_at < report.first_response_due_at < report.resolution_due_at


def test_a_not_fixed_rating_reopens_the_report_at_the_time_it_was_given(client):
    # A channel hands the rating its clock; the reopening is written at that same instant, not the real time.
    report_id, _token = resolved_report(client)
    report = db.session.scalar(select(Report).where(Report.public_id == report_id))
    given = report.resolved_at + timedelta(days=3)
    rating = feedback.rate(db.session, report, score=1, fixed=False, comment=None, window_days=14, now=given)
    db.session.commit()
    reopened = db.session.scalars(select(HistoryEntry).where(HistoryEntry.report_id == report.id,
                                                             HistoryEntry.to_status == "in_progress")).one()
    assert rating.created_at == given and reopened.created_at == given
    assert report.status == "in_progress" and report.updated_at == given and report.closed_at is None
