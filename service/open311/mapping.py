"""Machikoe's categories, reports and history in Open311 GeoReport v2 terms.

Categories are services, reports are service requests, public history entries
are the request updates of the FixMyStreet extension. Only public fields are
read: never contact data, device ids, internal notes or hidden reports, and a
report's place and words are shown as the disclosure policy of every public
surface decides (service.domain.disclosure).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from service.domain import attributes
from service.domain import status as statuses
from service.domain.disclosure import disclose_report, public_reply
from service.models import Category, HistoryEntry, Report
from service.open311 import Open311Error
from service.timefmt import iso_tokyo

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
DATATYPES = attributes.DATATYPES

# Open311 knows two statuses; a report is open while staff still have to act on it.
OPEN311_STATUS = {code: ("open" if s.open else "closed") for code, s in statuses.STATUSES.items()}

# The FixMyStreet update statuses, from the nearest Machikoe status.
UPDATE_STATUS = {
    "received": "OPEN",
    "acknowledged": "INVESTIGATING",
    "in_progress": "IN_PROGRESS",
    "resolved": "FIXED",
    "not_actionable": "NO_FURTHER_ACTION",
    "forwarded": "NOT_COUNCILS_RESPONSIBILITY",
    "duplicate": "DUPLICATE",
}


def _text(obj: object, field: str, language: str) -> str:
    return getattr(obj, f"{field}_{language}", None) or getattr(obj, f"{field}_ja", None) or ""


# What an urgent category tells residents first, in the languages Open311 answers in.
URGENT_CALL = {"ja": "急ぎの場合は電話してください", "en": "If it is urgent, please phone"}


def service(category: Category, language: str, phone: str | None = None) -> dict[str, Any]:
    """A category as a GeoReport service; ``phone`` is the number an urgent one tells residents to call."""
    call = None
    if category.urgent:
        call = " ".join(t for t in (URGENT_CALL.get(language, URGENT_CALL["ja"]), phone) if t)
    # An urgent category's call first, then the description and the notice: what a client shows before a report.
    texts = (call, _text(category, "description", language), _text(category, "notice", language))
    return {
        "service_code": category.code,
        "service_name": _text(category, "name", language),
        "description": "\n".join(t for t in texts if t),
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": ", ".join(category.keywords or []),
        "group": category.group or "",
    }


def service_definition(category: Category, language: str) -> dict[str, Any]:
    """A category's extra attributes as a GeoReport service definition."""
    return {
        "service_code": category.code,
        "attributes": [_attribute(a, index, language) for index, a in enumerate(category.attributes or [], start=1)],
    }


def _attribute(a: dict[str, Any], index: int, language: str) -> dict[str, Any]:
    datatype = a.get("datatype", "string")
    description, choices = attributes.question(a, language)
    return {
        "variable": bool(a.get("variable", True)),
        "code": a["code"],
        "datatype": datatype if datatype in DATATYPES else "string",
        "required": bool(a.get("required", False)),
        "datatype_description": a.get(f"datatype_description_{language}") or a.get("datatype_description_ja")
        or a.get("datatype_description") or "",
        "order": int(a.get("order", index)),
        "description": description,
        "values": choices,
    }


def attribute_values(category: Category, given: dict[str, list[str]]) -> dict[str, Any]:
    """Check ``attribute[code]`` form values against the category, and return them as stored.

    Codes the category does not define are left out (see :func:`undefined_attributes`):
    clients such as FixMyStreet send their own, and a report is not refused for them.
    The rest are checked as on every intake path (service.domain.attributes).
    Raises :class:`Open311Error` (400) for a missing required attribute, a
    value not in the list, or a value of the wrong type.
    """
    definitions = category.attributes or []
    answers: dict[str, Any] = {}
    for definition in definitions:
        code = definition["code"]
        items = [v for v in given.get(code, []) if v != ""]
        if len(items) > 1 and definition.get("datatype") != "multivaluelist":
            raise Open311Error(400, f"attribute[{code}] takes one value")
        answers[code] = items if definition.get("datatype") == "multivaluelist" else (items[0] if items else None)
    try:
        return attributes.checked_answers(definitions, answers)
    except attributes.AttributeRefused as exc:
        raise Open311Error(400, f"attribute[{exc.code}]: {exc.message}") from None


def undefined_attributes(category: Category, given: dict[str, list[str]]) -> list[str]:
    """The codes of ``attribute[code]`` fields the category does not define, sorted."""
    return sorted(set(given) - {a["code"] for a in category.attributes or []})


def latest_public_reply(report: Report, language: str | None = None) -> str:
    """The status notes: the last public reply staff wrote, or nothing."""
    for entry in reversed(report.history):
        if entry.public_reply and entry.kind in ("transition", "comment"):
            return public_reply(entry, language) or ""
    return ""


def service_request(report: Report, language: str, media_url: str | None, decimals: int) -> dict[str, Any]:
    """A report as a GeoReport service request (public fields only; ``decimals`` of the public coordinates)."""
    processed = report.processing_state == "done"
    shown = disclose_report(report, decimals)
    department = report.department if processed else None
    return {
        "service_request_id": report.public_id,
        "status": OPEN311_STATUS.get(report.status, "open"),
        "status_notes": latest_public_reply(report, language),
        "service_name": _text(report.category, "name", language),
        "service_code": report.category.code,
        "description": shown.description,
        "agency_responsible": _text(department, "name", language) if department is not None else "",
        "service_notice": "",
        "requested_datetime": iso_tokyo(report.created_at),
        # The GeoReport v2 schemas take a datetime or null here, and a URI or null for media_url.
        "updated_datetime": iso_tokyo(report.updated_at) or None,
        "expected_datetime": iso_tokyo(report.resolution_due_at) or None,
        "address": shown.address or "",
        "address_id": "",
        "zipcode": ((report.address_parts or {}).get("postcode") or "") if processed else "",
        "lat": shown.lat,
        "long": shown.lon,
        "media_url": media_url or None,
    }


def request_updates(report: Report, since: datetime, until: datetime,
                    media_url: Callable[[Report], str | None]) -> list[dict[str, Any]]:
    """The report's public history between two times, as FixMyStreet request updates."""
    updates = []
    # The status an update reports is the one the report had right after it.
    current = "received"
    for entry in report.history:
        if entry.to_status:
            current = entry.to_status
        if not _is_update(entry) or not since <= entry.created_at <= until:
            continue
        updates.append({
            "update_id": str(entry.id),
            "service_request_id": report.public_id,
            "status": UPDATE_STATUS.get(current, "OPEN"),
            "updated_datetime": iso_tokyo(entry.created_at),
            "description": public_reply(entry) or "",
            "media_url": media_url(report) or None,
        })
    return updates


def _is_update(entry: HistoryEntry) -> bool:
    return entry.kind == "transition" or (entry.kind == "comment" and bool(entry.public_reply))
