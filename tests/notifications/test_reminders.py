"""Events the clock causes: one rating reminder per unrated resolved report, one overdue event per missed target."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service.domain import reminders
from service.extensions import db
from service.models import OutboxEvent, Rating, Report
from service.models.types import utcnow
from tests.notifications.conftest import transition


def report_row(public_id: str) -> Report:
    db.session.expire_all()
    return db.session.scalar(select(Report).where(Report.public_id == public_id))


def events(public_id: str, event_type: str) -> list[dict]:
    return [e.payload for e in db.session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == event_type)
                                                   .order_by(OutboxEvent.id))
            if e.payload["report_id"] == public_id]


def test_unrated_report_is_reminded_once_seven_days_after_resolution(client, keys, road_report, parks_report):
    transition(client, keys, road_report, "resolved")
    transition(client, keys, parks_report, "resolved", who="parks_staff")
    resolved_at = report_row(road_report).resolved_at
    db.session.add(Rating(report_id=report_row(parks_report).id, score=5, fixed=True))
    db.session.commit()

    assert reminders.remind_ratings(db.session, after_days=7, window_days=30, now=resolved_at + timedelta(days=6)) == []
    eighth_day = resolved_at + timedelta(days=7, hours=1)
    assert reminders.remind_ratings(db.session, after_days=7, window_days=30, now=eighth_day) == [road_report]
    assert reminders.remind_ratings(db.session, after_days=7, window_days=30, now=eighth_day + timedelta(days=1)) == []

    # The resolution itself asked once; the reminder is the second, marked as one.
    assert events(road_report, "report.rating_requested") == [
        {"report_id": road_report, "from": "received", "to": "resolved"},
        {"report_id": road_report, "reminder": True},
    ]
    assert report_row(road_report).rating_reminded_at == eighth_day
    assert len(events(parks_report, "report.rating_requested")) == 1


def test_no_reminder_once_the_rating_window_has_closed(client, keys, road_report):
    transition(client, keys, road_report, "resolved")
    resolved_at = report_row(road_report).resolved_at

    assert reminders.remind_ratings(db.session, after_days=7, window_days=30, now=resolved_at + timedelta(days=31)) == []


def test_missed_targets_are_reported_overdue_once_each(client, keys, road_report, parks_report):
    now = utcnow()
    road = report_row(road_report)
    road.first_response_due_at, road.resolution_due_at = now - timedelta(hours=2), now + timedelta(days=3)
    db.session.commit()
    parks = report_row(parks_report)
    parks.first_response_due_at, parks.resolution_due_at = now - timedelta(days=1), now + timedelta(days=3)
    db.session.commit()
    transition(client, keys, parks_report, "acknowledged", who="parks_staff")

    assert reminders.flag_overdue(db.session, now=now) == [(road_report, "first_response")]
    assert reminders.flag_overdue(db.session, now=now + timedelta(hours=1)) == []
    later = now + timedelta(days=4)
    assert sorted(reminders.flag_overdue(db.session, now=later)) == sorted([(road_report, "resolution"), (parks_report, "resolution")])
    assert reminders.flag_overdue(db.session, now=later + timedelta(days=1)) == []

    assert [p["target"] for p in events(road_report, "report.overdue")] == ["first_response", "resolution"]
    assert [p["target"] for p in events(parks_report, "report.overdue")] == ["resolution"]
    assert events(road_report, "report.overdue")[0]["due_at"].endswith("+09:00")
    row = report_row(road_report)
    assert (row.first_response_overdue_at, row.resolution_overdue_at) == (now, later)


def test_closed_report_is_never_overdue(client, keys, road_report):
    transition(client, keys, road_report, "not_actionable", reason="私有地のため")
    row = report_row(road_report)
    row.resolution_due_at = utcnow() - timedelta(days=1)
    db.session.commit()

    assert reminders.flag_overdue(db.session) == []
