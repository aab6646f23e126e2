"""Fields and bodies shared by several resources."""

from __future__ import annotations

import math

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load


class StrictSchema(Schema):
    """Unknown fields are an error, so a typo never passes silently; NUL characters are refused
    everywhere, because PostgreSQL cannot store them and no resident types one."""

    class Meta:
        unknown = RAISE

    @pre_load
    def _no_nul(self, data, **kwargs):
        if isinstance(data, dict):
            bad = {key: ["Must not contain NUL characters."] for key, value in data.items() if _has_nul(value)}
            if bad:
                raise ValidationError(bad)
        return data


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class Coordinate(fields.Float):
    """A finite number in a range; booleans and non-numeric strings are refused."""

    def __init__(self, low: float, high: float, **kwargs) -> None:
        super().__init__(allow_nan=False, **kwargs)
        self.low, self.high = low, high

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Not a valid number.")
        number = super()._deserialize(value, attr, data, **kwargs)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            raise ValidationError(f"Must be between {self.low} and {self.high}.")
        return number + 0.0  # folds -0.0 into 0.0


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(metadata={"example": "about:blank"})
    title = fields.String(metadata={"example": "Unprocessable Content"})
    status = fields.Integer(metadata={"example": 422})
    detail = fields.String()
    detail_ja = fields.String(metadata={"description": "the detail in Japanese, where one is written"})
    instance = fields.String()
    errors = fields.Dict(metadata={"description": "field errors: field name to a list of messages"})
    allowed = fields.List(fields.String(), metadata={"description": "the statuses a report can move to (409)"})
    etag = fields.String(metadata={"description": "the report's current ETag (412)"})
    checks = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "readiness per dependency (503)"})


class PageLinksSchema(Schema):
    self = fields.String()
    next = fields.String(allow_none=True)
    prev = fields.String(allow_none=True)
