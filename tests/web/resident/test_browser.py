"""The resident pages in a phone's browser: a report in Vietnamese with a real phone photo
and the browser's position, the same without JavaScript, every language, keyboard only,
and axe on each page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.domain.languages import LANGUAGES
from service.extensions import db
from service.models import Follower, Report
from tests.conftest import INSIDE
from tests.web.resident.conftest import on_one_database, post_report

pytestmark = [pytest.mark.browser, on_one_database]

PHOTO = Path(__file__).resolve().parents[2] / "photos" / "samples" / "Landscape_6.jpg"


def _report(public_id: str) -> Report:
    db.session.expire_all()
    return db.session.scalar(select(Report).where(Report.public_id == public_id))


def test_a_resident_reports_a_pothole_with_a_phone_photo_in_vietnamese(phone, live_server, screenshot, axe):
    page = phone("vi-VN")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    started = time.monotonic()
    page.goto(live_server + "/")
    # Accept-Language vi-VN chooses Vietnamese.
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text() == "Báo cáo sự cố trong thành phố"
    screenshot(page, "form")
    assert axe(page) == []

    page.get_by_label("Hư hỏng mặt đường").check()
    # Only the chosen category's question is shown.
    assert page.get_by_text("Có chắn làn xe không?").is_visible()
    assert not page.get_by_text("Số trên cột hoặc đèn").is_visible()
    page.get_by_label("Có", exact=True).check()
    page.get_by_label("Ảnh").set_input_files(str(PHOTO))
    page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    page.wait_for_function("() => document.getElementById('lat').value !== ''")
    assert abs(float(page.get_by_label("Vĩ độ").input_value()) - INSIDE["lat"]) < 1e-6
    assert page.locator(".leaflet-marker-icon").is_visible()
    page.get_by_label("Nội dung").fill("Ổ gà lớn trên vỉa hè, xe đạp dễ ngã")
    screenshot(page, "filled")
    page.get_by_role("button", name="Gửi").click()
    page.wait_for_url("**/sent")
    assert time.monotonic() - started < 60
    assert page.get_by_role("heading", level=1).inner_text() == "Đã gửi. Xin cảm ơn."
    token = page.locator(".token code").inner_text()
    public_id = page.url.split("/")[-2]
    screenshot(page, "sent")
    assert axe(page) == []

    report = _report(public_id)
    assert report.category.code == "road_damage" and report.attributes == {"lane_blocked": "yes"}
    assert abs(report.lat - INSIDE["lat"]) < 1e-6 and abs(report.lon - INSIDE["lon"]) < 1e-6
    # The phone photo (1200×1800 stored sideways, EXIF orientation 6: an 1800×1200 landscape)
    # arrived upright and downscaled to the large derivative's 1600 px.
    photo = report.photos[0]
    assert (photo.width, photo.height) == (1600, 1067)
    assert token not in page.url

    page.get_by_role("link", name="Xem tình trạng báo cáo").click()
    page.wait_for_url(f"**/reports/{public_id}")
    assert page.get_by_text("Hư hỏng mặt đường").first.is_visible()
    screenshot(page, "status")
    assert axe(page) == []
    assert [e for e in errors if "favicon" not in e] == []


def test_without_javascript_a_plain_post_completes_a_report(phone, live_server, screenshot):
    page = phone("ja-JP", java_script_enabled=False)
    page.goto(live_server + "/?jurisdiction=990019")
    # Without JavaScript there is no map, only the fields.
    assert not page.get_by_role("button", name="現在地を使う").is_visible()
    page.get_by_role("button", name="送信する").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert "種類を選んでください。" in summary.inner_text()
    screenshot(page, "errors")
    page.get_by_label("街灯の故障").check()
    page.locator("#photos").set_input_files(str(PHOTO))
    page.get_by_label("緯度").fill(str(INSIDE["lat"]))
    page.get_by_label("経度").fill(str(INSIDE["lon"]))
    page.locator("#description").fill("夜になっても街灯が点きません")
    page.get_by_role("button", name="送信する").click()
    page.wait_for_url("**/sent")
    assert page.get_by_role("heading", level=1).inner_text() == "送信しました。ありがとうございます。"
    screenshot(page, "sent")
    report = _report(page.url.split("/")[-2])
    assert report.category.code == "streetlight" and report.description == "夜になっても街灯が点きません"
    # Sent as taken: 1200×1800 sideways, no downscaling without JavaScript.
    assert len(report.photos) == 1 and max(report.photos[0].width, report.photos[0].height) == 1800


def test_the_form_in_every_language_passes_axe_and_fits_a_360_px_screen(phone, live_server, screenshot, axe):
    page = phone()
    page.set_viewport_size({"width": 360, "height": 740})
    for language in LANGUAGES:
        page.goto(f"{live_server}/?lang={language}")
        assert page.locator("html").get_attribute("lang") == language
        # Nothing scrolls sideways at 360 px, and touch targets are at least 44 px high.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360, language
        small = page.evaluate("() => [...document.querySelectorAll('main button, .choice label, .category-choice label, "
                              "main input:not([type=radio]):not([type=checkbox]), footer a')]"
                              ".filter(e => e.offsetParent && e.getBoundingClientRect().height < 44).map(e => e.outerHTML)")
        assert small == [], language
        screenshot(page, language)
        assert axe(page) == [], language
    # The choice is remembered.
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == LANGUAGES[-1]


def test_the_whole_report_can_be_completed_with_the_keyboard_alone(new_context, live_server):
    page = new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}).new_page()
    page.goto(live_server + "/")

    def tab_to(selector: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("input[name=category]")
    page.keyboard.press("Space")
    # Arrow keys move among the radio buttons of one group: down to 公園遊具 (no questions).
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.querySelector('input[name=category]:checked').value") == "park_equipment"
    tab_to("#lat")
    page.keyboard.type(str(INSIDE["lat"]))
    page.keyboard.press("Tab")
    page.keyboard.type(str(INSIDE["lon"]))
    tab_to("#description")
    page.keyboard.type("ブランコの鎖が切れています")
    tab_to("button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sent")
    report = _report(page.url.split("/")[-2])
    assert report.category.code == "park_equipment" and report.description == "ブランコの鎖が切れています"


def test_a_resident_sees_a_neighbours_streetlight_report_and_follows_it_instead(app, phone, live_server, screenshot, axe):
    neighbours_report = post_report(app.test_client(), category="streetlight", description="街灯が点かない",
                                    lat=str(INSIDE["lat"]), lon=str(INSIDE["lon"] + 0.0001)).split("/")[2]

    page = phone("vi-VN")
    page.goto(live_server + "/")
    page.get_by_label("Đèn đường hỏng").check()
    page.get_by_role("button", name="Dùng vị trí hiện tại").click()
    panel = page.locator(".nearby-panel")
    panel.wait_for()
    assert "Gần đây đã có báo cáo cùng loại" in panel.inner_text()
    assert "Cách đây khoảng 9 m" in panel.inner_text()
    panel.get_by_label("Địa chỉ e-mail").fill("binh@example.jp")
    screenshot(page, "nearby")
    assert axe(page) == []
    panel.get_by_role("button", name="Tôi cũng gặp (theo dõi)").click()
    page.wait_for_url(f"**/reports/{neighbours_report}/follow")
    assert page.get_by_role("heading", level=1).inner_text() == "Bạn đang theo dõi báo cáo này"
    screenshot(page, "followed")
    assert axe(page) == []
    db.session.expire_all()
    follower = db.session.scalar(select(Follower))
    assert follower.email == "binh@example.jp" and follower.email_updates and follower.language == "vi"
    assert follower.report_id == _report(neighbours_report).id
    assert db.session.scalar(select(func.count()).select_from(Report)) == 1


def test_the_reporter_rates_the_result_from_the_link_after_staff_resolve_it(app, phone, live_server, screenshot, axe):
    import re

    from service.domain.staff_keys import create_staff

    resident = app.test_client()
    location = post_report(resident, category="graffiti", description="Vẽ bậy trên tường", lat=str(INSIDE["lat"]),
                           lon=str(INSIDE["lon"]))
    link = re.search(r'href="(/reports/[^"]+/own#t=[^"]+)"', resident.get(location).get_data(as_text=True)).group(1)
    report_id, token = location.split("/")[2], link.split("#t=")[1]
    _, key = create_staff(db.session, name="admin", role="admin", jurisdiction_code="990019", department_code=None)
    db.session.commit()
    resolved = resident.post(f"/api/v1/staff/reports/{report_id}/transitions", json={"to": "resolved", "public_reply": "Đã xóa"},
                             headers={"Authorization": f"Bearer {key}"})
    assert resolved.status_code == 201

    page = phone("vi-VN")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(live_server + link)
    page.get_by_role("heading", name="Đánh giá việc xử lý").wait_for()
    # The fragment left the address bar, and no request carried the token.
    assert "#t=" not in page.url and all(token not in url for url in requested)
    screenshot(page, "own")
    assert axe(page) == []
    page.get_by_label("4").check()
    page.get_by_label("Đã sửa xong", exact=True).check()
    page.get_by_label("Ý kiến").fill("Cảm ơn")
    page.get_by_role("button", name="Gửi đánh giá").click()
    page.get_by_text("Đã gửi đánh giá. Xin cảm ơn.").wait_for()
    screenshot(page, "rated")
    db.session.expire_all()
    report = _report(report_id)
    assert report.status == "resolved"
    from service.models import Rating

    rating = db.session.scalar(select(Rating).where(Rating.report_id == report.id))
    assert (rating.score, rating.fixed, rating.comment) == (4, True, "Cảm ơn")


def test_the_public_map_clusters_the_reports_and_passes_axe(app, phone, live_server, screenshot, axe):
    resident = app.test_client()
    for offset in (0.0, 0.0003, 0.02):
        post_report(resident, category="illegal_dumping", description="ごみ", lat=str(INSIDE["lat"]), lon=str(INSIDE["lon"] + offset))
    page = phone()
    page.goto(live_server + "/map")
    page.locator(".leaflet-marker-icon").first.wait_for()
    assert page.locator(".report-list li").count() == 3
    screenshot(page, "map")
    assert axe(page) == []
    page.locator(".report-list a").first.click()
    page.wait_for_url("**/reports/*")
    assert page.get_by_text("不法投棄").first.is_visible()
