"""Staff views of reports: everything, including internal notes; private fields as the role allows (domain/access)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from service.api.language import localised
from service.api.urls import external_url
from service.domain import access, follows, photo_step
from service.domain import status as statuses
from service.domain.report_lists import RowCounts
from service.extensions import db
from service.models import DuplicateCandidate, Photo, Report, Staff
from service.timefmt import iso_tokyo

# An original holds what the derivatives leave out (GPS position, camera
# metadata), so its link is short-lived and opens only with the key of the
# staff member it was made for; every view is audited. The link never points
# at the photo store directly, where neither could be checked.
ORIGINAL_URL_SECONDS = 60


def original_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="original-photo-staff")


def original_url(photo: Photo, staff: Staff) -> str | None:
    if photo.original_key is None:
        return None
    token = original_signer().dumps({"photo": photo.public_id, "staff": staff.id})
    return external_url("staff.original_photo", photo_id=photo.public_id, signature=token)


def _photo(photo: Photo, staff: Staff) -> dict[str, Any]:
    # Staff see the sharp derivatives of a photo held back for review too; the original and
    # its metadata only those who may see contact (service/domain/access).
    ready = photo.large_key is not None and photo.state != "rejected"
    original = access.can_see_original(staff)
    return {
        "id": photo.public_id,
        "position": photo.position,
        "state": photo.state,
        "reject_reason": photo.reject_reason,
        "hidden": photo.hidden,
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "large_url": external_url("staff.derivative_photo", photo_id=photo.public_id, size="large") if ready else None,
        "thumb_url": external_url("staff.derivative_photo", photo_id=photo.public_id, size="thumb") if ready else None,
        "regions": len(photo.active_regions()),
        "regions_url": external_url("photo_regions.PhotoRegions", photo_id=photo.public_id),
        "original_url": original_url(photo, staff) if original else None,
        "exif_lat": photo.exif_lat if original else None,
        "exif_lon": photo.exif_lon if original else None,
        "taken_at": iso_tokyo(photo.taken_at) if original else None,
    }


def report_full(report: Report, staff: Staff, language: str) -> dict[str, Any]:
    """The staff view of ``report``; reporter contact and the device id only for roles that may see them."""
    contact = access.can_see_contact(staff)
    candidates = db.session.execute(
        select(DuplicateCandidate.distance_m, Report.public_id, Report.status, Report.created_at)
        .join(Report, DuplicateCandidate.candidate_id == Report.id)
        .where(DuplicateCandidate.report_id == report.id)
        .order_by(DuplicateCandidate.distance_m)
    ).all()
    return {
        "id": report.public_id,
        "jurisdiction": report.jurisdiction.code,
        "category": {"code": report.category.code, "name": localised(report.category, "name", language)},
        "department": {"code": report.department.code, "name": localised(report.department, "name", language)} if report.department else None,
        "status": report.status,
        "status_label": statuses.label(report.status, language),
        "priority": report.priority,
        "assignee_id": report.assignee_id,
        "hidden": report.hidden,
        "description": report.description,
        "description_original": report.description_original if staff.role == "admin" else None,
        "lat": report.lat,
        "lon": report.lon,
        "accuracy_m": report.accuracy_m,
        "location_source": report.location_source,
        "address": report.address,
        "address_parts": report.address_parts,
        "address_approximate": report.address_approximate,
        "address_hint": report.address_hint,
        "ward": report.ward,
        "attributes": report.attributes or {},
        "reporter": {"name": report.reporter_name, "email": report.reporter_email, "phone": report.reporter_phone}
        if contact else None,
        "device_id": report.device_id if contact else None,
        "routing_rule_id": report.routing_rule_id,
        "routing_reason": report.routing_reason,
        "duplicate_of": report.duplicate_of.public_id if report.duplicate_of_id else None,
        "duplicate_candidates": [
            {"id": pid, "distance_m": d, "status": st, "created_at": iso_tokyo(at)} for d, pid, st, at in candidates
        ],
        "photos": [_photo(p, staff) for p in report.photos],
        "photo_state": photo_step.photo_state(report),
        "history": [
            {
                "at": iso_tokyo(h.created_at), "kind": h.kind, "actor_type": h.actor_type, "actor_id": h.actor_id,
                "from_status": h.from_status, "to_status": h.to_status,
                "status_label": statuses.label(h.to_status, language) if h.to_status else None,
                "public_reply": h.public_reply, "internal_note": h.internal_note, "reason": h.reason,
                "details": h.details or {},
            }
            for h in report.history
        ],
        "processing": report.processing_state,
        "processing_error": report.processing_error,
        "created_at": iso_tokyo(report.created_at),
        "updated_at": iso_tokyo(report.updated_at),
        "first_response_at": iso_tokyo(report.first_response_at),
        "resolved_at": iso_tokyo(report.resolved_at),
        "closed_at": iso_tokyo(report.closed_at),
        "version": report.version,
        "followers": follows.follower_count(db.session(), report.id),
    }


def report_summary(report: Report, language: str, distance_m: float | None = None,
                   counts: RowCounts | None = None) -> dict[str, Any]:
    return {
        "id": report.public_id,
        "category": report.category.code,
        "department": report.department.code if report.department else None,
        "status": report.status,
        "status_label": statuses.label(report.status, language),
        "priority": report.priority,
        "ward": report.ward,
        "address": report.address,
        "description": report.description,
        "lat": report.lat,
        "lon": report.lon,
        "distance_m": distance_m,
        "assignee_id": report.assignee_id,
        "duplicates": counts.duplicates if counts else 0,
        "candidates": counts.candidates if counts else 0,
        "created_at": iso_tokyo(report.created_at),
        "updated_at": iso_tokyo(report.updated_at),
    }


CSV_COLUMNS = ("id", "created_at", "updated_at", "status", "category", "department", "priority", "ward", "address",
               "lat", "lon", "description")



