"""The setup pages in a real browser, signed in as an admin through the sign-in form.

A rule is created and explained; a department and a category get names in two
languages; an area file is previewed on the map with the tile server down, then
imported. axe runs on every page shown.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from service.extensions import db
from service.models import Area, AuditEntry, Category, Department, RoutingRule
from tests.web.console.test_admin_setup import district_file
from tests.web.console.test_map_browser import no_tiles  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser


def test_a_rule_created_and_explained(page, console_errors, live_server, screenshot, axe, keys, sign_in_page):
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/")
    page.get_by_role("link", name="振り分けルール").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("振り分けルール")
    assert axe(page) == []
    page.get_by_label("通報の種類", exact=True).first.select_option("graffiti")
    page.get_by_label("区域").select_option("ward:kita")
    page.get_by_label("受け持つ課").select_option("environment")
    page.get_by_label("優先度").fill("5")
    page.get_by_role("button", name="ルールを追加する").click()
    expect(page.get_by_text("を追加しました。")).to_be_visible()
    rule_id = db.session.scalars(select(AuditEntry.target_id).where(AuditEntry.action == "rule.create")).one()
    expect(page.locator("#rules")).to_contain_text(f"ルール #{rule_id}")
    expect(page.locator("#rules")).to_contain_text("環境保全課")

    # A graffiti report in 北区 goes to 環境保全課 by the new rule; the same in the south does not.
    page.get_by_label("緯度").fill("35.672")
    page.get_by_label("経度").fill("139.772")
    page.locator("#x-category").select_option("graffiti")
    page.get_by_role("button", name="確認する").click()
    decider = page.locator("#explain-decider")
    expect(decider).to_have_text(f"ルール #{rule_id} により「環境保全課」に届きます。")
    expect(page.locator("#explain-result tr.chosen")).to_contain_text(f"ルール #{rule_id}")
    expect(page.locator("#explain-result")).to_contain_text("北区")
    screenshot(page, "rule-explained")
    assert axe(page) == []
    page.get_by_label("緯度").fill("35.625")
    page.get_by_label("経度").fill("139.830")
    page.get_by_role("button", name="確認する").click()
    expect(decider).not_to_contain_text(f"ルール #{rule_id} により")
    expect(page.locator("#explain-result")).to_contain_text("地点が区域の外です")
    # The form answered in place (htmx), and its address reopens the same answer.
    assert "lat=35.625" in page.url and "category=graffiti" in page.url
    screenshot(page, "rule-not-deciding")

    page.get_by_role("link", name=f"ルール #{rule_id}", exact=True).click()
    expect(page.get_by_role("heading", level=2, name=f"ルール #{rule_id} を編集")).to_be_visible()
    assert axe(page) == []
    page.get_by_label("優先度").fill("50")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("#rules tr", has_text=f"ルール #{rule_id}")).to_contain_text("50")

    # Its category and area change too: now every category, anywhere, first of all.
    page.get_by_role("link", name=f"ルール #{rule_id}", exact=True).click()
    page.locator("#f-category").select_option("")
    page.get_by_label("区域").select_option("")
    page.get_by_label("優先度").fill("1")
    page.get_by_role("button", name="保存する").click()
    row = page.locator("#rules tr", has_text=f"ルール #{rule_id}")
    expect(row).to_contain_text("すべての種類")
    expect(row).to_contain_text("どこでも")
    page.get_by_label("緯度").fill("35.625")
    page.get_by_label("経度").fill("139.830")
    page.locator("#x-category").select_option("road_damage")
    page.get_by_role("button", name="確認する").click()
    expect(decider).to_have_text(f"ルール #{rule_id} により「環境保全課」に届きます。")
    screenshot(page, "rule-category-and-area-changed")
    assert console_errors == []


def test_a_department_and_a_category_with_names_in_two_languages(page, console_errors, live_server, screenshot, axe, keys,
                                                                 sign_in_page):
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/departments")
    assert axe(page) == []
    page.get_by_label("コード").fill("water")
    page.get_by_label("名前（日本語）").fill("水道課")
    page.get_by_label("名前（英語）").fill("Water")
    page.get_by_label("連絡先メールアドレス").fill("not an address")
    page.get_by_role("button", name="追加する").click()
    expect(page.locator("#f-email-error")).to_have_text("メールアドレスの形式が正しくありません。")
    expect(page.get_by_role("alert")).to_contain_text("連絡先メールアドレス")
    screenshot(page, "department-refused")
    assert axe(page) == []
    page.get_by_label("連絡先メールアドレス").fill("suido@example.jp")
    page.get_by_role("button", name="追加する").click()
    page.get_by_role("link", name="water").click()
    page.get_by_label("名前（英語）").fill("Waterworks")
    page.get_by_role("button", name="保存する").click()
    row = page.locator("table.setup-list tr", has_text="water")
    expect(row).to_contain_text("水道課")
    expect(row).to_contain_text("Waterworks")
    screenshot(page, "department-saved")
    department = db.session.scalars(select(Department).where(Department.code == "water")).one()
    assert (department.name_ja, department.name_en, department.email) == ("水道課", "Waterworks", "suido@example.jp")

    page.goto(live_server + "/staff/admin/categories")
    assert axe(page) == []
    page.get_by_label("コード", exact=True).first.fill("snow")
    page.get_by_label("名前（日本語）").fill("除雪")
    page.get_by_label("名前（英語）").fill("Snow")
    page.get_by_label("初回対応の目標（営業日）").fill("1")
    page.get_by_label("解決の目標（営業日）").fill("5")
    question = page.locator("fieldset.setup-attribute").first
    question.get_by_label("コード").fill("depth")
    question.get_by_label("答え方").select_option("number")
    question.get_by_label("質問（日本語）").fill("積雪は何センチですか")
    question.get_by_label("質問（英語）").fill("How deep is the snow (cm)?")
    page.get_by_role("button", name="追加する").click()
    expect(page.get_by_role("heading", level=2, name="種類「除雪」を編集")).to_be_visible()
    page.get_by_label("名前（英語）").fill("Snow clearing")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("table.setup-list tr", has_text="snow")).to_contain_text("Snow clearing")
    page.get_by_label("題名").fill("除雪しました")
    page.get_by_label("使う場面").select_option("resolved")
    page.get_by_label("本文（日本語）").fill("除雪が終わりました。")
    page.get_by_label("本文（英語）").fill("The snow has been cleared.")
    page.get_by_role("button", name="定型文を追加する").click()
    expect(page.locator("#templates")).to_contain_text("除雪しました")
    screenshot(page, "category-with-template")
    assert axe(page) == []
    page.locator("#templates").get_by_role("link", name="除雪しました").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("定型文「除雪しました」を編集")
    assert axe(page) == []
    page.get_by_label("本文（英語）").fill("We have cleared the snow.")
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("#templates")).to_contain_text("除雪しました")
    category = db.session.scalars(select(Category).where(Category.code == "snow")).one()
    assert (category.name_ja, category.name_en, category.first_response_days, category.resolution_days) == \
        ("除雪", "Snow clearing", 1, 5)
    assert category.attributes[0]["description_en"] == "How deep is the snow (cm)?"
    # The one refused form answered in place (as 200 to htmx, so the browser logs nothing); nothing went wrong.
    assert console_errors == []


def coloured(png: bytes, rgb: tuple[int, int, int], within: int = 40) -> int:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    pixels = image.load()
    return sum(1 for x in range(width) for y in range(height)
               if all(abs(a - b) <= within for a, b in zip(pixels[x, y], rgb, strict=True)))


@pytest.mark.usefixtures("no_tiles")
def test_an_area_file_previewed_on_the_map_without_tiles_then_imported(page, console_errors, live_server, screenshot, axe,
                                                                      keys, sign_in_page, tmp_path):
    upload = tmp_path / "districts.geojson"
    upload.write_bytes(district_file(outside=True))
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/areas")
    assert axe(page) == []
    page.get_by_label("境界ファイル", exact=True).set_input_files(str(upload))
    page.get_by_label("レイヤー").fill("district")
    page.get_by_label("名前の属性").fill("name")
    page.get_by_label("コードの属性").fill("code")
    page.get_by_role("button", name="内容を確認する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("取り込みの確認")
    preview = page.locator("#area-preview")
    expect(preview).to_have_attribute("data-state", "ready")
    expect(preview).to_have_attribute("data-count", "3")
    # The boundary and the three planned areas are drawn though no tile arrived.
    assert page.locator("#area-preview path.leaflet-interactive").count() == 4
    assert page.locator(".leaflet-tile-loaded").count() == 0
    drawn = preview.screenshot()
    assert coloured(drawn, (0x1e, 0x7b, 0x34)) > 30, "no green outline of a new area"
    assert coloured(drawn, (0xc3, 0x28, 0x1f)) > 30, "no red outline of the area outside"
    assert coloured(drawn, (0x1a, 0x3d, 0x8f)) > 30, "no outline of the jurisdiction"
    expect(page.locator("#preview-outside")).to_contain_text("oki")
    expect(page.locator("#planned")).to_contain_text("東町")
    screenshot(page, "area-preview")
    assert axe(page) == []
    assert db.session.scalars(select(Area).where(Area.layer == "district")).all() == []

    page.get_by_role("button", name="この内容で取り込む").click()
    expect(page.get_by_role("alert")).to_contain_text("自治体の外にあるため、取り込みませんでした")
    page.get_by_label("自治体の外にある区域も取り込む").check()
    page.get_by_role("button", name="この内容で取り込む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("区域")
    expect(page.locator("#areas")).to_contain_text("西町")
    screenshot(page, "areas-imported")
    assert sorted(db.session.scalars(select(Area.code).where(Area.layer == "district"))) == ["higashi", "nishi", "oki"]
    assert console_errors and all("ERR_CONNECTION_REFUSED" in e or "Failed to load resource" in e for e in console_errors), \
        console_errors


def test_a_clerk_is_refused_the_setup_pages(page, live_server, keys, sign_in_page):
    sign_in_page(page, "staff road")
    for path in ("/staff/admin/departments", "/staff/admin/categories", "/staff/admin/rules", "/staff/admin/areas"):
        response = page.goto(live_server + path)
        assert response is not None and response.status == 403, path


def test_deletes_ask_first_in_place(page, console_errors, live_server, screenshot, axe, keys, sign_in_page):
    sign_in_page(page, "admin None")
    # A department still in use: the question says what refers to it, and offers no delete.
    page.goto(live_server + "/staff/admin/departments/road")
    page.get_by_role("link", name="この課を削除する").click()
    question = page.locator("#confirm")
    expect(question).to_contain_text("削除できません")
    expect(question).to_contain_text("振り分けルール")
    expect(question.get_by_role("button")).to_have_count(0)
    assert page.url.endswith("/staff/admin/departments/road")
    screenshot(page, "department-in-use")
    assert axe(page) == []

    # A rule: asked in place, deleted once answered.
    rule_id = db.session.scalars(select(RoutingRule.id).where(RoutingRule.department_id == db.session.scalar(
        select(Department.id).where(Department.code == "traffic_safety")))).first()
    page.goto(f"{live_server}/staff/admin/rules/{rule_id}")
    page.get_by_role("link", name="このルールを削除する").click()
    expect(question).to_contain_text(f"ルール #{rule_id} を削除しますか")
    expect(question).to_contain_text("交通安全課")
    screenshot(page, "rule-asked")
    assert axe(page) == []
    question.get_by_role("button", name="このルールを削除する").click()
    expect(page.get_by_text(f"ルール #{rule_id} を削除しました。")).to_be_visible()
    expect(page.locator("#rules")).not_to_contain_text(f"ルール #{rule_id}\n")
    assert db.session.get(RoutingRule, rule_id) is None
    assert console_errors == []


@pytest.fixture()
def page_without_script(browser, live_server):
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_without_javascript_a_delete_opens_its_question_as_a_page(page_without_script, live_server, screenshot, keys,
                                                                  sign_in_page):
    page = page_without_script
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/areas")
    area = db.session.scalars(select(Area).where(Area.code == "central-park")).one()
    page.get_by_role("link", name=f"区域「{area.name_ja}」を削除").click()
    assert page.url.endswith(f"/staff/admin/areas/{area.id}/delete")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"区域「{area.name_ja}」を削除しますか")
    expect(page.locator("#confirm")).to_contain_text("この区域を使う振り分けルール1件も削除します。")
    screenshot(page, "area-question-page")
    page.get_by_role("button", name="この区域を削除する").click()
    expect(page.get_by_text(f"区域「{area.name_ja}」と、それを使うルールを削除しました。")).to_be_visible()
    assert page.url.endswith("/staff/admin/areas")
    assert db.session.scalars(select(Area).where(Area.code == "central-park")).first() is None


def test_a_department_form_answers_in_place_with_htmx(page, console_errors, live_server, screenshot, axe, keys,
                                                      sign_in_page):
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/departments")
    # A mark on this page's window: a full page load would wipe it, an answer swapped in place keeps it.
    page.evaluate("window.stayed = true")
    page.get_by_label("コード").fill("Water!")
    page.get_by_label("名前（英語）").fill("Waterworks")
    page.get_by_role("button", name="追加する").click()
    expect(page.locator("#f-code-error")).to_contain_text("英小文字")
    expect(page.locator("#f-name_ja-error")).to_have_text("入力してください。")
    expect(page.get_by_label("名前（英語）")).to_have_value("Waterworks")
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.evaluate("window.stayed") is True
    assert page.url == live_server + "/staff/admin/departments"
    screenshot(page, "refused-in-place")
    assert axe(page) == []

    page.get_by_label("コード").fill("water")
    page.get_by_label("名前（日本語）").fill("水道課")
    page.get_by_role("button", name="追加する").click()
    expect(page.get_by_text("課「水道課」を追加しました。")).to_be_visible()
    expect(page.locator("table.setup-list")).to_contain_text("水道課")
    assert page.evaluate("window.stayed") is True
    assert db.session.scalars(select(Department).where(Department.code == "water")).one().name_en == "Waterworks"

    # Its edit form answers in place as well, and the address follows to the list it lands on.
    page.get_by_role("link", name="water", exact=True).click()
    page.evaluate("window.stayed = true")
    page.get_by_label("名前（日本語）").fill("上下水道課")
    page.get_by_role("button", name="保存する").click()
    expect(page.get_by_text("課「上下水道課」を保存しました。")).to_be_visible()
    assert page.evaluate("window.stayed") is True
    assert page.url == live_server + "/staff/admin/departments"
    screenshot(page, "saved-in-place")
    # The refused answer reached the browser as 200, so it logged no error.
    assert console_errors == []
