"""Departments (課) of the admin's jurisdiction: list, add, change, delete (/staff/admin/departments).

The same domain functions as the admin API's /departments (service/domain/admin.py),
so every change is validated, audited and committed the same way.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from schemas.admin import DepartmentCreateSchema, DepartmentPatchSchema
from service.domain import admin as setup
from service.extensions import db
from service.models import Department, Staff
from service.web.console import bp
from service.web.console.admin import ADMINS, admin_page
from service.web.console.admin_confirm import Question, confirm_page, refusal_page
from service.web.console.admin_setup_forms import (
    Errors,
    Field,
    attempt,
    body_of,
    current_admin,
    load,
    owned,
    page,
    shown,
    typed,
    values_of,
)
from service.web.signin import staff_required

FIELDS = (
    Field("code", _l("コード"), hint=_l("半角英小文字・数字・「_」「-」（例: road）。後から変えられません。"), create_only=True),
    Field("name_ja", _l("名前（日本語）")),
    Field("name_en", _l("名前（英語）")),
    Field("email", _l("連絡先メールアドレス"), "email", hint=_l("新しい通報の知らせが届きます。")),
    Field("webhook_url", _l("Webhook の URL"), "url", hint=_l("新しい通報を知らせる先のシステム（任意）。")),
    Field("phone", _l("電話番号"), hint=_l("急ぎの種類を選んだ住民に、まずこの番号へ電話するよう示します（例: 025-552-1511）。")),
    Field("fallback", _l("どのルールにも当たらない通報を受け持つ"), "checkbox", hint=_l("自治体で一つだけです。")),
    Field("active", _l("通報を受け付ける"), "checkbox"),
)
TEMPLATE = "staff/admin/setup_departments.html"

admin_page("staff_web.admin_departments", _l("課"), _l("課の名前と連絡先"), _l("自治体の設定"))


def _departments(admin: Staff) -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.jurisdiction_id == admin.jurisdiction_id)
                                   .order_by(Department.id)))


def _render(admin: Staff, *, editing: Department | None = None, values: dict | None = None, errors: Errors | None = None,
            status: int = 200) -> Response:
    fields = shown(FIELDS, editing is None)
    if values is None:
        values = values_of(setup.department_snapshot(editing), fields) if editing else {"active": True}
    return page(TEMPLATE, status, departments=_departments(admin), editing=editing, fields=fields, values=values,
                errors=errors or {}, labels={f.name: f.label for f in fields})


@bp.get("/admin/departments")
@staff_required(*ADMINS)
def admin_departments() -> Response:
    return _render(current_admin())


@bp.post("/admin/departments")
@staff_required(*ADMINS)
def admin_department_create() -> Response:
    admin = current_admin()
    schema = DepartmentCreateSchema()
    body, errors = load(schema, body_of(request.form, FIELDS, schema))
    status = 422
    if not errors:
        department, errors, status = attempt(lambda: setup.create_department(db.session(), admin, **body),
                                             taken=_("このコードの課はすでにあります。"), field="code")
        if department is not None:
            flash(_("課「%(name)s」を追加しました。", name=department.name_ja), "info")
            return redirect(url_for("staff_web.admin_departments"), 303)
    return _render(admin, values=typed(request.form, FIELDS), errors=errors, status=status)


@bp.get("/admin/departments/<string:code>")
@staff_required(*ADMINS)
def admin_department(code: str) -> Response:
    admin = current_admin()
    return _render(admin, editing=owned(Department, admin, code=code))


@bp.post("/admin/departments/<string:code>")
@staff_required(*ADMINS)
def admin_department_update(code: str) -> Response:
    admin = current_admin()
    department = owned(Department, admin, code=code)
    fields = shown(FIELDS, False)
    schema = DepartmentPatchSchema()
    changes, errors = load(schema, body_of(request.form, fields, schema))
    if errors:
        return _render(admin, editing=department, values=typed(request.form, fields), errors=errors, status=422)
    setup.update_department(db.session(), admin, department, changes)
    flash(_("課「%(name)s」を保存しました。", name=department.name_ja), "info")
    return redirect(url_for("staff_web.admin_departments"), 303)


@bp.get("/admin/departments/<string:code>/delete")
@staff_required(*ADMINS)
def admin_department_delete_question(code: str) -> str:
    department = owned(Department, current_admin(), code=code)
    uses = setup.department_uses(db.session(), department)
    back = url_for("staff_web.admin_department", code=code)
    heading = _("課「%(name)s」を削除しますか", name=department.name_ja)
    if any(uses.values()):
        return refusal_page(heading, [
            _("この課には、通報%(reports)d件・振り分けルール%(rules)d件・職員%(staff)d人があるため削除できません。",
              reports=uses["reports"], rules=uses["routing rules"], staff=uses["staff"]),
            _("受付をやめるには、「通報を受け付ける」を外して保存してください。")], back)
    if department.is_fallback:
        return refusal_page(heading, [
            _("この課は「どのルールにも当たらない通報」を受け持っているため削除できません。先に別の課に受け持たせてください。")], back)
    return confirm_page(Question(heading, [_("この課を使う通報・振り分けルール・職員はありません。"), _("削除は取り消せません。")],
                                 url_for("staff_web.admin_department_delete", code=code), _("この課を削除する"), back))


@bp.post("/admin/departments/<string:code>/delete")
@staff_required(*ADMINS)
def admin_department_delete(code: str) -> Response:
    admin = current_admin()
    department = owned(Department, admin, code=code)
    try:
        setup.delete_department(db.session(), admin, department)
    except setup.InUse as exc:
        db.session.rollback()
        reason = (_("この課は「どのルールにも当たらない通報」を受け持っているため削除できません。先に別の課に受け持たせてください。")
                  if department.is_fallback else
                  _("この課には通報・ルール・職員があるため削除できません。「通報を受け付ける」を外して受付を停止してください。"))
        return _render(admin, editing=department, errors={"_": [reason, str(exc)]}, status=409)
    flash(_("課「%(name)s」を削除しました。", name=department.name_ja), "info")
    return redirect(url_for("staff_web.admin_departments"), 303)
