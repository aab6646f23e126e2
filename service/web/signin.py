"""Who is signed in to the staff pages, for every view under ``/staff/``.

For the console's views:

- Every view of the ``staff_web`` blueprint runs after :func:`load_staff`, a
  ``before_request`` of the blueprint: it sets ``g.staff`` (the signed-in
  :class:`~service.models.Staff` row) or, when nobody is signed in (or the
  session ended, or the member was revoked or locked), redirects to
  ``/staff/login?next=<this page>``. Only the sign-in views themselves
  (:data:`PUBLIC_ENDPOINTS`) are open. A member who must set up a second
  factor (their role or the setting asks one they lack, after an admin's
  reset, say) is sent to ``/staff/login/enrol`` from every page until they have.
- ``@staff_required("admin", "manager")`` on a view also answers 403 (an HTML
  page) to the other roles; ``@staff_required()`` admits every role.
- Templates call ``csrf_token()`` for every form (``<input type="hidden"
  name="csrf_token" value="{{ csrf_token() }}">``); htmx requests send it as
  ``X-CSRFToken`` from the layout (:mod:`service.web.forms`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from service import clock
from service.domain.signin import Policy, must_enrol, policy_from
from service.extensions import db
from service.models import Staff

PUBLIC_ENDPOINTS = frozenset({"staff_web.login", "staff_web.login_code", "staff_web.login_enrol"})
STAFF_PATH = "/staff/"

F = TypeVar("F", bound=Callable[..., Any])


def policy() -> Policy:
    return policy_from(current_app.config)


def signed_in_staff() -> Staff | None:
    """The member this session is signed in as, while they may still sign in."""
    member_id = session.get("staff_id")
    if not isinstance(member_id, int):
        return None
    member = db.session.get(Staff, member_id)
    if member is None or member.revoked_at is not None or member.locked_at is not None:
        session.clear()
        return None
    return member


def load_staff() -> Response | None:
    g.staff = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    g.staff = signed_in_staff()
    if g.staff is None:
        return to_sign_in("staff_web.login_enrol" if _enrolling() else "staff_web.login")
    if must_enrol(g.staff, policy()):
        # Signed in before a reset or the setting asked a second factor: nothing opens until one is set up.
        member, g.staff = g.staff, None
        begin_second_step(member)
        return to_sign_in("staff_web.login_enrol")
    return None


def _enrolling() -> bool:
    """Whether this session's password step was right and waits for a second factor to be set up."""
    member_id = session.get("pending_staff_id")
    member = db.session.get(Staff, member_id) if isinstance(member_id, int) else None
    return member is not None and must_enrol(member, policy())


def begin_second_step(member: Staff) -> None:
    """The password is right: the session waits for the second factor (its code, or setting one up first)."""
    session.clear()
    session.update(pending_staff_id=member.id, pending_since=clock.now().isoformat())
    session.rotate()  # type: ignore[attr-defined]


def to_sign_in(step: str = "staff_web.login") -> Response:
    """To the sign-in page (or its ``step``), and back here afterwards (for a page one can come back to: a GET).

    An htmx request is told to load the sign-in page as a whole page
    (``HX-Redirect``), not to swap it into a fragment of the page.
    """
    here = request.full_path.rstrip("?") if request.method == "GET" else None
    target = url_for(step, next=here)
    if request.headers.get("HX-Request"):
        response = Response(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def staff_required(*roles: str) -> Callable[[F], F]:
    """Admit only a signed-in member of ``roles`` (any role when none is given); 403 for the others."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.get("staff") is None:
                return to_sign_in()
            if roles and g.staff.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path of the staff pages on this site, else the console's start."""
    default = url_for("staff_web.index")
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(STAFF_PATH) or parts.path.startswith("//"):
        return default
    if parts.path.startswith(("/staff/login", "/staff/logout")):
        return default
    return target.rstrip("?")
