"""Outlines for a staff map: the jurisdiction's boundary and its wards, as one GeoJSON FeatureCollection.

Both are simplified for drawing (service/geo/display), as the public
jurisdiction answer is; whether a point lies inside is decided elsewhere, on
the exact boundaries.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.geo.display import display_boundary
from service.models import Area, Jurisdiction

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
