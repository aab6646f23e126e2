"""Events the clock causes: a reminder to rate a resolved report, and missed SLA targets.

Each goes out once per report (per target, for overdue): the report remembers
when it went out, in the transaction that records the event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from service.domain.events import record_event
from service.domain.status import OPEN_STATUSES
from service.models import Rating, Report
from service.models.types import utcnow
from service.timefmt import iso_tokyo


def remind_ratings(session: Session, *, after_days: int, window_days: int, now: datetime | None = None,
                   limit: int = 500) -> list[str]:
    """Record one ``report.rating_requested`` reminder for each report resolved ``after_days`` ago
    that is still unrated and still within its rating window; commit and return their public ids."""
    now = now or utcnow()
    rated = exists().where(Rating.report_id == Report.id, Rating.current.is_(True))
    reports = list(session.scalars(
        select(Report).where(Report.status == "resolved", Report.rating_reminded_at.is_(None),
                             Report.resolved_at <= now - timedelta(days=after_days),
                             Report.resolved_at > now - timedelta(days=window_days), ~rated)
        .order_by(Report.id).limit(limit).with_for_update(of=Report, skip_locked=True)
    ).unique())
    for report in reports:
        report.rating_reminded_at = now
        if report.rating_requested_at is None:
            report.rating_requested_at = now
        record_event(session, "report.rating_requested", report, {"reminder": True})
    session.commit()
    return [r.public_id for r in reports]


def flag_overdue(session: Session, *, now: datetime | None = None, limit: int = 500) -> list[tuple[str, str]]:
    """Record one ``report.overdue`` event per open report and missed target (first response,
    resolution) not yet told; commit and return (public id, target) pairs."""
    now = now or utcnow()
    first = and_(Report.first_response_at.is_(None), Report.first_response_due_at < now,
                 Report.first_response_overdue_at.is_(None))
    resolution = and_(Report.resolution_due_at < now, Report.resolution_overdue_at.is_(None))
    reports = list(session.scalars(
        select(Report).where(Report.status.in_(OPEN_STATUSES), first | resolution)
        .order_by(Report.id).limit(limit).with_for_update(of=Report, skip_locked=True)
    ).unique())
    flagged: list[tuple[str, str]] = []
    for report in reports:
        if report.first_response_at is None and report.first_response_overdue_at is None \
                and report.first_response_due_at is not None and report.first_response_due_at < now:
            report.first_response_overdue_at = now
            record_event(session, "report.overdue", report, {"target": "first_response", "due_at": iso_tokyo(report.first_response_due_at)})
            flagged.append((report.public_id, "first_response"))
        if report.resolution_overdue_at is None and report.resolution_due_at is not None and report.resolution_due_at < now:
            report.resolution_overdue_at = now
            record_event(session, "report.overdue", report, {"target": "resolution", "due_at": iso_tokyo(report.resolution_due_at)})
            flagged.append((report.public_id, "resolution"))
    session.commit()
    return flagged
