"""Outlines for a staff map: the jurisdiction's boundary and its wards, as one GeoJSON FeatureCollection.

Both are simplified for drawing (service/geo/display), as the public
jurisdiction answer is; whether a point lies inside is decided elsewhere, on
the exact boundaries.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.coverage import coverage
from service.geo.display import display_boundary
from service.models import Area, Jurisdiction, Report

WARD = "ward"


def jurisdiction_outlines(session: Session, jurisdiction_id: int) -> dict[str, Any]:
    """The boundary (``kind`` "jurisdiction") and the wards (``kind`` "ward") with their Japanese names; bbox of the whole."""
    jurisdiction = session.get(Jurisdiction, jurisdiction_id)
    if jurisdiction is None:
        return {"type": "FeatureCollection", "features": []}
    outline, bbox = display_boundary(jurisdiction.code, str(jurisdiction.updated_at), jurisdiction.boundary)
    features = [_feature("jurisdiction", jurisdiction.code, jurisdiction.name_ja, outline)]
    wards = session.scalars(select(Area).where(Area.jurisdiction_id == jurisdiction_id, Area.layer == WARD)
                            .order_by(Area.name_ja, Area.id))
    for ward in wards:
        geometry, _ = display_boundary(f"area:{ward.id}", str(ward.updated_at), ward.geometry)
        features.append(_feature(WARD, ward.code, ward.name_ja, geometry))
    return {"type": "FeatureCollection", "bbox": bbox, "features": features}


def _feature(kind: str, code: str, name: str, geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"kind": kind, "code": code, "name": name}, "geometry": geometry}


def report_outlines(session: Session, report: Report) -> dict[str, Any]:
    """The wards covering a report's point (``kind`` "ward"), or its jurisdiction's boundary where no ward covers it."""
    hits = coverage.areas_at(session, report.lon, report.lat, report.jurisdiction_id)
    wards = [ward for ward in (session.get(Area, h.id) for h in hits if h.layer == WARD) if ward is not None]
    features = [_feature(WARD, ward.code, ward.name_ja,
                         display_boundary(f"area:{ward.id}", str(ward.updated_at), ward.geometry)[0]) for ward in wards]
    jurisdiction = session.get(Jurisdiction, report.jurisdiction_id) if report.jurisdiction_id is not None else None
    if not features and jurisdiction is not None:
        outline, _ = display_boundary(jurisdiction.code, str(jurisdiction.updated_at), jurisdiction.boundary)
        features.append(_feature("jurisdiction", jurisdiction.code, jurisdiction.name_ja, outline))
    return {"type": "FeatureCollection", "features": features}
