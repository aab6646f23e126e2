"""The access administration pages over the test client: validation beside the fields, and the audit rows each act writes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from sqlalchemy import select

from service.domain import notifications
from service.extensions import db
from service.models import ApiClient, AuditEntry, Staff, Subscriber
from tests.notifications.conftest import LOCAL_RECEIVERS, receiver, subscribe, transition  # noqa: F401
from tests.notifications.test_api import deliver_all
from tests.open311.conftest import post_request
from tests.web.conftest import PASSWORD
from tests.web.console.conftest import csrf_token, member

PAGES = ["/staff/admin/staff", "/staff/admin/staff/new", "/staff/admin/clients", "/staff/admin/subscribers",
         "/staff/admin/subscribers/new", "/staff/admin/deliveries", "/staff/admin/audit"]


def actions(target_type: str) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == target_type)
                                   .order_by(AuditEntry.id)))


def post(client, path: str, data: dict, token_from: str = "/staff/admin/") -> object:
    token = csrf_token(client.get(token_from).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error"><span[^>]*>[^<]*</span>([^<]+)</p>', html)
    assert found, f"no error beside {name}"
    return found.group(1)


@pytest.mark.parametrize("path", PAGES)
def test_pages_answer_admins_and_refuse_other_roles(signed_in_client, path):
    assert signed_in_client("admin None").get(path).status_code == 200
    assert signed_in_client("manager road").get(path).status_code == 403


def test_pages_are_listed_on_the_admin_index(signed_in_client):
    html = signed_in_client("admin None").get("/staff/admin/").get_data(as_text=True)
    for label in ("職員アカウント", "APIクライアント", "通知先", "配信の状況", "操作記録"):
        assert label in html


def test_new_account_is_refused_field_by_field_and_nothing_is_written(signed_in_client):
    admin = signed_in_client("admin None")
    before = db.session.scalar(select(Staff.id).order_by(Staff.id.desc()))
    short = post(admin, "/staff/admin/staff", {"name": "新人", "login": "shinjin", "password": "short", "role": "viewer"})
    assert short.status_code == 422
    assert "文字以上" in field_error(short.get_data(as_text=True), "password")
    no_totp = post(admin, "/staff/admin/staff", {"name": "課長", "login": "kacho", "password": PASSWORD,
                                                 "role": "manager", "department": "road"})
    assert no_totp.status_code == 422
    assert "二要素認証が必須" in field_error(no_totp.get_data(as_text=True), "totp")
    no_department = post(admin, "/staff/admin/staff", {"name": "職員", "login": "shokuin", "password": PASSWORD, "role": "staff"})
    assert "所属の課" in field_error(no_department.get_data(as_text=True), "department")
    spaced = post(admin, "/staff/admin/staff", {"name": "職員", "login": "two words", "password": PASSWORD, "role": "viewer"})
    assert "ログイン名" in field_error(spaced.get_data(as_text=True), "login")
    assert 'value="two words"' in spaced.get_data(as_text=True)
    assert db.session.scalar(select(Staff.id).order_by(Staff.id.desc())) == before


def test_new_account_shows_its_key_and_second_factor_once_and_is_audited(signed_in_client):
    admin = signed_in_client("admin None")
    made = post(admin, "/staff/admin/staff", {"name": "道路 課長", "login": "Road-Kacho", "password": PASSWORD,
                                              "role": "manager", "department": "road", "totp": "on"})
    assert made.status_code == 201
    html = made.get_data(as_text=True)
    key = re.search(r'id="api-key">(mk_[^<]+)<', html).group(1)
    assert "otpauth://totp/" in html and "data:image/svg+xml" in html
    created = db.session.scalar(select(Staff).where(Staff.login == "road-kacho"))
    assert created.role == "manager" and created.totp_secret and created.key_hash != key
    detail = admin.get(f"/staff/admin/staff/{created.id}").get_data(as_text=True)
    assert key not in detail and created.totp_secret not in detail
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.target_type == "staff",
                                                       AuditEntry.target_id == str(created.id)).order_by(AuditEntry.id)).all()
    assert [r.action for r in rows] == ["staff.create", "staff.credentials_reset"]
    assert rows[0].staff_id == member("admin None").id
    assert key not in str([(r.before, r.after) for r in rows])


def test_a_renewed_key_can_leave_the_one_before_working_for_a_day(fixed_clock, signed_in_client, client):
    admin = signed_in_client("admin None")
    target = member("staff parks")
    path = f"/staff/admin/staff/{target.id}"

    def renewed(**form: str) -> tuple[str, str]:
        html = post(admin, f"{path}/key", form, path).get_data(as_text=True)
        return re.search(r'id="api-key">(mk_[^<]+)<', html).group(1), html

    def status(key: str) -> int:
        g.pop("staff", None)
        return client.get("/api/v1/staff/reports", headers={"Authorization": f"Bearer {key}"}).status_code

    first, _ = renewed()
    second, shown = renewed(keep_previous="1")
    prefix = first.split("_")[1]
    assert f"前のキー（{prefix}…）は 2025-06-16 12:00 まで使えます。" in " ".join(shown.split())
    assert f"前のキー（{prefix}…）も 2025-06-16 12:00 まで使えます。" in admin.get(path).get_data(as_text=True)
    assert (status(first), status(second)) == (200, 200)
    db.session.expire_all()
    audit_after = db.session.scalars(select(AuditEntry.after).where(AuditEntry.action == "staff.key_renewed")
                                     .order_by(AuditEntry.id.desc())).first()
    assert audit_after["previous_key_until"] == "2025-06-16T03:00:00+00:00" and first not in str(audit_after)

    start = fixed_clock.instant
    fixed_clock.instant = start + timedelta(hours=24)
    assert (status(first), status(second)) == (401, 200)
    fixed_clock.instant = start + timedelta(minutes=5)
    # Renewing again without keeping stops every key before the new one.
    third, shown = renewed()
    assert "前のキー" not in shown
    assert (status(first), status(second), status(third)) == (401, 401, 200)


def test_resets_unlock_renew_and_deactivate_are_audited(signed_in_client, client):
    admin = signed_in_client("admin None")
    target = member("viewer road")
    target.login, target.locked_at, target.failed_signins = "viewer-road", db.func.now(), 5
    db.session.commit()
    path = f"/staff/admin/staff/{target.id}"
    weak = post(admin, f"{path}/password", {"password": "x"}, path)
    assert weak.status_code == 422 and "文字以上" in field_error(weak.get_data(as_text=True), "password")
    assert post(admin, f"{path}/password", {"password": PASSWORD}, path).status_code == 303
    assert post(admin, f"{path}/unlock", {}, path).status_code == 303
    totp = post(admin, f"{path}/totp", {}, path)
    assert totp.status_code == 200 and "otpauth://totp/" in totp.get_data(as_text=True)
    renewed = post(admin, f"{path}/key", {}, path)
    key = re.search(r'id="api-key">(mk_[^<]+)<', renewed.get_data(as_text=True)).group(1)
    assert client.get("/api/v1/staff/reports", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert post(admin, f"{path}/deactivate", {}, path).status_code == 303
    # The tests' application context outlives a request, and with it the API's member of the last one.
    g.pop("staff", None)
    assert client.get("/api/v1/staff/reports", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    db.session.expire_all()
    assert db.session.get(Staff, target.id).revoked_at is not None and db.session.get(Staff, target.id).locked_at is None
    assert [r for r in db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(target.id),
                                                                          AuditEntry.target_type == "staff")
                                          .order_by(AuditEntry.id))] == [
        "staff.credentials_reset", "staff.credentials_reset", "staff.credentials_reset", "staff.key_renewed", "staff.revoke"]


def test_an_admin_cannot_deactivate_their_own_account(signed_in_client):
    admin = signed_in_client("admin None")
    me = member("admin None")
    answer = post(admin, f"/staff/admin/staff/{me.id}/deactivate", {})
    assert answer.status_code == 409 and "自分のアカウント" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Staff, me.id).revoked_at is None


def test_another_jurisdictions_member_is_not_found(signed_in_client):
    admin = signed_in_client("admin None")
    other = member("admin None")  # the demo city's; the second city's admin comes after it
    others = db.session.scalars(select(Staff).where(Staff.jurisdiction_id != other.jurisdiction_id)).first()
    assert admin.get(f"/staff/admin/staff/{others.id}").status_code == 404
    assert post(admin, f"/staff/admin/staff/{others.id}/deactivate", {}).status_code == 404


def test_client_needs_a_name_and_is_created_and_revoked_with_audit_rows(signed_in_client, client):
    admin = signed_in_client("admin None")
    empty = post(admin, "/staff/admin/clients", {"name": "  "})
    assert empty.status_code == 422 and "名前" in field_error(empty.get_data(as_text=True), "name")
    made = post(admin, "/staff/admin/clients", {"name": "道路アプリ"})
    assert made.status_code == 201
    key = re.search(r'id="api-key">(mk_[^<]+)<', made.get_data(as_text=True)).group(1)
    created = db.session.scalar(select(ApiClient).where(ApiClient.name == "道路アプリ"))
    assert key not in admin.get("/staff/admin/clients").get_data(as_text=True)
    assert post_request(client, key).status_code == 201
    assert post(admin, f"/staff/admin/clients/{created.id}/revoke", {}).status_code == 303
    assert post_request(client, key).status_code == 403
    assert "失効" in admin.get("/staff/admin/clients").get_data(as_text=True)
    assert actions("api_client") == ["client.create", "client.revoke"]


def test_subscriber_to_a_private_address_is_refused_beside_the_url(signed_in_client):
    admin = signed_in_client("admin None")
    refused = post(admin, "/staff/admin/subscribers", {"kind": "department_webhook", "name": "内部", "url": "http://10.0.0.5/hook",
                                                       "active": "on"})
    assert refused.status_code == 422
    assert "公開されたアドレス" in field_error(refused.get_data(as_text=True), "url")
    assert 'value="http://10.0.0.5/hook"' in refused.get_data(as_text=True)
    missing = post(admin, "/staff/admin/subscribers", {"kind": "email", "name": "メール", "active": "on"})
    assert missing.status_code == 422 and "メールアドレス" in field_error(missing.get_data(as_text=True), "email")
    assert db.session.scalar(select(Subscriber.id)) is None
    assert actions("subscriber") == []


def test_subscriber_is_created_edited_and_paused_with_audit_rows(signed_in_client):
    admin = signed_in_client("admin None")
    made = post(admin, "/staff/admin/subscribers", {"kind": "department_webhook", "name": "道路課のシステム",
                                                    "url": "https://hooks.example.jp/machikoe", "department": "road",
                                                    "event_types": ["report.resolved", "report.routed"], "active": "on"})
    assert made.status_code == 201
    subscriber = db.session.scalar(select(Subscriber))
    assert subscriber.secret in made.get_data(as_text=True)
    edit = f"/staff/admin/subscribers/{subscriber.id}"
    assert subscriber.secret not in admin.get(edit).get_data(as_text=True)
    bad = post(admin, edit, {"name": "道路課のシステム", "url": "http://192.168.1.2/", "active": "on"}, edit)
    assert bad.status_code == 422 and "公開されたアドレス" in field_error(bad.get_data(as_text=True), "url")
    assert post(admin, edit, {"name": "道路課（新）", "url": "https://hooks.example.jp/v2", "active": "on"}, edit).status_code == 303
    assert post(admin, f"{edit}/active", {}).status_code == 303
    db.session.expire_all()
    changed = db.session.get(Subscriber, subscriber.id)
    assert (changed.name, changed.url, changed.department_id, changed.event_types, changed.active) == (
        "道路課（新）", "https://hooks.example.jp/v2", None, None, False)
    assert actions("subscriber") == ["subscriber.create", "subscriber.update", "subscriber.update"]


def test_audit_filter_refuses_bad_dates_beside_the_field(signed_in_client):
    admin = signed_in_client("admin None")
    answer = admin.get("/staff/admin/audit?since=2025-13-40&until=2025-06-01")
    assert answer.status_code == 400
    assert "日付" in field_error(answer.get_data(as_text=True), "since")
    backwards = admin.get("/staff/admin/audit?since=2025-06-10&until=2025-06-01")
    assert "終わりの日" in field_error(backwards.get_data(as_text=True), "until")


def test_replay_without_selection_or_of_a_live_delivery_is_refused(signed_in_client):
    admin = signed_in_client("admin None")
    assert post(admin, "/staff/admin/deliveries/replay", {}).status_code == 422
    assert post(admin, "/staff/admin/deliveries/replay", {"one": "no-such"}).status_code == 409
    assert actions("delivery") == []
    assert admin.get("/staff/admin/deliveries?state=lost").status_code == 400


def test_a_post_without_csrf_token_is_refused(signed_in_client):
    admin = signed_in_client("admin None")
    answer = admin.post("/staff/admin/clients", data={"name": "CSRFなし"})
    assert answer.status_code == 400
    assert db.session.scalar(select(ApiClient.id).where(ApiClient.name == "CSRFなし")) is None


def test_a_member_with_only_a_key_is_given_a_sign_in(app, signed_in_client):
    admin = signed_in_client("admin None")
    target = member("manager road")
    path = f"/staff/admin/staff/{target.id}"
    assert "ログインの設定" in admin.get(path).get_data(as_text=True)
    refused = post(admin, f"{path}/signin", {"login": "road-manager", "password": PASSWORD}, path)
    assert refused.status_code == 422
    assert "二要素認証が必須" in field_error(refused.get_data(as_text=True), "signin_totp")
    db.session.expire_all()
    assert db.session.get(Staff, target.id).login is None
    given = post(admin, f"{path}/signin", {"login": "road-manager", "password": PASSWORD, "totp": "on"}, path)
    assert given.status_code == 200 and "otpauth://totp/Machikoe:road-manager" in given.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Staff, target.id).login == "road-manager"
    assert db.session.scalars(select(AuditEntry.after).where(AuditEntry.target_id == str(target.id),
                                                             AuditEntry.action == "staff.credentials_reset")).all() == [
        {"login": True, "password": True, "totp": True, "unlocked": False}]


def test_the_pages_speak_english_from_the_console_catalogue(signed_in_client):
    admin = signed_in_client("admin None")
    html = admin.get("/staff/admin/staff/new", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Create a staff account" in html and "two-factor required" in html
    html = admin.get("/staff/admin/deliveries", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Deliveries" in html and "All (failed first)" in html


def test_the_audit_log_filters_by_target_and_by_tokyo_days(signed_in_client):
    admin = signed_in_client("admin None")
    assert post(admin, "/staff/admin/clients", {"name": "一つ目"}).status_code == 201
    assert post(admin, "/staff/admin/clients", {"name": "二つ目"}).status_code == 201
    first = db.session.scalar(select(ApiClient.id).where(ApiClient.name == "一つ目"))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.target_type == "api_client",
                                                       AuditEntry.target_id == str(first)))
    # 23:30 UTC on 1 June is 08:30 on 2 June in Tokyo.
    entry.created_at = datetime(2025, 6, 1, 23, 30, tzinfo=UTC)
    db.session.commit()
    one = admin.get(f"/staff/admin/audit?target_type=api_client&target_id={first}").get_data(as_text=True)
    assert "一つ目" in one and "二つ目" not in one
    day = admin.get("/staff/admin/audit?since=2025-06-02&until=2025-06-02").get_data(as_text=True)
    assert "一つ目" in day and "二つ目" not in day and "1件中" in day
    assert "一つ目" not in admin.get("/staff/admin/audit?since=2025-06-03&until=2025-06-30").get_data(as_text=True)
    assert "一つ目" not in admin.get("/staff/admin/audit?until=2025-06-01").get_data(as_text=True)


def test_the_selected_dead_letters_are_replayed_together_and_audited(client, keys, road_report, parks_report, receiver,  # noqa: F811
                                                                     signed_in_client, monkeypatch):
    monkeypatch.setitem(client.application.config, "OUTBOUND_ALLOW_PRIVATE", LOCAL_RECEIVERS)
    subscribe(client, keys, url=receiver.url(), event_types=["report.status_changed"])
    receiver.answer("/hook", 500, 500)
    transition(client, keys, road_report, "acknowledged")
    transition(client, keys, parks_report, "acknowledged", who="parks_staff")
    notifications.dispatch(db.session)
    assert deliver_all() == ["failed", "failed"]
    admin = signed_in_client("admin None")
    listed = admin.get("/staff/admin/deliveries?state=failed").get_data(as_text=True)
    uids = re.findall(r'name="selected" value="([^"]+)"', listed)
    assert len(uids) == 2
    answer = post(admin, "/staff/admin/deliveries/replay", {"selected": uids}, "/staff/admin/deliveries")
    assert answer.status_code == 303
    assert "2件の配信を再送に回しました" in admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert post(admin, "/staff/admin/deliveries/replay", {"selected": uids}, "/staff/admin/deliveries").status_code == 409
    assert deliver_all() == ["delivered", "delivered"]
    assert len(receiver.requests) == 4
    assert sorted(db.session.scalars(select(AuditEntry.target_id).where(AuditEntry.action == "delivery.replay"))) == sorted(uids)


def test_the_audit_log_is_paged_newest_first(signed_in_client):
    admin = signed_in_client("admin None")
    me = member("admin None")
    for number in range(60):
        db.session.add(AuditEntry(jurisdiction_id=me.jurisdiction_id, staff_id=me.id, action="test.paging",
                                  target_type="paging", target_id=str(number),
                                  created_at=datetime(2025, 6, 1, tzinfo=UTC) + timedelta(minutes=number)))
    db.session.commit()
    first = admin.get("/staff/admin/audit?action=test.paging").get_data(as_text=True)
    targets = re.findall(r"<code>paging (\d+)</code>", first)
    assert targets[:2] == ["59", "58"] and len(targets) == 50
    assert "60件中 1 / 2 ページ" in first
    next_page = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    second = admin.get(next_page).get_data(as_text=True)
    assert re.findall(r"<code>paging (\d+)</code>", second) == [str(n) for n in range(9, -1, -1)]


def test_htmx_is_answered_200_with_the_refusal_in_place_and_plain_requests_keep_their_codes(signed_in_client):
    admin = signed_in_client("admin None")
    htmx = {"HX-Request": "true"}
    backwards = "/staff/admin/audit?since=2025-06-10&until=2025-06-01"
    swapped = admin.get(backwards, headers=htmx)
    assert swapped.status_code == 200 and "終わりの日" in field_error(swapped.get_data(as_text=True), "until")
    assert admin.get(backwards).status_code == 400
    lost = admin.get("/staff/admin/deliveries?state=lost", headers=htmx)
    assert lost.status_code == 200 and "不明な状態です。" in lost.get_data(as_text=True)
    token = csrf_token(admin.get("/staff/admin/deliveries").get_data(as_text=True))
    refused = admin.post("/staff/admin/deliveries/replay", data={"csrf_token": token, "one": "no-such"}, headers=htmx)
    assert refused.status_code == 200 and refused.headers["HX-Push-Url"] == "false"
    assert "見つからないものか、失敗していないもの" in refused.get_data(as_text=True)
    assert actions("delivery") == []


def test_a_replay_posted_by_htmx_answers_with_the_list_and_its_outcome(client, keys, road_report, receiver,  # noqa: F811
                                                                       signed_in_client, monkeypatch):
    monkeypatch.setitem(client.application.config, "OUTBOUND_ALLOW_PRIVATE", LOCAL_RECEIVERS)
    subscribe(client, keys, url=receiver.url(), event_types=["report.status_changed"])
    receiver.answer("/hook", 500)
    transition(client, keys, road_report, "acknowledged")
    notifications.dispatch(db.session)
    assert deliver_all() == ["failed"]
    admin = signed_in_client("admin None")
    listed = admin.get("/staff/admin/deliveries?state=failed").get_data(as_text=True)
    uid = re.search(r'name="selected" value="([^"]+)"', listed).group(1)
    answer = admin.post("/staff/admin/deliveries/replay?state=failed", data={"csrf_token": csrf_token(listed), "one": uid},
                        headers={"HX-Request": "true"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["HX-Push-Url"] == "false"
    assert '<p class="flash flash-status" data-announce>1件の配信を再送に回しました。</p>' in html
    assert "該当する配信はありません。" in html
    assert actions("delivery") == ["delivery.replay"]
    assert deliver_all() == ["delivered"]
