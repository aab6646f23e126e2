"""The offline geocoder built from the jurisdictions and areas in the database.

It answers 「みなと市中央区」-style addresses, and the report form's search for
a partly typed ward or 町丁目 name, without any network; it is the
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
from service.geo.names import join_once, split_place_name
from service.geocoding import GeocodeResult, OfflineArea, OfflineGeocoder, Place, Viewbox
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

    def search(self, query: str, *, viewbox: Viewbox, limit: int) -> list[Place]:
        return self._current().search(query, viewbox=viewbox, limit=limit)

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
    own_parts = {j.id: (j.prefecture_ja, j.county_ja, j.name_ja) for j in jurisdictions.values()}
    for j in jurisdictions.values():
        areas.append(OfflineArea(name_parts=join_once(own_parts[j.id], ()), geometry=shape(j.boundary), level=1))
    for a in session.scalars(select(Area).where(Area.layer.in_(ADDRESS_LAYERS))):
        # Imported areas carry their full name parts; an area named in full by hand
        # (千葉県千葉市中央区) is split, so no part is written twice.
        inner = (a.properties or {}).get("name_parts") or split_place_name(a.name_ja)
        parts = join_once(own_parts[a.jurisdiction_id], inner)
        areas.append(OfflineArea(name_parts=parts, geometry=shape(a.geometry), level=ADDRESS_LAYERS[a.layer]))
    return areas
