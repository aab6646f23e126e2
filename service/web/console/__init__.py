"""The staff console's pages, under ``/staff/``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staff_web", __name__, template_folder="templates")

from service.web.console import views  # noqa: E402,F401  (registers the views on bp)
