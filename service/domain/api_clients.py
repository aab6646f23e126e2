"""Client systems that send reports over Open311: their api_key is shown once and stored hashed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.audit import audit
from service.domain.local_government_code import normalize
from service.domain.report_lists import paged
from service.domain.staff_keys import hash_api_key, new_api_key
from service.models import ApiClient, Jurisdiction, Staff
from service.models.types import utcnow

# Recording every use would turn each request into a write; a minute's resolution is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiClientError(ValueError):
    """The client cannot be created as asked; the message says why."""


def create_client(session: Session, *, name: str, jurisdiction_code: str,
                  admin: Staff | None = None) -> tuple[ApiClient, str]:
    """Create a client system of a jurisdiction with a new api_key, and commit.

    With ``admin``, the creation is audited in the same transaction. Returns
    the client and its key (the only time the key is seen). Raises
    :class:`ApiClientError` on a bad name or an unknown or invalid code.
    """
    name = name.strip()
    if not name or len(name) > 200:
        raise ApiClientError("a name of 1 to 200 characters is needed")
    code = normalize(jurisdiction_code)
    if code is None:
        raise ApiClientError(f"{jurisdiction_code!r} is not a valid local government code (6 digits with check digit, or N03's 5)")
    jurisdiction_id = session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == code))
    if jurisdiction_id is None:
        raise ApiClientError(f"no jurisdiction {code} is served here")
    key, prefix, key_hash = new_api_key()
    client = ApiClient(name=name, jurisdiction_id=jurisdiction_id, key_prefix=prefix, key_hash=key_hash)
    session.add(client)
    session.flush()
    if admin is not None:
        audit(session, admin, "client.create", "api_client", client.id, None, client_snapshot(client))
    session.commit()
    return client, key


def authenticate(session: Session, key: str | None) -> ApiClient | None:
    """The live client whose api_key this is, or None for a missing, unknown or revoked key."""
    if not key or not key.strip():
        return None
    client = session.scalar(select(ApiClient).where(ApiClient.key_hash == hash_api_key(key.strip())))
    if client is None or client.revoked_at is not None:
        return None
    now = utcnow()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
        client.last_used_at = now
        session.commit()
    return client


def revoke_client(session: Session, admin: Staff, client: ApiClient) -> None:
    """Revoke a client's key for good, audited; revoking a revoked key changes nothing."""
    if client.revoked_at is not None:
        return
    before = client_snapshot(client)
    client.revoked_at = utcnow()
    audit(session, admin, "client.revoke", "api_client", client.id, before, client_snapshot(client))
    session.commit()


def client_snapshot(client: ApiClient) -> dict[str, Any]:
    """The client as the audit log records it: never the key or its hash."""
    return {"id": client.id, "name": client.name, "key_prefix": client.key_prefix,
            "revoked": client.revoked_at is not None}


def client_page(session: Session, jurisdiction_id: int, *, page: int, page_size: int) -> tuple[list[ApiClient], int]:
    """One page of a jurisdiction's client systems, revoked ones last."""
    query = (select(ApiClient).where(ApiClient.jurisdiction_id == jurisdiction_id)
             .order_by(ApiClient.revoked_at.is_not(None), ApiClient.id))
    found = paged(session, query, page=page, page_size=page_size)
    # paged() is typed for reports; this query's rows are ApiClient rows.
    return cast(list[ApiClient], found.rows), found.total


def find(session: Session, jurisdiction_id: int, client_id: int) -> ApiClient | None:
    """The jurisdiction's client system of this id, or None."""
    return session.scalar(select(ApiClient).where(ApiClient.id == client_id, ApiClient.jurisdiction_id == jurisdiction_id))
