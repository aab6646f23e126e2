"""The report page and its photo's redaction in a real browser: a box drawn and blurred, a conflict, a viewer, a merge."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.console.conftest import submit
from tests.web.console.test_map_browser import tile_server  # noqa: F401  (fixture: the report page's map asks for tiles)
from tests.web.console.test_regions import BOX, assert_blurred_inside_only, photo, textured  # noqa: F401  (fixture)
from tests.web.console.test_report_photos import photographed_report

pytestmark = pytest.mark.browser


def test_a_manager_redacts_a_face_by_drawing_a_box(app, client, page, console_errors, live_server, screenshot, axe,
                                                   sign_in_page, textured, tile_server):  # noqa: F811
    public_id, original = textured
    sign_in_page(page, "manager road")
    report_id = photo(public_id).report.public_id
    page.goto(f"{live_server}/staff/reports/{report_id}")
    screenshot(page, "report")
    assert axe(page) == []
    page.get_by_role("link", name="ぼかしを見る・変える").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("写真のぼかし")
    image = page.locator("#regions-photo")
    expect(image).to_be_visible()
    page.wait_for_function("document.getElementById('regions-photo').naturalWidth > 0")
    bounds = image.bounding_box()
    left, top, width, height = BOX
    page.mouse.move(bounds["x"] + left * bounds["width"], bounds["y"] + top * bounds["height"])
    page.mouse.down()
    page.mouse.move(bounds["x"] + (left + width / 2) * bounds["width"], bounds["y"] + (top + height / 2) * bounds["height"], steps=4)
    page.mouse.move(bounds["x"] + (left + width) * bounds["width"], bounds["y"] + (top + height) * bounds["height"], steps=4)
    page.mouse.up()
    # The drawn box filled the first row of fields, and an empty row waits for the next one.
    assert abs(float(page.get_by_label("左端（％）").first.input_value()) - left * 100) < 1.5
    expect(page.locator(".new-box")).to_have_count(2)
    page.get_by_label("種類").first.select_option("face")
    screenshot(page, "regions-drawn")
    assert axe(page) == []
    page.get_by_role("button", name="ぼかしを保存する").click()
    expect(page.get_by_role("status").filter(has_text="ぼかしを保存しました。")).to_be_visible()
    screenshot(page, "regions-saved")
    assert [r.kind for r in photo(public_id).active_regions()] == ["face"]
    assert_blurred_inside_only(app, client, public_id, original)
    assert console_errors == []


def test_two_people_editing_one_report_see_a_conflict(page, browser, live_server, screenshot, sign_in_page, road_report):
    sign_in_page(page, "staff road")
    other = page.context.browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}).new_page()
    try:
        sign_in_page(other, "manager road")
        page.goto(f"{live_server}/staff/reports/{road_report}")
        other.goto(f"{live_server}/staff/reports/{road_report}")
        other.get_by_label("優先度（0〜9、大きいほど優先）").select_option("5")
        other.get_by_role("button", name="優先度を変える").click()
        expect(other.get_by_role("status").filter(has_text="変更しました。")).to_be_visible()
        page.get_by_label("内部メモだけを残す").fill("現地を確認しました")
        page.get_by_role("button", name="メモを記録する").click()
        expect(page.get_by_role("alert")).to_contain_text("他の職員が更新しました")
        # What was typed is kept where it was typed, and the manager's change is shown.
        expect(page.get_by_label("内部メモだけを残す")).to_have_value("現地を確認しました")
        expect(page.get_by_label("内部メモ（公開されません）")).to_have_value("")
        expect(page.get_by_label("優先度（0〜9、大きいほど優先）")).to_have_value("5")
        screenshot(page, "conflict")
    finally:
        other.context.close()


def test_a_viewer_sees_no_contact(page, live_server, screenshot, axe, sign_in_page, road_report):
    sign_in_page(page, "viewer road")
    page.goto(f"{live_server}/staff/reports/{road_report}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(road_report)
    text = page.locator("main").inner_text()
    assert "resident@example.jp" not in text and "090-1111-2222" not in text and "通報者の連絡先" not in text
    screenshot(page, "report-viewer")
    assert axe(page) == []


def test_a_manager_merges_a_duplicate_and_the_primary_counts_it(client, page, live_server, screenshot, axe, sign_in_page,
                                                                road_report):
    copy = submit(client, lat=35.6501, lon=139.7801)
    sign_in_page(page, "manager road")
    page.goto(f"{live_server}/staff/reports/{copy}")
    page.get_by_role("link", name="重複の候補を見る").click()
    screenshot(page, "duplicates")
    assert axe(page) == []
    page.get_by_role("button", name=f"{road_report}に統合する").click()
    expect(page.get_by_role("status").filter(has_text=f"{road_report}に統合しました。")).to_be_visible()
    page.goto(f"{live_server}/staff/reports/{road_report}")
    expect(page.locator("main")).to_contain_text("統合された通報 1件")
    screenshot(page, "primary-after-merge")


def test_duplicate_candidates_show_their_photos_side_by_side(client, page, console_errors, live_server, screenshot, axe,
                                                             sign_in_page, road_report):
    photographed_copy, _original = photographed_report(client)
    sign_in_page(page, "staff road")
    page.goto(f"{live_server}/staff/reports/{photographed_copy}/duplicates")
    comparison = page.get_by_role("region", name=f"{road_report}との比較")
    photo = comparison.get_by_role("img", name=f"{photographed_copy}の写真1（拡大）")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.naturalWidth") > 0
    expect(comparison).to_contain_text("距離 0 m")
    screenshot(page, "duplicates-with-photos")
    assert axe(page) == []
    assert console_errors == []


def test_a_manager_redacts_with_the_keyboard_alone(app, client, page, console_errors, live_server, screenshot, axe,
                                                   sign_in_page, textured):  # noqa: F811
    public_id, original = textured
    sign_in_page(page, "manager road")
    page.goto(f"{live_server}/staff/photos/{public_id}/regions")
    page.wait_for_function("document.getElementById('regions-photo').naturalWidth > 0")
    add = page.get_by_role("button", name="写真の中央にぼかしを加える")
    add.focus()
    page.keyboard.press("Enter")
    box = page.get_by_role("group", name="写真の上の新しいぼかし 1")
    expect(box).to_be_focused()
    # 40% square of 20%: three steps left and up, six steps wider and taller cover BOX (37.5%, 25% wide).
    for key, times in (("ArrowLeft", 3), ("ArrowUp", 3), ("Shift+ArrowRight", 6), ("Shift+ArrowDown", 6)):
        for _ in range(times):
            page.keyboard.press(key)
    expect(page.get_by_label("左端（％）").first).to_have_value("37.0")
    expect(page.get_by_label("幅（％）").first).to_have_value("26.0")
    # A second box, added and removed again with Delete; the focus returns to the button.
    add.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="写真の上の新しいぼかし 2")).to_be_focused()
    page.keyboard.press("Delete")
    expect(add).to_be_focused()
    expect(page.get_by_role("group", name="写真の上の新しいぼかし 2")).to_be_hidden()
    screenshot(page, "keyboard-box")
    assert axe(page) == []
    page.get_by_role("button", name="ぼかしを保存する").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="ぼかしを保存しました。")).to_be_visible()
    assert len(photo(public_id).active_regions()) == 1
    assert_blurred_inside_only(app, client, public_id, original)
    assert console_errors == []
