"""The offline geocoder built from the jurisdictions and areas in the database.

It answers 「みなと市中央区」-style addresses without any network, is the
embedded default, and is the fallback when Nominatim is away. It is rebuilt
when jurisdictions or areas change (or the categories, which share their signature).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.coverage import setup_signature
from service.geocoding import GeocodeResult, OfflineArea, OfflineGeocoder, Place
from service.models import Area, Jurisdiction

# Area layers that name a part of an address, and how specific each is.
ADDRESS_LAYERS = {"ward": 2, "n03": 2, "district": 3}


class AreaGeocoder:
    def __init__(self, session: Callable[[], Session]) -> None:
        self._session = session
        self._lock = threading.Lock()
        self._signature: tuple | None = None
        self._geocoder: OfflineGeocoder | None = None

    def reverse(self, lat: float, lon: float) -> GeocodeResult | None:
        return self._current().reverse(lat, lon)

    def forward(self, query: str) -> Place | None:
        return self._current().forward(query)

    def _current(self) -> OfflineGeocoder:
        session = self._session()
        signature = setup_signature(session)
        with self._lock:
            if self._geocoder is None or signature != self._signature:
                self._geocoder = OfflineGeocoder(_areas(session))
                self._signature = signature
            return self._geocoder


def _areas(session: Session) -> list[OfflineArea]:
    jurisdictions = {j.id: j for j in session.scalars(select(Jurisdiction))}
    areas = []
    for j in jurisdictions.values():
        parts = tuple(p for p in (j.prefecture_ja, j.name_ja) if p)
        areas.append(OfflineArea(name_parts=parts, geometry=shape(j.boundary), level=1))
    for a in session.scalars(select(Area).where(Area.layer.in_(ADDRESS_LAYERS))):
        j = jurisdictions[a.jurisdiction_id]
        # Areas imported from N03 carry their own full name parts.
        parts = tuple((a.properties or {}).get("name_parts") or (p for p in (j.prefecture_ja, j.name_ja, a.name_ja) if p))
        areas.append(OfflineArea(name_parts=parts, geometry=shape(a.geometry), level=ADDRESS_LAYERS[a.layer]))
    return areas
