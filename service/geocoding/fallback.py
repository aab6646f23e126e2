"""A remote geocoder backed by a local one.

When the primary geocoder (Nominatim) is down or finds nothing, the fallback
(offline areas) still gives the report an approximate address, so processing
never stalls on an outside service.
"""

from __future__ import annotations

import dataclasses
import logging

from .base import Geocoder, GeocodeResult, GeocoderUnavailable, Place, PlaceSearch, Viewbox

logger = logging.getLogger(__name__)


class FallbackGeocoder:
    """Asks ``primary`` first and ``fallback`` when it is unavailable or finds nothing.

    Fallback answers are always marked approximate. Raises
    :class:`GeocoderUnavailable` only if the fallback itself raises it.
    """

    def __init__(self, primary: Geocoder, fallback: Geocoder) -> None:
        self.primary = primary
        self.fallback = fallback

    def reverse(self, lat: float, lon: float) -> GeocodeResult | None:
        try:
            result = self.primary.reverse(lat, lon)
        except GeocoderUnavailable as error:
            # The message names the failure only: positions are residents' personal data.
            logger.warning("Primary geocoder unavailable for reverse geocoding, using fallback: %s", error)
            result = None
        if result is not None:
            return result
        fallback_result = self.fallback.reverse(lat, lon)
        return _approximate(fallback_result) if fallback_result is not None else None

    def forward(self, query: str) -> Place | None:
        try:
            place = self.primary.forward(query)
        except GeocoderUnavailable as error:
            logger.warning("Primary geocoder unavailable for forward geocoding, using fallback: %s", error)
            place = None
        if place is not None:
            return place
        fallback_place = self.fallback.forward(query)
        if fallback_place is None:
            return None
        return dataclasses.replace(fallback_place, result=_approximate(fallback_place.result))


class FallbackPlaceSearch:
    """Searches ``primary`` first and ``fallback`` when it is unavailable or finds nothing.

    Fallback answers are marked approximate, as :class:`FallbackGeocoder`'s are.
    """

    def __init__(self, primary: PlaceSearch, fallback: PlaceSearch) -> None:
        self.primary = primary
        self.fallback = fallback

    def search(self, query: str, *, viewbox: Viewbox, limit: int) -> list[Place]:
        try:
            places = self.primary.search(query, viewbox=viewbox, limit=limit)
        except GeocoderUnavailable as error:
            # As above: the message names the failure, never what the resident typed.
            logger.warning("Primary geocoder unavailable for place search, using fallback: %s", error)
            places = []
        if places:
            return places
        return [dataclasses.replace(place, result=_approximate(place.result))
                for place in self.fallback.search(query, viewbox=viewbox, limit=limit)]


def _approximate(result: GeocodeResult) -> GeocodeResult:
    return dataclasses.replace(result, approximate=True)
