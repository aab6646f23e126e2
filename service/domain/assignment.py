"""Who works on a report: one staff member of its department, or nobody."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.domain import access
from service.domain.workflow import Actor, WorkflowError, touch
from service.models import Assignment, HistoryEntry, Report, Staff
from service.models.types import utcnow


def assign_member(session: Session, report: Report, actor: Actor, member: Staff | None,
                  now: datetime | None = None) -> HistoryEntry:
    """Name ``member`` as the one working on ``report`` (None: nobody) at ``now``, as a private history entry.

    ``now`` is the app's clock; the real time when not given.

    Raises WorkflowError (field ``assignee``) when the member could not work on
    it: a viewer, a revoked account, or one who may not see the report.
    """
    if member is not None and (member.revoked_at is not None or not access.can_write(member)
                               or access.visibility(member, report) is not access.Visibility.VISIBLE):
        raise WorkflowError("This staff member cannot work on this report.", "assignee")
    previous = report.assignee_id
    now = now or utcnow()
    if member is None:
        report.assignment = None
    elif previous != member.id:
        report.assignment = Assignment(staff_id=member.id, assigned_at=now)
    touch(report, now)
    entry = HistoryEntry(report=report, kind="assignee", actor_type=actor.kind, actor_id=actor.staff_id,
                         details={"from_staff_id": previous, "to_staff_id": member.id if member is not None else None}, created_at=now)
    session.add(entry)
    session.flush()
    return entry
