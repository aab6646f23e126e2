"""The staff member a console page is for."""

from __future__ import annotations

from flask import abort, g

from service.models import Staff


def current_member() -> Staff:
    """The signed-in staff member that sign-in puts on ``g.staff``; 401 when there is none.

    Sign-in sends a browser without a session to the sign-in page before a
    console view runs, so the 401 only guards against a view left unprotected.
    """
    staff = g.get("staff")
    if staff is None:
        abort(401)
    return staff
