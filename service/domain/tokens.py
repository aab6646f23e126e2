"""Public ids, tracking tokens and request fingerprints.

A tracking token is shown to the resident once, at intake, and stored only as a
hash. When the app sends an Idempotency-Key the token is derived from the
server secret, the report and that key, so a retry of the same request is
answered with the same token without the token ever being stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any


def new_public_id() -> str:
    """Eighty random bits in lower-case base32: short, unguessable, URL-safe."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


def derived_tracking_token(secret: str, public_id: str, idempotency_key: str) -> str:
    digest = hmac.new(secret.encode(), f"tracking:{public_id}:{idempotency_key}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode("ascii").rstrip("=")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str | None, stored_hash: str) -> bool:
    if not token:
        return False
    return hmac.compare_digest(hash_token(token), stored_hash)


def fingerprint(payload: dict[str, Any], photo_hashes: list[str]) -> str:
    """A stable hash of what a request asked for, to tell a retry from a different request."""
    canonical = json.dumps({"payload": payload, "photos": photo_hashes}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def signed_reference(secret: str, purpose: str, value: int) -> str:
    """``value`` with an HMAC for ``purpose``: a link that acts without sign-in, and only on that row."""
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return f"{value}.{base64.urlsafe_b64encode(digest[:18]).decode('ascii')}"


def read_signed_reference(secret: str, purpose: str, token: str) -> int | None:
    """The value a :func:`signed_reference` token carries, or None when it is not one for ``purpose``."""
    value, _, _ = token.partition(".")
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return int(value) if hmac.compare_digest(signed_reference(secret, purpose, int(value)), token) else None
