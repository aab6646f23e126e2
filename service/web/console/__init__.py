"""The staff console's pages, under ``/staff/``: the inbox and what follows from it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff_web", __name__, template_folder="templates")

from service.web.console import (  # noqa: E402,F401  (registers the views on bp)
    admin,
    admin_access,
    admin_setup,
    duplicates,
    figures,
    inbox,
    map_page,
    photos,
    regions,
    report_actions,
    report_page,
    routing_reasons,
    views,
)
