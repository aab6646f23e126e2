"""The access administration pages in a browser: an admin makes an account that then signs in, a key is shown once
and revoked, a private webhook address is refused beside its field, a dead letter is replayed to a real receiver,
and the audit log is filtered to one actor; axe on each page."""

from __future__ import annotations

import random
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from service.domain import notifications
from service.extensions import db
from service.models import AuditEntry, Delivery, Staff
from service.models.types import utcnow
from tests.notifications.conftest import LOCAL, LOCAL_RECEIVERS, receiver, subscribe, transition  # noqa: F401
from tests.web.conftest import PASSWORD, current_code, make_account, sign_in_through_form
from tests.web.console.conftest import member

pytestmark = pytest.mark.browser


def no_serious(axe, page) -> None:
    violations = axe(page)
    assert violations == [], violations


def sign_out(page) -> None:
    page.get_by_role("button", name="ログアウト").click()
    page.wait_for_url("**/staff/login**")


def test_admin_creates_a_manager_who_signs_in_with_a_second_factor(app, page, live_server, sign_in_page, axe, screenshot,
                                                                   console_errors):
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/")
    page.get_by_role("link", name="職員アカウント").click()
    page.get_by_role("heading", name="職員アカウント").wait_for()
    no_serious(axe, page)
    screenshot(page, "list")
    page.get_by_role("link", name="職員アカウントを作成する").click()
    assert "二要素認証が必須" in page.get_by_label("役割").inner_text()
    page.get_by_label("氏名").fill("道路 新課長")
    page.get_by_label("ログイン名").fill("new-kacho")
    page.get_by_label("初期パスワード").fill(PASSWORD)
    page.get_by_label("役割").select_option("manager")
    page.get_by_label("所属の課").select_option("road")
    page.get_by_role("button", name="作成する").click()
    error = page.locator("#totp-error")
    assert "二要素認証が必須" in error.inner_text()
    assert page.get_by_label("二要素認証を設定する").get_attribute("aria-invalid") == "true"
    no_serious(axe, page)
    screenshot(page, "totp_missing")

    page.get_by_label("初期パスワード").fill(PASSWORD)
    page.get_by_label("二要素認証を設定する").check()
    page.get_by_role("button", name="作成する").click()
    page.get_by_role("heading", name="職員アカウントを作成しました").wait_for()
    assert page.locator("#api-key").inner_text().startswith("mk_")
    uri = page.locator("#totp-uri").inner_text()
    assert page.get_by_role("img", name="認証アプリ用のQRコード").is_visible()
    no_serious(axe, page)
    screenshot(page, "shown_once")

    sign_out(page)
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    sign_in_through_form(page, live_server, "new-kacho", app=app, secret=secret)
    assert "/staff/login" not in page.url
    assert page.locator(".signed-in-name").inner_text() == "道路 新課長"
    # The refused form answers 422, which the browser logs; nothing else (a violation of the CSP would be one).
    assert [e for e in console_errors if "status of 422" not in e] == []


