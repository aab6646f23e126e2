"""The places a resident may mean by a partly typed name, inside one jurisdiction.

The report form's address search (and the app's) offers them as the resident
types; choosing one moves the pin there. The search runs through the
configured :class:`~service.geocoding.PlaceSearch` (Nominatim bounded to the
jurisdiction's box, else the jurisdiction's own areas), and only places inside
the jurisdiction's boundary are kept, so every suggestion can be reported at.

A suggestion carries a public place only: its name and position, never
anything of a report. What the resident typed is no one else's business: it
reaches neither a log line nor an answer for another query, and the brief
cache keeps it only as a digest.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from service.domain.coverage import coverage, setup_signature
from service.geo.display import display_boundary
from service.geocoding import GeocodeCache, PlaceSearch
from service.geocoding.nominatim import normalise_query
from service.models import Jurisdiction

# Enough room for places across the boundary but inside its box, which are dropped.
LIMIT_MAX = 10
# Suggestions are kept this long: enough for the next resident typing the same ward's name.
CACHE_SECONDS = 300


@dataclass(frozen=True)
class Suggestion:
    """A place to offer: its name as an address, its position, and whether it names an area rather than a spot."""

    label: str
    lat: float
    lon: float
    approximate: bool


def suggest(session: Session, search: PlaceSearch, jurisdiction: Jurisdiction, query: str, *, limit: int,
            cache: GeocodeCache | None = None) -> list[Suggestion]:
    """Up to ``limit`` places inside ``jurisdiction`` that ``query`` may name, best first.

    A blank query finds nothing. Raises
    :class:`~service.geocoding.GeocoderUnavailable` only when the search and
    its fallback both failed.
    """
    normalised = normalise_query(query)
    if not normalised:
        return []
    digest = hashlib.sha256(normalised.encode()).hexdigest()
    # The setup's signature changes with any jurisdiction or area, so an import of 町丁目 is searched at once.
    setup = hashlib.sha256(repr(setup_signature(session)).encode()).hexdigest()[:16]
    key = f"suggest:{jurisdiction.code}:{setup}:{limit}:{digest}"
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        return [Suggestion(**found) for found in cached["places"]]
    _, bbox = display_boundary(jurisdiction.code, str(jurisdiction.updated_at), jurisdiction.boundary)
    west, south, east, north = bbox
    # Asked for a few more than shown: those across the boundary but inside the box are dropped below.
    places = search.search(normalised, viewbox=(west, south, east, north), limit=min(limit * 2, LIMIT_MAX * 2))
    found: list[Suggestion] = []
    seen: set[str] = set()
    for place in places:
        label = place.result.address
        if not label or label in seen or coverage.jurisdiction_at(session, place.lon, place.lat) != jurisdiction.id:
            continue
        seen.add(label)
        found.append(Suggestion(label=label, lat=round(place.lat, 6), lon=round(place.lon, 6),
                                approximate=place.result.approximate))
        if len(found) == limit:
            break
    if cache is not None:
        cache.set(key, {"places": [dataclasses.asdict(s) for s in found]}, CACHE_SECONDS)
    return found
