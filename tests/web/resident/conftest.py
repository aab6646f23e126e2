"""Browser set-up for the resident pages: a phone (390×844, touch, a fixed position granted
to geolocation), map tiles answered here, and ONE database kind.

The browser tests prove the pages, not the database: like every browser test of the
suite (tests/conftest.py), they run on SQLite only, on the worker that runs the one Chromium.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import INSIDE
from tests.web.conftest import AXE_PATH, TIMEOUT_MS, _axe_source, blank_tile

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}


ONE_DATABASE_KIND = "sqlite"
on_one_database = pytest.mark.parametrize("database_kind", [ONE_DATABASE_KIND], indirect=True)


@pytest.fixture()
def new_context(browser, live_server: str, app) -> Iterator[Callable[..., object]]:
    """``new_context(**options)``: a browser context with axe served and the map tile host
    answered by the test (no request leaves the machine); closed after the test."""
    contexts = []
    tile = blank_tile()
    tile_host = urlsplit(app.config["MAP_TILE_URL"])
    source = _axe_source()

    def make(**options: object):
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.route(f"{live_server}{AXE_PATH}",
                      lambda route: route.fulfill(status=200, body=source, content_type="text/javascript"))
        context.route(f"{tile_host.scheme}://{tile_host.netloc}/**",
                      lambda route: route.fulfill(status=200, body=tile, content_type="image/png"))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture()
def phone(new_context) -> Callable[..., object]:
    """``phone(locale)``: a page in a phone's browser standing at a point inside the demo city."""

    def open_page(locale: str = "ja-JP", **options: object):
        context = new_context(**PHONE, locale=locale, geolocation={"latitude": INSIDE["lat"], "longitude": INSIDE["lon"]},
                              permissions=["geolocation"], **options)
        return context.new_page()

    return open_page


def post_report(client, **fields: str) -> str:
    """Send a report through the form's plain post, as a neighbour's browser would; returns the confirmation's address."""
    import re

    page = client.get("/?jurisdiction=990019").get_data(as_text=True)
    hidden = {name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1) for name in ("csrf_token", "idempotency_key")}
    response = client.post("/?jurisdiction=990019", data={**hidden, **fields})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"]
