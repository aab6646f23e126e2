"""Which jurisdiction and which areas cover a point.

Polygons are kept in the database as GeoJSON and indexed in each process with
shapely. The index is rebuilt when the jurisdictions or areas change, which is
noticed by a cheap signature query (row counts and newest update time). The
signature is read once per database transaction: a worker that geocodes and
routes a report in one transaction asks for it once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, scoped_session

from service.geo.index import PolygonIndex
from service.models import Area, Jurisdiction


@dataclass(frozen=True)
class AreaHit:
    id: int
    jurisdiction_id: int
    layer: str
    code: str
    name_ja: str


@dataclass
class _Snapshot:
    signature: tuple
    jurisdictions: PolygonIndex[int]
    areas: PolygonIndex[AreaHit]


class Coverage:
    """A per-process cache of the jurisdiction and area indexes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def jurisdiction_at(self, session: Session, lon: float, lat: float) -> int | None:
        """The id of the jurisdiction covering the point, or None outside every one."""
        hits = self._current(session).jurisdictions.containing(lon, lat)
        return hits[0] if hits else None

    def areas_at(self, session: Session, lon: float, lat: float, jurisdiction_id: int | None = None) -> list[AreaHit]:
        """The areas covering the point, smallest first."""
        hits = self._current(session).areas.containing(lon, lat)
        return [h for h in hits if jurisdiction_id is None or h.jurisdiction_id == jurisdiction_id]

    def invalidate(self) -> None:
        with self._lock:
            self._snapshot = None

    def _current(self, session: Session) -> _Snapshot:
        signature = area_signature(session)
        snapshot = self._snapshot
        if snapshot is not None and snapshot.signature == signature:
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.signature != signature:
                self._snapshot = _build(session, signature)
            return self._snapshot


_SIGNATURE_KEY = "machikoe.area_signature"


def area_signature(session: Session) -> tuple:
    """What identifies the current jurisdictions and areas: row counts, newest update, newest id.

    It is read from the database once per transaction of ``session`` and
    remembered in ``session.info`` until that transaction ends, so several
    lookups in one transaction cost one query.
    """
    if isinstance(session, scoped_session):
        session = session()
    remembered = session.info.get(_SIGNATURE_KEY)
    transaction = session.get_transaction()
    if remembered is not None and transaction is not None and remembered[0] is transaction:
        return remembered[1]
    row = session.execute(select(
        select(func.count(Jurisdiction.id)).scalar_subquery(),
        select(func.max(Jurisdiction.updated_at)).scalar_subquery(),
        select(func.count(Area.id)).scalar_subquery(),
        select(func.max(Area.updated_at)).scalar_subquery(),
        select(func.max(Area.id)).scalar_subquery(),
    )).one()
    signature = (str(session.get_bind().url), *row)
    session.info[_SIGNATURE_KEY] = (session.get_transaction(), signature)
    return signature


def _build(session: Session, signature: tuple) -> _Snapshot:
    jurisdictions = [(j.id, shape(j.boundary)) for j in session.scalars(select(Jurisdiction))]
    areas = [
        (AreaHit(a.id, a.jurisdiction_id, a.layer, a.code, a.name_ja), shape(a.geometry))
        for a in session.scalars(select(Area))
    ]
    return _Snapshot(signature, PolygonIndex(jurisdictions), PolygonIndex(areas))


coverage = Coverage()
