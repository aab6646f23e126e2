"""The contract and its reference page are served by the service itself."""

from __future__ import annotations

import yaml


def test_openapi_yaml_is_served_and_matches_the_code(client, app):
    response = client.get("/openapi.yaml")
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    assert yaml.safe_load(response.data) == app.extensions["api"].spec.to_dict()


def test_docs_page_loads_only_local_assets(client):
    page = client.get("/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert "http://" not in html and "https://" not in html
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/docs/reference.js"):
        response = client.get(asset)
        assert response.status_code == 200 and len(response.data) > 0, asset
        response.close()
