"""Following a report ("me too"): the request and its answer."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import EmailAddress, Flag, StrictSchema


class FollowSchema(StrictSchema):
    email = EmailAddress(metadata={"description": "private: never shown publicly"})
    email_updates = Flag(load_default=False, metadata={"description": "mail each public change to this address"})
    device_id = fields.String(validate=validate.Length(min=1, max=200),
                              metadata={"description": "private: the app's device, for the push gateway"})

    @validates_schema
    def _one_contact(self, data: dict, **kwargs) -> None:
        if ("email" in data) == ("device_id" in data):
            raise ValidationError("Give an e-mail address or a device id, exactly one.", "email")


class FollowedSchema(Schema):
    report = fields.String(metadata={"description": "the followed report's id"})
    email_updates = fields.Boolean()
    unfollow_url = fields.String(metadata={"description": "POST or DELETE to stop following, without signing in"})
