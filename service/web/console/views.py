"""The console's entry point."""

from __future__ import annotations

from flask import render_template

from service.web.console import bp


@bp.get("/")
def index() -> str:
    return render_template("staff/index.html")
