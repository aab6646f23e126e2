"""The report form: a posted form turned into the resident API's report fields, sent
through the same intake (:func:`service.domain.intake.submit_report`).

Every refusal becomes a message beside its field, in the page's language, and
nothing is written. The page's own Idempotency-Key (a hidden field made when
the form was shown) is scoped to the client's address, as the API scopes a key
sent without a device, so a double tap or a reload answers the same report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict

from schemas.report import ReportCreateSchema, ReporterSchema
from service import clock
from service.api.body import FormFields
from service.api.limits import client_address
from service.domain import characters
from service.domain.idempotency import IdempotencyKey
from service.domain.intake import (
    IdempotencyConflict,
    IntakeResult,
    InvalidAttributes,
    MissingLocation,
    OutsideCoverage,
    UnknownCategory,
    UploadedPhoto,
    submit_report,
)
from service.photos.inspect import PhotoRejected, inspect_photo
from service.pipeline import pipeline_for
from service.web.locale import page_language

FIELDS = ReportCreateSchema()
ATTRIBUTE_PREFIX = "attr."
# The reporter's opt-in for e-mail updates, taken where the intake schema knows it.
TAKES_EMAIL_UPDATES = "email_updates" in ReporterSchema().fields
IDEMPOTENCY_KEY = re.compile(r"^[ -~]{1,255}$")
# Fields in the order the form shows them, so the error summary follows the page.
ORDER = ("category", "attributes", "photos", "lat", "address_hint", "description", "reporter_email", "reporter_phone",
         "reporter_name")


@dataclass
class ReportForm:
    """What the resident entered (to show again) and the errors beside each field."""

    values: dict[str, str]
    answers: dict[str, str | list[str]]
    photos: list[FileStorage]
    idempotency_key: str | None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, form: MultiDict[str, str], files: MultiDict[str, FileStorage]) -> ReportForm:
        names = ("category", "description", "lat", "lon", "address_hint", "reporter_name", "reporter_email",
                 "reporter_phone", "email_updates")
        values = {name: form.get(name, "").strip() for name in names}
        answers: dict[str, str | list[str]] = {}
        for name in form:
            if name.startswith(ATTRIBUTE_PREFIX):
                given = [v for v in form.getlist(name) if v.strip()]
                answers[name[len(ATTRIBUTE_PREFIX):]] = given if len(given) > 1 else (given[0].strip() if given else "")
        photos = [f for f in files.getlist("photos") if f.filename]
        return cls(values=values, answers=answers, photos=photos, idempotency_key=form.get("idempotency_key") or None)

    def ordered_errors(self) -> list[tuple[str, str]]:
        return sorted(self.errors.items(), key=lambda item: ORDER.index(item[0]) if item[0] in ORDER else len(ORDER))

    def fields(self) -> FormFields:
        """The resident API's report fields (form text, converted by the schema as a multipart form's)."""
        v = self.values
        fields = FormFields(category=v["category"], description=v["description"])
        if v["lat"] or v["lon"]:
            fields.update(lat=v["lat"], lon=v["lon"])
        if v["address_hint"]:
            fields["address_hint"] = v["address_hint"]
        reporter: dict[str, str | bool] = {key: v[f"reporter_{key}"] for key in ("name", "email", "phone") if v[f"reporter_{key}"]}
        if TAKES_EMAIL_UPDATES and reporter.get("email"):
            reporter["email_updates"] = v["email_updates"] == "yes"
        if reporter:
            fields["reporter"] = reporter
        answers = {code: answer for code, answer in self.answers.items() if answer not in ("", [])}
        if answers:
            fields["attributes"] = answers
        return fields


def send(session: Session, form: ReportForm) -> IntakeResult | None:
    """The stored (or replayed) report, or None with ``form.errors`` saying why not."""
    raw = form.fields()
    refused = characters.refused_in(dict(raw))
    if refused:
        form.errors.update({_form_field(name): _("使えない文字が含まれています。") for name in refused})
        return None
    try:
        fields = FIELDS.load(raw)
    except ValidationError as exc:
        form.errors.update(_schema_errors(exc.normalized_messages()))
    photos = _photos(form)
    if form.idempotency_key is not None and not IDEMPOTENCY_KEY.match(form.idempotency_key):
        form.idempotency_key = None
    if form.errors:
        return None
    key = IdempotencyKey(form.idempotency_key, "address", client_address()) if form.idempotency_key else None
    app = current_app
    try:
        return submit_report(session, app.extensions["photo_store"], fields=fields, photos=photos, idempotency_key=key,
                             secret=app.config["SECRET_KEY"], locate=pipeline_for(app).locate,
                             year_end_break=app.config["YEAR_END_BREAK"], source="web", now=clock.now(),
                             # The reporter's mail is written in the language of the page they sent it from.
                             language=page_language())
    except MissingLocation:
        form.errors["lat"] = _("場所を指定してください。地図で位置を選ぶか、緯度・経度か住所を入力してください。")
    except OutsideCoverage:
        form.errors["lat"] = _("この場所は受付対象の区域外です。お手数ですが、該当する自治体へ直接ご連絡ください。")
    except UnknownCategory:
        form.errors["category"] = _("この場所では選べない種類です。別の種類を選んでください。")
    except InvalidAttributes as exc:
        form.errors["attributes"] = _("質問「%(code)s」への回答を確かめてください。", code=exc.code)
    except IdempotencyConflict:
        form.errors["description"] = _("このフォームは送信済みです。ページを読み込み直してから送信してください。")
    return None


def _photos(form: ReportForm) -> list[UploadedPhoto]:
    config = current_app.config
    if len(form.photos) > config["MAX_PHOTOS"]:
        form.errors["photos"] = _("写真は%(count)d枚までです。", count=config["MAX_PHOTOS"])
        return []
    photos = []
    for upload in form.photos:
        data = upload.read()
        if len(data) > config["MAX_PHOTO_BYTES"]:
            form.errors["photos"] = _("写真が大きすぎます（%(mb)d MBまで）。", mb=config["MAX_PHOTO_BYTES"] // (1024 * 1024))
            return []
        try:
            photos.append(UploadedPhoto(data=data, info=inspect_photo(data, max_pixels=config["MAX_IMAGE_PIXELS"])))
        except PhotoRejected:
            form.errors["photos"] = _("この写真は受け付けられません。JPEG・PNG・HEICの写真を選んでください。")
            return []
    return photos


def _schema_errors(messages: dict[str, Any]) -> dict[str, str]:
    """The intake schema's refusals as messages beside the form's fields."""
    words = {
        "category": _("種類を選んでください。"),
        "description": _("内容を入力してください（4000文字まで）。"),
        "lat": _("緯度・経度を正しく入力してください（例: 35.65 と 139.78）。"),
        "lon": _("緯度・経度を正しく入力してください（例: 35.65 と 139.78）。"),
        "address_hint": _("住所は500文字までです。"),
        "attributes": _("質問への回答を確かめてください。"),
        "reporter.email": _("メールアドレスの形式が正しくありません。"),
        "reporter.phone": _("電話番号は数字と + - ( ) で入力してください。"),
        "reporter.name": _("お名前は200文字までです。"),
    }
    errors: dict[str, str] = {}
    for name, message in messages.items():
        nested = message if name == "reporter" and isinstance(message, dict) else {None: message}
        for inner in nested:
            key = f"{name}.{inner}" if inner else name
            errors[_form_field(key)] = words.get(key, _("入力内容を確かめてください。"))
    return errors


def _form_field(name: str) -> str:
    """The form field that shows an error of the API field ``name``."""
    if name.startswith("reporter."):
        return "reporter_" + name.split(".")[1]
    if name.startswith("attributes"):
        return "attributes"
    return "lat" if name == "lon" else name
