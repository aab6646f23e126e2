"""Every delete, deactivation and revocation on the administration pages asks first, on a page of its own without JavaScript.

The button is a link; the page it opens says what will happen and holds the
POST form with its CSRF token. Opening it changes nothing; posting its form does.
"""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from service.domain import api_clients, subscribers
from service.extensions import db
from service.models import ApiClient, AuditEntry, Department, ResponseTemplate, RoutingRule, Staff, Subscriber
from tests.web.console.conftest import csrf_token, member


def link(html: str, label: str) -> str:
    found = re.search(rf'<a href="([^"]+)" class="ask-first"[^>]*>{re.escape(label)}</a>', html)
    assert found, f"no link {label!r} that asks first"
    return unescape(found.group(1))


def question(client, page: str, label: str) -> tuple[str, str]:
    """Follow the link on ``page`` as a browser without JavaScript would: (its address, the confirmation page's text)."""
    href = link(client.get(page).get_data(as_text=True), label)
    answer = client.get(href)
    assert answer.status_code == 200
    return href, answer.get_data(as_text=True)


def confirm_form(html: str) -> tuple[str, str]:
    """The action of the confirmation's form and its CSRF token."""
    box = html[html.index('id="confirm"'):]
    action = re.search(r'<form method="post" action="([^"]+)">', box)
    assert action, "the question offers no form"
    return unescape(action.group(1)), csrf_token(box)


def answer(client, html: str) -> int:
    """Press the question's button (a POST with its token); the status of the answer."""
    action, token = confirm_form(html)
    status = client.post(action, data={"csrf_token": token}).status_code
    db.session.expire_all()
    return status


