"""Administration of who and what may reach Machikoe: staff accounts and keys, API clients, subscribers, deliveries, the audit log.

This module holds the staff accounts (``/staff/admin/staff``): the list, a new
account with its sign-in, and on each account the resets an admin makes
(password, second factor, lock), a new API key, and deactivation. The other
pages live in the ``admin_access_*`` modules imported at the end. Keys,
passwords and second factors go through the same domain functions as
``machikoe staff`` and the admin API, and each act is audited there. A key or
a second factor's URI is shown once, on the answer to the form that made it.
"""

from __future__ import annotations

from typing import Any

import segno
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from service import clock
from service.domain import admin as setup
from service.domain import audit, signin, staff_accounts
from service.domain.jurisdictions import SetupError
from service.extensions import db
from service.models import ROLES, Staff
from service.web.console import bp
from service.web.console.admin import ADMINS, admin_page
from service.web.console.admin_access_forms import (
    PAGE_SIZE,
    ROLE_LABELS,
    department_label,
    departments,
    page_number,
    page_url,
    pages,
)
from service.web.console.admin_confirm import Question, confirm_page, refusal_page
from service.web.console.member import current_member
from service.web.signin import policy, staff_required

GROUP = _l("利用者と接続")
admin_page("staff_web.admin_staff", _l("職員アカウント"), _l("職員のログイン、二要素認証、APIキー"), GROUP)


def _context() -> dict[str, Any]:
    return {"role_labels": ROLE_LABELS, "department_label": department_label, "totp_roles": signin.TOTP_ROLES,
            "totp_all": policy().totp_all_roles, "min_length": policy().password_min_length}


def _member(member_id: int) -> Staff:
    member = staff_accounts.find(db.session(), current_member().jurisdiction_id, member_id)
    if member is None:
        raise NotFound()
    return member


def qr(uri: str | None) -> str | None:
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2) if uri else None


@bp.get("/admin/staff")
@staff_required(*ADMINS)
def admin_staff() -> str:
    admin, page = current_member(), page_number()
    members, total = staff_accounts.member_page(db.session(), admin.jurisdiction_id, page=page, page_size=PAGE_SIZE)
    last = audit.last_signins(db.session(), [m.id for m in members])
    return render_template("staff/admin/access_staff.html", members=members, last=last, total=total, page=page,
                           pages=pages(total), page_url=page_url("staff_web.admin_staff"), **_context())


def _new_form(form: dict[str, str], errors: dict[str, str], status: int) -> tuple[str, int]:
    return render_template("staff/admin/access_staff_new.html", form=form, errors=errors, roles=ROLES,
                           departments=departments(), **_context()), status


@bp.get("/admin/staff/new")
@staff_required(*ADMINS)
def admin_staff_new() -> tuple[str, int]:
    return _new_form({"role": "staff"}, {}, 200)


def _credential_field(message: str) -> str:
    """Which field of the form a refusal of the sign-in is about."""
    if "login" in message:
        return "login"
    if "password" in message:
        return "password"
    return "totp"


CREDENTIAL_MESSAGES = {
    "login": _l("このログイン名は使えません（使用中か、空白を含むか、100文字を超えています）。"),
    "totp": _l("管理者と課長は二要素認証が必須です。「二要素認証を設定する」を選んでください。"),
}


def _password_message() -> str:
    return _("パスワードは%(n)d文字以上、1024文字以内にしてください。", n=policy().password_min_length)


@bp.post("/admin/staff")
@staff_required(*ADMINS)
def admin_staff_create() -> tuple[str, int]:
    admin = current_member()
    form = {name: request.form.get(name, "").strip() for name in ("name", "login", "role", "department")}
    form["totp"] = "on" if request.form.get("totp") else ""
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    if not form["name"] or len(form["name"]) > 200:
        errors["name"] = _("氏名を200文字以内で入力してください。")
    if form["role"] not in ROLES:
        errors["role"] = _("役割を選んでください。")
    elif form["role"] in ("manager", "staff") and not form["department"]:
        errors["department"] = _("課長と職員は所属の課を選んでください。")
    if errors:
        return _new_form(form, errors, 422)
    try:
        made = staff_accounts.create_account(
            db.session(), admin, name=form["name"], role=form["role"], department=form["department"] or None,
            login=form["login"], password=password, totp=bool(form["totp"]), policy=policy())
    except signin.CredentialsError as exc:
        field = _credential_field(str(exc))
        errors[field] = _password_message() if field == "password" else str(CREDENTIAL_MESSAGES[field])
        return _new_form(form, errors, 422)
    except SetupError:
        return _new_form(form, {"department": _("この課はありません。")}, 422)
    return render_template("staff/admin/access_shown_once.html", member=made.member, api_key=made.api_key,
                           totp_uri=made.totp_uri, qr=qr(made.totp_uri), heading=_("職員アカウントを作成しました"),
                           **_context()), 201


