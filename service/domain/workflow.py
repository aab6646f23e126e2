"""Staff work on a report: status transitions, replies and notes, re-routing, moderation.

Each change bumps the report's version (its ETag), writes a history entry and
the outbox events it causes, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain import response_templates
from service.domain import status as statuses
from service.domain.events import record_event
from service.models import Department, HistoryEntry, Report, Staff
from service.models.types import utcnow

FORWARD_TARGETS = ("国", "都道府県", "警察", "事業者")
CLOSED_STATUSES = ("resolved", "not_actionable", "forwarded", "duplicate")


class WorkflowError(ValueError):
    """A change a client can fix; ``field`` names the offending field, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TransitionNotAllowed(WorkflowError):
    def __init__(self, current: str, target: str) -> None:
        allowed = statuses.allowed_targets(current)
        super().__init__(f"A report that is {current} cannot become {target}; it can become: {', '.join(allowed) or 'nothing'}.", "to")
        self.allowed = allowed


@dataclass(frozen=True)
class Actor:
    kind: str  # "staff", "resident" or "system"
    staff_id: int | None = None

    @classmethod
    def of(cls, staff: Staff) -> Actor:
        return cls("staff", staff.id)


def transition(session: Session, report: Report, actor: Actor, *, to: str, public_reply: str | None = None,
               internal_note: str | None = None, reason: str | None = None, forwarded_to: str | None = None,
               duplicate_of: Report | None = None, now: datetime | None = None) -> HistoryEntry:
    """Move the report to ``to`` at ``now`` (the app's clock; the real time when not given); raise
    TransitionNotAllowed or WorkflowError when the move is not allowed."""
    if to not in statuses.STATUSES:
        raise WorkflowError(f"Unknown status {to!r}.", "to")
    current = report.status
    if to not in statuses.allowed_targets(current):
        raise TransitionNotAllowed(current, to)
    details: dict[str, Any] = {}
    if to in ("not_actionable", "forwarded") and not (reason and reason.strip()):
        raise WorkflowError(f"A report becomes {to} only with a reason.", "reason")
    if to == "forwarded":
        if not (forwarded_to and forwarded_to.strip()):
            raise WorkflowError(f"Say to whom it was forwarded: {', '.join(FORWARD_TARGETS)} or another body.", "forwarded_to")
        details["forwarded_to"] = forwarded_to.strip()
    if to == "duplicate":
        primary = _check_duplicate(report, duplicate_of)
        if session.scalar(select(func.count()).select_from(Report).where(Report.duplicate_of_id == report.id)):
            raise WorkflowError("Other reports are merged into this one; it cannot become a duplicate itself.", "duplicate_of")
        report.duplicate_of_id = primary.id
        details["duplicate_of"] = primary.public_id
    elif current == "duplicate":
        report.duplicate_of_id = None
    now = now or utcnow()
    report.status = to
    if report.first_response_at is None:
        report.first_response_at = now
    if to == "resolved":
        report.resolved_at = now
        # The figures read when the resident was first asked to rate, and how
        # often a resolution was undone, from the row itself.
        if report.rating_requested_at is None:
            report.rating_requested_at = now
    if current == "resolved" and to == "in_progress":
        report.reopen_count = (report.reopen_count or 0) + 1
    if to in CLOSED_STATUSES:
        report.closed_at = now
    else:
        report.closed_at = None
    touch(report, now)
    entry = HistoryEntry(report=report, kind="transition", actor_type=actor.kind, actor_id=actor.staff_id,
                         from_status=current, to_status=to, public_reply=_text(public_reply),
                         reply_translations=response_templates.reply_translations(session, report.jurisdiction_id,
                                                                                  _text(public_reply)),
                         internal_note=_text(internal_note), reason=_text(reason), details=details, created_at=now)
    session.add(entry)
    session.flush()
    payload = {"from": current, "to": to}
    record_event(session, "report.status_changed", report, payload)
    if to == "resolved":
        record_event(session, "report.resolved", report, payload)
        record_event(session, "report.rating_requested", report, payload)
    if current in CLOSED_STATUSES and to in statuses.OPEN_STATUSES:
        record_event(session, "report.reopened", report, payload)
    if entry.public_reply:
        # Marked, so a channel that tells the status change with its reply does not tell the reply twice.
        record_event(session, "report.replied", report, {"status": to, "with_transition": True})
    return entry


def comment(session: Session, report: Report, actor: Actor, *, public_reply: str | None, internal_note: str | None,
            now: datetime | None = None) -> HistoryEntry:
    """A public reply or an internal note without a status change, at ``now`` (the real time when not given)."""
    public_reply, internal_note = _text(public_reply), _text(internal_note)
    if not public_reply and not internal_note:
        raise WorkflowError("Give a public_reply, an internal_note, or both.", "public_reply")
    now = now or utcnow()
    if public_reply and report.first_response_at is None:
        report.first_response_at = now
    touch(report, now)
    entry = HistoryEntry(report=report, kind="comment", actor_type=actor.kind, actor_id=actor.staff_id,
                         public_reply=public_reply, internal_note=internal_note, created_at=now,
                         reply_translations=response_templates.reply_translations(session, report.jurisdiction_id,
                                                                                  public_reply))
    session.add(entry)
    session.flush()
    if public_reply:
        record_event(session, "report.replied", report, {"status": report.status})
    return entry


def assign(session: Session, report: Report, actor: Actor, department: Department, *, reason: str | None,
           now: datetime | None = None) -> HistoryEntry:
    """Re-route the report to another department of its jurisdiction, at ``now`` (the real time when not given)."""
    if department.jurisdiction_id != report.jurisdiction_id:
        raise WorkflowError("The department belongs to another jurisdiction.", "department")
    if not department.active:
        raise WorkflowError("The department is not active.", "department")
    previous = report.department_id
    report.department_id = department.id
    report.routing_rule_id = None
    report.routing_reason = f"assigned by staff: {reason.strip()}" if reason and reason.strip() else "assigned by staff"
    now = now or utcnow()
    touch(report, now)
    entry = HistoryEntry(report=report, kind="assigned", actor_type=actor.kind, actor_id=actor.staff_id,
                         reason=_text(reason), details={"from_department_id": previous, "to_department_id": department.id},
                         created_at=now)
    session.add(entry)
    session.flush()
    record_event(session, "report.routed", report, {"department": department.code, "reason": report.routing_reason})
    return entry


def redact(report: Report, text: str) -> None:
    """Replace the public description, keeping the resident's words for admins."""
    if report.description_original is None:
        report.description_original = report.description
    report.description = text
    touch(report)


def etag(report: Report) -> str:
    return f'"{report.public_id}-{report.version}"'


def touch(report: Report, now: datetime | None = None) -> None:
    """Bump the version (the ETag) and the update time (``now``, or the real time when not given)."""
    report.version = (report.version or 1) + 1
    report.updated_at = now or utcnow()


def _check_duplicate(report: Report, primary: Report | None) -> Report:
    """The report `report` may be marked a duplicate of; a WorkflowError when there is none."""
    if primary is None:
        raise WorkflowError("A duplicate needs duplicate_of: the id of the report it repeats.", "duplicate_of")
    if primary.id == report.id:
        raise WorkflowError("A report cannot duplicate itself.", "duplicate_of")
    if primary.jurisdiction_id != report.jurisdiction_id:
        raise WorkflowError("No report with this id in your jurisdiction.", "duplicate_of")
    if primary.status == "duplicate" or primary.duplicate_of_id is not None:
        raise WorkflowError("That report is itself a duplicate; point to its primary report instead.", "duplicate_of")
    return primary


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None
