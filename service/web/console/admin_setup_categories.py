"""Categories of the admin's jurisdiction (/staff/admin/categories): names, SLA days, the extra questions.

A category's page also lists, adds and changes its response templates (定型文).
Categories are never deleted (reports keep theirs): "受け付ける" off withdraws one
from residents. The same domain functions as the admin API's /categories and
/response-templates, so every change is validated, audited and committed the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from schemas.admin import DATATYPES, CategoryCreateSchema, CategoryPatchSchema
from schemas.response_template import ResponseTemplateCreateSchema, ResponseTemplatePatchSchema
from service.domain import admin as setup
from service.domain import languages
from service.domain import response_templates as templates
from service.domain import status as statuses
from service.extensions import db
from service.models import Category, ResponseTemplate, Staff
from service.web.console import bp
from service.web.console.admin import ADMINS, admin_page
from service.web.console.admin_confirm import Question, confirm_page
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
from service.web.locale import page_language
from service.web.signin import staff_required

FIELDS = (
    Field("code", _l("コード"), hint=_l("半角英小文字・数字・「_」「-」（例: road_damage）。後から変えられません。"), create_only=True),
    Field("name_ja", _l("名前（日本語）")),
    Field("name_en", _l("名前（英語）")),
    Field("description_ja", _l("説明（日本語）"), "textarea"),
    Field("description_en", _l("説明（英語）"), "textarea"),
    Field("group", _l("グループ"), hint=_l("住民の画面で、同じグループの種類がまとめて並びます（任意）。")),
    Field("keywords", _l("キーワード"), "lines", hint=_l("1行に一つ。住民が探すときの言葉です。")),
    Field("first_response_days", _l("初回対応の目標（営業日）"), "number"),
    Field("resolution_days", _l("解決の目標（営業日）"), "number"),
    Field("duplicate_radius_m", _l("重複とみなす距離（m）"), "number", hint=_l("空欄なら既定の距離です。")),
    Field("urgent", _l("急ぎの種類（住民にまず担当課への電話を示す）"), "checkbox"),
    Field("notice_ja", _l("住民へのお知らせ（日本語）"), "textarea", hint=_l("この種類を選んだ住民に、フォームの上で示します（任意）。")),
    Field("notice_en", _l("住民へのお知らせ（英語）"), "textarea"),
    Field("active", _l("住民から受け付ける"), "checkbox"),
)
# One extra question (Open311 attribute); its fields are named attributes-<n>-<name>.
ATTRIBUTE_FIELDS = (
    Field("code", _l("コード"), hint=_l("半角英小文字・数字・「_」「-」")),
    Field("datatype", _l("答え方"), "select"),
    Field("required", _l("回答を必須にする"), "checkbox"),
    Field("description_ja", _l("質問（日本語）")),
    Field("description_en", _l("質問（英語）")),
    Field("values", _l("選択肢"), "lines", hint=_l("選択式のときだけ。1行に「キー,日本語,英語」（例: small,小さい,Small）。")),
)
DATATYPE_LABELS = {"string": _l("短い文"), "number": _l("数"), "datetime": _l("日時"), "text": _l("長い文"),
                   "singlevaluelist": _l("一つ選ぶ"), "multivaluelist": _l("いくつでも選ぶ")}
TEMPLATE_FIELDS = (
    Field("title", _l("題名")),
    Field("status", _l("使う場面"), "select", hint=_l("この状態に変えるときに候補として出ます。")),
    Field("body_ja", _l("本文（日本語）"), "textarea"),
    Field("body_en", _l("本文（英語）"), "textarea"),
    Field("active", _l("候補に出す"), "checkbox"),
)
# The languages beyond Japanese and English, whose words live in the category's translations.
OTHER_LANGUAGES = tuple(code for code in languages.LANGUAGES if code not in ("ja", "en"))
# The words of a category given in each other language.
TRANSLATED = ("name", "description", "notice")
TRANSLATION_FIELDS = tuple(
    field for code in OTHER_LANGUAGES for field in (
        Field(f"translations-{code}-name", _l("名前（%(language)s）", language=languages.NAMES[code])),
        Field(f"translations-{code}-description", _l("説明（%(language)s）", language=languages.NAMES[code]), "textarea"),
        Field(f"translations-{code}-notice", _l("お知らせ（%(language)s）", language=languages.NAMES[code]), "textarea")))
MAX_ATTRIBUTES = 50
TEMPLATE = "staff/admin/setup_categories.html"
TEMPLATE_PAGE = "staff/admin/setup_template.html"

admin_page("staff_web.admin_categories", _l("通報の種類"), _l("種類の名前、対応の目標日数、追加の質問、定型文"), _l("自治体の設定"))


def _categories(admin: Staff) -> list[Category]:
    return list(db.session.scalars(select(Category).where(Category.jurisdiction_id == admin.jurisdiction_id)
                                   .order_by(Category.position, Category.id)))


def _attribute_rows(count: int) -> list[list[Field]]:
    choices = tuple((code, str(DATATYPE_LABELS[code])) for code in DATATYPES)
    return [[Field(f"attributes-{n}-{f.name}", f.label, f.kind, f.hint, choices if f.name == "datatype" else ())
             for f in ATTRIBUTE_FIELDS] for n in range(count)]


def _attribute_values(attributes: list[dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for n, attribute in enumerate(attributes):
        for f in ATTRIBUTE_FIELDS:
            value = attribute.get(f.name)
            if f.name == "values":
                value = "\n".join(f"{v['key']},{v['name_ja']},{v['name_en']}" for v in value or ())
            values[f"attributes-{n}-{f.name}"] = bool(value) if f.kind == "checkbox" else ("" if value is None else value)
    return values


def _posted_attributes(form: MultiDict[str, str], kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The extra questions as the API takes them; a row left empty is none, and other languages' words are kept."""
    out: list[dict[str, Any]] = []
    words = {a.get("code"): a.get("translations") for a in kept}
    for n in range(MAX_ATTRIBUTES + 1):
        key = f"attributes-{n}-"
        if not any(name.startswith(key) for name in form):
            continue
        row = {f.name: form.get(key + f.name, "").strip() for f in ATTRIBUTE_FIELDS}
        if not (row["code"] or row["description_ja"] or row["values"]):
            continue
        attribute: dict[str, Any] = {"code": row["code"], "datatype": row["datatype"], "required": key + "required" in form,
                                     "description_ja": row["description_ja"], "description_en": row["description_en"] or None,
                                     "values": [_choice(line) for line in row["values"].splitlines() if line.strip()]}
        if words.get(row["code"]):
            attribute["translations"] = words[row["code"]]
        out.append(attribute)
    return out


