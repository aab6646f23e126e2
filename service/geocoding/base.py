"""What every geocoder answers, and the one error a caller has to handle.

A geocoder turns a position into an address (``reverse``) or an address hint
into a position (``forward``); a place search (``search``) offers the few
places a partly typed name may mean, inside a box. Remote geocoders raise
:class:`GeocoderUnavailable` when the service could not answer after its
retries; "nothing is there" is ``None``, never an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class GeocodeResult:
    """An address in Japanese order, with its named parts.

    ``parts`` holds only the keys that are known, among ``prefecture``,
    ``city``, ``ward``, ``district``, ``block``, ``house_number`` and
    ``postcode``. ``approximate`` is true when the address names an area that
    contains the position rather than the position itself.
    """

    address: str
    parts: dict[str, str] = field(hash=False)
    approximate: bool
    source: str


@dataclass(frozen=True)
class Place:
    """A forward geocoding answer: a position and the address found for it."""

    lat: float
    lon: float
    result: GeocodeResult


class GeocoderUnavailable(RuntimeError):
    """Raised when a remote geocoder failed after its retries: timeouts,
    5xx answers, refused connections or answers it could not read."""


class Geocoder(Protocol):
    def reverse(self, lat: float, lon: float) -> GeocodeResult | None:
        """Return the address at the position, or None when nothing is there.

        Raises :class:`GeocoderUnavailable` when the service cannot answer.
        """

    def forward(self, query: str) -> Place | None:
        """Return the position of an address hint, or None when unknown.

        Raises :class:`GeocoderUnavailable` when the service cannot answer.
        """


# (west, south, east, north) in WGS 84 degrees, as a jurisdiction's bbox is written.
Viewbox = tuple[float, float, float, float]


class PlaceSearch(Protocol):
    def search(self, query: str, *, viewbox: Viewbox, limit: int) -> list[Place]:
        """Up to ``limit`` places inside ``viewbox`` that ``query`` may name, best first; [] when none.

        Raises :class:`GeocoderUnavailable` when the service cannot answer.
        """


def check_coordinates(lat: float, lon: float) -> None:
    """Raise ``ValueError`` unless (lat, lon) is a finite WGS 84 position."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise ValueError("Coordinates must be finite numbers")
    if not -90.0 <= lat <= 90.0:
        raise ValueError("Latitude must be between -90 and 90")
    if not -180.0 <= lon <= 180.0:
        raise ValueError("Longitude must be between -180 and 180")
