"""Response templates (定型文) as admins send and staff see them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.admin import CODE, translations_field
from schemas.common import Flag, PatchSchema, StrictSchema
from service.domain.status import STATUSES

BODY = validate.Length(min=1, max=4000)
STATUS = validate.OneOf(list(STATUSES))


class TemplateWordsSchema(StrictSchema):
    body = fields.String(validate=BODY)


class ResponseTemplateCreateSchema(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "道路を補修しました"})
    body_ja = fields.String(required=True, validate=BODY)
    body_en = fields.String(allow_none=True, validate=BODY)
    translations = translations_field(TemplateWordsSchema)
    category = fields.String(allow_none=True, validate=CODE, metadata={"description": "a category code; null: every category"})
    status = fields.String(allow_none=True, validate=STATUS, metadata={"description": "the target status; null: any, and replies"})
    position = fields.Integer(validate=validate.Range(min=0, max=100_000))
    active = Flag(load_default=True)


class ResponseTemplatePatchSchema(PatchSchema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    body_ja = fields.String(validate=BODY)
    body_en = fields.String(allow_none=True, validate=BODY)
    translations = translations_field(TemplateWordsSchema)
    category = fields.String(allow_none=True, validate=CODE)
    status = fields.String(allow_none=True, validate=STATUS)
    position = fields.Integer(validate=validate.Range(min=0, max=100_000))
    active = Flag()


class ResponseTemplateSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    body_ja = fields.String()
    body_en = fields.String(allow_none=True)
    translations = fields.Dict(allow_none=True)
    category = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    position = fields.Integer()
    active = fields.Boolean()


class TemplateChoiceQuerySchema(StrictSchema):
    to = fields.String(validate=STATUS, metadata={"description": "the target status; left out: replies without a change"})


class TemplateChoiceSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    text = fields.String(metadata={"description": "the reply in the language asked for (Japanese when it has no English)"})
    category = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
