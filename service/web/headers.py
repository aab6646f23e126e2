"""The security headers of every page.

- A strict Content-Security-Policy: scripts, styles and everything else only
  from this origin, no inline script or style, no eval; images also as
  ``data:`` URLs and from the map tile host; no framing (clickjacking).
- ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``, and
  ``X-Frame-Options: DENY`` for browsers older than ``frame-ancestors``.
- Staff pages are never stored (``no-store``): they carry private data.

htmx runs under this policy because the layout's ``htmx-config`` meta tag turns
off eval, script tags in swapped HTML and its injected indicator styles.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request

from service.web.pages import is_page, is_staff_page


def init_page_headers(app: Flask) -> None:
    app.extensions["web_csp"] = content_security_policy(app.config.get("MAP_TILE_URL", ""))
    app.after_request(_page_headers)


def content_security_policy(tile_url: str) -> str:
    images = ["'self'", "data:"]
    parts = urlsplit(tile_url)
    if parts.scheme in ("http", "https") and parts.hostname:
        images.append(f"{parts.scheme}://{parts.netloc}")
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": " ".join(images),
        "connect-src": "'self'",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _page_headers(response: Response) -> Response:
    if request.blueprint == "web_static":
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
    if not is_page(request):
        return response
    response.headers["Content-Security-Policy"] = current_app.extensions["web_csp"]
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if is_staff_page(request):
        response.headers["Cache-Control"] = "no-store"
    # htmx asks with HX-Request for a fragment of the same address: caches keep them apart.
    response.vary.add("HX-Request")
    return response
