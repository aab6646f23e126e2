"""Writing the audit log, in the transaction of the change it records."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from service.models import AuditEntry


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
