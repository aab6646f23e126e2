"""Staff members and their API keys: shown once, stored hashed, with a visible prefix."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.local_government_code import normalize
from service.models import ROLES, Department, Jurisdiction, Staff

KEY_PREFIX = "mk_"


class StaffKeyError(ValueError):
    """The staff member cannot be created as asked; the message says why."""


def new_api_key() -> tuple[str, str, str]:
    """Return (key, visible prefix, hash)."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(30)}"
    return key, prefix, hash_api_key(key)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def member_for_key(session: Session, key: str, now: datetime) -> Staff | None:
    """The member whose key this is: their current one, or the one before it while it is still left working."""
    hashed = hash_api_key(key)
    member = session.scalar(select(Staff).where(Staff.key_hash == hashed))
    if member is None:
        member = session.scalar(select(Staff).where(Staff.previous_key_hash == hashed, Staff.previous_key_until > now))
    return member


def create_staff(session: Session, *, name: str, role: str, jurisdiction_code: str, department_code: str | None) -> tuple[Staff, str]:
    """Create a staff member with a new key; raise StaffKeyError on a bad role, code or department."""
    name = name.strip()
    if not name or len(name) > 200:
        raise StaffKeyError("a name of 1 to 200 characters is needed")
    if role not in ROLES:
        raise StaffKeyError(f"role must be one of {', '.join(ROLES)}")
    code = normalize(jurisdiction_code)
    if code is None:
        raise StaffKeyError(f"{jurisdiction_code!r} is not a valid local government code (6 digits with check digit, or N03's 5)")
    jurisdiction = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if jurisdiction is None:
        raise StaffKeyError(f"no jurisdiction {code} is served here")
    department = None
    if department_code is not None:
        department = session.scalar(
            select(Department).where(Department.jurisdiction_id == jurisdiction.id, Department.code == department_code)
        )
        if department is None:
            raise StaffKeyError(f"jurisdiction {code} has no department {department_code!r}")
    elif role in ("manager", "staff"):
        raise StaffKeyError(f"a {role} belongs to a department: give --department")
    key, prefix, key_hash = new_api_key()
    member = Staff(name=name, role=role, jurisdiction_id=jurisdiction.id,
                   department_id=department.id if department else None, key_prefix=prefix, key_hash=key_hash)
    session.add(member)
    session.commit()
    return member, key