def _detail(member: Staff, status: int = 200, errors: dict[str, str] | None = None, typed_login: str = "") -> tuple[str, int]:
    last = audit.last_signins(db.session(), [member.id]).get(member.id)
    return render_template("staff/admin/access_staff_member.html", member=member, last=last, errors=errors or {},
                           typed_login=typed_login,
                           needs_totp=signin.needs_totp(member, policy()), must_enrol=signin.must_enrol(member, policy()),
                           myself=member.id == current_member().id,
                           previous_key_working=staff_accounts.previous_key_working(member, clock.now()),
                           **_context()), status


@bp.get("/admin/staff/<int:member_id>")
@staff_required(*ADMINS)
def admin_staff_member(member_id: int) -> tuple[str, int]:
    return _detail(_member(member_id))


@bp.post("/admin/staff/<int:member_id>/password")
@staff_required(*ADMINS)
def admin_staff_password(member_id: int) -> Response | tuple[str, int]:
    member = _member(member_id)
    try:
        signin.set_credentials(db.session(), current_member(), member, password=request.form.get("password", ""),
                               policy=policy())
    except signin.CredentialsError:
        return _detail(member, 422, {"password": _password_message()})
    flash(_("パスワードを設定し直しました。ロックも解除されています。"), "status")
    if signin.must_enrol(member, policy()):
        flash(_("次のログインでは、まず二要素認証を設定してもらいます。設定が済むまで、ほかの画面は開きません。"), "status")
    return redirect(url_for("staff_web.admin_staff_member", member_id=member.id), 303)


@bp.post("/admin/staff/<int:member_id>/signin")
@staff_required(*ADMINS)
def admin_staff_signin(member_id: int) -> tuple[str, int]:
    """Give a member who has only an API key a sign-in to the pages (and a second factor where asked or needed)."""
    member = _member(member_id)
    login = request.form.get("login", "").strip()
    try:
        uri = signin.set_credentials(db.session(), current_member(), member, login=login,
                                     password=request.form.get("password", ""), new_totp=bool(request.form.get("totp")),
                                     policy=policy())
    except signin.CredentialsError as exc:
        field = _credential_field(str(exc))
        message = _password_message() if field == "password" else str(CREDENTIAL_MESSAGES[field])
        return _detail(member, 422, {{"login": "login", "password": "password"}.get(field, "signin_totp"): message},
                       typed_login=login)
    return render_template("staff/admin/access_shown_once.html", member=member, api_key=None, totp_uri=uri, qr=qr(uri),
                           heading=_("ログインを設定しました"), **_context()), 200


@bp.get("/admin/staff/<int:member_id>/totp")
@staff_required(*ADMINS)
def admin_staff_totp_question(member_id: int) -> str:
    member = _member(member_id)
    return confirm_page(Question(_("「%(name)s」の二要素認証を再設定しますか", name=member.name), [
        _("新しいキーを発行し、一度だけ表示します。今の認証アプリの登録は、すぐに使えなくなります。"),
        _("新しいキーを本人の認証アプリに登録するまで、本人はログインできません。")],
        url_for("staff_web.admin_staff_totp", member_id=member.id), _("二要素認証を再設定する"),
        url_for("staff_web.admin_staff_member", member_id=member.id)))