def _posted_translations(form: MultiDict[str, str]) -> dict[str, dict[str, str]]:
    """The category's words in the other languages as the API takes them; a language left empty is none."""
    out: dict[str, dict[str, str]] = {}
    for code in OTHER_LANGUAGES:
        words = {part: form.get(f"translations-{code}-{part}", "").strip() for part in TRANSLATED}
        if any(words.values()):
            out[code] = {part: text for part, text in words.items() if text}
    return out


def _translation_values(translations: dict[str, dict[str, str]] | None) -> dict[str, str]:
    return {f"translations-{code}-{part}": (translations or {}).get(code, {}).get(part) or ""
            for code in OTHER_LANGUAGES for part in TRANSLATED}


def _choice(line: str) -> dict[str, str]:
    parts = [p.strip() for p in line.replace("，", ",").split(",")]
    return dict(zip(("key", "name_ja", "name_en"), parts, strict=False))


def _typed_attributes(form: MultiDict[str, str], count: int) -> dict[str, Any]:
    return typed(form, [f for row in _attribute_rows(count) for f in row])


def _attribute_errors(errors: Errors) -> Errors:
    # An error inside a choice (attributes-0-values-2-key) is shown beside the choices' field.
    out: Errors = {}
    for key, messages in errors.items():
        # A translation's error (translations-ko-value-name) is shown beside its field (translations-ko-name).
        name = key.replace("-value-", "-")
        parts = name.split("-")
        out.setdefault("-".join(parts[:3]) if parts[0] == "attributes" and len(parts) > 3 else name, []).extend(messages)
    return out


def _posted_count(form: MultiDict[str, str]) -> int:
    rows = {name.split("-")[1] for name in form if name.startswith("attributes-") and name.count("-") >= 2}
    return min(len(rows), MAX_ATTRIBUTES + 1)


