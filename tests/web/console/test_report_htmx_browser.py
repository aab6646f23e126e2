"""The report page's forms with htmx: parts swapped in place, the outcome announced, the focus kept; and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.console.test_map_browser import tile_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def open_marked(page, sign_in_page, live_server: str, name: str, public_id: str) -> None:
    """Sign in as ``name``, open the report, and leave a mark that a full page load would wipe out."""
    sign_in_page(page, name)
    page.goto(f"{live_server}/staff/reports/{public_id}")
    page.evaluate("window.notReloaded = true")


def still_the_same_page(page) -> bool:
    return page.evaluate("window.notReloaded === true")


def test_a_clerk_works_a_report_without_leaving_the_page(page, console_errors, live_server, screenshot, axe,
                                                         sign_in_page, road_report, tile_server):  # noqa: F811
    open_marked(page, sign_in_page, live_server, "staff road", road_report)

    page.get_by_label("内部メモだけを残す").fill("現地を確認しました")
    page.get_by_role("button", name="メモを記録する").click()
    expect(page.locator("#report-status")).to_have_text("記録しました。")
    expect(page.get_by_role("button", name="メモを記録する")).to_be_focused()
    expect(page.locator("#report-history")).to_contain_text("現地を確認しました")
    expect(page.get_by_label("内部メモだけを残す")).to_have_value("")

    # A response template fills the reply in place; the transition then shows the new status and history entry.
    page.get_by_label("定型文").select_option(label="道路を補修しました")
    page.get_by_role("button", name="定型文を使う").click()
    expect(page.get_by_label("住民への回答（公開されます）")).to_have_value(
        "ご連絡いただいた道路の損傷を補修しました。ご協力ありがとうございました。")
    expect(page.get_by_label("次の状態")).to_have_value("resolved")
    page.get_by_role("button", name="状態を変える").click()
    expect(page.get_by_role("status")).to_have_text("状態を「対応済」にしました。")
    expect(page.locator("#report-facts .status")).to_have_text("対応済")
    expect(page.locator("#report-history")).to_contain_text("ご協力ありがとうございました。")

    page.get_by_label("優先度（0〜9、大きいほど優先）").select_option("7")
    page.get_by_role("button", name="優先度を変える").click()
    expect(page.get_by_role("status")).to_have_text("変更しました。")
    expect(page.get_by_role("button", name="優先度を変える")).to_be_focused()
    expect(page.get_by_label("優先度（0〜9、大きいほど優先）")).to_have_value("7")

    page.get_by_label("担当者", exact=True).select_option(label="staff road")
    page.get_by_role("button", name="担当者を割り当てる").click()
    expect(page.get_by_role("status")).to_have_text("1件を更新しました。")
    expect(page.locator("#report-facts")).to_contain_text("staff road")
    assert still_the_same_page(page)
    assert page.url == f"{live_server}/staff/reports/{road_report}"
    screenshot(page, "after-htmx")
    assert axe(page) == []
    assert console_errors == []


def test_a_manager_moderates_in_place_and_a_re_route_out_leads_to_the_inbox(page, console_errors, live_server, screenshot,
                                                                           sign_in_page, road_report, tile_server):  # noqa: F811
    open_marked(page, sign_in_page, live_server, "manager road", road_report)
    page.get_by_label("公開する文章（個人情報などを消す）").fill("道路に穴があります（一部削除）")
    page.get_by_role("button", name="文章を修正する").click()
    expect(page.get_by_role("status")).to_have_text("変更しました。")
    expect(page.locator("#report-facts .description")).to_have_text("道路に穴があります（一部削除）")
    page.get_by_role("button", name="通報を非公開にする").click()
    expect(page.locator("#report-actions")).to_contain_text("この通報は非公開です。")
    page.get_by_label("担当課を変える", exact=True).select_option(label="公園緑地課")
    page.get_by_label("変更の理由").fill("公園内の通路のため")
    assert still_the_same_page(page)
    screenshot(page, "moderated")
    # Re-routed out of the manager's department, the report's page closes to them: the inbox says so.
    page.get_by_role("button", name="担当課を変える").click()
    page.wait_for_url(f"{live_server}/staff/reports")
    expect(page.locator(".flash-messages")).to_contain_text(f"通報 {road_report}は担当の範囲から外れました。")
    assert console_errors == []


def test_a_conflict_in_place_says_so_keeps_the_text_and_takes_the_focus(page, browser, live_server, screenshot, axe,
                                                                        sign_in_page, road_report):
    open_marked(page, sign_in_page, live_server, "staff road", road_report)
    other = browser.new_context(locale="ja-JP").new_page()
    try:
        sign_in_page(other, "manager road")
        other.goto(f"{live_server}/staff/reports/{road_report}")
        other.get_by_role("button", name="状態を変える").click()
        expect(other.get_by_role("status")).to_contain_text("確認済")
    finally:
        other.context.close()
    page.get_by_label("内部メモ（公開されません）").fill("業者に連絡済み")
    page.get_by_role("button", name="状態を変える").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("他の職員が更新しました")
    expect(page.locator("#report-error .error-summary")).to_be_focused()
    expect(page.get_by_label("内部メモ（公開されません）")).to_have_value("業者に連絡済み")
    expect(page.locator("#report-facts .status")).to_have_text("確認済")
    assert still_the_same_page(page)
    screenshot(page, "conflict-in-place")
    assert axe(page) == []
    # The form now carries the version shown: sending again goes through, and the message goes away.
    page.get_by_role("button", name="状態を変える").click()
    expect(page.get_by_role("status")).to_contain_text("状態を「")
    expect(page.locator("#report-error")).to_be_empty()


def test_without_javascript_every_form_is_a_plain_post(browser, app, live_server, screenshot, sign_in_page, road_report):
    page = browser.new_context(locale="ja-JP", java_script_enabled=False).new_page()
    try:
        sign_in_page(page, "staff road")
        page.goto(f"{live_server}/staff/reports/{road_report}")
        page.get_by_label("内部メモだけを残す").fill("現地を確認しました")
        page.get_by_role("button", name="メモを記録する").click()
        expect(page.locator(".flash-messages")).to_have_text("記録しました。")
        expect(page.locator("#report-history")).to_contain_text("現地を確認しました")
        page.get_by_label("優先度（0〜9、大きいほど優先）").select_option("3")
        page.get_by_role("button", name="優先度を変える").click()
        expect(page.locator(".flash-messages")).to_have_text("変更しました。")
        screenshot(page, "plain-post")
    finally:
        page.context.close()


def test_a_plain_post_on_an_old_version_reads_the_same_conflict(browser, live_server, sign_in_page, road_report):
    page = browser.new_context(locale="ja-JP", java_script_enabled=False).new_page()
    try:
        sign_in_page(page, "staff road")
        page.goto(f"{live_server}/staff/reports/{road_report}")
        other = browser.new_context(locale="ja-JP", java_script_enabled=False).new_page()
        sign_in_page(other, "manager road")
        other.goto(f"{live_server}/staff/reports/{road_report}")
        other.get_by_label("優先度（0〜9、大きいほど優先）").select_option("5")
        other.get_by_role("button", name="優先度を変える").click()
        other.context.close()
        page.get_by_label("内部メモだけを残す").fill("現地を確認しました")
        page.get_by_role("button", name="メモを記録する").click()
        expect(page.get_by_role("alert")).to_contain_text("他の職員が更新しました")
        expect(page.get_by_label("内部メモだけを残す")).to_have_value("現地を確認しました")
    finally:
        page.context.close()
