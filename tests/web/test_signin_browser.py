"""Signing in to the staff pages in a real browser: password and TOTP, the second factor set up, CSRF refused."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Staff
from tests.web.conftest import PASSWORD, current_code, make_account, sign_in_through_form

pytestmark = pytest.mark.browser


def test_a_manager_signs_in_with_password_and_totp_and_signs_out(app, page, console_errors, live_server, screenshot, axe):
    _, login, secret = make_account(app, "manager")
    page.goto(live_server + "/staff/account")
    assert "/staff/login?next=" in page.url
    screenshot(page, "1-login")
    assert axe(page) == []
    page.get_by_label("ログイン名").fill(login)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/staff/login/code**")
    page.get_by_label("確認コード").fill("000000" if current_code(app, secret) != "000000" else "111111")
    page.get_by_role("button", name="確認").click()
    assert page.get_by_role("alert").inner_text().startswith("確認コードが違います")
    screenshot(page, "2-wrong-code")
    page.get_by_label("確認コード").fill(current_code(app, secret))
    page.get_by_role("button", name="確認").click()
    page.wait_for_url("**/staff/account")
    assert page.get_by_role("heading", level=1).inner_text() == "アカウント"
    assert page.locator(".signed-in-name").inner_text() == "manager road"
    assert page.locator("#totp-status").inner_text() == "二要素認証は設定済みです。"
    screenshot(page, "3-account")
    assert axe(page) == []
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url("**/staff/login")
    assert page.get_by_role("status").inner_text() == "ログアウトしました。"
    assert [e for e in console_errors if "401" not in e] == []


def test_a_staff_member_sets_up_a_second_factor_from_the_account_page(app, page, signed_in, live_server, screenshot, axe):
    member_id = signed_in(page, "staff", "road")
    page.goto(live_server + "/staff/account")
    secret = page.locator("#totp-secret").inner_text()
    assert page.locator("#totp-uri").inner_text().startswith("otpauth://totp/Machikoe:staff-road?secret=" + secret)
    assert page.get_by_role("img", name="認証アプリ用のQRコード").is_visible()
    screenshot(page, "setup")
    assert axe(page) == []
    page.get_by_label("確認コード").fill(pyotp.TOTP(secret).at(app.extensions["clock"]()))
    page.get_by_role("button", name="二要素認証を設定").click()
    assert page.get_by_role("status").inner_text().startswith("二要素認証を設定しました")
    with app.app_context():
        assert db.session.scalar(select(Staff.totp_secret).where(Staff.id == member_id)) == secret


def test_a_form_without_its_csrf_token_is_refused_with_a_page_that_says_what_to_do(app, page, live_server, screenshot, axe):
    _, login, _ = make_account(app, "viewer", None)
    page.goto(live_server + "/staff/login")
    page.evaluate("() => document.querySelector('input[name=csrf_token]').remove()")
    page.get_by_label("ログイン名").fill(login)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "フォームの有効期限が切れたか、別の場所から送信されました"
    assert "ページを読み込み直してから" in page.locator("main").inner_text()
    screenshot(page, "refused")
    assert axe(page) == []
    sign_in_through_form(page, live_server, login)
    assert page.url == live_server + "/staff/"


def test_a_member_who_needs_a_second_factor_sets_it_up_before_any_page(app, page, console_errors, live_server, screenshot,
                                                                       axe, monkeypatch):
    from tests.web.test_signin import actions

    member_id, login, _ = make_account(app, "staff", totp=False)
    monkeypatch.setitem(app.config, "STAFF_TOTP_ALL_ROLES", True)
    page.goto(live_server + "/staff/reports")
    page.get_by_label("ログイン名").fill(login)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/staff/login/enrol**")
    assert page.get_by_role("heading", level=1).inner_text() == "二要素認証の設定"
    # Not signed in yet: every console page still leads back to sign-in.
    assert page.request.get(live_server + "/staff/reports", max_redirects=0).status == 302
    qr = page.get_by_role("img", name="認証アプリ用のQRコード")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    secret = page.locator("#totp-secret").inner_text()
    screenshot(page, "1-enrol")
    assert axe(page) == []
    page.get_by_label("確認コード").fill("000000" if current_code(app, secret) != "000000" else "111111")
    page.get_by_role("button", name="設定してログイン").click()
    assert page.get_by_role("alert").inner_text().startswith("確認コードが違います")
    assert page.locator("#totp-secret").inner_text() == secret
    screenshot(page, "2-wrong-code")
    page.get_by_label("確認コード").fill(pyotp.TOTP(secret).at(app.extensions["clock"]()))
    page.get_by_role("button", name="設定してログイン").click()
    page.wait_for_url("**/staff/reports")
    assert page.get_by_role("heading", level=1).inner_text() == "受信箱"
    with app.app_context():
        assert db.session.get(Staff, member_id).totp_secret == secret
    assert actions(app, member_id)[-2:] == ["staff.totp_enabled", "staff.signin"]
    # The next sign-in asks for the code, as for any account with a second factor.
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url("**/staff/login")
    page.get_by_label("ログイン名").fill(login)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/staff/login/code**")
    assert [e for e in console_errors if "400" not in e] == []
