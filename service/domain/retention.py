"""Retention: a closed report's personal data is removed a number of days after it was closed.

Each jurisdiction sets its days (``jurisdiction.retention_days``); one without
a setting follows the RETENTION_DAYS setting. The report itself stays, with
its status, dates, department, category and rating, so the figures
(service/domain/stats.py) come out the same; what goes is every field of
service/privacy/personal_data.py: reporter contact, device id, the kept
originals and their metadata, the link to a LINE user and, once nothing
links it, the LINE user itself, with the LINE webhook events handled before
the cutoff. A report already purged has nothing left to remove, so a second
run finds nothing: the purge is idempotent. Each run that removes anything
writes one audit row per jurisdiction, naming the reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, or_, select
from sqlalchemy.orm import Session

from service.domain.audit import Actor, audit
from service.models import Follower, Jurisdiction, LineEvent, LineReport, LineUser, Photo, Report
from service.privacy.personal_data import (
    LINE_EVENTS_IN_HAND,
    Removed,
    fields_of,
    held_in_report,
    remove_from_reports,
    remove_line_users,
)
from service.timefmt import iso_tokyo

BATCH = 500


def retention_days(jurisdiction: Jurisdiction, default_days: int) -> int:
    return jurisdiction.retention_days if jurisdiction.retention_days is not None else default_days


def cutoff(jurisdiction: Jurisdiction, now: datetime, default_days: int) -> datetime:
    """Reports closed at or before this instant are due."""
    return now - timedelta(days=retention_days(jurisdiction, default_days))


def holds_personal_data() -> ColumnElement[bool]:
    """True for a report with any personal field, photo field or LINE link still set."""
    photo_fields = [f.column.isnot(None) for f in fields_of(Photo)]
    return or_(*(f.column.isnot(None) for f in fields_of(Report)),
               exists().where(Photo.report_id == Report.id, or_(*photo_fields)),
               exists().where(LineReport.report_id == Report.id))


def due_reports(session: Session, jurisdiction: Jurisdiction, now: datetime, default_days: int,
                limit: int | None = None) -> list[Report]:
    return list(session.scalars(
        select(Report).where(Report.jurisdiction_id == jurisdiction.id, Report.closed_at.isnot(None),
                             Report.closed_at <= cutoff(jurisdiction, now, default_days), holds_personal_data())
        .order_by(Report.id).limit(limit)))


def stale_line_users(session: Session, jurisdiction: Jurisdiction, now: datetime, default_days: int) -> list[int]:
    """LINE users no report links, silent since before the cutoff: someone who talked and never reported."""
    last_seen = func.coalesce(LineUser.conversation_at, LineUser.created_at)
    return list(session.scalars(select(LineUser.id).where(
        LineUser.jurisdiction_id == jurisdiction.id, ~exists().where(LineReport.line_user_id == LineUser.id),
        last_seen <= cutoff(jurisdiction, now, default_days))))


def _jurisdictions(session: Session, code: str | None) -> list[Jurisdiction]:
    query = select(Jurisdiction).order_by(Jurisdiction.code)
    if code is not None:
        query = query.where(Jurisdiction.code == code)
    return list(session.scalars(query))


def plan(session: Session, now: datetime, default_days: int, jurisdiction_code: str | None = None) -> list[dict[str, Any]]:
    """What a purge would remove now, report by report, without changing anything."""
    rows = []
    for jurisdiction in _jurisdictions(session, jurisdiction_code):
        for report in due_reports(session, jurisdiction, now, default_days):
            linked = session.scalar(select(exists().where(LineReport.report_id == report.id)))
            followed = session.scalar(select(exists().where(Follower.report_id == report.id)))
            rows.append({"jurisdiction": jurisdiction.code, "report": report.public_id,
                         "closed_at": iso_tokyo(report.closed_at),
                         "fields": held_in_report(report) + (["line_report"] if linked else [])
                         + (["report_follower"] if followed else [])})
    return rows


@dataclass
class Purged:
    """One jurisdiction's part of a purge run."""

    jurisdiction: str
    removed: Removed
    line_events_deleted: int = 0
    days: int = field(default=0)

    def as_dict(self) -> dict[str, Any]:
        return {"jurisdiction": self.jurisdiction, "retention_days": self.days, **self.removed.as_dict(),
                "line_events_deleted": self.line_events_deleted}


def purge(session: Session, now: datetime, default_days: int, actor_for: Callable[[Jurisdiction], Actor],
          jurisdiction_code: str | None = None) -> list[Purged]:
    """Remove the personal data of every due report, audited; the caller commits, then deletes the originals."""
    done = []
    for jurisdiction in _jurisdictions(session, jurisdiction_code):
        removed, seen = Removed(), set[int]()
        # In batches, so a first run over years of closed reports never holds them all at once;
        # a purged report no longer matches, so each batch is new.
        while batch := due_reports(session, jurisdiction, now, default_days, BATCH):
            if batch[0].id in seen:  # never loop on a report removal could not clear
                break
            seen.update(report.id for report in batch)
            removed.add(remove_from_reports(session, batch))
            if len(batch) < BATCH:
                break
        removed.line_users_deleted += remove_line_users(session, stale_line_users(session, jurisdiction, now, default_days),
                                                        only_unlinked=True)
        # A webhook event holds the sender's LINE id and what they wrote; once
        # handled, it is kept only as long as the reports it made.
        events = session.execute(delete(LineEvent).where(
            LineEvent.jurisdiction_id == jurisdiction.id, LineEvent.state.notin_(LINE_EVENTS_IN_HAND),
            LineEvent.received_at <= cutoff(jurisdiction, now, default_days)))
        result = Purged(jurisdiction.code, removed, events.rowcount or 0, retention_days(jurisdiction, default_days))  # type: ignore[attr-defined]
        if removed.reports or removed.line_users_deleted or removed.followers_deleted or result.line_events_deleted:
            audit(session, actor_for(jurisdiction), "privacy.purged", "jurisdiction", jurisdiction.code,
                  after=result.as_dict())
        done.append(result)
    session.flush()
    return done
