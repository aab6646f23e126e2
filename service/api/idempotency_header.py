"""The Idempotency-Key request header, as every intake path reads it."""

from __future__ import annotations

from flask import request

from service.api.problems import abort

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


def idempotency_header() -> str | None:
    """The request's Idempotency-Key, or None; 400 when it is not 1 to 255 printable ASCII characters."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_LENGTH or not key.isascii() or not key.isprintable():
        abort(400, "Idempotency-Key must be 1 to 255 printable ASCII characters.",
              errors={HEADER: ["1 to 255 printable ASCII characters."]})
    return key
