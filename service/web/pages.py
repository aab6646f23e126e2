"""Which requests are pages (HTML for people) rather than API calls."""

from __future__ import annotations

from flask import Request

# The blueprints whose views render pages.
PAGE_BLUEPRINTS = frozenset({"staff_web", "resident_web"})
STAFF_PREFIX = "/staff"
API_PREFIX = "/api/"


def is_page(req: Request) -> bool:
    """A view of a page blueprint, or an address no view answers that a browser asked for.

    An unknown address under ``/staff`` is a page; one under ``/api/`` never is;
    any other unknown address is a page only when the client prefers HTML to
    problem+json (a browser does, curl and the apps do not).
    """
    if req.blueprint is not None:
        return req.blueprint in PAGE_BLUEPRINTS
    if req.url_rule is not None:
        return False
    if req.path == STAFF_PREFIX or req.path.startswith(STAFF_PREFIX + "/"):
        return True
    if req.path.startswith(API_PREFIX):
        return False
    return req.accept_mimetypes.best_match(["application/problem+json", "text/html"]) == "text/html"


def is_staff_page(req: Request) -> bool:
    return req.blueprint == "staff_web" or (req.blueprint is None and (req.path == STAFF_PREFIX or req.path.startswith(STAFF_PREFIX + "/")))
