"""Plain dictionaries for response schemas, built from models.

Public presenters take only public fields, so a private one cannot slip into a
public answer by a schema change alone, and they show a report's place and
words as the disclosure policy (service.domain.disclosure) decides. The
reporter's own view, opened with its tracking token, keeps the stored record.
"""

from __future__ import annotations

from typing import Any, cast

from flask import current_app

from service.api.language import localised
from service.api.urls import external_url
from service.domain import attributes, photo_step
from service.domain import status as statuses
from service.domain.disclosure import Disclosed, disclose_report, public_reply
from service.domain.public_report import PublicReport
from service.geo.display import display_boundary
from service.models import Category, HistoryEntry, Jurisdiction, Photo, Report
from service.timefmt import iso_tokyo


def jurisdiction(j: Jurisdiction, language: str, *, exact: bool = False) -> dict[str, Any]:
    """A jurisdiction with its boundary simplified for a map, or exact (as coverage uses it) when asked."""
    simplified, bbox = display_boundary(j.code, str(j.updated_at), j.boundary)
    return {"code": j.code, "name": localised(j, "name", language), "name_ja": j.name_ja, "name_en": j.name_en,
            "prefecture_ja": j.prefecture_ja, "not_taken": localised(j, "not_taken", language), "bbox": bbox, "boundary": j.boundary if exact else simplified,
            "boundary_precision": "exact" if exact else "display"}


def category(c: Category, jurisdiction_code: str, language: str, phone: str | None = None) -> dict[str, Any]:
    """A category as residents read it; ``phone`` is the number an urgent one tells them to call."""
    return {
        "code": c.code,
        "jurisdiction": jurisdiction_code,
        "name": localised(c, "name", language),
        "name_ja": c.name_ja,
        "name_en": c.name_en,
        "description": localised(c, "description", language),
        "notice": localised(c, "notice", language),
        "urgent": c.urgent,
        "phone": phone if c.urgent else None,
        "group": c.group,
        "keywords": list(c.keywords or []),
        "attributes": [_attribute(a, language) for a in c.attributes or []],
        "first_response_days": c.first_response_days,
        "resolution_days": c.resolution_days,
    }


def _attribute(a: dict[str, Any], language: str) -> dict[str, Any]:
    description, choices = attributes.question(a, language)
    return {
        "code": a["code"],
        "datatype": a.get("datatype", "string"),
        "required": bool(a.get("required", False)),
        "description": description,
        "values": choices,
    }


def created(report: Report, token: str | None, language: str) -> dict[str, Any]:
    body = {
        "id": report.public_id,
        "status": report.status,
        "status_label": statuses.label(report.status, language),
        "created_at": iso_tokyo(report.created_at),
    }
    if token:
        body["tracking_token"] = token
    return body


def public_photos(report: Report) -> list[dict[str, str]]:
    return [
        {
            "large_url": external_url("photos.photo_file", photo_id=p.public_id, size="large", v=p.regions_version),
            "thumb_url": external_url("photos.photo_file", photo_id=p.public_id, size="thumb", v=p.regions_version),
        }
        for p in report.photos
        if _photo_is_public(p)
    ]


def _photo_is_public(p: Photo) -> bool:
    return p.state == "ready" and not p.hidden and p.public_large_key is not None and p.public_thumb_key is not None


def _history(entry: HistoryEntry, language: str) -> dict[str, Any] | None:
    if entry.kind not in ("created", "transition", "comment") or (entry.kind == "comment" and not entry.public_reply):
        return None
    status = entry.to_status
    return {
        "at": iso_tokyo(entry.created_at),
        "kind": entry.kind,
        "status": status,
        "status_label": statuses.label(status, language) if status else None,
        "status_label_ja": statuses.label(status, "ja") if status else None,
        "status_label_en": statuses.label(status, "en") if status else None,
        "public_reply": public_reply(entry, language),
    }


def public_view(report: Report) -> Disclosed:
    """The report's place and description as the public sees them."""
    return disclose_report(report, current_app.config["OPENDATA_COORDINATE_DECIMALS"])


def report_public(report: Report | PublicReport, language: str) -> dict[str, Any]:
    """The public view of a report, loaded whole or as its public columns (service.domain.public_report)."""
    # A PublicReport has every attribute the public view reads, under the same names.
    whole = cast(Report, report)
    return _report(whole, language, public_view(whole))


def _report(report: Report, language: str, shown: Disclosed) -> dict[str, Any]:
    processed = report.processing_state == "done"
    history = [h for h in (_history(e, language) for e in report.history) if h is not None]
    ward = (report.address_parts or {}).get("ward") if processed else None
    return {
        "id": report.public_id,
        "jurisdiction": report.jurisdiction.code,
        "category": {"code": report.category.code, "name": localised(report.category, "name", language)},
        "description": shown.description,
        "status": report.status,
        "status_label": statuses.label(report.status, language),
        "lat": shown.lat,
        "lon": shown.lon,
        "address": shown.address,
        "address_approximate": bool(report.address_approximate) if processed else False,
        "ward": ward,
        "department": localised(report.department, "name", language) if report.department and processed else None,
        "duplicate_of": report.duplicate_of.public_id if report.duplicate_of_id and report.duplicate_of else None,
        "primary": _primary(report, language),
        "photos": public_photos(report),
        "photo_state": photo_step.photo_state(report),
        "history": history,
        "processing": report.processing_state,
        "created_at": iso_tokyo(report.created_at),
        "updated_at": iso_tokyo(report.updated_at),
    }


def _primary(report: Report, language: str) -> dict[str, Any] | None:
    """A duplicate follows its primary report's status."""
    primary = report.duplicate_of if report.duplicate_of_id else None
    if primary is None:
        return None
    return {"id": primary.public_id, "status": primary.status, "status_label": statuses.label(primary.status, language)}


def report_own(report: Report, language: str) -> dict[str, Any]:
    """What the resident sent, as stored: full position, whole address, own words and contact."""
    stored = Disclosed(lat=report.lat, lon=report.lon, description=report.description,
                          address=report.address if report.processing_state == "done" else None)
    body = _report(report, language, stored)
    body.update(
        {
            "reporter": {"name": report.reporter_name, "email": report.reporter_email, "phone": report.reporter_phone},
            "device_id": report.device_id,
            "address_hint": report.address_hint,
            "accuracy_m": report.accuracy_m,
            "attributes": report.attributes or {},
            "rejected_photos": [{"position": position, "reason": reason}
                                for position, reason in photo_step.rejected_photos(report)],
        }
    )
    return body


def report_summary(report: Report, language: str) -> dict[str, Any]:
    photos = public_photos(report)
    shown = public_view(report)
    return {
        "id": report.public_id,
        "category": {"code": report.category.code, "name": localised(report.category, "name", language)},
        "status": report.status,
        "status_label": statuses.label(report.status, language),
        "lat": shown.lat,
        "lon": shown.lon,
        "address": shown.address,
        "thumb_url": photos[0]["thumb_url"] if photos else None,
        "created_at": iso_tokyo(report.created_at),
    }
