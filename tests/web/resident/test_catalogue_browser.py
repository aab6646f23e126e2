"""The catalogue on a phone: what the city does not take, an urgent category's call to phone
first, icons drawn as SVG, and a reply from a response template read in Vietnamese."""

from __future__ import annotations

import pytest

from tests.web.resident.catalogue_setup import NOT_TAKEN_VI, NOTICE_VI, PHONE_NUMBER, mark_road_damage_urgent
from tests.web.resident.conftest import on_one_database

pytestmark = [pytest.mark.browser, on_one_database]


def test_choosing_an_urgent_category_shows_the_phone_call_first(phone, live_server, screenshot, axe):
    mark_road_damage_urgent()
    page = phone("vi-VN")
    page.goto(live_server + "/?jurisdiction=990019")
    not_taken = page.get_by_role("region", name="Những việc không tiếp nhận")
    assert not_taken.is_visible() and NOT_TAKEN_VI in not_taken.inner_text()
    call = page.get_by_role("link", name=f"Gọi {PHONE_NUMBER}")
    assert not call.is_visible()
    assert axe(page) == []

    page.get_by_label("Hư hỏng mặt đường").check()
    assert call.is_visible()
    assert call.get_attribute("href") == f"tel:{PHONE_NUMBER}"
    notice = page.locator("#category-road_damage-notice")
    # The call is the first thing the notice says, above the category's own notice and its questions.
    assert notice.inner_text().splitlines()[0].startswith("Nếu khẩn cấp, xin hãy gọi điện thoại")
    assert NOTICE_VI in notice.inner_text()
    question = page.get_by_text("Có chắn làn xe không?")
    assert call.bounding_box()["y"] < question.bounding_box()["y"]
    # Reached by the keyboard, and big enough to tap.
    call.focus()
    assert page.evaluate("document.activeElement.getAttribute('href')") == f"tel:{PHONE_NUMBER}"
    assert call.bounding_box()["height"] >= 44
    screenshot(page, "urgent")
    assert axe(page) == []

    page.get_by_label("Vẽ bậy").check()
    assert not call.is_visible()


def test_the_category_icons_are_drawn_as_svg_beside_their_names(phone, live_server, screenshot, axe):
    page = phone("ja-JP")
    page.goto(live_server + "/?jurisdiction=990019&lang=ja")
    icons = page.locator(".category-choice label svg.icon")
    assert icons.count() == page.locator(".category-choice").count() >= 8
    for index in range(icons.count()):
        icon = icons.nth(index)
        box = icon.bounding_box()
        assert box["width"] >= 20 and box["height"] >= 20
        assert icon.get_attribute("aria-hidden") == "true" and icon.locator("path").count() >= 2
    # Decorative: the radio's accessible name is the category's name alone.
    assert page.get_by_role("radio", name="街灯の故障", exact=True).count() == 1
    page.locator("#field-category").screenshot(path=str(screenshot(page, "form").with_name("icons.png")))
    assert axe(page) == []