def _render(admin: Staff, *, editing: Category | None = None, values: dict[str, Any] | None = None,
            errors: Errors | None = None, status: int = 200, attribute_count: int | None = None,
            template_values: dict[str, Any] | None = None, template_errors: Errors | None = None) -> Response:
    fields = shown(FIELDS, editing is None)
    attributes = list(editing.attributes or []) if editing else []
    if values is None:
        values = ({**values_of(setup.category_snapshot(editing), fields), **_attribute_values(attributes),
                   **_translation_values(editing.translations)} if editing
                  else {"active": True, "first_response_days": "3", "resolution_days": "20"})
    count = attribute_count if attribute_count is not None else len(attributes) + 1
    rows = _attribute_rows(count)
    labels = {f.name: f.label for f in (*fields, *TRANSLATION_FIELDS)}
    for n, row in enumerate(rows):
        labels.update({f.name: _("追加の質問%(n)d: %(label)s", n=n + 1, label=f.label) for f in row})
    context: dict[str, Any] = {}
    if editing is not None:
        context = {"category_templates": [t for t in templates.listed(db.session(), admin.jurisdiction_id)
                                          if t.category_id == editing.id],
                   "template_fields": _template_fields(), "template_values": template_values or {"active": True},
                   "template_errors": template_errors or {}, "status_names": _status_names()}
    return page(TEMPLATE, status, categories=_categories(admin), editing=editing, fields=fields, values=values,
                translation_fields=TRANSLATION_FIELDS,
                errors=errors or {}, labels=labels, attribute_rows=rows, **context)


def _status_names() -> dict[str, str]:
    language = page_language()
    return {code: statuses.label(code, language) for code in statuses.STATUSES}


def _template_fields() -> list[Field]:
    choices = (("", _("いつでも（返信のみを含む）")), *_status_names().items())
    return [Field(f.name, f.label, f.kind, f.hint, choices if f.name == "status" else ()) for f in TEMPLATE_FIELDS]


@bp.get("/admin/categories")
@staff_required(*ADMINS)
def admin_categories() -> Response:
    return _render(current_admin())


@bp.post("/admin/categories")
@staff_required(*ADMINS)
def admin_category_create() -> Response:
    admin = current_admin()
    schema = CategoryCreateSchema()
    body = {**body_of(request.form, FIELDS, schema), "attributes": _posted_attributes(request.form, []),
            "translations": _posted_translations(request.form)}
    fields, errors = load(schema, body)
    status = 422
    if not errors:
        category, errors, status = attempt(lambda: setup.create_category(db.session(), admin, **fields),
                                           taken=_("このコードの種類はすでにあります。"), field="code")
        if category is not None:
            flash(_("種類「%(name)s」を追加しました。", name=category.name_ja), "info")
            return redirect(url_for("staff_web.admin_category", code=category.code), 303)
    return _again(admin, None, FIELDS, errors, status)


def _again(admin: Staff, editing: Category | None, fields: Iterable[Field], errors: Errors, status: int) -> Response:
    """The category form again with what was typed, the questions' rows included, and the errors beside them."""
    count = _posted_count(request.form)
    return _render(admin, editing=editing, values={**typed(request.form, (*fields, *TRANSLATION_FIELDS)),
                                                   **_typed_attributes(request.form, count)},
                   errors=_attribute_errors(errors), status=status, attribute_count=count)


@bp.get("/admin/categories/<string:code>")
@staff_required(*ADMINS)
def admin_category(code: str) -> Response:
    admin = current_admin()
    return _render(admin, editing=owned(Category, admin, code=code))


@bp.post("/admin/categories/<string:code>")
@staff_required(*ADMINS)
def admin_category_update(code: str) -> Response:
    admin = current_admin()
    category = owned(Category, admin, code=code)
    fields = shown(FIELDS, False)
    schema = CategoryPatchSchema()
    body = body_of(request.form, fields, schema)
    if any(name.startswith("translations-") for name in request.form):
        body["translations"] = _posted_translations(request.form)
    if _posted_count(request.form):
        # The page always sends the questions' rows; a form without any leaves the questions as they are.
        body["attributes"] = _posted_attributes(request.form, list(category.attributes or []))
    changes, errors = load(schema, body)
    if not errors:
        saved, errors, _status = attempt(lambda: setup.update_category(db.session(), admin, category, changes),
                                         field="resolution_days")
        if saved is not None:
            flash(_("種類「%(name)s」を保存しました。", name=category.name_ja), "info")
            return redirect(url_for("staff_web.admin_category", code=category.code), 303)
    return _again(admin, category, fields, errors, 422)


