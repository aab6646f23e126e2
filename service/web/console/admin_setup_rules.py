"""Routing rules of the admin's jurisdiction (/staff/admin/rules) and the explain tool beside them.

Rules are added, changed (category, area, department and priority) and
deleted through service/domain/admin.py, as the admin API does. The explain form
asks :func:`service.domain.route_explanation.explain`, the function behind
``machikoe routing explain`` and the one processing routes reports with, so what
the page says is what a report at that point would get.
"""

from __future__ import annotations

import math
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from schemas.admin import RuleCreateSchema
from service.domain import admin as setup
from service.domain.route_explanation import Explanation, explain
from service.extensions import db
from service.models import Area, Category, Department, Jurisdiction, RoutingRule, Staff
from service.web.console import bp
from service.web.console.admin import ADMINS, admin_page
from service.web.console.admin_confirm import Question, confirm_page
from service.web.console.admin_setup_forms import Errors, Field, attempt, body_of, current_admin, load, owned, page, typed
from service.web.signin import staff_required

TEMPLATE = "staff/admin/setup_rules.html"
WHY = {"chosen": _l("このルールで決まります"), "matches, but another rule wins": _l("当てはまるが、優先するルールがあります"),
       "other category": _l("種類が違います"), "the point is outside its area": _l("地点が区域の外です")}

admin_page("staff_web.admin_rules", _l("振り分けルール"), _l("通報を受け持つ課の決め方と、その確認"), _l("自治体の設定"))


def _choices(admin: Staff) -> dict[str, tuple[tuple[str, str], ...]]:
    jid = admin.jurisdiction_id
    departments = db.session.scalars(select(Department).where(Department.jurisdiction_id == jid).order_by(Department.id))
    categories = db.session.scalars(select(Category).where(Category.jurisdiction_id == jid)
                                    .order_by(Category.position, Category.id))
    areas = db.session.scalars(select(Area).where(Area.jurisdiction_id == jid).order_by(Area.layer, Area.code))
    return {"department": tuple((d.code, f"{d.name_ja}（{d.code}）") for d in departments),
            "category": (("", _("すべての種類")), *((c.code, f"{c.name_ja}（{c.code}）") for c in categories)),
            "area": (("", _("どこでも")), *((f"{a.layer}:{a.code}", f"{a.name_ja}（{a.layer}:{a.code}）") for a in areas))}


def _fields(admin: Staff) -> list[Field]:
    choices = _choices(admin)
    return [Field("category", _l("通報の種類"), "select", choices=choices["category"]),
              Field("area", _l("区域"), "select", hint=_l("区域は「区域」の画面で取り込みます。"), choices=choices["area"]),
              Field("department", _l("受け持つ課"), "select", choices=choices["department"]),
              Field("priority", _l("優先度"), "number", hint=_l("小さい数ほど優先します。同じ数なら、種類と区域の両方を指定したルールが優先します。"))]


def _rules(admin: Staff) -> list[dict[str, Any]]:
    query = (select(RoutingRule).where(RoutingRule.jurisdiction_id == admin.jurisdiction_id)
             .order_by(RoutingRule.priority, RoutingRule.id))
    return [setup.rule_snapshot(db.session(), r) for r in db.session.scalars(query)]


def _names(admin: Staff) -> dict[str, dict[str, str]]:
    return {kind: dict(pairs) for kind, pairs in _choices(admin).items()}


def _render(admin: Staff, *, editing: RoutingRule | None = None, values: dict[str, Any] | None = None,
            errors: Errors | None = None, status: int = 200) -> Response:
    fields = _fields(admin)
    if values is None:
        values = ({k: str(v or "") for k, v in setup.rule_snapshot(db.session(), editing).items()} if editing
                  else {"priority": "100"})
    asked, explained, explain_errors = _explained(admin)
    # htmx swaps in only a 2xx answer, so the explain form's errors come back as 200 to it.
    refused = explain_errors and status == 200 and "HX-Request" not in request.headers
    return page(TEMPLATE, 422 if refused else status, rules=_rules(admin), names=_names(admin),
                editing=editing, fields=fields, values=values, errors=errors or {},
                labels={f.name: f.label for f in fields}, asked=asked, explained=explained,
                explain_errors=explain_errors, why=WHY, categories=_choices(admin)["category"][1:],
                own=_own_code(admin))


def _own_code(admin: Staff) -> str:
    return db.session.get_one(Jurisdiction, admin.jurisdiction_id).code


