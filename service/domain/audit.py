"""Writing the audit log, in the transaction of the change it records, and reading it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.models import AuditEntry, Staff


class Actor(Protocol):
    """Who makes a change, in the audit log's terms: a staff member, or a command-line operator with no id."""

    @property
    def id(self) -> int | None: ...

    @property
    def jurisdiction_id(self) -> int: ...

    @property
    def role(self) -> str: ...


def audit(session: Session, staff: Actor, action: str, target_type: str, target_id: str | int,
          before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    session.add(AuditEntry(jurisdiction_id=staff.jurisdiction_id, staff_id=staff.id, action=action,
                           target_type=target_type, target_id=str(target_id), before=before, after=after))


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read: by whom (a staff id), what action, what target, from and before which instants."""

    staff_id: int | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    before: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    rows: list[tuple[AuditEntry, Staff | None]]
    total: int


def entry_page(session: Session, jurisdiction_id: int, wanted: AuditFilter, *, page: int, page_size: int) -> AuditPage:
    """One page of a jurisdiction's audit log, newest first, each entry with the staff member who made it (if any)."""
    conditions = [AuditEntry.jurisdiction_id == jurisdiction_id]
    if wanted.staff_id is not None:
        conditions.append(AuditEntry.staff_id == wanted.staff_id)
    if wanted.action:
        conditions.append(AuditEntry.action == wanted.action)
    if wanted.target_type:
        conditions.append(AuditEntry.target_type == wanted.target_type)
    if wanted.target_id:
        conditions.append(AuditEntry.target_id == wanted.target_id)
    if wanted.since is not None:
        conditions.append(AuditEntry.created_at >= wanted.since)
    if wanted.before is not None:
        conditions.append(AuditEntry.created_at < wanted.before)
    total = session.execute(select(func.count(AuditEntry.id)).where(*conditions)).scalar_one()
    query = (select(AuditEntry, Staff).outerjoin(Staff, AuditEntry.staff_id == Staff.id).where(*conditions)
             .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(page_size).offset((page - 1) * page_size))
    return AuditPage(rows=[(entry, who) for entry, who in session.execute(query)], total=total)


def actions(session: Session, jurisdiction_id: int) -> list[str]:
    """The actions the jurisdiction's log holds, for choosing one."""
    return list(session.scalars(select(AuditEntry.action).where(AuditEntry.jurisdiction_id == jurisdiction_id)
                                .distinct().order_by(AuditEntry.action)))


def last_signins(session: Session, staff_ids: list[int]) -> dict[int, datetime]:
    """When each of these members last signed in to the pages, as the log records it."""
    if not staff_ids:
        return {}
    query = (select(AuditEntry.target_id, func.max(AuditEntry.created_at))
             .where(AuditEntry.action == "staff.signin", AuditEntry.target_type == "staff",
                    AuditEntry.target_id.in_([str(i) for i in staff_ids]))
             .group_by(AuditEntry.target_id))
    return {int(target): at for target, at in session.execute(query)}
