"""A person's data as an admin asks for it and receives it (開示・訂正・利用停止), and the purge's answer."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import StrictSchema

# The identity kinds of service/privacy/personal_data.py; schemas import no
# service code, and tests/privacy checks that the two lists agree.
IDENTITY_KINDS = ("email", "phone", "device_id", "line_id")


class PersonSchema(StrictSchema):
    """One person, by one identity; sent in a body so it never lands in a URL or an access log."""

    by = fields.String(required=True, validate=validate.OneOf(IDENTITY_KINDS), metadata={"example": "email"})
    value = fields.String(required=True, validate=validate.Length(min=1, max=254), metadata={"example": "taro@example.jp"})


class ExportSchema(PersonSchema):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class CorrectionSchema(StrictSchema):
    name = fields.String(allow_none=True, validate=validate.Length(max=200), data_key="reporter_name")
    email = fields.Email(allow_none=True, validate=validate.Length(max=254), data_key="reporter_email")
    phone = fields.String(allow_none=True, validate=validate.Length(max=50), data_key="reporter_phone")


class CorrectSchema(PersonSchema):
    changes = fields.Nested(CorrectionSchema, required=True)


class HoldingsSchema(Schema):
    """Everything held about the person, section by section."""

    identity = fields.Dict()
    reports = fields.List(fields.Dict())
    ratings = fields.List(fields.Dict())
    line_users = fields.List(fields.Dict())
    line_events = fields.List(fields.Dict())
    line_pushes = fields.List(fields.Dict())
    followers = fields.List(fields.Dict())
    idempotency_keys = fields.List(fields.Dict())
    outbox = fields.List(fields.Dict())
    audit = fields.List(fields.Dict())


class CorrectedSchema(Schema):
    reports = fields.List(fields.String())
    fields_ = fields.List(fields.String(), data_key="fields")


class ErasedSchema(Schema):
    reports = fields.List(fields.String())
    originals_deleted = fields.Integer()
    line_users_deleted = fields.Integer()
    followers_deleted = fields.Integer()
