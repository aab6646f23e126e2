"""The administration pages (``/staff/admin/``): their index, and the registry each section adds itself to.

A section module (``admin_setup``, ``admin_access``) registers its views on the
console's blueprint and calls :func:`admin_page` once per page, so the index
and the menu list it without a list kept by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import LazyString

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
