"""Fields and bodies shared by several resources."""

from __future__ import annotations

import math

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from service.domain import dates, languages


class StrictSchema(Schema):
    """Unknown fields are an error, so a typo never passes silently. (Control characters never
    reach a schema: the input boundary, service/api/boundary.py, refuses them in every request.)"""

    class Meta:
        unknown = RAISE


class PatchSchema(StrictSchema):
    """A partial change: every field is optional, and at least one must be given."""

    @validates_schema
    def _something_to_change(self, data: dict, **kwargs) -> None:
        if not data:
            raise ValidationError("Nothing to change: give at least one field.", "_schema")


class Flag(fields.Boolean):
    """A strict boolean: JSON true or false in a body; the words true or false in a query.

    marshmallow's own Boolean takes 1, "yes", "on" and more, and even ``{True}`` as its
    truthy set lets 1 through (1 == True), so the type is checked here.
    """

    def __init__(self, *, query: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.query = query

    def _deserialize(self, value, attr, data, **kwargs):
        if self.query and value in ("true", "false"):
            return value == "true"
        if not self.query and isinstance(value, bool):
            return value
        raise ValidationError("Give true or false." if self.query else "Not a JSON boolean (true or false).")


def _date_metadata(kwargs: dict, kind: str) -> dict:
    metadata = dict(kwargs.pop("metadata", None) or {})
    description = metadata.get("description")
    bound = f"{kind} {dates.RANGE}"
    metadata["description"] = f"{description}; {bound}" if description else bound
    metadata.setdefault("pattern", dates.YEAR_PATTERN)
    return metadata


class _WithinDates(fields.Field):
    """A date or time field whose day lies within the service's range (service/domain/dates.py)."""

    KIND = "a date"

    def __init__(self, **kwargs) -> None:
        super().__init__(metadata=_date_metadata(kwargs, self.KIND), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not dates.within(parsed):
            raise ValidationError(f"Give {self.KIND} {dates.RANGE}.")
        return parsed


class Day(_WithinDates, fields.Date):
    """An ISO 8601 date."""


class Instant(_WithinDates, fields.AwareDateTime):
    """An ISO 8601 date and time with an offset (the day is taken in that offset)."""

    KIND = "a time with offset, its day"


STATUS_CODES = ("received", "acknowledged", "in_progress", "resolved", "not_actionable", "forwarded", "duplicate")
STATUS_LIST = "repeat or comma-separate; each one of: " + ", ".join(STATUS_CODES)


def status_enum() -> dict:
    """The statuses as the contract lists them (a query may also comma-separate several in one value)."""
    return {"enum": list(STATUS_CODES)}


def both_or_neither(first: str, second: str) -> dict:
    """The contract of two properties that come together or not at all (``lat`` and ``lon``)."""
    return {"anyOf": [{"required": [first, second]},
                      {"not": {"anyOf": [{"required": [first]}, {"required": [second]}]}}]}


class WebUrl(fields.URL):
    """An absolute http or https URL of at most 2,000 characters (a host without a dot is allowed)."""

    def __init__(self, **kwargs) -> None:
        metadata = {"format": "uri", "pattern": "^https?://", "maxLength": 2000, **(kwargs.pop("metadata", None) or {})}
        super().__init__(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=2000),
                         metadata=metadata, **kwargs)


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


def language_query() -> fields.String:
    """``?lang=``: the answer's language, before Accept-Language (an unsupported one is passed over)."""
    return fields.String(load_default=None, validate=validate.Length(max=35),
                         metadata={"description": "the answer's language, one of " + ", ".join(languages.LANGUAGES)
                                                  + "; without it, Accept-Language, else Japanese"})
