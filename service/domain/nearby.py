"""Open reports of a category near a point: the duplicate candidates processing records,
and what a resident is shown before sending ("is it already reported?").

Reports carry a geohash of :data:`GEOHASH_PRECISION` characters (about 150 m
cells); the cells covering the radius narrow the rows, the great-circle
distance decides.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain.status import OPEN_STATUSES
from service.geo.grid import cells_covering, haversine_m
from service.models import Report

GEOHASH_PRECISION = 7
# Past this radius a coarser cell keeps the number of cells small.
FINE_RADIUS_M = 150


def open_reports_near(session: Session, *, category_id: int, jurisdiction_id: int, lat: float, lon: float,
                      radius_m: float, since: datetime, until: datetime | None = None, exclude_id: int | None = None,
                      public_only: bool = False, limit: int = 20) -> list[tuple[float, int]]:
    """(distance in m, report id) of the open reports within ``radius_m``, nearest first.

    Only reports created from ``since`` (and up to ``until``) count; ``public_only``
    leaves out hidden ones, for what residents see.
    """
    precision = GEOHASH_PRECISION if radius_m <= FINE_RADIUS_M else 6
    cells = cells_covering(lat, lon, radius_m, precision)
    cell_column = Report.geohash if precision == GEOHASH_PRECISION else func.substr(Report.geohash, 1, precision)
    query = select(Report.id, Report.lat, Report.lon).where(
        cell_column.in_(cells),
        Report.category_id == category_id,
        Report.jurisdiction_id == jurisdiction_id,
        Report.status.in_(OPEN_STATUSES),
        Report.created_at >= since,
    )
    if until is not None:
        query = query.where(Report.created_at <= until)
    if exclude_id is not None:
        query = query.where(Report.id != exclude_id)
    if public_only:
        query = query.where(Report.hidden.is_(False))
    nearby = sorted((d, rid) for rid, r_lat, r_lon in session.execute(query) if (d := haversine_m(lat, lon, r_lat, r_lon)) <= radius_m)
    return nearby[:limit]
