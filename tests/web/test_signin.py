"""Staff sign-in over HTTP: lockout, rate limits, fixation, CSRF, redirects, timeouts, the staff commands."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.api.limits import EXTENSION, Counters
from service.cli import cli
from service.extensions import db
from service.models import AuditEntry, Staff, WebSession
from service.web.sessions import COOKIE
from tests.web.conftest import PASSWORD, current_code, make_account


def csrf_of(client: FlaskClient, path: str = "/staff/login") -> str:
    body = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', body)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, login: str, password: str = PASSWORD, next_path: str | None = None):
    form = {"csrf_token": csrf_of(client), "login": login, "password": password}
    if next_path is not None:
        form["next"] = next_path
    return client.post("/staff/login", data=form)


def session_id(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie else None


def actions(app: Flask, member_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "staff",
                                                                        AuditEntry.target_id == str(member_id))
                                       .order_by(AuditEntry.id)))


def test_a_staff_page_sends_a_visitor_to_sign_in_and_back(app, client):
    member_id, login, _ = make_account(app, "staff")
    answer = client.get("/staff/account")
    assert answer.status_code == 302 and answer.headers["Location"] == "/staff/login?next=/staff/account"
    fragment = client.get("/staff/account", headers={"HX-Request": "true"})
    assert fragment.status_code == 401 and fragment.headers["HX-Redirect"] == "/staff/login?next=/staff/account"
    signed = sign_in(client, login, next_path="/staff/account")
    assert signed.status_code == 302 and signed.headers["Location"] == "/staff/account"
    page = client.get("/staff/account")
    assert page.status_code == 200 and "staff road" in page.get_data(as_text=True)
    assert actions(app, member_id)[-1] == "staff.signin"


def test_a_wrong_password_is_refused_without_saying_whether_the_login_exists(app, client):
    make_account(app, "staff")
    wrong = sign_in(client, "staff-road", "not the password at all")
    unknown = sign_in(client, "nobody-here", "not the password at all")
    for answer in (wrong, unknown):
        assert answer.status_code == 401 and "ログイン名またはパスワードが違います。" in answer.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_a_password_is_hashed_again_at_sign_in_when_the_hash_setting_changed(app, client, monkeypatch):
    member_id, login, _ = make_account(app, "staff")

    def stored() -> str:
        with app.app_context():
            return db.session.get(Staff, member_id).password_hash

    made = stored()
    assert f"m={app.config['STAFF_PASSWORD_HASH_MEMORY_KIB']}," in made
    monkeypatch.setitem(app.config, "STAFF_PASSWORD_HASH_MEMORY_KIB", 2048)
    assert sign_in(client, "staff-road", "not the password at all").status_code == 401
    assert stored() == made
    assert sign_in(client, login).status_code == 302
    renewed = stored()
    assert renewed.startswith("$argon2id$") and "m=2048,t=3,p=4" in renewed
    client.post("/staff/logout", data={"csrf_token": csrf_of(client, "/staff/account")})
    assert sign_in(client, login).status_code == 302 and stored() == renewed


def test_the_account_locks_after_repeated_failures_and_an_admin_unlocks_it(app, client, runner, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_SIGNIN_LOCK_AFTER", 3)
    member_id, login, _ = make_account(app, "staff")
    for _ in range(3):
        assert sign_in(client, login, "wrong wrong wrong").status_code == 401
    locked = sign_in(client, login)
    assert locked.status_code == 401 and "ロックされています" in locked.get_data(as_text=True)
    assert actions(app, member_id).count("staff.signin_failed") == 3 and "staff.locked" in actions(app, member_id)
    result = runner.invoke(cli, ["staff", "reset", str(member_id), "--jurisdiction", "990019", "--unlock", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["locked"] is False
    assert sign_in(client, login).status_code == 302


def test_failed_sign_ins_are_rate_limited_per_account_and_per_address(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMITS_ENABLED", True)
    monkeypatch.setitem(app.config, "RATE_LIMIT_SIGNINS_PER_ACCOUNT", "3/minute")
    monkeypatch.setitem(app.config, "RATE_LIMIT_SIGNINS_PER_ADDRESS", "5/minute")
    monkeypatch.setitem(app.extensions, EXTENSION, Counters(None))
    make_account(app, "staff")
    for _ in range(3):
        assert sign_in(client, "staff-road", "wrong wrong wrong").status_code == 401
    # The account's budget is spent: even the right password waits.
    limited = sign_in(client, "staff-road")
    assert limited.status_code == 429 and limited.mimetype == "text/html" and int(limited.headers["Retry-After"]) > 0
    assert "操作が多すぎます" in limited.get_data(as_text=True)
    # Other logins from the same address spend the address's budget.
    assert [sign_in(client, f"other-{n}", "wrong").status_code for n in range(3)] == [401, 401, 429]


def test_the_session_id_changes_at_sign_in(app, client):
    _, login, secret = make_account(app, "manager")
    csrf_of(client)
    planted = session_id(client)
    assert planted is not None
    after_password = sign_in(client, login)
    assert after_password.status_code == 302 and after_password.headers["Location"].startswith("/staff/login/code")
    pending = session_id(client)
    assert pending != planted
    code_form = {"csrf_token": csrf_of(client, "/staff/login/code"), "code": current_code(app, secret)}
    assert client.post("/staff/login/code", data=code_form).status_code == 302
    signed = session_id(client)
    assert signed not in (planted, pending)
    with app.app_context():
        # The ids used before sign-in open nothing any more.
        from service.web.sessions import hash_id

        assert db.session.get(WebSession, hash_id(planted)) is None and db.session.get(WebSession, hash_id(pending)) is None
    client.set_cookie(COOKIE, planted)
    assert client.get("/staff/").status_code == 302


def test_a_form_posted_without_its_csrf_token_is_refused_with_a_clear_page(app, client):
    make_account(app, "staff")
    answer = client.post("/staff/login", data={"login": "staff-road", "password": PASSWORD})
    assert answer.status_code == 400 and answer.mimetype == "text/html"
    assert "ページを読み込み直してから、もう一度送信してください。" in answer.get_data(as_text=True)
    forged = client.post("/staff/login", data={"login": "staff-road", "password": PASSWORD, "csrf_token": "forged"})
    assert forged.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_pages_may_not_be_framed(client):
    answer = client.get("/staff/login")
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/staff/", "/\\evil.example", "/api/v1/reports",
                                    "javascript:alert(1)", "/staff/logout"])
def test_sign_in_goes_only_to_a_staff_page_of_this_site(app, client, target):
    _, login, _ = make_account(app, "staff")
    answer = sign_in(client, login, next_path=target)
    assert answer.status_code == 302 and answer.headers["Location"] == "/staff/"


def test_an_idle_session_ends_and_a_used_one_lives_until_its_lifetime(app, client, fixed_clock, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_SESSION_IDLE_MINUTES", 30)
    monkeypatch.setitem(app.config, "STAFF_SESSION_LIFETIME_HOURS", 2)
    _, login, _ = make_account(app, "staff")
    assert sign_in(client, login).status_code == 302
    # Used every 25 minutes (within the idle time), it lives for two hours after sign-in and no longer.
    for minutes in (25, 25, 25, 25, 19):
        fixed_clock.instant += timedelta(minutes=minutes)
        assert client.get("/staff/").status_code == 200
    fixed_clock.instant += timedelta(minutes=2)
    assert client.get("/staff/").status_code == 302
    assert sign_in(client, login).status_code == 302
    fixed_clock.instant += timedelta(minutes=31)
    assert client.get("/staff/").headers["Location"].startswith("/staff/login")


def test_htmx_requests_pass_the_csrf_check_with_the_token_in_a_header(app, client):
    _, login, _ = make_account(app, "staff")
    sign_in(client, login)
    token = csrf_of(client, "/staff/")
    assert client.post("/staff/logout", headers={"HX-Request": "true"}).status_code == 400
    assert client.post("/staff/logout", headers={"HX-Request": "true", "X-CSRFToken": token}).status_code == 302


def test_signing_out_ends_the_session(app, client):
    member_id, login, _ = make_account(app, "staff")
    sign_in(client, login)
    token = csrf_of(client, "/staff/")
    assert client.post("/staff/logout", data={"csrf_token": token}).headers["Location"] == "/staff/login"
    assert client.get("/staff/").status_code == 302
    assert actions(app, member_id)[-1] == "staff.signout"


def test_staff_create_with_login_password_and_totp_prints_the_uri_once(app, runner):
    result = runner.invoke(cli, ["staff", "create", "--name", "広聴 花子", "--role", "admin", "--jurisdiction", "990019",
                                 "--login", "Kocho", "--password-stdin", "--totp", "--json"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["login"] == "kocho" and answer["api_key"].startswith("mk_")
    assert answer["otpauth_uri"].startswith("otpauth://totp/Machikoe:kocho?secret=")
    with app.app_context():
        member = db.session.get(Staff, answer["id"])
        assert member.password_hash.startswith("$argon2id$") and "a long enough" not in member.password_hash
    shown = runner.invoke(cli, ["staff", "show", str(answer["id"]), "--jurisdiction", "990019", "--json"])
    assert "otpauth" not in shown.output and "secret" not in shown.output


def test_staff_create_refuses_an_admin_without_a_second_factor_and_leaves_nothing(app, runner):
    result = runner.invoke(cli, ["staff", "create", "--name", "管理者", "--role", "admin", "--jurisdiction", "990019",
                                 "--login", "admin2", "--password-stdin"], input="a long enough password\n")
    assert result.exit_code != 0 and "--totp" in result.output
    short = runner.invoke(cli, ["staff", "create", "--name", "職員", "--role", "viewer", "--jurisdiction", "990019",
                                "--login", "viewer2", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 12" in short.output
    with app.app_context():
        assert db.session.scalars(select(Staff)).all() == []


def test_a_member_changes_their_own_password_with_the_current_one(app, client):
    member_id, login, _ = make_account(app, "staff")
    sign_in(client, login)
    token = csrf_of(client, "/staff/account")
    new = "a brand new passphrase"
    wrong = client.post("/staff/account/password", data={"csrf_token": token, "current_password": "not it at all",
                                                         "new_password": new, "new_password_again": new})
    assert wrong.status_code == 400 and "現在のパスワードが違うか" in wrong.get_data(as_text=True)
    mismatch = client.post("/staff/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                            "new_password": new, "new_password_again": new + "x"})
    assert mismatch.status_code == 400
    changed = client.post("/staff/account/password", data={"csrf_token": token, "current_password": PASSWORD,
                                                           "new_password": new, "new_password_again": new})
    assert changed.status_code == 302
    assert "パスワードを変更しました。" in client.get("/staff/account").get_data(as_text=True)
    client.post("/staff/logout", data={"csrf_token": csrf_of(client, "/staff/")})
    assert sign_in(client, login).status_code == 401
    assert sign_in(client, login, new).status_code == 302
    assert "staff.password_changed" in actions(app, member_id)


@pytest.mark.parametrize(("role", "removed"), [("staff", True), ("manager", False)])
def test_only_roles_that_may_sign_in_without_a_second_factor_can_remove_it(app, client, role, removed):
    member_id, login, secret = make_account(app, role, totp=True)
    sign_in(client, login)
    client.post("/staff/login/code", data={"csrf_token": csrf_of(client, "/staff/login/code"), "code": current_code(app, secret)})
    answer = client.post("/staff/account/totp/remove", data={"csrf_token": csrf_of(client, "/staff/account"),
                                                             "current_password": PASSWORD})
    assert answer.status_code == (302 if removed else 400)
    with app.app_context():
        assert (db.session.get(Staff, member_id).totp_secret is None) is removed
    assert ("staff.totp_removed" in actions(app, member_id)) is removed


def test_a_totp_code_signs_in_once(app, client, fixed_clock):
    _, login, secret = make_account(app, "admin", None)
    code = current_code(app, secret)
    for expected in (302, 401):
        client.delete_cookie(COOKIE)
        sign_in(client, login)
        answer = client.post("/staff/login/code", data={"csrf_token": csrf_of(client, "/staff/login/code"), "code": code})
        assert answer.status_code == expected
    assert "確認コードが違います" in answer.get_data(as_text=True)


def test_a_signing_in_account_is_not_made_a_manager_without_a_second_factor(app, runner):
    created = runner.invoke(cli, ["staff", "create", "--name", "道路 次郎", "--role", "staff", "--department", "road",
                                  "--jurisdiction", "990019", "--login", "jiro", "--password-stdin", "--json"],
                            input="a long enough password\n")
    assert created.exit_code == 0, created.output
    member_id = json.loads(created.output)["id"]
    refused = runner.invoke(cli, ["staff", "update", str(member_id), "--jurisdiction", "990019", "--role", "manager"])
    assert refused.exit_code != 0 and f"staff reset {member_id} --totp" in refused.output
    with app.app_context():
        assert db.session.get(Staff, member_id).role == "staff"
    assert runner.invoke(cli, ["staff", "reset", str(member_id), "--jurisdiction", "990019", "--totp"]).exit_code == 0
    promoted = runner.invoke(cli, ["staff", "update", str(member_id), "--jurisdiction", "990019", "--role", "manager"])
    assert promoted.exit_code == 0, promoted.output


def test_a_manager_whose_second_factor_an_admin_reset_sets_up_a_new_one_at_sign_in(app, client, runner, fixed_clock):
    member_id, login, old_secret = make_account(app, "manager")
    result = runner.invoke(cli, ["staff", "reset", str(member_id), "--jurisdiction", "990019", "--remove-totp", "--json"])
    assert result.exit_code == 0, result.output
    answer = sign_in(client, login)
    assert answer.status_code == 302 and "/staff/login/enrol" in answer.headers["Location"]
    assert client.get("/staff/reports").status_code == 302
    page = client.get("/staff/login/enrol").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    assert secret != old_secret
    wrong = client.post("/staff/login/enrol", data={"csrf_token": csrf_of(client, "/staff/login/enrol"), "code": "12345x"})
    assert wrong.status_code == 400 and "確認コードが違います" in wrong.get_data(as_text=True)
    done = client.post("/staff/login/enrol", data={"csrf_token": csrf_of(client, "/staff/login/enrol"),
                                                    "code": current_code(app, secret)})
    assert done.status_code == 302 and client.get("/staff/reports").status_code == 200
    assert actions(app, member_id)[-3:] == ["staff.credentials_reset", "staff.totp_enabled", "staff.signin"]


def test_the_enrolment_step_opens_only_after_the_password(client):
    answer = client.get("/staff/login/enrol")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/staff/login")


def test_a_clerk_reset_by_an_admin_sets_up_a_second_factor_first_when_the_setting_asks_one(app, client, runner,
                                                                                          monkeypatch):
    member_id, login, _secret = make_account(app, "staff", login="road-clerk")
    open_session = app.test_client()
    assert sign_in(open_session, login).status_code == 302 and open_session.get("/staff/reports").status_code == 200
    monkeypatch.setitem(app.config, "STAFF_TOTP_ALL_ROLES", True)
    result = runner.invoke(cli, ["staff", "reset", str(member_id), "--jurisdiction", "990019", "--password-stdin"],
                           input="a brand new long password\n")
    assert result.exit_code == 0, result.output
    assert "set up a second factor first" in result.output
    # The session open before the reset reaches nothing but the enrolment.
    kept = open_session.get("/staff/reports")
    assert kept.status_code == 302 and "/staff/login/enrol" in kept.headers["Location"]
    # Signing in with the new password leads to the enrolment first; nothing else opens until it is done.
    answer = sign_in(client, login, "a brand new long password")
    assert answer.status_code == 302 and "/staff/login/enrol" in answer.headers["Location"]
    for path in ("/staff/reports", "/staff/account", "/staff/"):
        assert client.get(path).status_code == 302, path
    page = client.get("/staff/login/enrol").get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    done = client.post("/staff/login/enrol", data={"csrf_token": csrf_of(client, "/staff/login/enrol"),
                                                    "code": current_code(app, secret)})
    assert done.status_code == 302 and client.get("/staff/reports").status_code == 200
    assert actions(app, member_id)[-3:] == ["staff.credentials_reset", "staff.totp_enabled", "staff.signin"]
    with app.app_context():
        reset = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.credentials_reset",
                                                            AuditEntry.target_id == str(member_id))
                                         .order_by(AuditEntry.id.desc())).first()
        assert reset.after["must_enrol"] is True


def test_a_reset_with_json_says_the_member_must_enrol(app, runner, monkeypatch):
    member_id, _login, _secret = make_account(app, "viewer", login="road-viewer")
    monkeypatch.setitem(app.config, "STAFF_TOTP_ALL_ROLES", True)
    result = runner.invoke(cli, ["staff", "reset", str(member_id), "--jurisdiction", "990019", "--unlock", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["must_enrol"] is True
    monkeypatch.setitem(app.config, "STAFF_TOTP_ALL_ROLES", False)
    result = runner.invoke(cli, ["staff", "reset", str(member_id), "--jurisdiction", "990019", "--unlock", "--json"])
    assert json.loads(result.output)["must_enrol"] is False
