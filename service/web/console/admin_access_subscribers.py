"""Subscribers (``/staff/admin/subscribers``): webhooks, the push gateway and e-mail told about reports.

The form is checked by the API's own schemas and saved by the same domain
functions, so the outbound policy refuses a private address here exactly as
over the API; its refusal is shown beside the address field. A webhook's HMAC
secret is shown once, on the answer to the form that made it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from schemas.notification import EVENT_TYPES, KINDS, SubscriberCreateSchema, SubscriberPatchSchema
from service.domain import outbound
from service.domain import subscribers as manage
from service.extensions import db
from service.models import Subscriber
from service.web.console import bp
from service.web.console.admin import ADMINS, admin_page
from service.web.console.admin_access_forms import PAGE_SIZE, department_label, departments, page_number, page_url, pages
from service.web.console.admin_confirm import Question, confirm_page
from service.web.console.member import current_member
from service.web.signin import staff_required

admin_page("staff_web.admin_subscribers", _l("通知先"), _l("Webhook、プッシュ通知、メールの通知先"), _l("利用者と接続"))

KIND_LABELS = {"department_webhook": _l("Webhook"), "push_gateway": _l("プッシュ通知ゲートウェイ"), "email": _l("メール")}
EVENT_LABELS = {"report.received": _l("受付"), "report.routed": _l("担当課の決定"), "report.status_changed": _l("状態の変更"),
                "report.replied": _l("返信"), "report.resolved": _l("対応完了"), "report.rating_requested": _l("評価の依頼"),
                "report.rated": _l("評価"), "report.reopened": _l("再対応"), "report.overdue": _l("期限超過")}
FIELD_MESSAGES = {"kind": _l("種類を選んでください。"), "name": _l("名前を200文字以内で入力してください。"),
                  "department": _l("この課はありません。"),
                  "url": _l("http:// または https:// で始まるURLを入力してください（Webhookとプッシュ通知では必須）。"),
                  "email": _l("メールアドレスを正しく入力してください（メールでは必須）。"),
                  "event_types": _l("知らせる出来事を選んでください。")}


def _owned(subscriber_id: int) -> Subscriber:
    found = manage.find(db.session(), current_member().jurisdiction_id, subscriber_id)
    if found is None:
        raise NotFound()
    return found


def _typed() -> dict[str, Any]:
    """The form as the API's schemas take it: empty fields as null, no event chosen as every event."""
    text = {name: request.form.get(name, "").strip() for name in ("kind", "name", "department", "url", "email")}
    events = request.form.getlist("event_types")
    return {**{name: value or None for name, value in text.items()}, "event_types": events or None,
            "active": request.form.get("active") == "on"}


def _form_page(form: dict[str, Any], errors: dict[str, str], status: int, subscriber: Subscriber | None = None) -> tuple[str, int]:
    return render_template("staff/admin/access_subscriber_form.html", form=form, errors=errors, subscriber=subscriber,
                           kinds=KINDS, kind_labels=KIND_LABELS, event_types=EVENT_TYPES, event_labels=EVENT_LABELS,
                           departments=departments(), department_label=department_label), status


def _refusal(exc: manage.SubscriberError) -> dict[str, str]:
    db.session.rollback()
    if exc.field == "url":
        return {"url": _("このURLには送れません。送り先は公開されたアドレスに限られます（内部のアドレスは運用者の設定で許可したものだけ）。")}
    return {exc.field: str(FIELD_MESSAGES.get(exc.field, exc))}


def _schema_errors(exc: ValidationError) -> dict[str, str]:
    messages = exc.normalized_messages()
    return {name: str(FIELD_MESSAGES.get(name, _("入力内容を確認してください。"))) for name in messages}


@bp.get("/admin/subscribers")
@staff_required(*ADMINS)
def admin_subscribers() -> str:
    admin, page = current_member(), page_number()
    rows, total = manage.subscriber_page(db.session(), admin.jurisdiction_id, page=page, page_size=PAGE_SIZE)
    return render_template("staff/admin/access_subscribers.html", subscribers=[manage.snapshot(db.session(), s) for s in rows],
                           departments={d.code: department_label(d) for d in departments()},
                           total=total, page=page, pages=pages(total), kind_labels=KIND_LABELS,
                           event_labels=EVENT_LABELS, page_url=page_url("staff_web.admin_subscribers"))


@bp.get("/admin/subscribers/new")
@staff_required(*ADMINS)
def admin_subscribers_new() -> tuple[str, int]:
    return _form_page({"kind": "department_webhook", "active": True}, {}, 200)


@bp.post("/admin/subscribers")
@staff_required(*ADMINS)
def admin_subscribers_create() -> tuple[str, int]:
    form = _typed()
    try:
        body = SubscriberCreateSchema().load(form)
    except ValidationError as exc:
        return _form_page(form, _schema_errors(exc), 422)
    try:
        subscriber, secret = manage.create_subscriber(db.session(), current_member(),
                                                      policy=outbound.configured(current_app.config), **body)
    except manage.SubscriberError as exc:
        return _form_page(form, _refusal(exc), 422)
    return render_template("staff/admin/access_subscriber_created.html", subscriber=subscriber, secret=secret), 201


@bp.get("/admin/subscribers/<int:subscriber_id>")
@staff_required(*ADMINS)
def admin_subscriber(subscriber_id: int) -> tuple[str, int]:
    subscriber = _owned(subscriber_id)
    return _form_page(manage.snapshot(db.session(), subscriber), {}, 200, subscriber)


@bp.post("/admin/subscribers/<int:subscriber_id>")
@staff_required(*ADMINS)
def admin_subscriber_update(subscriber_id: int) -> Response | tuple[str, int]:
    subscriber = _owned(subscriber_id)
    form = {**_typed(), "kind": subscriber.kind}
    changes = {name: value for name, value in form.items() if name != "kind"}
    try:
        changes = SubscriberPatchSchema().load(changes)
    except ValidationError as exc:
        return _form_page(form, _schema_errors(exc), 422, subscriber)
    try:
        manage.update_subscriber(db.session(), current_member(), subscriber, changes, outbound.configured(current_app.config))
    except manage.SubscriberError as exc:
        return _form_page(form, _refusal(exc), 422, subscriber)
    flash(_("「%(name)s」を保存しました。", name=subscriber.name), "status")
    return redirect(url_for("staff_web.admin_subscribers"), 303)


@bp.get("/admin/subscribers/<int:subscriber_id>/active")
@staff_required(*ADMINS)
def admin_subscriber_stop_question(subscriber_id: int) -> str:
    subscriber = _owned(subscriber_id)
    return confirm_page(Question(_("「%(name)s」への通知を止めますか", name=subscriber.name), [
        _("止めている間に起きた出来事は、この通知先には送りません。"), _("「再開する」で、また送るようになります。")],
        url_for("staff_web.admin_subscriber_active", subscriber_id=subscriber.id), _("通知を止める"),
        url_for("staff_web.admin_subscribers")))


@bp.post("/admin/subscribers/<int:subscriber_id>/active")
@staff_required(*ADMINS)
def admin_subscriber_active(subscriber_id: int) -> Response:
    subscriber = _owned(subscriber_id)
    active = request.form.get("active") == "on"
    manage.update_subscriber(db.session(), current_member(), subscriber, {"active": active})
    flash(_("「%(name)s」への通知を再開しました。", name=subscriber.name) if active
          else _("「%(name)s」への通知を止めました。", name=subscriber.name), "status")
    return redirect(url_for("staff_web.admin_subscribers"), 303)
