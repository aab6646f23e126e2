"""Fields and bodies shared by several resources."""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from service.domain import dates, languages


class StrictSchema(Schema):
    """Unknown fields are an error, so a typo never passes silently, and a JSON number field
    takes a JSON number only. (Control characters never reach a schema: the input boundary,
    service/api/boundary.py, refuses them in every request.)"""

    class Meta:
        unknown = RAISE

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _json_numbers_are_numbers(self, data: dict, original_data: Any, **kwargs) -> None:
        # A query or form arrives as a multidict (or service.api.body.FormFields) of strings, which
        # the fields convert; a JSON body arrives as a plain dict whose numbers are typed, and
        # there "5" is not the integer the contract declares, nor 5.5 or true an integer.
        # Only values their field took are looked at, so each field reports one error.
        if type(original_data) is not dict:
            return
        wrong = {}
        for name, field in self.load_fields.items():
            key = field.data_key or name
            if isinstance(field, fields.Number) and name in data and not _json_number(original_data.get(key), field):
                wrong[key] = ["Not a JSON integer." if isinstance(field, fields.Integer) else "Not a JSON number."]
        if wrong:
            raise ValidationError(wrong)


def _json_number(value: Any, field: fields.Number) -> bool:
    if value is None:
        return True  # allow_none decides
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return not isinstance(field, fields.Integer) or isinstance(value, int)


class PatchSchema(StrictSchema):
    """A partial change: every field is optional, and at least one must be given."""

    OPENAPI: ClassVar[dict] = {"minProperties": 1}

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


_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = f"{_LABEL}(?:\\.{_LABEL})*"
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_H16 = "[0-9A-Fa-f]{1,4}"
_LS32 = f"(?:{_H16}:{_H16}|{_OCTET}(?:\\.{_OCTET}){{3}})"
# RFC 3986's IPv6address, one alternative per place of the "::".
_IPV6 = "(?:" + "|".join((
    f"(?:{_H16}:){{6}}{_LS32}", f"::(?:{_H16}:){{5}}{_LS32}", f"(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}",
    *(f"(?:(?:{_H16}:){{0,{n}}}{_H16})?::(?:{_H16}:){{{4 - n}}}{_LS32}" for n in (1, 2)),
    f"(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}", f"(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}",
    f"(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}", f"(?:(?:{_H16}:){{0,6}}{_H16})?::")) + ")"
_URI_CHARACTER = "(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})"
# The URLs the service calls (webhooks, push gateways): http or https, a host name or IP address
# (IPv6 in brackets), a port, then a path, query and fragment of URI characters. The contract
# states this very pattern, and everything it matches is also a URI, so the two agree exactly.
WEB_URL_PATTERN = (f"^https?://(?:{_HOST_NAME}\\.?|\\[{_IPV6}\\])(?::[0-9]{{1,5}})?"
                   f"(?:[/?]{_URI_CHARACTER}*)?(?:#{_URI_CHARACTER}*)?$")
# An e-mail address as the service takes it: a dot-atom, then a host name of two labels or more.
_ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_PATTERN = f"^{_ATOM}(?:\\.{_ATOM})*@{_LABEL}(?:\\.{_LABEL})+$"


class _Pattern(fields.String):
    """A string that is whole matched by ``PATTERN``, which the contract states as it is."""

    PATTERN = ""
    FORMAT = ""
    MAX_LENGTH = 0
    ERROR = ""

    def __init__(self, **kwargs) -> None:
        declared = {"format": self.FORMAT, "pattern": self.PATTERN, "maxLength": self.MAX_LENGTH}
        metadata = {**{k: v for k, v in declared.items() if v}, **(kwargs.pop("metadata", None) or {})}
        super().__init__(validate=validate.Length(max=self.MAX_LENGTH), metadata=metadata, **kwargs)
        self._compiled = re.compile(self.PATTERN)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not self._compiled.fullmatch(text):
            raise ValidationError(self.ERROR)
        return text


class WebUrl(_Pattern):
    """An absolute http or https URL of at most 2,000 characters (a host without a dot is allowed).

    A host in Unicode is given in its ASCII form (``xn--``), as in any URI."""

    PATTERN, FORMAT, MAX_LENGTH, ERROR = WEB_URL_PATTERN, "uri", 2000, "Not a valid URL."


class EmailAddress(_Pattern):
    """An e-mail address of at most 254 characters (a domain in Unicode in its ASCII form)."""

    # No "format": clients' e-mail validators disagree with each other; the pattern is the rule.
    PATTERN, FORMAT, MAX_LENGTH, ERROR = EMAIL_PATTERN, "", 254, "Not a valid email address."


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