def test_a_renewed_key_is_shown_once_and_answers_401_once_revoked(page, live_server, sign_in_page, axe, screenshot):
    sign_in_page(page, "admin None")
    target = member("staff parks")
    page.goto(f"{live_server}/staff/admin/staff/{target.id}")
    no_serious(axe, page)
    screenshot(page, "member")
    page.get_by_role("link", name="新しいAPIキーを発行する").click()
    expect(page.locator("#confirm")).to_contain_text("すぐに使えなくなります")
    no_serious(axe, page)
    page.get_by_label("今のキーを24時間使えるようにする（切り替えのあいだ）").check()
    screenshot(page, "key_question")
    page.locator("#confirm").get_by_role("button", name="新しいAPIキーを発行する").click()
    page.get_by_role("heading", name="新しいAPIキーを発行しました").wait_for()
    key = page.locator("#api-key").inner_text()
    expect(page.locator("#previous-key")).to_contain_text(f"前のキー（{target.key_prefix}…）は")
    screenshot(page, "key_shown_once")
    api = f"{live_server}/api/v1/staff/reports"
    assert requests.get(api, headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 200

    page.get_by_role("link", name="アカウントの詳細へ").click()
    assert key not in page.content()
    # The page asks first, in place of the button, and says what will happen.
    page.get_by_role("link", name="無効にする").click()
    question = page.locator("#confirm")
    expect(question).to_contain_text("ログインも、APIキー")
    expect(question).to_contain_text("取り消せません")
    assert page.url.endswith(f"/staff/admin/staff/{target.id}")
    screenshot(page, "asked_first")
    no_serious(axe, page)
    question.get_by_role("button", name="無効にする").click()
    page.get_by_text("アカウントを無効にしました。").wait_for()
    screenshot(page, "deactivated")
    assert requests.get(api, headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 401


def test_an_api_client_key_is_shown_once_and_revoked(page, live_server, sign_in_page, axe, screenshot):
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/clients")
    page.get_by_label("システムの名前").fill("道路損傷アプリ")
    page.get_by_role("button", name="追加してキーを発行する").click()
    key = page.locator("#api-key").inner_text()
    assert key.startswith("mk_")
    no_serious(axe, page)
    screenshot(page, "created")
    post = {"service_code": "road_damage", "lat": "35.650", "long": "139.780", "description": "歩道に穴があります", "api_key": key}
    assert requests.post(f"{live_server}/open311/v2/requests.json", data=post, timeout=10).status_code == 201
    page.get_by_role("link", name="「道路損傷アプリ」のキーを失効させる").click()
    expect(page.locator("#confirm")).to_contain_text("すぐに受け付けなくなります")
    # Asking sent nothing: the key still works until the answer.
    assert requests.post(f"{live_server}/open311/v2/requests.json", data=post, timeout=10).status_code == 201
    page.locator("#confirm").get_by_role("button", name="失効させる").click()
    page.get_by_text("のキーを失効させました").wait_for()
    assert key not in page.content()
    screenshot(page, "revoked")
    assert requests.post(f"{live_server}/open311/v2/requests.json", data=post, timeout=10).status_code == 403


def test_a_webhook_to_a_private_address_is_refused_beside_the_field(page, live_server, sign_in_page, axe, screenshot):
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/subscribers")
    no_serious(axe, page)
    page.get_by_role("link", name="通知先を追加する").click()
    page.get_by_label("名前").fill("庁内システム")
    page.get_by_label("送り先のURL").fill("http://192.168.10.20/hook")
    page.get_by_role("button", name="追加する").click()
    assert "公開されたアドレス" in page.locator("#url-error").inner_text()
    assert page.get_by_label("送り先のURL").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("送り先のURL").input_value() == "http://192.168.10.20/hook"
    no_serious(axe, page)
    screenshot(page, "refused")

    page.get_by_label("送り先のURL").fill("https://hooks.example.jp/machikoe")
    page.get_by_role("button", name="追加する").click()
    page.get_by_role("heading", name="通知先を追加しました").wait_for()
    assert len(page.locator("#secret").inner_text()) >= 32
    screenshot(page, "created")
    page.get_by_role("link", name="通知先の一覧へ").click()
    screenshot(page, "listed")
    page.get_by_role("row").filter(has_text="庁内システム").get_by_role("link", name="止める").click()
    page.locator("#confirm").get_by_role("button", name="通知を止める").click()
    page.get_by_text("への通知を止めました").wait_for()
    assert page.get_by_role("cell", name="停止中").is_visible()


def test_a_dead_letter_is_replayed_to_a_real_receiver(app, client, keys, road_report, receiver, monkeypatch,  # noqa: F811
                                                      page, live_server, sign_in_page, axe, screenshot):
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", LOCAL_RECEIVERS)
    subscribe(client, keys, url=receiver.url(), event_types=["report.status_changed"])
    receiver.answer("/hook", 500)
    transition(client, keys, road_report, "acknowledged")
    notifications.dispatch(db.session)
    policy = notifications.DeliveryPolicy(max_attempts=1, timeout=2, outbound_policy=LOCAL)

    def deliver_all() -> list[str | None]:
        db.session.expire_all()
        with requests.Session() as http:
            return [notifications.deliver(db.session, d, http, utcnow(), policy=policy, rng=random.Random(1))
                    for d in db.session.scalars(select(Delivery.id).order_by(Delivery.id))]

    assert deliver_all() == ["failed"]
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/deliveries")
    first = page.locator("tbody tr").first
    assert "失敗" in first.inner_text() and "HTTP 500" in first.inner_text()
    no_serious(axe, page)
    screenshot(page, "dead_letter")
    with page.expect_response(lambda answer: "/staff/admin/deliveries/replay" in answer.url) as replayed:
        first.get_by_role("button", name="再送する").click()
    assert replayed.value.status < 400, replayed.value.text()[:500]
    page.get_by_text("1件の配信を再送に回しました。").wait_for()
    screenshot(page, "replayed")
    assert deliver_all() == ["delivered"]
    assert len(receiver.requests) == 2 and receiver.requests[-1].json()["type"] == "report.status_changed"
    db.session.expire_all()
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_type == "delivery")) == "delivery.replay"


