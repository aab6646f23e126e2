"""Client systems (Open311 api_key holders) as admins create and see them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import StrictSchema


class ApiClientCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"example": "FixMyStreet"})


class ApiClientSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    jurisdiction = fields.String(metadata={"description": "local government code"})
    key_prefix = fields.String(metadata={"description": "the visible part of the key, to recognise it"})
    created_at = fields.String()
    last_used_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)


class ApiClientCreatedSchema(ApiClientSchema):
    api_key = fields.String(metadata={"description": "the Open311 api_key; shown only in this answer, stored hashed"})
