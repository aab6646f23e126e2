"""The public map in a narrow phone's browser: its pins are clustered as the staff map's are
(web/clusters.js), a cluster says in the page's language how many reports it holds, Enter splits
it, and a pin's popup leads to the report's public page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.maps import open_clusters_by_keyboard
from tests.web.resident.conftest import PHONE, on_one_database, post_report

pytestmark = [pytest.mark.browser, on_one_database]

NARROW = {**PHONE, "viewport": {"width": 360, "height": 740}}
# Five reports in a cross about 180 m across (one cluster at the city's view, apart from zoom 16) and one far away.
CENTRE = (35.660, 139.790)
CROSS = ((0, 0), (0.0015, 0), (-0.0015, 0), (0, 0.002), (0, -0.002))
FAR = (35.630, 139.830)


def _sent(client, category: str, description: str, lat: float, lon: float) -> str:
    """The new report's public id (its confirmation's address is /reports/ID/sent)."""
    return post_report(client, category=category, description=description, lat=str(lat), lon=str(lon)).split("/")[2]


def test_a_cluster_says_how_many_reports_it_holds_and_enter_splits_it_into_pins_that_open_their_pages(
        app, new_context, live_server, screenshot, axe):
    client = app.test_client()
    descriptions = {}
    for number, (lat, lon) in enumerate(CROSS, start=1):
        description = f"ごみの山 その{number}"
        descriptions[_sent(client, "illegal_dumping", description, CENTRE[0] + lat, CENTRE[1] + lon)] = description
    far = _sent(client, "streetlight", "街灯が消えている", *FAR)
    page = new_context(**NARROW, locale="vi-VN").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(live_server + "/map")
    expect(page.locator("#report-map")).to_have_attribute("data-state", "ready")
    cluster = page.locator(".marker-cluster")
    expect(cluster).to_have_count(1)
    expect(cluster).to_have_text("5")
    # Its name is a sentence in the page's language (Vietnamese, from the browser), not the bare number.
    expect(page.get_by_role("button", name="Nhóm 5 báo cáo (phóng to để xem)")).to_be_visible()
    # Beside it stands the far report's pin alone, named as the list names it.
    far_name = page.locator(f'.report-list a[href="/reports/{far}"]').inner_text()
    alone = page.locator(".leaflet-marker-icon[title]:not(.marker-cluster)")
    expect(alone).to_have_count(1)
    expect(alone).to_have_attribute("title", far_name)
    # The list below still holds every report, the map's filters still stand, and nothing is wider than the phone.
    expect(page.locator(".report-list li")).to_have_count(6)
    expect(page.get_by_role("button", name="Lọc")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "map-cluster")
    assert axe(page) == []

    # By keyboard: the cluster takes the focus and Enter zooms in to where it splits, until each pin stands alone.
    open_clusters_by_keyboard(page, "#report-map")
    expect(cluster).to_have_count(0)
    dumping_name = page.locator(f'.report-list a[href="/reports/{next(iter(descriptions))}"]').inner_text()
    expect(page.locator(f'.leaflet-marker-icon[title="{dumping_name}"]')).to_have_count(5)
    screenshot(page, "map-cluster-opened")
    assert axe(page) == []

    # A pin opens a popup with the report's status and a link to its public page.
    page.locator(f'.leaflet-marker-icon[title="{dumping_name}"]').first.click()
    link = page.locator(".leaflet-popup-content a")
    expect(link).to_have_text(dumping_name)
    href = link.get_attribute("href")
    report_id = href.rsplit("/", 1)[1]
    assert report_id in descriptions
    status = page.locator(f'.report-list li:has(a[href="{href}"]) .status').inner_text()
    expect(page.locator(".leaflet-popup-content p")).to_have_text(status)
    screenshot(page, "map-popup")
    link.click()
    page.wait_for_url(f"**/reports/{report_id}")
    expect(page.get_by_text(descriptions[report_id])).to_be_visible()
    assert errors == []
