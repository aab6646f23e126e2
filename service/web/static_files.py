"""Static files at ``/static/``: the pages' own styles and the vendored libraries.

A vendored file's address holds its version (``vendor/htmx.org@2.0.11/htmx.min.js``),
so it may be kept for a year and never asked again; the pages' own files are
revalidated on each use.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, send_from_directory, url_for

from service.web.vendoring import vendored_folders

STATIC_DIR = Path(__file__).resolve().parent / "static"
YEAR = 365 * 24 * 3600

# The shared templates (layout.html, staff/layout.html, error.html) come with it:
# a blueprint's template folder is searched by every page's render.
bp = Blueprint("web_static", __name__, template_folder="templates")


def init_static(app: Flask) -> None:
    app.extensions["web_vendor"] = vendored_folders()
    app.register_blueprint(bp)
    app.add_template_global(vendor_url)


@bp.get("/static/<path:filename>")
def static(filename: str) -> Response:
    if filename.startswith("vendor/"):
        response = send_from_directory(STATIC_DIR, filename, max_age=YEAR)
        response.cache_control.public = True
        response.cache_control.immutable = True
        return response
    response = send_from_directory(STATIC_DIR, filename, max_age=None)
    response.cache_control.no_cache = True
    return response


def vendor_url(package: str, file: str) -> str:
    """The address of ``file`` (its path in the package without ``dist/``) of a vendored ``package``."""
    folder = current_app.extensions["web_vendor"].get(package)
    if folder is None:
        raise LookupError(f"{package} is not vendored (see service/web/vendoring.py)")
    return url_for("web_static.static", filename=f"vendor/{folder}/{file}")
