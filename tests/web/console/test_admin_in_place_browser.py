"""The audit log, the deliveries, an account's unlock and the area import work in place with htmx and as plain pages without JavaScript.

With JavaScript the page is not reloaded (a mark left on ``window`` survives), the address keeps the
filter and the page, the outcome is read out by the page's live region and the focus stays in the
swapped part; axe runs on each swapped state. Without JavaScript the same forms and links are plain.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from service.domain import notifications
from service.extensions import db
from service.models import Area, AuditEntry, Delivery, Staff
from service.models.types import utcnow
from tests.notifications.conftest import LOCAL, LOCAL_RECEIVERS, receiver, subscribe, transition  # noqa: F401
from tests.web.console.conftest import member
from tests.web.console.test_admin_setup import district_file
from tests.web.console.test_map_browser import no_tiles  # noqa: F401  (a fixture)

pytestmark = pytest.mark.browser

MARK = "window.keptMark = 'kept'"
KEPT = "window.keptMark"


def no_serious(axe, page) -> None:
    violations = axe(page)
    assert violations == [], violations


def paging_entries(count: int = 60) -> None:
    me = member("admin None")
    for number in range(count):
        db.session.add(AuditEntry(jurisdiction_id=me.jurisdiction_id, staff_id=me.id, action="test.paging",
                                  target_type="paging", target_id=str(number),
                                  created_at=datetime(2025, 6, 1, tzinfo=UTC) + timedelta(minutes=number)))
    db.session.commit()


def dead_letter(app, client, keys, road_report, receiver, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", LOCAL_RECEIVERS)
    subscribe(client, keys, url=receiver.url(), event_types=["report.status_changed"])
    receiver.answer("/hook", 500)
    transition(client, keys, road_report, "acknowledged")
    notifications.dispatch(db.session)
    assert deliver_all() == ["failed"]


def deliver_all() -> list[str | None]:
    policy = notifications.DeliveryPolicy(max_attempts=1, timeout=2, outbound_policy=LOCAL)
    db.session.expire_all()
    with requests.Session() as http:
        return [notifications.deliver(db.session, d, http, utcnow(), policy=policy, rng=random.Random(1))
                for d in db.session.scalars(select(Delivery.id).order_by(Delivery.id))]


def locked(name: str) -> Staff:
    target = member(name)
    target.login, target.locked_at, target.failed_signins = "locked-" + str(target.id), db.func.now(), 5
    db.session.commit()
    return target


def test_the_audit_log_is_filtered_and_paged_in_place(page, live_server, sign_in_page, axe, screenshot, console_errors):
    paging_entries()
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/audit")
    page.evaluate(MARK)
    page.get_by_label("操作", exact=True).select_option("test.paging")
    page.get_by_role("button", name="絞り込む").click()
    expect(page.locator("#in-place-status")).to_have_text("60件中 1 / 2 ページ")
    assert "action=test.paging" in page.url
    assert page.evaluate(KEPT) == "kept"
    assert page.locator("tbody tr").count() == 50 and "paging 59" in page.locator("tbody tr").first.inner_text()
    # The filter's button keeps the focus it had.
    assert page.evaluate("document.activeElement.id") == "audit-filter-submit"
    no_serious(axe, page)
    screenshot(page, "filtered")

    page.get_by_role("link", name="次へ").click()
    expect(page.locator("#in-place-status")).to_have_text("60件中 2 / 2 ページ")
    assert "page=2" in page.url and "action=test.paging" in page.url
    assert page.evaluate(KEPT) == "kept"
    assert [row.inner_text().split("paging ")[1].split()[0] for row in page.locator("tbody tr").all()][:2] == ["9", "8"]
    # The link pressed is gone with the swap: the focus is on the log, not at the top of the page.
    assert page.evaluate("document.activeElement.id") == "audit-log"
    no_serious(axe, page)
    screenshot(page, "second_page")

    page.get_by_label("この日から").fill("2025-06-10")
    page.get_by_label("この日まで").fill("2025-06-01")
    page.get_by_role("button", name="絞り込む").click()
    expect(page.locator("#until-error")).to_contain_text("終わりの日は始まりの日以降にしてください。")
    assert page.evaluate(KEPT) == "kept"
    assert page.get_by_label("この日まで").get_attribute("aria-invalid") == "true"
    no_serious(axe, page)
    screenshot(page, "refused")

    page.go_back()
    expect(page.locator("#audit-log .result-summary")).to_have_text("60件中 2 / 2 ページ")
    assert console_errors == []


def test_a_dead_letter_is_filtered_and_replayed_in_place(app, client, keys, road_report, receiver,  # noqa: F811
                                                          monkeypatch, page, live_server, sign_in_page, axe, screenshot,
                                                          console_errors):
    dead_letter(app, client, keys, road_report, receiver, monkeypatch)
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/deliveries")
    page.evaluate(MARK)
    page.get_by_label("状態").select_option("failed")
    page.get_by_role("button", name="絞り込む").click()
    expect(page.locator("#in-place-status")).to_have_text("1件中 1 / 1 ページ")
    assert page.url.endswith("/staff/admin/deliveries?state=failed")

    page.get_by_role("button", name="選んだ配信を再送する").click()
    expect(page.locator("#deliveries .error-summary")).to_contain_text("再送する配信を選んでください。")
    assert page.evaluate(KEPT) == "kept"
    no_serious(axe, page)
    screenshot(page, "nothing_selected")

    page.locator("tbody tr").first.get_by_role("button", name="再送する").click()
    expect(page.locator("#in-place-status")).to_have_text("1件の配信を再送に回しました。")
    assert page.evaluate(KEPT) == "kept"
    assert page.url.endswith("/staff/admin/deliveries?state=failed")
    assert page.locator("#deliveries .error-summary").count() == 0
    assert page.get_by_role("cell", name="該当する配信はありません。").is_visible()
    assert page.evaluate("document.activeElement.id") == "deliveries"
    no_serious(axe, page)
    screenshot(page, "replayed")
    assert deliver_all() == ["delivered"]
    assert [e for e in console_errors if "status of" not in e] == []


def test_a_locked_account_is_unlocked_in_place(page, live_server, sign_in_page, axe, screenshot):
    target = locked("viewer road")
    sign_in_page(page, "admin None")
    page.goto(f"{live_server}/staff/admin/staff/{target.id}")
    assert "ロック中" in page.locator("dl.facts").inner_text()
    page.evaluate(MARK)
    page.get_by_role("button", name="ロックを解除する").click()
    expect(page.locator("#in-place-status")).to_have_text("ロックを解除しました。")
    assert page.evaluate(KEPT) == "kept"
    assert page.get_by_role("button", name="ロックを解除する").count() == 0
    assert "ロック中" not in page.locator("dl.facts").inner_text() and "有効" in page.locator("dl.facts").inner_text()
    assert page.evaluate("document.activeElement.id") == "main"
    no_serious(axe, page)
    screenshot(page, "unlocked")
    db.session.expire_all()
    assert db.session.get(Staff, target.id).locked_at is None


def test_without_javascript_the_same_filters_replay_and_unlock_are_plain(app, client, keys, road_report,
                                                                         receiver, monkeypatch, browser, live_server,  # noqa: F811
                                                                         sign_in_page, screenshot):
    paging_entries()
    dead_letter(app, client, keys, road_report, receiver, monkeypatch)
    target = locked("viewer road")
    context = browser.new_context(locale="ja-JP", java_script_enabled=False)
    try:
        plain = context.new_page()
        sign_in_page(plain, "admin None")
        plain.goto(live_server + "/staff/admin/audit")
        plain.get_by_label("操作", exact=True).select_option("test.paging")
        plain.get_by_role("button", name="絞り込む").click()
        plain.wait_for_url("**action=test.paging**")
        assert plain.locator(".result-summary").inner_text() == "60件中 1 / 2 ページ"
        plain.get_by_role("link", name="次へ").click()
        plain.wait_for_url("**page=2**")
        assert plain.locator(".result-summary").inner_text() == "60件中 2 / 2 ページ"

        plain.goto(live_server + "/staff/admin/deliveries?state=failed")
        plain.locator("tbody tr").first.get_by_role("button", name="再送する").click()
        plain.get_by_text("1件の配信を再送に回しました。").wait_for()
        assert plain.url.endswith("/staff/admin/deliveries?state=failed")
        screenshot(plain, "replayed_plain")

        plain.goto(f"{live_server}/staff/admin/staff/{target.id}")
        plain.get_by_role("button", name="ロックを解除する").click()
        plain.get_by_text("ロックを解除しました。").wait_for()
        assert "有効" in plain.locator("dl.facts").inner_text()
    finally:
        context.close()
    assert deliver_all() == ["delivered"]


def upload(page, path) -> None:
    page.get_by_label("境界ファイル", exact=True).set_input_files(str(path))
    page.get_by_label("レイヤー").fill("district")
    page.get_by_label("名前の属性").fill("name")
    page.get_by_label("コードの属性").fill("code")
    page.get_by_role("button", name="内容を確認する").click()


@pytest.mark.usefixtures("no_tiles")
def test_an_area_file_is_previewed_and_imported_in_place(page, live_server, sign_in_page, axe, screenshot, tmp_path):
    districts = tmp_path / "districts.geojson"
    districts.write_bytes(district_file(outside=True))
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/areas")
    page.evaluate(MARK)
    page.get_by_role("button", name="内容を確認する").click()
    expect(page.locator("#f-file-error")).to_contain_text("ファイルを一つ選んでください")
    assert page.evaluate(KEPT) == "kept" and page.url.endswith("/staff/admin/areas")
    expect(page.locator("#in-place-status")).to_contain_text("入力内容を確認してください")

    upload(page, districts)
    expect(page.get_by_role("heading", level=1)).to_have_text("取り込みの確認")
    assert page.evaluate(KEPT) == "kept"
    # The map is drawn on the swapped preview; the address stays the areas page's.
    preview = page.locator("#area-preview")
    expect(preview).to_have_attribute("data-state", "ready")
    expect(preview).to_have_attribute("data-count", "3")
    assert page.locator("#area-preview path.leaflet-interactive").count() == 4
    assert page.url.endswith("/staff/admin/areas")
    expect(page.locator("#in-place-status")).to_contain_text("レイヤー「district」に3件の区域を取り込みます")
    assert page.evaluate("document.activeElement.id") == "main"
    no_serious(axe, page)
    screenshot(page, "preview")

    page.get_by_role("button", name="この内容で取り込む").click()
    expect(page.locator(".error-summary[role=alert]")).to_contain_text("自治体の外にあるため、取り込みませんでした")
    assert page.evaluate(KEPT) == "kept"
    # The refused import's preview is a new element: its map is drawn again, once.
    expect(page.locator("#area-preview")).to_have_attribute("data-state", "ready")
    assert page.locator("#area-preview path.leaflet-interactive").count() == 4
    assert page.locator(".leaflet-container").count() == 1
    no_serious(axe, page)
    screenshot(page, "import_refused")
    assert db.session.scalars(select(Area).where(Area.layer == "district")).all() == []

    page.get_by_label("自治体の外にある区域も取り込む").check()
    page.get_by_role("button", name="この内容で取り込む").click()
    expect(page.locator("#in-place-status")).to_have_text(
        "レイヤー「district」に3件の区域を取り込みました（新規3件、置き換え0件）。")
    assert page.evaluate(KEPT) == "kept"
    assert page.url.endswith("/staff/admin/areas")
    expect(page.locator("#areas")).to_contain_text("西町")
    no_serious(axe, page)
    screenshot(page, "imported")
    assert sorted(db.session.scalars(select(Area.code).where(Area.layer == "district"))) == ["higashi", "nishi", "oki"]


def test_without_javascript_an_area_file_is_previewed_and_imported_by_plain_posts(browser, live_server, sign_in_page,
                                                                                  screenshot, tmp_path):
    districts = tmp_path / "districts.geojson"
    districts.write_bytes(district_file(outside=False))
    context = browser.new_context(locale="ja-JP", java_script_enabled=False)
    try:
        plain = context.new_page()
        sign_in_page(plain, "admin None")
        plain.goto(live_server + "/staff/admin/areas")
        upload(plain, districts)
        expect(plain.get_by_role("heading", level=1)).to_have_text("取り込みの確認")
        assert plain.url.endswith("/staff/admin/areas/preview")
        plain.get_by_role("button", name="この内容で取り込む").click()
        plain.wait_for_url("**/staff/admin/areas")
        expect(plain.locator(".flash")).to_contain_text("区域を取り込みました")
        screenshot(plain, "imported_plain")
    finally:
        context.close()
    assert db.session.scalars(select(Area.code).where(Area.layer == "district")).all() != []
