"""SLA targets: whether a report is past its first-response or resolution due time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, or_

from service.domain.business_days import business_days_between
from service.domain.status import OPEN_STATUSES
from service.models import Report
from service.timefmt import TOKYO


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """SQL condition: the report is open and has missed a target that is still running."""
    return and_(
        Report.status.in_(OPEN_STATUSES),
        or_(
            and_(Report.first_response_at.is_(None), Report.first_response_due_at < now),
            Report.resolution_due_at < now,
        ),
    )


def is_overdue(report: Report, now: datetime) -> bool:
    if report.status not in OPEN_STATUSES:
        return False
    first = report.first_response_at is None and report.first_response_due_at is not None and report.first_response_due_at < now
    resolution = report.resolution_due_at is not None and report.resolution_due_at < now
    return first or resolution


def end_of_day(now: datetime) -> datetime:
    """Midnight in Tokyo at the end of ``now``'s day: the due time of a target that falls due today."""
    return datetime.combine(now.astimezone(TOKYO).date() + timedelta(days=1), time(0), tzinfo=TOKYO)


def due_today_condition(now: datetime) -> ColumnElement[bool]:
    """SQL condition: the report is open and a running target falls due later today (not yet missed)."""
    tonight = end_of_day(now)
    return and_(
        Report.status.in_(OPEN_STATUSES),
        or_(
            and_(Report.first_response_at.is_(None), Report.first_response_due_at >= now,
                 Report.first_response_due_at <= tonight),
            and_(Report.resolution_due_at >= now, Report.resolution_due_at <= tonight),
        ),
    )


@dataclass(frozen=True)
class Standing:
    """Where a report stands against its targets: ``overdue``, ``due_today`` or ``running``, and the business days left.

    ``days_left`` counts the business days that begin before the nearest
    running target falls due (0 when it falls due today, negative never).
    """

    state: str
    due_at: datetime
    days_left: int


def standing(report: Report, now: datetime, *, year_end_break: bool = True) -> Standing | None:
    """The report's standing against its nearest running target, or None when it is closed or has none."""
    if report.status not in OPEN_STATUSES:
        return None
    running = [due for due in ((report.first_response_due_at if report.first_response_at is None else None),
                               report.resolution_due_at) if due is not None]
    if not running:
        return None
    nearest = min(running)
    if nearest < now:
        return Standing("overdue", nearest, 0)
    if nearest <= end_of_day(now):
        return Standing("due_today", nearest, 0)
    # A target due at midnight ending day D leaves the business days up to D.
    days = business_days_between(now, nearest - timedelta(microseconds=1), year_end_break=year_end_break)
    return Standing("running", nearest, days)
