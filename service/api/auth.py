"""Staff authentication: `Authorization: Bearer <api key>`.

Every path under /api/v1/staff/ is authenticated before anything else about
the request is looked at (its route, its query, its body): a client without a
valid key learns nothing but 401, whatever it sends.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, g, request

from service import clock
from service.api.limits import Budget, counting_refusals, take
from service.api.problems import abort
from service.domain.staff_keys import member_for_key
from service.extensions import db
from service.models import Staff

CHALLENGE = 'Bearer realm="machikoe"'
LAST_USED_RESOLUTION = timedelta(minutes=1)

SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
STAFF_PREFIX = "/api/v1/staff/"
# Views under the staff prefix that authenticate by other means: the original
# photo link carries its own signature.
KEYLESS_ENDPOINTS = frozenset({"staff.original_photo"})


def init_staff_authentication(app: Flask) -> None:
    """Check the staff key of every request under /api/v1/staff/ before its view parses anything."""
    app.before_request(_authenticate_staff_paths)


def _authenticate_staff_paths() -> None:
    if not (request.path + "/").startswith(STAFF_PREFIX) or request.endpoint in KEYLESS_ENDPOINTS:
        return
    # A preflight never carries credentials; Flask answers it with the allowed methods.
    if request.method == "OPTIONS":
        return
    current_staff()


def current_staff() -> Staff:
    """The staff member whose key signs this request; 401 with a challenge otherwise.

    Each staff member's requests are counted under their id, however the
    header is spelled; requests with a key that opens nothing are counted as
    refusals of the address they come from.
    """
    header = request.headers.get("Authorization", "")
    cached = g.get("staff")
    if cached is not None and g.get("staff_authorization") == header:
        return cached
    with counting_refusals("api-keys"):
        member = _authenticate(header)
    take(Budget("api-keys", "RATE_LIMIT_API_KEYS", f"staff:{member.id}"))
    return member


def bearer_key(header: str) -> str | None:
    """The key of ``Bearer <key>`` (the scheme in any case, any spaces around); None for anything else."""
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]


def _authenticate(header: str) -> Staff:
    key = bearer_key(header)
    if key is None:
        abort(401, "Send your API key as `Authorization: Bearer <key>`.", headers={"WWW-Authenticate": CHALLENGE})
    now = clock.now()
    member = member_for_key(db.session(), key, now)
    if member is None or member.revoked_at is not None:
        abort(401, "The API key is not valid.", headers={"WWW-Authenticate": CHALLENGE + ', error="invalid_token"'})
    # Recording every use would turn each read into a write; a minute's resolution is enough.
    if member.last_used_at is None or now - member.last_used_at > LAST_USED_RESOLUTION:
        member.last_used_at = now
        db.session.commit()
    g.staff, g.staff_authorization = member, header
    return member


def require(allowed: bool, detail: str = "Your role does not allow this.") -> None:
    if not allowed:
        abort(403, detail)