@bp.post("/admin/staff/<int:member_id>/totp")
@staff_required(*ADMINS)
def admin_staff_totp(member_id: int) -> tuple[str, int]:
    member = _member(member_id)
    if not member.login:
        return _detail(member, 422, {"totp": _("ログイン名のない職員には二要素認証を設定できません。")})
    uri = signin.set_credentials(db.session(), current_member(), member, new_totp=True, policy=policy())
    return render_template("staff/admin/access_shown_once.html", member=member, api_key=None, totp_uri=uri, qr=qr(uri),
                           heading=_("二要素認証を設定し直しました"), **_context()), 200


@bp.post("/admin/staff/<int:member_id>/unlock")
@staff_required(*ADMINS)
def admin_staff_unlock(member_id: int) -> Response:
    member = _member(member_id)
    signin.set_credentials(db.session(), current_member(), member, unlock=True, policy=policy())
    flash(_("ロックを解除しました。"), "status")
    return redirect(url_for("staff_web.admin_staff_member", member_id=member.id), 303)


@bp.get("/admin/staff/<int:member_id>/key")
@staff_required(*ADMINS)
def admin_staff_key_question(member_id: int) -> str:
    member = _member(member_id)
    lines = [_("今のキー（%(prefix)s…）は、すぐに使えなくなります。下で選ぶと、24時間は使えます。", prefix=member.key_prefix),
             _("新しいキーは一度だけ表示します。このキーを使うスクリプトなどに設定し直してください。")]
    if staff_accounts.previous_key_working(member, clock.now()):
        lines.append(_("前に残したキー（%(prefix)s…）は、すぐに使えなくなります。", prefix=member.previous_key_prefix))
    return confirm_page(Question(
        _("「%(name)s」の新しいAPIキーを発行しますか", name=member.name), lines,
        url_for("staff_web.admin_staff_key", member_id=member.id), _("新しいAPIキーを発行する"),
        url_for("staff_web.admin_staff_member", member_id=member.id),
        choices=(("keep_previous", _("今のキーを24時間使えるようにする（切り替えのあいだ）")),)))


@bp.post("/admin/staff/<int:member_id>/key")
@staff_required(*ADMINS)
def admin_staff_key(member_id: int) -> tuple[str, int]:
    member = _member(member_id)
    try:
        key = staff_accounts.renew_key(db.session(), current_member(), member, clock.now(),
                                       keep_previous=request.form.get("keep_previous") == "1")
    except SetupError:
        return _detail(member, 409, {"key": _("無効にした職員のAPIキーは発行できません。")})
    return render_template("staff/admin/access_shown_once.html", member=member, api_key=key, totp_uri=None, qr=None,
                           heading=_("新しいAPIキーを発行しました"), previous_until=member.previous_key_until,
                           **_context()), 200


@bp.get("/admin/staff/<int:member_id>/deactivate")
@staff_required(*ADMINS)
def admin_staff_deactivate_question(member_id: int) -> str:
    member = _member(member_id)
    back = url_for("staff_web.admin_staff_member", member_id=member.id)
    heading = _("「%(name)s」のアカウントを無効にしますか", name=member.name)
    if member.id == current_member().id:
        return refusal_page(heading, [_("自分のアカウントは無効にできません。")], back)
    if member.revoked_at is not None:
        return refusal_page(heading, [_("このアカウントはすでに無効です。")], back)
    return confirm_page(Question(heading, [
        _("ログインも、APIキー（%(prefix)s…）も、すぐに使えなくなります。", prefix=member.key_prefix),
        _("取り消せません。これまでの操作の記録は残ります。")],
        url_for("staff_web.admin_staff_deactivate", member_id=member.id), _("無効にする"), back))


@bp.post("/admin/staff/<int:member_id>/deactivate")
@staff_required(*ADMINS)
def admin_staff_deactivate(member_id: int) -> Response | tuple[str, int]:
    member = _member(member_id)
    if member.id == current_member().id:
        return _detail(member, 409, {"deactivate": _("自分のアカウントは無効にできません。")})
    setup.revoke_staff_key(db.session(), current_member(), member)
    flash(_("アカウントを無効にしました。APIキーも使えなくなりました。"), "status")
    return redirect(url_for("staff_web.admin_staff_member", member_id=member.id), 303)



from service.web.console import (  # noqa: E402,F401  (registers the other access pages on bp)
    admin_access_audit,
    admin_access_clients,
    admin_access_deliveries,
    admin_access_subscribers,
)