def _coordinate(raw: str, low: float, high: float) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def _explained(admin: Staff) -> tuple[dict[str, str], Explanation | None, Errors]:
    """The explain form's values, the explanation (when asked and valid) and the errors beside its fields."""
    asked = {name: request.args.get(name, "").strip() for name in ("lat", "lon", "category")}
    if not any(asked.values()):
        return asked, None, {}
    errors: Errors = {}
    lat = _coordinate(asked["lat"], -90, 90)
    lon = _coordinate(asked["lon"], -180, 180)
    if lat is None:
        errors["lat"] = [_("緯度は -90〜90 の数で入力してください（例: 35.65）。")]
    if lon is None:
        errors["lon"] = [_("経度は -180〜180 の数で入力してください（例: 139.78）。")]
    if not asked["category"]:
        errors["category"] = [_("種類を選んでください。")]
    if errors or lat is None or lon is None:
        return asked, None, errors
    return asked, explain(db.session(), lat=lat, lon=lon, category=asked["category"]), {}


@bp.get("/admin/rules")
@staff_required(*ADMINS)
def admin_rules() -> Response:
    return _render(current_admin())


@bp.post("/admin/rules")
@staff_required(*ADMINS)
def admin_rule_create() -> Response:
    admin = current_admin()
    fields = _fields(admin)
    schema = RuleCreateSchema()
    body, errors = load(schema, body_of(request.form, fields, schema))
    if not errors:
        rule, errors, _status = attempt(lambda: setup.create_rule(db.session(), admin, **body), field="department")
        if rule is not None:
            flash(_("ルール #%(id)d を追加しました。", id=rule.id), "info")
            return redirect(url_for("staff_web.admin_rules"), 303)
    return _render(admin, values=typed(request.form, fields), errors=errors, status=422)


@bp.get("/admin/rules/<int:rule_id>")
@staff_required(*ADMINS)
def admin_rule(rule_id: int) -> Response:
    admin = current_admin()
    return _render(admin, editing=owned(RoutingRule, admin, id=rule_id))


@bp.post("/admin/rules/<int:rule_id>")
@staff_required(*ADMINS)
def admin_rule_update(rule_id: int) -> Response:
    admin = current_admin()
    rule = owned(RoutingRule, admin, id=rule_id)
    fields = _fields(admin)
    schema = RuleCreateSchema()
    body, errors = load(schema, body_of(request.form, fields, schema))
    if not errors:
        saved, errors, _status = attempt(lambda: setup.update_rule(db.session(), admin, rule, **body), field="department")
        if saved is not None:
            flash(_("ルール #%(id)d を保存しました。", id=rule.id), "info")
            return redirect(url_for("staff_web.admin_rules"), 303)
    return _render(admin, editing=rule, values=typed(request.form, fields), errors=errors, status=422)


@bp.get("/admin/rules/<int:rule_id>/delete")
@staff_required(*ADMINS)
def admin_rule_delete_question(rule_id: int) -> str:
    admin = current_admin()
    rule = setup.rule_snapshot(db.session(), owned(RoutingRule, admin, id=rule_id))
    names = _names(admin)
    what = _("種類「%(category)s」・区域「%(area)s」の通報を「%(department)s」に届けるルールです。",
             category=names["category"].get(rule["category"], rule["category"]) if rule["category"] else _("すべての種類"),
             area=names["area"].get(rule["area"], rule["area"]) if rule["area"] else _("どこでも"),
             department=names["department"].get(rule["department"], rule["department"]))
    return confirm_page(Question(_("ルール #%(id)d を削除しますか", id=rule_id),
                                 [what, _("これまでに振り分けた通報の課は変わりません。これからの通報は、残るルールで振り分けます。")],
                                 url_for("staff_web.admin_rule_delete", rule_id=rule_id), _("このルールを削除する"),
                                 url_for("staff_web.admin_rule", rule_id=rule_id)))


@bp.post("/admin/rules/<int:rule_id>/delete")
@staff_required(*ADMINS)
def admin_rule_delete(rule_id: int) -> Response:
    admin = current_admin()
    rule = owned(RoutingRule, admin, id=rule_id)
    number = rule.id
    setup.delete_rule(db.session(), admin, rule)
    flash(_("ルール #%(id)d を削除しました。これまでに振り分けた通報の課は変わりません。", id=number), "info")
    return redirect(url_for("staff_web.admin_rules"), 303)
