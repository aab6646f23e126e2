"""An admin's staff accounts: created with a sign-in and a key, their key renewed, listed a page at a time.

Creation is what ``machikoe staff create --login --totp`` does, as an admin of
the jurisdiction rather than the machine's operator: the sign-in is checked
first (:func:`signin.check_new_credentials`), then the member is created
(:func:`admin.create_staff_key`, audited ``staff.create``) and given the
sign-in (:func:`signin.set_credentials`, audited ``staff.credentials_reset``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain import admin as setup
from service.domain import signin
from service.domain.audit import Actor, audit
from service.domain.jurisdictions import SetupError
from service.domain.report_lists import paged
from service.domain.staff_keys import new_api_key
from service.models import Staff

# How long a renewed key's predecessor keeps working when the admin asks so.
KEY_OVERLAP = timedelta(hours=24)


def previous_key_working(member: Staff, now: datetime) -> bool:
    """Whether the key before the member's current one still works (see :func:`renew_key`)."""
    return member.previous_key_until is not None and member.previous_key_until > now


@dataclass(frozen=True)
class NewAccount:
    member: Staff
    api_key: str
    totp_uri: str | None


def create_account(session: Session, admin: Actor, *, name: str, role: str, department: str | None, login: str,
                   password: str, totp: bool, policy: signin.Policy) -> NewAccount:
    """A member of the admin's jurisdiction who signs in as ``login``; the key and the second factor's URI are shown once.

    Raises CredentialsError for a login in use, a weak password or a second
    factor the role needs but was not asked for; SetupError for a bad name,
    role or department. Nothing is written then.
    """
    signin.check_new_credentials(session, role, login, password, totp, policy)
    member, key = setup.create_staff_key(session, admin, name=name, role=role, department=department)
    uri = signin.set_credentials(session, admin, member, login=login, password=password, new_totp=totp, policy=policy)
    return NewAccount(member, key, uri)


def renew_key(session: Session, admin: Actor, member: Staff, now: datetime, *, keep_previous: bool = False) -> str:
    """Give a member a new API key (returned once). Audited ``staff.key_renewed``.

    The key before it answers 401 from now on, or with ``keep_previous`` keeps
    working for :data:`KEY_OVERLAP`, so whatever uses it can be moved to the
    new key without a gap. Only one key before is kept: a key left working by
    an earlier renewal stops now. Raises SetupError for a deactivated member:
    their key stays revoked.
    """
    if member.revoked_at is not None:
        raise SetupError("a deactivated member's key stays revoked")
    before = setup.staff_snapshot(member)
    previous = (member.key_prefix, member.key_hash, now + KEY_OVERLAP) if keep_previous else (None, None, None)
    key, member.key_prefix, member.key_hash = new_api_key()
    member.previous_key_prefix, member.previous_key_hash, member.previous_key_until = previous
    after = {**setup.staff_snapshot(member),
             "previous_key_until": member.previous_key_until.isoformat() if member.previous_key_until else None}
    audit(session, admin, "staff.key_renewed", "staff", member.id, before, after)
    session.commit()
    return key


def member_page(session: Session, jurisdiction_id: int, *, page: int, page_size: int) -> tuple[list[Staff], int]:
    """One page of a jurisdiction's staff members, deactivated ones last."""
    query = (select(Staff).where(Staff.jurisdiction_id == jurisdiction_id)
             .order_by(Staff.revoked_at.is_not(None), Staff.id))
    found = paged(session, query, page=page, page_size=page_size)
    # paged() is typed for reports; this query's rows are Staff rows.
    return cast(list[Staff], found.rows), found.total


def find(session: Session, jurisdiction_id: int, member_id: int) -> Staff | None:
    member = session.get(Staff, member_id)
    return member if member is not None and member.jurisdiction_id == jurisdiction_id else None


def members(session: Session, jurisdiction_id: int) -> list[Staff]:
    """Every member of the jurisdiction, deactivated ones too, by name: whom the audit log can be filtered to."""
    return list(session.scalars(select(Staff).where(Staff.jurisdiction_id == jurisdiction_id).order_by(Staff.name, Staff.id)))
