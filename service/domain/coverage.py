"""Which jurisdiction and which areas cover a point, and which categories it offers.

Polygons are kept in the database as GeoJSON and indexed in each process with
shapely, beside the terms of each jurisdiction's active categories. The
snapshot is rebuilt when the jurisdictions, areas or categories change. A
change committed by this process is seen at once (a session event drops the
snapshot); one made by another process is noticed by a cheap signature query
(row counts and newest update times), asked at most once every
``RECHECK_SECONDS`` per database and once per transaction, so that a stream
of reports does not pay a query each for a setup that changes a few times a
year.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, scoped_session

from service.domain.committed_changes import after_commit_of
from service.geo.index import PolygonIndex
from service.models import Area, Category, Jurisdiction


@dataclass(frozen=True)
class AreaHit:
    id: int
    jurisdiction_id: int
    layer: str
    code: str
    name_ja: str


@dataclass(frozen=True)
class CategoryTerms:
    """What intake needs of an active category: its id, its response targets in business days, its questions."""

    id: int
    code: str
    first_response_days: int
    resolution_days: int
    attributes: tuple[dict[str, Any], ...] = ()


# How long another process's change to jurisdictions, areas or categories may go unnoticed.
RECHECK_SECONDS = 1.0


@dataclass
class _Snapshot:
    signature: tuple
    jurisdictions: PolygonIndex[int]
    areas: PolygonIndex[AreaHit]
    categories: dict[tuple[int, str], CategoryTerms]
    checked_at: float


class Coverage:
    """A per-process cache of the jurisdiction and area indexes and of the active categories."""

    def __init__(self, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self._lock = threading.Lock()
        self._recheck_seconds = recheck_seconds
        self._snapshots: dict[str, _Snapshot] = {}

    def jurisdiction_at(self, session: Session, lon: float, lat: float) -> int | None:
        """The id of the jurisdiction covering the point, or None outside every one."""
        hits = self._current(session).jurisdictions.containing(lon, lat)
        return hits[0] if hits else None

    def areas_at(self, session: Session, lon: float, lat: float, jurisdiction_id: int | None = None) -> list[AreaHit]:
        """The areas covering the point, smallest first."""
        hits = self._current(session).areas.containing(lon, lat)
        return [h for h in hits if jurisdiction_id is None or h.jurisdiction_id == jurisdiction_id]

    def category(self, session: Session, jurisdiction_id: int, code: str) -> CategoryTerms | None:
        """The active category ``code`` of the jurisdiction, or None when it has none such."""
        return self._current(session).categories.get((jurisdiction_id, code))

    def invalidate(self) -> None:
        with self._lock:
            self._snapshots.clear()

    def _current(self, session: Session) -> _Snapshot:
        database = str(_plain(session).get_bind().engine.url)
        snapshot = self._snapshots.get(database)
        now = time.monotonic()
        if snapshot is not None and now - snapshot.checked_at < self._recheck_seconds:
            return snapshot
        signature = setup_signature(session)
        if snapshot is not None and snapshot.signature == signature:
            snapshot.checked_at = now
            return snapshot
        with self._lock:
            snapshot = self._snapshots.get(database)
            if snapshot is None or snapshot.signature != signature:
                snapshot = self._snapshots[database] = _build(session, signature, now)
            return snapshot


_SIGNATURE_KEY = "machikoe.setup_signature"


def setup_signature(session: Session) -> tuple:
    """What identifies the current setup: row counts, newest updates, newest area id.

    It is read from the database once per transaction of ``session`` and
    remembered in ``session.info`` until that transaction ends, so several
    lookups in one transaction cost one query.
    """
    session = _plain(session)
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
        select(func.count(Category.id)).scalar_subquery(),
        select(func.max(Category.updated_at)).scalar_subquery(),
    )).one()
    signature = (str(session.get_bind().engine.url), *row)
    session.info[_SIGNATURE_KEY] = (session.get_transaction(), signature)
    return signature


def _plain(session: Session | scoped_session[Session]) -> Session:
    return session() if isinstance(session, scoped_session) else session


def _build(session: Session, signature: tuple, checked_at: float) -> _Snapshot:
    jurisdictions = [(j.id, shape(j.boundary)) for j in session.scalars(select(Jurisdiction))]
    areas = [
        (AreaHit(a.id, a.jurisdiction_id, a.layer, a.code, a.name_ja), shape(a.geometry))
        for a in session.scalars(select(Area))
    ]
    categories = {
        (c.jurisdiction_id, c.code): CategoryTerms(c.id, c.code, c.first_response_days, c.resolution_days,
                                                          tuple(c.attributes or ()))
        for c in session.scalars(select(Category).where(Category.active.is_(True)))
    }
    return _Snapshot(signature, PolygonIndex(jurisdictions), PolygonIndex(areas), categories, checked_at)


coverage = Coverage()

# A change this process commits to the rows the snapshot is built from drops it at once.
def _drop_snapshot() -> None:
    coverage.invalidate()


after_commit_of((Area, Category, Jurisdiction), _drop_snapshot)