def _template_body(schema: Any) -> dict[str, Any]:
    return body_of(request.form, _template_fields(), schema)


@bp.post("/admin/categories/<string:code>/templates")
@staff_required(*ADMINS)
def admin_template_create(code: str) -> Response:
    admin = current_admin()
    category = owned(Category, admin, code=code)
    body, errors = load(ResponseTemplateCreateSchema(), _template_body(ResponseTemplateCreateSchema()))
    if not errors:
        created, errors, _status = attempt(lambda: templates.create(db.session(), admin, **{**body, "category": category.code}))
        if created is not None:
            flash(_("定型文「%(title)s」を追加しました。", title=body["title"]), "info")
            return redirect(url_for("staff_web.admin_category", code=category.code) + "#templates", 303)
    return _render(admin, editing=category, template_values=typed(request.form, _template_fields()),
                   template_errors=errors, status=422)


def _found_template(admin: Staff, category: Category, template_id: int) -> ResponseTemplate:
    return owned(ResponseTemplate, admin, id=template_id, category_id=category.id)


def _render_template_page(category: Category, template: ResponseTemplate, values: dict[str, Any] | None = None,
                          errors: Errors | None = None, status: int = 200) -> Response:
    fields = _template_fields()
    if values is None:
        values = values_of(templates.snapshot(template), fields)
    return page(TEMPLATE_PAGE, status, category=category, response_template=template, fields=fields, values=values,
                errors=errors or {}, labels={f.name: f.label for f in fields})


@bp.get("/admin/categories/<string:code>/templates/<int:template_id>")
@staff_required(*ADMINS)
def admin_template(code: str, template_id: int) -> Response:
    admin = current_admin()
    category = owned(Category, admin, code=code)
    return _render_template_page(category, _found_template(admin, category, template_id))


@bp.post("/admin/categories/<string:code>/templates/<int:template_id>")
@staff_required(*ADMINS)
def admin_template_update(code: str, template_id: int) -> Response:
    admin = current_admin()
    category = owned(Category, admin, code=code)
    template = _found_template(admin, category, template_id)
    changes, errors = load(ResponseTemplatePatchSchema(), _template_body(ResponseTemplatePatchSchema()))
    if not errors:
        saved, errors, _status = attempt(lambda: templates.update(db.session(), admin, template, changes))
        if saved is not None:
            flash(_("定型文「%(title)s」を保存しました。", title=template.title), "info")
            return redirect(url_for("staff_web.admin_category", code=category.code) + "#templates", 303)
    return _render_template_page(category, template, typed(request.form, _template_fields()), errors, 422)


@bp.get("/admin/categories/<string:code>/templates/<int:template_id>/delete")
@staff_required(*ADMINS)
def admin_template_delete_question(code: str, template_id: int) -> str:
    category = owned(Category, current_admin(), code=code)
    template = _found_template(current_admin(), category, template_id)
    return confirm_page(Question(_("定型文「%(title)s」を削除しますか", title=template.title),
                                 [_("種類「%(category)s」の定型文から外します。", category=category.name_ja),
                                  _("この定型文から書いた返信はそのまま残ります。"), _("削除は取り消せません。")],
                                 url_for("staff_web.admin_template_delete", code=code, template_id=template_id),
                                 _("この定型文を削除する"),
                                 url_for("staff_web.admin_template", code=code, template_id=template_id)))


@bp.post("/admin/categories/<string:code>/templates/<int:template_id>/delete")
@staff_required(*ADMINS)
def admin_template_delete(code: str, template_id: int) -> Response:
    admin = current_admin()
    category = owned(Category, admin, code=code)
    template = _found_template(admin, category, template_id)
    title = template.title
    templates.delete(db.session(), admin, template)
    flash(_("定型文「%(title)s」を削除しました。", title=title), "info")
    return redirect(url_for("staff_web.admin_category", code=category.code) + "#templates", 303)
