"""The map in a real browser: today's overdue road reports found by the filters; pins and outlines without tiles.

Tiles come from a small server on 127.0.0.1 that answers every tile with a
real PNG and counts what it was asked; the app's tile setting (and with it the
page's Content-Security-Policy) points at it for the test.
"""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from service.extensions import db
from service.models import Report
from service.web.headers import content_security_policy
from tests.web.console.conftest import WEDNESDAY, submit
from tests.web.maps import open_clusters_by_keyboard

pytestmark = pytest.mark.browser


def tile_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (226, 236, 222)).save(out, format="PNG")
    return out.getvalue()


class TileServer:
    def __init__(self) -> None:
        self.asked: list[str] = []
        png, asked = tile_png(), self.asked

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                asked.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, format: str, *args) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/{{z}}/{{x}}/{{y}}.png"
        self.thread = threading.Thread(target=self.server.serve_forever, name="tile-server", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@contextmanager
def tiles_at(app: Flask, url: str) -> Iterator[None]:
    """The app's tile setting, and the policy made from it at start, for the time of the block."""
    saved = app.config["MAP_TILE_URL"], app.extensions["web_csp"]
    app.config["MAP_TILE_URL"], app.extensions["web_csp"] = url, content_security_policy(url)
    try:
        yield
    finally:
        app.config["MAP_TILE_URL"], app.extensions["web_csp"] = saved


@pytest.fixture()
def tile_server(app: Flask) -> Iterator[TileServer]:
    server = TileServer()
    with tiles_at(app, server.url):
        yield server
    server.close()


@pytest.fixture()
def no_tiles(app: Flask) -> Iterator[str]:
    """Tiles at a loopback port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"
    with tiles_at(app, url):
        yield url


def late(public_id: str) -> str:
    db.session.scalars(select(Report).where(Report.public_id == public_id)).one().first_response_due_at = \
        WEDNESDAY - timedelta(hours=2)
    db.session.commit()
    return public_id


def pins(page) -> set[str]:
    """The reports whose pins the map shows (a cluster would hide them: the test's reports lie apart)."""
    expect(page.locator(".marker-cluster")).to_have_count(0)
    return set(page.locator(".leaflet-marker-icon[title]").evaluate_all("els => els.map(e => e.title)"))


def wait_for_pins(page, count: int) -> None:
    expect(page.locator("#staff-map")).to_have_attribute("data-state", "ready")
    expect(page.locator("#staff-map")).to_have_attribute("data-count", str(count))


def test_a_clerk_finds_todays_overdue_road_reports_on_the_map(wednesday, page, console_errors, live_server, screenshot, axe,
                                                              client, keys, sign_in_page, tile_server):
    north = late(submit(client, lat=35.672, lon=139.772))
    south = late(submit(client, lat=35.628, lon=139.828))
    on_time = submit(client, lat=35.650, lon=139.800)
    late_park = late(submit(client, category="park_equipment", lat=35.640, lon=139.770))
    sign_in_page(page, "admin None")

    page.goto(live_server + "/staff/map")
    assert page.get_by_role("heading", level=1).inner_text() == "地図"
    wait_for_pins(page, 4)
    assert pins(page) == {north, south, on_time, late_park}
    expect(page.get_by_role("status")).to_have_text("4件を表示しています。")
    # The outlines: みなと市 and its three wards.
    assert page.locator("path.leaflet-interactive").count() == 4
    expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
    assert tile_server.asked and all(path.endswith(".png") for path in tile_server.asked)
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("地理院タイル")
    screenshot(page, "map")

    # 期限超過 and 道路の損傷: the pins are exactly today's overdue road reports, and the address keeps the filter.
    page.get_by_label("期限超過").check()
    wait_for_pins(page, 3)
    page.get_by_label("種類").select_option(label="道路の損傷")
    wait_for_pins(page, 2)
    assert pins(page) == {north, south}
    assert "overdue=true" in page.url and "category=road_damage" in page.url
    expect(page.get_by_role("status")).to_have_text("2件を表示しています。")
    screenshot(page, "map-overdue-road")
    assert axe(page) == []

    # Keyboard alone: a pin takes the focus, Enter opens it, and its link leads to the report.
    page.locator(f'.leaflet-marker-icon[title="{north}"]').focus()
    page.keyboard.press("Enter")
    link = page.locator(".leaflet-popup").get_by_role("link", name=north)
    expect(link).to_be_visible()
    expect(page.locator(".leaflet-popup")).to_contain_text("道路の損傷 / 受付")
    screenshot(page, "map-pin-open")
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/staff/reports/{north}")

    # Reloading the filtered address draws the same pins: a plain GET carries the filter.
    page.goto(live_server + "/staff/map?overdue=true&category=road_damage")
    wait_for_pins(page, 2)
    assert pins(page) == {north, south}
    assert console_errors == []


def test_without_tiles_the_pins_and_outlines_still_draw(page, console_errors, live_server, screenshot, client, keys,
                                                        sign_in_page, road_report, parks_report, no_tiles):
    sign_in_page(page, "staff road")
    page.goto(live_server + "/staff/map")
    wait_for_pins(page, 1)
    assert pins(page) == {road_report}
    assert page.locator("path.leaflet-interactive").count() == 4
    assert page.locator(".leaflet-tile-loaded").count() == 0
    screenshot(page, "map-without-tiles")
    assert console_errors and all("ERR_CONNECTION_REFUSED" in e or "Failed to load resource" in e for e in console_errors), \
        console_errors


def test_a_cluster_says_how_many_it_holds_and_splits_into_pins_when_opened(page, console_errors, live_server, screenshot, axe,
                                                                           client, keys, sign_in_page, no_tiles):
    # Five reports in a cross about 180 m across: one cluster at the city's view (zoom 14 or less), apart from zoom 16.
    close = {submit(client, lat=35.660 + lat, lon=139.790 + lon)
             for lat, lon in ((0, 0), (0.0015, 0), (-0.0015, 0), (0, 0.002), (0, -0.002))}
    far = submit(client, lat=35.630, lon=139.830)
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    sign_in_page(page, "staff road")
    asked.clear()

    page.goto(live_server + "/staff/map")
    wait_for_pins(page, 6)
    cluster = page.locator(".marker-cluster")
    expect(cluster).to_have_count(1)
    expect(cluster).to_have_text("5")
    expect(page.get_by_role("button", name="5件の通報（拡大して表示）")).to_be_visible()
    assert set(page.locator(".leaflet-marker-icon[title]:not(.marker-cluster)").evaluate_all(
        "els => els.map(e => e.title)")) == {far}
    # The page's preloads are the answers its script reads: the pins and the outlines are asked for once each.
    assert [url for url in asked if "/staff/map/" in url] == [live_server + "/staff/map/outlines",
                                                              live_server + "/staff/map/points"]
    screenshot(page, "map-cluster")
    assert axe(page) == []

    # By keyboard: a cluster takes the focus and Enter zooms in to where it splits, until each pin stands alone.
    open_clusters_by_keyboard(page, "#staff-map")
    assert close <= pins(page), "still clustered after three openings"
    screenshot(page, "map-cluster-opened")
    first = sorted(close)[0]
    page.locator(f'.leaflet-marker-icon[title="{first}"]').click()
    link = page.locator(".leaflet-popup").get_by_role("link", name=first)
    expect(link).to_be_visible()
    with page.expect_navigation():
        link.click()
    assert page.url.endswith(f"/staff/reports/{first}")
    assert console_errors and all("ERR_CONNECTION_REFUSED" in e or "Failed to load resource" in e for e in console_errors), \
        console_errors
