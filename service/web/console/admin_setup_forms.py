"""The setup pages' forms: fields declared once, read from a posted form, checked by the admin API's schemas.

A page lists its fields as :class:`Field` rows; the template draws each row
(label, control, the errors beside it) and :func:`read` turns the posted form
into the body the API would receive and loads it with the same marshmallow
schema, so a page and the API accept and refuse the same things. A new model
field is one more row here, once the schema has it. Errors come back keyed by
field name, in Japanese where the message is one of the schemas' usual ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Response, abort, g, make_response, render_template
from flask_babel import LazyString
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from service.domain.admin import AlreadyExists
from service.domain.jurisdictions import SetupError
from service.extensions import db
from service.models import Staff
from service.web.console.admin import ADMINS

# Controls a field can be drawn as; "lines" is a list of strings, one a line.
KINDS = ("text", "email", "url", "number", "checkbox", "textarea", "select", "lines")

Errors = dict[str, list[str]]
T = TypeVar("T")
M = TypeVar("M")


@dataclass(frozen=True)
class Field:
    name: str
    label: LazyString | str
    kind: str = "text"
    hint: LazyString | str | None = None
    # For a select: (value, label) pairs, given when the form is drawn.
    choices: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # Shown only when a record is created (a code cannot change afterwards).
    create_only: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")


def current_admin() -> Staff:
    """The signed-in admin (sign-in's ``staff_required`` has let only admins through)."""
    staff = g.get("staff")
    if staff is None or staff.role not in ADMINS:
        abort(403)
    return staff


def owned(model: type[M], admin: Staff, **key: Any) -> M:
    """The row of ``model`` with ``key`` in the admin's own jurisdiction; 404 for none (or another's)."""
    row = db.session.scalar(select(model).filter_by(jurisdiction_id=admin.jurisdiction_id, **key))
    if row is None:
        abort(404)
    return row


def shown(fields: Iterable[Field], creating: bool) -> list[Field]:
    return [f for f in fields if creating or not f.create_only]


def values_of(record: Mapping[str, Any], fields: Iterable[Field]) -> dict[str, Any]:
    """A record's values as a form shows them (lists one a line)."""
    out: dict[str, Any] = {}
    for f in fields:
        value = record.get(f.name)
        if f.kind == "lines":
            out[f.name] = "\n".join(value or ())
        elif f.kind == "checkbox":
            out[f.name] = bool(value)
        else:
            out[f.name] = "" if value is None else str(value)
    return out


def typed(form: MultiDict[str, str], fields: Iterable[Field]) -> dict[str, Any]:
    """The posted values as typed, to show the form again."""
    return {f.name: (f.name in form) if f.kind == "checkbox" else form.get(f.name, "") for f in fields}


def body_of(form: MultiDict[str, str], fields: Iterable[Field], schema: Schema) -> dict[str, Any]:
    """The posted form as the API's JSON body: checkboxes as booleans, empty optional fields as null."""
    body: dict[str, Any] = {}
    for f in fields:
        if f.kind == "checkbox":
            body[f.name] = f.name in form
            continue
        raw = form.get(f.name, "").strip()
        if f.kind == "lines":
            body[f.name] = [line.strip() for line in raw.splitlines() if line.strip()]
            continue
        declared = schema.fields.get(f.name)
        if raw == "":
            if declared is not None and declared.required:
                continue
            body[f.name] = None if declared is None or declared.allow_none or f.kind == "number" else ""
            continue
        if f.kind == "number":
            body[f.name] = int(raw) if re.fullmatch(r"-?\d{1,9}", raw) else raw
        else:
            body[f.name] = raw
    return body


def load(schema: Schema, body: dict[str, Any]) -> tuple[dict[str, Any], Errors]:
    """The body as the schema loads it, or the errors keyed by field (``attributes-0-code`` for nested ones)."""
    try:
        return schema.load(body), {}
    except ValidationError as exc:
        return {}, flatten(exc.normalized_messages())


def flatten(messages: Any, prefix: str = "") -> Errors:
    out: Errors = {}
    if isinstance(messages, dict):
        for key, inner in messages.items():
            name = "_" if key == "_schema" else str(key)
            for k, v in flatten(inner, f"{prefix}-{name}" if prefix else name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "_"] = [japanese(m) for m in messages]
    elif isinstance(messages, list):
        for inner in messages:
            for k, v in flatten(inner, prefix).items():
                out.setdefault(k, []).extend(v)
    else:
        out[prefix or "_"] = [japanese(str(messages))]
    return out


def japanese(message: str) -> str:
    """The schemas' usual English messages in the console's words; any other message as it is."""
    if message in ("Missing data for required field.", "Field may not be null."):
        return _("入力してください。")
    if message.startswith("1–50 lower-case letters"):
        return _("半角の英小文字・数字・「_」「-」で50文字まで、英小文字か数字で始めてください。")
    if message == "Not a valid integer.":
        return _("整数で入力してください。")
    if message == "Not a valid number.":
        return _("数で入力してください。")
    if message == "Not a valid email address.":
        return _("メールアドレスの形式が正しくありません。")
    if message == "Not a valid URL.":
        return _("http:// か https:// で始まるURLを入力してください。")
    if message == "Resolution cannot come before the first response.":
        return _("解決の目標日数は、初回対応の目標日数以上にしてください。")
    if message == "Unknown field.":
        return _("この項目は受け付けていません。")
    if message == "Must be one of: " or message.startswith("Must be one of:"):
        return _("選択肢から選んでください。")
    found = re.fullmatch(r"Length must be between (\d+) and (\d+)\.", message)
    if found:
        return _("%(low)s〜%(high)s文字で入力してください。", low=found.group(1), high=found.group(2))
    found = re.fullmatch(r"Longer than maximum length (\d+)\.", message)
    if found:
        return _("%(high)s文字以内で入力してください。", high=found.group(1))
    found = re.fullmatch(r"Must be greater than or equal to ([\d.]+) and less than or equal to ([\d.]+)\.", message)
    if found:
        return _("%(low)s〜%(high)sの数を入力してください。", low=found.group(1), high=found.group(2))
    return message


def page(template_name: str, status: int = 200, **context: Any) -> Response:
    """A setup page; a refused form answers 422 (or the given status) with the form again."""
    return make_response(render_template(template_name, **context), status)


def attempt(change: Callable[[], T], *, taken: str = "", field: str = "_") -> tuple[T | None, Errors, int]:
    """Run a domain change: (its result, no errors, 200), or (None, the error beside ``field``, 409 or 422).

    A taken code (AlreadyExists) is shown beside ``code`` as ``taken``; any other
    refusal beside the field it names (``exc.field``), else beside ``field``. The
    domain functions roll back what they began, and so does this, once more.
    """
    try:
        return change(), {}, 200
    except AlreadyExists:
        db.session.rollback()
        return None, {"code": [taken]}, 409
    except SetupError as exc:
        db.session.rollback()
        return None, {getattr(exc, "field", field): [str(exc)]}, 422