def test_the_audit_log_is_filtered_to_one_actor(page, live_server, sign_in_page, axe, screenshot):
    sign_in_page(page, "manager road")
    page.goto(live_server + "/staff/admin/audit")
    assert page.get_by_role("heading", name="このページを表示する権限がありません").is_visible()
    page.goto(live_server + "/staff/")
    sign_out(page)
    sign_in_page(page, "admin None")
    page.goto(live_server + "/staff/admin/clients")
    page.get_by_label("システムの名前").fill("監査テスト用")
    page.get_by_role("button", name="追加してキーを発行する").click()
    page.goto(live_server + "/staff/admin/audit")
    assert page.get_by_role("cell", name="manager road（課長）").count() >= 1
    admin = db.session.scalar(select(Staff).where(Staff.name == "admin None").order_by(Staff.id))
    page.get_by_label("操作した職員").select_option(str(admin.id))
    page.get_by_role("button", name="絞り込む").click()
    # The log is swapped in place: every row left is the admin's once it is.
    rows = page.locator("tbody tr")
    expect(rows.filter(has_not_text="admin None（管理者）")).to_have_count(0)
    assert rows.count() >= 2
    assert "client.create" in page.locator("tbody").inner_text()
    no_serious(axe, page)
    screenshot(page, "one_actor")


def test_a_form_posted_without_its_csrf_token_is_refused(page, live_server, sign_in_page):
    sign_in_page(page, "admin None")
    answer = page.request.post(live_server + "/staff/admin/clients", form={"name": "トークンなし"})
    assert answer.status == 400
    page.goto(live_server + "/staff/admin/clients")
    assert "トークンなし" not in page.content()


def test_a_clerk_whose_password_an_admin_reset_sets_up_a_second_factor_first(app, page, live_server, sign_in_page, axe,
                                                                             screenshot, monkeypatch):
    member_id, login, _ = make_account(app, "staff", login="kuro-clerk")
    monkeypatch.setitem(app.config, "STAFF_TOTP_ALL_ROLES", True)
    sign_in_page(page, "admin None")
    page.goto(f"{live_server}/staff/admin/staff/{member_id}")
    page.get_by_label("新しいパスワード").fill("the clerk's new password")
    page.get_by_role("button", name="パスワードを設定する").click()
    expect(page.get_by_text("次のログインでは、まず二要素認証を設定してもらいます。")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("次のログインで、まず設定してもらいます")
    screenshot(page, "reset-must-enrol")
    no_serious(axe, page)
    sign_out(page)

    page.get_by_label("ログイン名").fill(login)
    page.get_by_label("パスワード").fill("the clerk's new password")
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url("**/staff/login/enrol**")
    screenshot(page, "enrol-first")
    # Nothing else opens: the inbox and the account page lead back to the enrolment.
    for path in ("/staff/reports", "/staff/account"):
        page.goto(live_server + path)
        assert urlsplit(page.url).path == "/staff/login/enrol", path
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("確認コード").fill(current_code(app, secret))
    page.get_by_role("button", name="設定してログイン").click()
    page.goto(live_server + "/staff/reports")
    expect(page.get_by_role("heading", level=1)).to_contain_text("受信箱")
    with app.app_context():
        assert db.session.get(Staff, member_id).totp_secret == secret
