"""住民評価: the resident rates how a resolved report was handled.

A rating is accepted while the report is resolved and within a window after
resolution; a second one within the window replaces the first (both rows are
kept). "Not fixed" reopens the report for its department.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from service.domain.events import record_event
from service.domain.workflow import Actor, transition
from service.models import Rating, Report
from service.models.types import utcnow

NOT_FIXED_REASON = "住民評価: 解決していない / rated as not fixed by the resident"


class RatingNotAllowed(ValueError):
    """The report cannot be rated now; the message says why."""


def rate(session: Session, report: Report, *, score: int, fixed: bool, comment: str | None, window_days: int,
         now: datetime | None = None) -> Rating:
    """Record a rating; raise RatingNotAllowed outside the resolved state or the window."""
    now = now or utcnow()
    if report.status != "resolved" or report.resolved_at is None:
        raise RatingNotAllowed(f"Only a resolved report can be rated; this one is {report.status}.")
    if now > report.resolved_at + timedelta(days=window_days):
        raise RatingNotAllowed(f"Ratings are accepted for {window_days} days after resolution; that time has passed.")
    session.execute(update(Rating).where(Rating.report_id == report.id, Rating.current.is_(True)).values(current=False))
    rating = Rating(report_id=report.id, score=score, fixed=fixed, comment=(comment or "").strip() or None, created_at=now)
    session.add(rating)
    report.rating_score, report.rating_fixed = score, fixed
    session.flush()
    record_event(session, "report.rated", report, {"score": score, "fixed": fixed})
    if not fixed:
        transition(session, report, Actor("resident"), to="in_progress", reason=NOT_FIXED_REASON, now=now)
    return rating
