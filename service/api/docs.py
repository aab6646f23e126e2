"""The API contract at /openapi.yaml and a reference page at /docs.

The page's scripts and styles come from the swagger-ui-bundle package and are
served from here, so the reference works offline and loads nothing from a CDN.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_from_directory
from swagger_ui_bundle import swagger_ui_path

blp = Blueprint("docs", __name__)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Machikoe API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/reference.js"></script>
</body>
</html>
"""

SCRIPT = 'window.onload = function () { SwaggerUIBundle({url: "/openapi.yaml", dom_id: "#reference", deepLinking: true}); };\n'

POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'"


@blp.get("/openapi.yaml")
def openapi_yaml() -> Response:
    spec = current_app.extensions["api"].spec.to_yaml()
    response = current_app.response_class(spec, mimetype="application/yaml")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@blp.get("/docs")
def reference_page() -> Response:
    response = current_app.response_class(PAGE, mimetype="text/html")
    response.headers["Content-Security-Policy"] = POLICY
    return response


@blp.get("/docs/reference.js")
def reference_script() -> Response:
    return current_app.response_class(SCRIPT, mimetype="text/javascript")


@blp.get("/docs/assets/<path:name>")
def reference_asset(name: str) -> Response:
    return send_from_directory(swagger_ui_path, name, max_age=86400)
