"""The fields of a POST requests call, checked and turned into intake fields.

GeoReport v2 sends them form-encoded: ``service_code``, a location (``lat``
and ``long``, ``address_string`` or ``address_id``), ``attribute[code]`` and
``attribute[code][]``, the reporter's contact, ``description`` and
``media_url``. :func:`parse_post` raises :class:`~service.open311.Open311Error`
(400) naming the field that cannot be used.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.open311 import Open311Error

ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,50})\](\[\])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[0-9+\-() ]*$")
LIMITS = {"description": 4000, "address_string": 500, "address_id": 200, "email": 254, "device_id": 200,
          "account_id": 200, "first_name": 100, "last_name": 100, "phone": 50, "media_url": 2000,
          "service_code": 50, "jurisdiction_id": 6, "api_key": 200}
KNOWN = set(LIMITS) | {"lat", "long"}
# Photos come as files of these multipart fields, never as text.
MEDIA_FIELDS = ("media", "media[]")


@dataclass(frozen=True)
class PostedRequest:
    service_code: str
    lat: float | None
    lon: float | None
    address: str | None
    attributes: dict[str, list[str]]
    description: str
    reporter: dict[str, str]
    device_id: str | None
    account_id: str | None
    media_url: str | None
    ignored: list[str] = field(default_factory=list)

    def intake_fields(self, attributes: dict[str, Any]) -> dict[str, Any]:
        """The fields :func:`service.domain.intake.submit_report` takes."""
        fields: dict[str, Any] = {"category": self.service_code, "description": self.description,
                                  "attributes": attributes, "reporter": self.reporter}
        if self.lat is not None and self.lon is not None:
            fields.update(lat=self.lat, lon=self.lon)
        if self.address:
            fields["address_hint"] = self.address
        if self.device_id:
            fields["device_id"] = self.device_id
        return fields


def parse_post(form: Mapping[str, list[str]]) -> PostedRequest:
    """Check a POST body given as ``{name: [values]}``.

    Raises :class:`Open311Error` (400) for a missing service_code or location,
    a repeated or too long field, impossible coordinates, or a malformed email.
    """
    def value(name: str) -> str | None:
        values = form.get(name) or []
        if len(values) > 1:
            raise Open311Error(400, f"{name} is given more than once")
        text = values[0].strip() if values else ""
        if len(text) > LIMITS.get(name, 4000):
            raise Open311Error(400, f"{name} is longer than {LIMITS[name]} characters")
        return text or None

    service_code = value("service_code")
    if service_code is None:
        raise Open311Error(400, "service_code was not provided")
    lat, lon = _coordinate(value("lat"), "lat", 90), _coordinate(value("long"), "long", 180)
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat and long must be given together")
    address = value("address_string") or value("address_id")
    if lat is None and address is None:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    attributes: dict[str, list[str]] = {}
    ignored: list[str] = []
    for name, values in form.items():
        if not isinstance(name, str) or not name:
            raise Open311Error(400, "every form field needs a name")
        if name in MEDIA_FIELDS:
            raise Open311Error(400, "media must be sent as a file of a multipart form, not as text")
        match = ATTRIBUTE.match(name)
        if match:
            # A repeated single-value attribute is refused once its definition is known.
            attributes.setdefault(match.group(1), []).extend(v.strip() for v in values)
        elif name not in KNOWN:
            ignored.append(name)
    email = value("email")
    if email is not None and not EMAIL.match(email):
        raise Open311Error(400, "email is not an email address")
    phone = value("phone")
    if phone is not None and not PHONE.match(phone):
        raise Open311Error(400, "phone is not a phone number")
    name = " ".join(part for part in (value("last_name"), value("first_name")) if part)
    reporter = {key: text for key, text in (("name", name), ("email", email), ("phone", phone)) if text}
    return PostedRequest(service_code=service_code, lat=lat, lon=lon, address=address, attributes=attributes,
                         description=value("description") or "", reporter=reporter, device_id=value("device_id"),
                         account_id=value("account_id"), media_url=value("media_url"), ignored=ignored)


def _coordinate(text: str | None, name: str, bound: float) -> float | None:
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        raise Open311Error(400, f"{name} is not a number") from None
    if not math.isfinite(number) or not -bound <= number <= bound:
        raise Open311Error(400, f"{name} must be between {-bound} and {bound}")
    return number + 0.0