def count(model, **where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0


def audited(action: str) -> int:
    return count(AuditEntry, action=action)


def test_a_department_in_use_says_how_many_rules_and_reports_refer_to_it_and_offers_no_delete(signed_in_client):
    client = signed_in_client("admin None")
    road = db.session.scalar(select(Department).where(Department.code == "road", Department.jurisdiction_id ==
                                                      member("admin None").jurisdiction_id))
    rules = count(RoutingRule, department_id=road.id)
    assert rules > 0
    _href, html = question(client, "/staff/admin/departments/road", "この課を削除する")
    assert "課「道路課」を削除しますか" in html
    assert f"振り分けルール{rules}件" in html and "削除できません" in html
    assert 'action="/staff/admin/departments/road/delete"' not in html


def test_an_unused_department_is_deleted_only_once_the_question_is_answered(signed_in_client):
    client = signed_in_client("admin None")
    token = csrf_token(client.get("/staff/admin/departments").get_data(as_text=True))
    assert client.post("/staff/admin/departments", data={"csrf_token": token, "code": "water", "name_ja": "水道課",
                                                          "name_en": "Waterworks", "active": "1"}).status_code == 303
    href, html = question(client, "/staff/admin/departments/water", "この課を削除する")
    assert href == "/staff/admin/departments/water/delete"
    assert "この課を使う通報・振り分けルール・職員はありません。" in html and "削除は取り消せません。" in html
    assert count(Department, code="water") == 1
    assert answer(client, html) == 303
    assert count(Department, code="water") == 0 and audited("department.delete") == 1


def test_a_rule_s_question_names_what_it_routes_and_a_post_without_the_token_is_refused(signed_in_client):
    client = signed_in_client("admin None")
    rule = db.session.scalars(select(RoutingRule).where(RoutingRule.jurisdiction_id == member("admin None").jurisdiction_id)
                              .order_by(RoutingRule.id)).first()
    _href, html = question(client, f"/staff/admin/rules/{rule.id}", "このルールを削除する")
    assert f"ルール #{rule.id} を削除しますか" in html and "これまでに振り分けた通報の課は変わりません。" in html
    action, token = confirm_form(html)
    assert client.post(action, data={}).status_code == 400
    assert client.post(action, data={"csrf_token": token}).status_code == 303
    assert db.session.get(RoutingRule, rule.id) is None


def test_an_area_s_question_counts_the_rules_deleted_with_it(signed_in_client):
    client = signed_in_client("admin None")
    _href, html = question(client, "/staff/admin/areas", "削除")
    assert "を削除しますか" in html and ("振り分けルール" in html) and "削除は取り消せません。" in html


def test_a_template_s_question_says_replies_stay(signed_in_client):
    client = signed_in_client("admin None")
    template = db.session.scalars(select(ResponseTemplate).where(ResponseTemplate.category_id.is_not(None))
                               .order_by(ResponseTemplate.id)).first()
    assert template is not None and template.category is not None
    page = f"/staff/admin/categories/{template.category.code}/templates/{template.id}"
    _href, html = question(client, page, "この定型文を削除する")
    assert "この定型文から書いた返信はそのまま残ります。" in html
    assert answer(client, html) == 303
    assert db.session.get(ResponseTemplate, template.id) is None


def test_deactivating_an_account_asks_first_and_one_s_own_cannot_be(signed_in_client):
    client = signed_in_client("admin None")
    target = member("staff parks")
    _href, html = question(client, f"/staff/admin/staff/{target.id}", "無効にする")
    assert "ログインも、APIキー" in html and "取り消せません。" in html
    assert db.session.get(Staff, target.id).revoked_at is None
    assert answer(client, html) == 303
    assert db.session.get(Staff, target.id).revoked_at is not None
    own = client.get(f"/staff/admin/staff/{member('admin None').id}/deactivate").get_data(as_text=True)
    assert "自分のアカウントは無効にできません。" in own and "<form method=\"post\" action=\"/staff/admin/staff" not in own


def test_revoking_a_client_and_stopping_a_subscriber_ask_first(signed_in_client):
    client = signed_in_client("admin None")
    admin = member("admin None")
    made, _key = api_clients.create_client(db.session(), name="道路アプリ", jurisdiction_code=admin.jurisdiction.code,
                                           admin=admin)
    _href, html = question(client, "/staff/admin/clients", "失効させる")
    assert "「道路アプリ」のキーを失効させますか" in html and "すぐに受け付けなくなります" in html
    assert db.session.get(ApiClient, made.id).revoked_at is None
    assert answer(client, html) == 303
    assert db.session.get(ApiClient, made.id).revoked_at is not None

    subscriber, _secret = subscribers.create_subscriber(db.session(), admin, kind="email", name="広報担当", department=None, secret=None,
                                                        email="koho@example.jp")
    _href, html = question(client, "/staff/admin/subscribers", "止める")
    assert "「広報担当」への通知を止めますか" in html
    assert answer(client, html) == 303
    assert db.session.get(Subscriber, subscriber.id).active is False


def test_a_question_speaks_english_from_the_console_catalogue(signed_in_client):
    client = signed_in_client("admin None")
    html = client.get("/staff/admin/departments/road/delete", query_string={"lang": "en"}).get_data(as_text=True)
    assert "Delete department “道路課”?" in html and "This department cannot be deleted" in html


def test_the_questions_are_refused_to_other_roles_and_other_jurisdictions(signed_in_client):
    clerk = signed_in_client("staff road")
    target = member("staff parks")
    for path in ("/staff/admin/departments/road/delete", f"/staff/admin/staff/{target.id}/deactivate",
                 "/staff/admin/areas/1/delete"):
        assert clerk.get(path).status_code == 403, path
    admin = signed_in_client("admin None")
    other = db.session.scalars(select(Staff).where(Staff.jurisdiction_id != target.jurisdiction_id)).first()
    assert other is not None
    assert admin.get(f"/staff/admin/staff/{other.id}/deactivate").status_code == 404
    assert admin.get("/staff/admin/rules/999999/delete").status_code == 404


def test_a_new_key_and_a_new_second_factor_ask_first_since_the_old_ones_stop_working(signed_in_client):
    client = signed_in_client("admin None")
    target = member("staff parks")
    prefix = target.key_prefix
    _href, html = question(client, f"/staff/admin/staff/{target.id}", "新しいAPIキーを発行する")
    assert f"今のキー（{prefix}…）は、すぐに使えなくなります。" in html
    db.session.expire_all()
    assert db.session.get(Staff, target.id).key_prefix == prefix
    assert answer(client, html) == 200
    assert db.session.get(Staff, target.id).key_prefix != prefix
    html = client.get(f"/staff/admin/staff/{target.id}/totp").get_data(as_text=True)
    assert "今の認証アプリの登録は、すぐに使えなくなります。" in html
    assert confirm_form(html)[0] == f"/staff/admin/staff/{target.id}/totp"
