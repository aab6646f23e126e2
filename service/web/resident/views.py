"""The resident pages' entry point."""

from __future__ import annotations

from flask import render_template

from service.web.resident import bp


@bp.get("/")
def index() -> str:
    return render_template("resident/index.html")
