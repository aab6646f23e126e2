"""The resident pages, at ``/``."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("resident_web", __name__, template_folder="templates")

from service.web.resident import unsubscribe, views  # noqa: E402,F401  (registers the views on bp)
