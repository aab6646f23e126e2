"""Triage of several reports at once (the console's bulk actions), each change audited like a single one.

A report the staff member may not see or change, or one whose status does
not allow the change, is left as it is and counted as skipped: a bulk action
never half-applies to one report, and one refusal does not stop the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import access, workflow
from service.domain.assignment import assign_member
from service.domain.audit import audit
from service.models import Report, Staff

# A bulk action takes at most a page of the inbox.
MAX_REPORTS = 200


@dataclass(frozen=True)
class Outcome:
    changed: list[str]
    skipped: list[str]


def snapshot(report: Report) -> dict[str, Any]:
    """What an audit entry records of a report before and after a staff change."""
    return {"status": report.status, "department_id": report.department_id, "category_id": report.category_id,
            "priority": report.priority, "assignee_id": report.assignee_id, "hidden": report.hidden,
            "duplicate_of_id": report.duplicate_of_id,
            "photos_hidden": sorted(p.public_id for p in report.photos if p.hidden),
            "description_redacted": report.description_original is not None}


def acknowledge(session: Session, staff: Staff, public_ids: Sequence[str], now: datetime) -> Outcome:
    """Move each received report to acknowledged (確認済) at ``now`` (the app's clock), as a single change would."""
    return _each(session, staff, public_ids, "report.transition", lambda report: workflow.transition(
        session, report, workflow.Actor.of(staff), to="acknowledged", now=now))


def assign(session: Session, staff: Staff, public_ids: Sequence[str], member: Staff | None, now: datetime) -> Outcome:
    """Name ``member`` (None: nobody) as the one working on each report, at ``now`` (the app's clock)."""
    return _each(session, staff, public_ids, "report.assignee", lambda report: assign_member(
        session, report, workflow.Actor.of(staff), member, now))


def _each(session: Session, staff: Staff, public_ids: Sequence[str], action: str,
          change: Callable[[Report], object]) -> Outcome:
    if not access.can_write(staff):
        return Outcome(changed=[], skipped=list(public_ids))
    wanted = list(dict.fromkeys(public_ids))[:MAX_REPORTS]
    found = {r.public_id: r for r in session.scalars(select(Report).where(Report.public_id.in_(wanted)))}
    changed, skipped = [], []
    for public_id in wanted:
        report = found.get(public_id)
        if report is None or access.visibility(staff, report) is not access.Visibility.VISIBLE:
            skipped.append(public_id)
            continue
        before = snapshot(report)
        # The workflow checks a change before it makes any: a refused one has changed nothing.
        try:
            change(report)
        except workflow.WorkflowError:
            skipped.append(public_id)
            continue
        audit(session, staff, action, "report", public_id, before, snapshot(report))
        changed.append(public_id)
    session.commit()
    return Outcome(changed=changed, skipped=skipped)
