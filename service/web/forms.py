"""CSRF protection of every page form (Flask-WTF's CSRFProtect).

Every unsafe request (POST, PUT, PATCH, DELETE) to a page blueprint must carry
the session's token: a plain form in a ``csrf_token`` field
(``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">``),
htmx in the ``X-CSRFToken`` header, which the layout sets for all htmx
requests from its ``hx-headers`` attribute. The JSON API is not checked: it
authenticates by API key, never by a cookie. Nor is a view marked
:func:`signed_link`: a signed token in its address authorises it, and mail
clients post to it without any page (RFC 8058 one-click unsubscribe). A
refusal is a 400 page saying what to do (:mod:`service.web.errors`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g, request
from flask_wtf.csrf import CSRFProtect

from service.web.pages import PAGE_BLUEPRINTS

csrf = CSRFProtect()
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
View = TypeVar("View", bound=Callable[..., object])
SIGNED_LINK = "machikoe_signed_link"


def signed_link(view: View) -> View:
    """Mark a page view that its address's signed token authorises, so it is not checked for a CSRF token."""
    setattr(view, SIGNED_LINK, True)
    return view


def init_forms(app: Flask) -> None:
    # Checked for page blueprints only (below), not for the whole app.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # The token lives as long as the session it belongs to.
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    csrf.init_app(app)
    app.before_request(_check_page_forms)


def _check_page_forms() -> None:
    # Flask-WTF keeps the token of the request in g; where an application
    # context outlives a request (tests), the next request must not reuse it.
    g.pop("csrf_token", None)
    if request.method in UNSAFE_METHODS and request.blueprint in PAGE_BLUEPRINTS and not _signed(request.endpoint):
        csrf.protect()


def _signed(endpoint: str | None) -> bool:
    return bool(getattr(current_app.view_functions.get(endpoint or ""), SIGNED_LINK, False))
