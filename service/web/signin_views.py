"""The sign-in pages: ``/staff/login`` (login name and password, then the TOTP
code when the account has one, or ``/staff/login/enrol`` to set one up first
when the role or the setting needs one and the account has none),
``/staff/logout`` (POST), and ``/staff/account`` where the signed-in member
changes their password and second factor.

Failed attempts spend a budget per login name and per address
(``RATE_LIMIT_SIGNINS_PER_*``; past it, 429); the domain counts failures per
account and locks it (:mod:`service.domain.signin`). Each sign-in gives the
session a new id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import segno
from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from service import clock
from service.api.limits import Budget, address_key, admit, spend
from service.domain import signin
from service.extensions import db
from service.models import Staff
from service.web.console import bp
from service.web.signin import begin_second_step, load_staff, policy, safe_next, signed_in_staff, staff_required

# The password step is good for this long before the code must follow.
CODE_STEP_MINUTES = 5
# Setting up an authenticator app (installing it, perhaps) may take longer.
ENROL_STEP_MINUTES = 15
FIELD_MAX = 1024


def init_signin() -> None:
    """Put every staff page behind sign-in (once: the blueprint is shared by every app)."""
    if load_staff not in bp.before_request_funcs.get(None, []):
        bp.before_request(load_staff)


def _budgets(login: str) -> list[Budget]:
    account = hashlib.sha256(signin.normal_login(login).encode()).hexdigest()[:32]
    return [Budget("signin-account", "RATE_LIMIT_SIGNINS_PER_ACCOUNT", f"login:{account}"),
            Budget("signin-address", "RATE_LIMIT_SIGNINS_PER_ADDRESS", address_key())]


def _field(name: str) -> str:
    return request.form.get(name, "")[:FIELD_MAX]


REFUSALS = {
    "credentials": lambda: _("ログイン名またはパスワードが違います。"),
    "locked": lambda: _("このアカウントはロックされています。管理者に解除を依頼してください。"),
    "code": lambda: _("確認コードが違います。認証アプリに表示されている新しいコードを入力してください。"),
    "enrol_code": lambda: _("確認コードが違います。スマートフォンの時刻を確かめて、次のコードを入力してください。"),
}


def _refused(template: str, reason: str, **context: object) -> tuple[str, int]:
    return render_template(template, error=REFUSALS[reason](), **context), 401


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if signed_in_staff() is not None:
            return redirect(target)
        return render_template("staff/login.html", next=target)
    login_name, password = _field("login"), _field("password")
    budgets = _budgets(login_name)
    admit(budgets)
    try:
        member = signin.check_password(db.session(), login_name, password, clock.now(), policy())
    except signin.SigninRefused as refused:
        spend(budgets)
        return _refused("staff/login.html", refused.reason, next=target, login=login_name)
    if member.totp_secret or signin.needs_totp(member, policy()):
        # The password is right; the second factor follows (set up first when there is none yet).
        begin_second_step(member)
        step = "staff_web.login_code" if member.totp_secret else "staff_web.login_enrol"
        return redirect(url_for(step, next=target))
    return _complete(member, target)


def _pending(minutes: int = CODE_STEP_MINUTES) -> Staff | None:
    member_id, since = session.get("pending_staff_id"), session.get("pending_since")
    if not isinstance(member_id, int) or not isinstance(since, str):
        return None
    if clock.now() - datetime.fromisoformat(since) > timedelta(minutes=minutes):
        return None
    member = db.session.get(Staff, member_id)
    if member is None or member.revoked_at is not None or member.locked_at is not None:
        return None
    return member


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Response | str | tuple[str, int]:
    target = safe_next(request.values.get("next"))
    member = _pending()
    if member is None:
        flash(_("もう一度ログインしてください。"), "error")
        return redirect(url_for("staff_web.login", next=target))
    if request.method == "GET":
        return render_template("staff/login_code.html", next=target)
    budgets = _budgets(member.login or "")
    admit(budgets)
    try:
        signin.check_code(db.session(), member, _field("code"), clock.now(), policy())
    except signin.SigninRefused as refused:
        spend(budgets)
        return _refused("staff/login_code.html", refused.reason, next=target)
    return _complete(member, target)


@bp.route("/login/enrol", methods=["GET", "POST"])
def login_enrol() -> Response | str | tuple[str, int]:
    """Set up the second factor the account needs, right after the password; signed in once a code confirms it."""
    target = safe_next(request.values.get("next"))
    member = _pending(ENROL_STEP_MINUTES)
    if member is None or member.totp_secret:
        flash(_("もう一度ログインしてください。"), "error")
        return redirect(url_for("staff_web.login", next=target))
    setup = _totp_setup(member)
    if request.method == "GET":
        return render_template("staff/login_enrol.html", next=target, setup=setup)
    budgets = _budgets(member.login or "")
    admit(budgets)
    try:
        signin.enable_totp(db.session(), member, setup["secret"], _field("code"), clock.now())
    except signin.CredentialsError:
        db.session.rollback()
        spend(budgets)
        return render_template("staff/login_enrol.html", next=target, setup=setup, error=REFUSALS["enrol_code"]()), 400
    return _complete(member, target)


def _complete(member: Staff, target: str) -> Response:
    signin.signed_in(db.session(), member)
    session.clear()
    session["staff_id"] = member.id
    # A new id at sign-in: an id planted before it (session fixation) opens nothing.
    session.rotate()  # type: ignore[attr-defined]
    return redirect(target)


@bp.post("/logout")
def logout() -> Response:
    signin.signed_out(db.session(), g.staff)
    session.clear()
    flash(_("ログアウトしました。"), "status")
    return redirect(url_for("staff_web.login"))


def _totp_setup(member: Staff) -> dict[str, str]:
    """The secret being set up (kept in the session until a code confirms it), its URI and QR code (SVG)."""
    secret = session.get("totp_setup_secret")
    if not isinstance(secret, str):
        secret = session["totp_setup_secret"] = signin.new_totp_secret()
    uri = signin.totp_uri(member, secret)
    return {"secret": secret, "uri": uri, "qr": segno.make(uri, error="m").svg_data_uri(scale=4, border=2)}


def _account(error: str | None = None, status: int = 200) -> tuple[str, int]:
    setup = None if g.staff.totp_secret else _totp_setup(g.staff)
    return render_template("staff/account.html", setup=setup, error=error,
                           totp_required=signin.needs_totp(g.staff, policy()),
                           min_length=policy().password_min_length), status


@bp.get("/account")
@staff_required()
def account() -> tuple[str, int]:
    return _account()


@bp.post("/account/password")
@staff_required()
def account_password() -> Response | tuple[str, int]:
    new = _field("new_password")
    if new != _field("new_password_again"):
        return _account(_("新しいパスワードが2回とも同じになるように入力してください。"), 400)
    try:
        signin.change_password(db.session(), g.staff, _field("current_password"), new, clock.now(), policy())
    except signin.CredentialsError:
        db.session.rollback()
        return _account(_("現在のパスワードが違うか、新しいパスワードが短すぎます（{n}文字以上）。").format(
            n=policy().password_min_length), 400)
    flash(_("パスワードを変更しました。"), "status")
    return redirect(url_for("staff_web.account"))


@bp.post("/account/totp")
@staff_required()
def account_totp() -> Response | tuple[str, int]:
    secret = session.get("totp_setup_secret")
    if g.staff.totp_secret or not isinstance(secret, str):
        return redirect(url_for("staff_web.account"))
    try:
        signin.enable_totp(db.session(), g.staff, secret, _field("code"), clock.now())
    except signin.CredentialsError:
        db.session.rollback()
        return _account(_("確認コードが違います。スマートフォンの時刻を確かめて、次のコードを入力してください。"), 400)
    session.pop("totp_setup_secret", None)
    flash(_("二要素認証を設定しました。次回から確認コードも入力します。"), "status")
    return redirect(url_for("staff_web.account"))


@bp.post("/account/totp/remove")
@staff_required()
def account_totp_remove() -> Response | tuple[str, int]:
    try:
        signin.remove_totp(db.session(), g.staff, _field("current_password"), policy())
    except signin.CredentialsError:
        db.session.rollback()
        return _account(_("二要素認証を解除できませんでした。パスワードを確かめてください（管理者と課長は解除できません）。"), 400)
    flash(_("二要素認証を解除しました。"), "status")
    return redirect(url_for("staff_web.account"))
