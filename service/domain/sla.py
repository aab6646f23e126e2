"""SLA targets: whether a report is past its first-response or resolution due time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_

from service.domain.status import OPEN_STATUSES
from service.models import Report


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
