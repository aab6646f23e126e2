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
    # Nothing runs off a 360 px screen.
    page.set_viewport_size({"width": 360, "height": 780})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
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


def test_a_reply_from_a_template_reads_in_vietnamese_on_the_status_page(app, phone, live_server, screenshot, axe):
    from sqlalchemy import select

    from service.domain import processing
    from service.domain.staff_keys import create_staff
    from service.extensions import db
    from service.models import Department, Report, ResponseTemplate
    from service.pipeline import pipeline_for
    from tests.conftest import INSIDE
    from tests.web.resident.conftest import post_report

    template = db.session.scalar(select(ResponseTemplate).where(ResponseTemplate.status == "in_progress"))
    template.translations = {"vi": {"body": "Chúng tôi đang xử lý. Xin vui lòng chờ."}}
    road = db.session.scalar(select(Department).where(Department.code == "road"))
    road.translations = {"vi": {"name": "Phòng Đường bộ"}}
    _, key = create_staff(db.session, name="road", role="admin", jurisdiction_code="990019", department_code=None)
    db.session.commit()
    resident = app.test_client()
    location = post_report(resident, category="road_damage", description="Ổ gà lớn", lat=str(INSIDE["lat"]),
                           lon=str(INSIDE["lon"]))
    report_id = location.split("/")[2]
    processing.process(db.session, db.session.scalar(select(Report.id).where(Report.public_id == report_id)), pipeline_for(app))
    # Staff send the template's Japanese text unedited, as the console offers it.
    sent = resident.post(f"/api/v1/staff/reports/{report_id}/transitions", json={"to": "in_progress", "public_reply": template.body_ja},
                         headers={"Authorization": f"Bearer {key}"})
    assert sent.status_code == 201, sent.get_json()

    page = phone("vi-VN")
    page.goto(f"{live_server}/reports/{report_id}")
    reply = page.locator(".timeline .reply").first
    assert reply.inner_text() == "Chúng tôi đang xử lý. Xin vui lòng chờ."
    assert template.body_ja not in page.content()
    # The department it was routed to, by its name in Vietnamese.
    assert "Phòng Đường bộ" in page.locator(".report-facts").inner_text()
    screenshot(page, "status")
    assert axe(page) == []
    staff = resident.get(f"/api/v1/staff/reports/{report_id}", headers={"Authorization": f"Bearer {key}"}).get_json()
    assert template.body_ja in [h["public_reply"] for h in staff["history"]]
