"""The administration pages (``/staff/admin/``): their index, and the registry each section adds itself to.

A section module (``admin_setup``, ``admin_access``) registers its views on the
console's blueprint and calls :func:`admin_page` once per page, so the index
and the menu list it without a list kept by hand.

The create and update forms post with htmx in place (``in_place()`` in
:file:`staff/admin/macros.html`) and work as plain posts too; a refused form
reaches htmx as 200 (:func:`refusals_swapped`), since htmx swaps in only a 2xx
answer, and plain posts keep their 409 or 422.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request
from flask_babel import LazyString
from werkzeug.wrappers import Response

from service.web.console import bp
from service.web.signin import staff_required

ADMINS = ("admin",)


@dataclass(frozen=True)
class AdminPage:
    endpoint: str
    label: LazyString
    summary: LazyString
    group: LazyString


ADMIN_PAGES: list[AdminPage] = []


def admin_page(endpoint: str, label: LazyString, summary: LazyString, group: LazyString) -> None:
    """List the page of ``endpoint`` (``staff_web.…``) on the administration index."""
    ADMIN_PAGES.append(AdminPage(endpoint, label, summary, group))


@bp.get("/admin/")
@staff_required(*ADMINS)
def admin_index() -> str:
    groups: dict[str, list[AdminPage]] = {}
    for page in ADMIN_PAGES:
        groups.setdefault(str(page.group), []).append(page)
    return render_template("staff/admin/index.html", groups=groups)


# The answers of a refused form: the form again, with the errors beside its fields.
REFUSALS = (409, 422)


@bp.after_request
def refusals_swapped(response: Response) -> Response:
    """A refused administration form, posted by htmx, answers 200 so htmx swaps in its errors; the address stays."""
    if (request.endpoint or "").startswith("staff_web.admin") and request.method == "POST" \
            and "HX-Request" in request.headers and response.status_code in REFUSALS:
        response.status_code = 200
        response.headers["HX-Push-Url"] = "false"
    return response
