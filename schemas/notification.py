"""Subscribers (who is told about report events) and deliveries, as admins send and see them."""

from __future__ import annotations

from typing import ClassVar

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import EmailAddress, Flag, PageLinksSchema, PatchSchema, StrictSchema, WebUrl

KINDS = ("department_webhook", "push_gateway", "email")
EVENT_TYPES = ("report.received", "report.routed", "report.status_changed", "report.replied", "report.resolved",
               "report.rating_requested", "report.rated", "report.reopened", "report.overdue")
DELIVERY_STATES = ("pending", "delivered", "failed")
EVENTS = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), allow_none=True, validate=validate.Length(min=1),
                     metadata={"description": "the event types to hear; null hears every type"})


class SubscriberCreateSchema(StrictSchema):
    OPENAPI: ClassVar[dict] = {"anyOf": [
        {"properties": {"kind": {"enum": ["email"]}, "email": {"type": "string", "format": "email"}}, "required": ["email"]},
        {"properties": {"kind": {"enum": ["department_webhook", "push_gateway"]}, "url": {"type": "string", "format": "uri"}},
         "required": ["url"]},
    ]}

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    department = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50),
                               metadata={"description": "a department code: hear only that department's reports"})
    url = WebUrl(load_default=None, allow_none=True,
                 metadata={"example": "https://example.jp/hooks/machikoe", "description": "required for a webhook or push gateway"})
    email = EmailAddress(load_default=None, allow_none=True,
                         metadata={"description": "required for an e-mail subscriber"})
    secret = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=16, max=200),
                           metadata={"description": "the HMAC key; generated (and shown once) when not given"})
    event_types = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), load_default=None, allow_none=True,
                              validate=validate.Length(min=1),
                              metadata={"description": "the event types to hear; null hears every type"})
    active = Flag(load_default=True)

    @validates_schema
    def _address_matches_kind(self, data: dict, **kwargs) -> None:
        if data.get("kind") == "email" and not data.get("email"):
            raise ValidationError("An e-mail subscriber needs an email address.", "email")
        if data.get("kind") in ("department_webhook", "push_gateway") and not data.get("url"):
            raise ValidationError("A webhook or push gateway needs a url.", "url")


class SubscriberPatchSchema(PatchSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    department = fields.String(allow_none=True, validate=validate.Length(max=50))
    url = WebUrl(allow_none=True)
    email = EmailAddress(allow_none=True)
    event_types = EVENTS
    active = Flag()


class SubscriberSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    department = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    event_types = fields.List(fields.String(), allow_none=True)
    active = fields.Boolean()
    created_at = fields.String()


class SubscriberCreatedSchema(SubscriberSchema):
    secret = fields.String(allow_none=True, metadata={"description": "the HMAC key, shown only in this answer"})


class DeliveryQuerySchema(StrictSchema):
    state = fields.String(load_default=None, validate=validate.OneOf(DELIVERY_STATES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class DeliverySubscriberSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()


class DeliverySchema(Schema):
    id = fields.String(metadata={"description": "the delivery id sent in X-Machikoe-Delivery"})
    event = fields.String(metadata={"example": "report.status_changed"})
    report = fields.String(allow_none=True, metadata={"description": "the report's public id"})
    subscriber = fields.Nested(DeliverySubscriberSchema, allow_none=True, metadata={"description": "null for a resident's mail"})
    recipient = fields.String(allow_none=True, metadata={
        "description": "a resident's mail: `reporter` or `follower` (never the address); null for a subscriber"})
    state = fields.String(metadata={"description": "pending, delivered or failed (dead-lettered)"})
    attempts = fields.Integer()
    next_attempt_at = fields.String(allow_none=True)
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = fields.String(allow_none=True)
    created_at = fields.String()


class DeliveryListSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()
    links = fields.Nested(PageLinksSchema)
