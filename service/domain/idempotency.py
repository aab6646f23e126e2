"""Idempotency keys: a retry is answered like its first copy, within its sender's scope, for a day.

A key means something only within the scope of whoever sent it: the device
(the app's ``device_id``), an Open311 API client, or else the connecting address. Another sender using the same key makes a report of its own and
learns nothing of the first: neither its tracking token nor that the key was used. Many
residents share one address behind carrier-grade NAT, so a key sent from an
address without a device id answers only the very same request (same body,
same photos); a different one is a new report, never a conflict.

A report stores its key as an HMAC of scope and key under the server secret,
so one unique column holds (scope, key) pairs and no device id or address is
kept in it. A key expires a day after its report was made; sent again later,
it is released from the old report and makes a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from service.models import Report

KEY_LIFETIME = timedelta(hours=24)
# A LINE conversation is its own scope: the resident on one channel; an Open311 client is one sender.
SCOPE_KINDS = ("device", "address", "line", "client")


@dataclass(frozen=True)
class IdempotencyKey:
    """The Idempotency-Key a request came with, and the scope it came from (``kind`` is one of SCOPE_KINDS)."""

    key: str
    kind: str
    sender: str

    def __post_init__(self) -> None:
        if self.kind not in SCOPE_KINDS:
            raise ValueError(f"unknown idempotency scope {self.kind!r}")


def stored_key(secret: str, key: IdempotencyKey, request_fingerprint: str) -> str:
    """What the report stores for ``key``: equal only for the same key from the same scope."""
    parts = [key.kind, key.sender, key.key]
    if key.kind == "address":
        # An address is shared: only the same request from it is a retry.
        parts.append(request_fingerprint)
    message = json.dumps(["idempotency", *parts], ensure_ascii=False).encode("utf-8", "replace")
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def expired(created_at: datetime, now: datetime) -> bool:
    return now - created_at >= KEY_LIFETIME


def release_expired(session: Session, stored: str, now: datetime) -> bool:
    """Take an expired key off the report that holds it; True when one was released (and committed)."""
    result = session.execute(
        update(Report)
        .where(Report.idempotency_key == stored, Report.created_at <= now - KEY_LIFETIME)
        # The report itself does not change, so its updated_at stays.
        .values(idempotency_key=None, updated_at=Report.updated_at)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return bool(cast(CursorResult, result).rowcount)
