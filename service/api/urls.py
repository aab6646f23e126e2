"""Absolute URLs to this service's views, from the one base that service.urls allows."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for

from service import urls


def request_base_url() -> str:
    """The base of absolute links in this request ("" for relative links)."""
    config = current_app.config
    if not has_request_context():
        return urls.base_url(config["PUBLIC_BASE_URL"], config.get("TRUSTED_HOSTS"))
    return urls.base_url(config["PUBLIC_BASE_URL"], config.get("TRUSTED_HOSTS"), request.scheme, request.host)


def external_url(endpoint: str, **values: Any) -> str:
    """The URL of ``endpoint``: absolute where the base is known, else relative to the host asked."""
    return urls.join(request_base_url(), url_for(endpoint, **values))
