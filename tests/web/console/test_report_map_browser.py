"""The report page's small map in a real browser: the pin and its ward's outline, with tiles and without."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.console.test_map_browser import no_tiles, tile_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def open_map(page, live_server: str, public_id: str) -> None:
    page.goto(f"{live_server}/staff/reports/{public_id}")
    expect(page.locator("#report-map")).to_have_attribute("data-state", "ready")


def test_the_report_page_shows_its_pin_in_its_ward(page, console_errors, live_server, screenshot, axe, sign_in_page,
                                                   road_report, tile_server):  # noqa: F811
    sign_in_page(page, "staff road")
    open_map(page, live_server, road_report)
    region = page.get_by_role("region", name="地図")
    expect(region.locator(f'.leaflet-marker-icon[title="通報 {road_report}の場所"]')).to_be_visible()
    # One ward's outline, not the whole city's.
    expect(region.locator(".leaflet-overlay-pane path")).to_have_count(1)
    expect(region.locator(".leaflet-tile-loaded").first).to_be_visible()
    expect(region.locator(".leaflet-control-attribution")).to_contain_text("地理院タイル")
    assert tile_server.asked
    screenshot(page, "report-map")
    assert axe(page) == []
    assert console_errors == []


def test_without_tiles_the_pin_and_outline_still_draw(page, console_errors, live_server, screenshot, sign_in_page,
                                                      road_report, no_tiles):  # noqa: F811
    sign_in_page(page, "staff road")
    open_map(page, live_server, road_report)
    region = page.get_by_role("region", name="地図")
    expect(region.locator(".leaflet-marker-icon")).to_have_count(1)
    expect(region.locator(".leaflet-overlay-pane path")).to_have_count(1)
    assert region.locator(".leaflet-tile-loaded").count() == 0
    screenshot(page, "report-map-without-tiles")
    assert all("ERR_CONNECTION_REFUSED" in e or "Failed to load resource" in e for e in console_errors), console_errors
