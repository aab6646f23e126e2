"""Geocoding from area polygons alone, with no network.

Areas (prefectures, municipalities, wards, imported for example from
国土数値情報 N03) answer with the name of the most specific area that contains
a position. Answers are marked approximate: they name an area, not a spot.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import shapely
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from .base import GeocodeResult, Place, Viewbox, check_coordinates

SOURCE = "offline"


@dataclass(frozen=True)
class OfflineArea:
    """A named polygon; ``level`` grows with specificity (prefecture < city < ward).

    ``name_parts`` runs from the widest name to the narrowest, such as
    ``("千葉県", "千葉市", "中央区")``; the geometry is in WGS 84 (x = longitude).
    """

    name_parts: tuple[str, ...]
    geometry: BaseGeometry
    level: int


class OfflineGeocoder:
    """Answers from a fixed set of areas, indexed once for fast lookups.

    Raises ``ValueError`` at construction for an area without a name or with an
    empty or invalid geometry, and from :meth:`reverse` for coordinates out of range.
    """

    def __init__(self, areas: Iterable[OfflineArea]) -> None:
        self._areas = list(areas)
        for area in self._areas:
            if not area.name_parts or not all(area.name_parts):
                raise ValueError("Every offline area needs a non-empty name")
            if area.geometry.is_empty or not area.geometry.is_valid:
                raise ValueError(f"Area {''.join(area.name_parts)} has an empty or invalid geometry")
        geometries = [area.geometry for area in self._areas]
        self._tree = STRtree(geometries)
        self._sizes = [geometry.area for geometry in geometries]
        self._representative_points = [geometry.representative_point() for geometry in geometries]

    def reverse(self, lat: float, lon: float) -> GeocodeResult | None:
        """The most specific area containing the position (its boundary included), or None."""
        check_coordinates(lat, lon)
        indices = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(indices) == 0:
            return None
        # The highest level wins; between overlapping areas of one level the smaller one is more specific.
        best = max(indices, key=lambda index: (self._areas[index].level, -self._sizes[index], -index))
        return _result(self._areas[best])

    def forward(self, query: str) -> Place | None:
        """The representative point of the area an address hint names, or None.

        An area matches when its own (narrowest) name appears in the hint; among
        matches, the one whose names cover most of the hint wins, then the most
        specific. 「千葉市中央区」 thus finds Chiba's 中央区 rather than Tokyo's.
        """
        text = _folded(query)
        if not text:
            return None
        best_index: int | None = None
        best_score: tuple[int, int, int] | None = None
        for index, area in enumerate(self._areas):
            if area.name_parts[-1] not in text:
                continue
            matched = sum(len(part) for part in area.name_parts if part in text)
            score = (matched, area.level, -index)
            if best_score is None or score > best_score:
                best_index, best_score = index, score
        if best_index is None:
            return None
        point = self._representative_points[best_index]
        return Place(lat=point.y, lon=point.x, result=_result(self._areas[best_index]))

    def search(self, query: str, *, viewbox: Viewbox, limit: int) -> list[Place]:
        """Areas inside ``viewbox`` whose name holds a partly typed ``query``, best first.

        A name that begins with the query comes before one that only holds it,
        then the shorter (closer to what was typed), then the more specific,
        then by name, so that equals come in the same order on every database.
        Level 1, the widest areas (a prefecture, or the jurisdiction itself), is
        left out: a pin placed at its middle says nothing of where the report is.
        The query matches the full name too, so 「千葉市中」 finds 千葉市中央区.
        """
        text = _folded(query)
        if not text or limit < 1:
            return []
        west, south, east, north = viewbox
        ranked = []
        for index, area in enumerate(self._areas):
            narrowest = area.name_parts[-1]
            point = self._representative_points[index]
            if area.level <= 1 or text not in "".join(area.name_parts):
                continue
            if not (west <= point.x <= east and south <= point.y <= north):
                continue
            ranked.append(((not narrowest.startswith(text), len(narrowest), -area.level, area.name_parts, index), index))
        ranked.sort()
        return [Place(lat=self._representative_points[i].y, lon=self._representative_points[i].x,
                      result=_result(self._areas[i])) for _, i in ranked[:limit]]


def _folded(query: str) -> str:
    """The query in NFKC (full-width digits and letters folded) without any spaces."""
    return "".join(unicodedata.normalize("NFKC", query).split())


def _result(area: OfflineArea) -> GeocodeResult:
    return GeocodeResult(address="".join(area.name_parts), parts=name_parts_to_address_parts(area.name_parts),
                         approximate=True, source=SOURCE)


def name_parts_to_address_parts(names: tuple[str, ...]) -> dict[str, str]:
    """Classify names by their suffix: 都道府県 is the prefecture, a 区 after a
    city is its ward, a 郡 joins the town after it, anything else is the city
    (a Tokyo special ward included), and what follows the ward is the district."""
    parts: dict[str, str] = {}
    county = ""
    for index, name in enumerate(names):
        if index == 0 and name.endswith(("都", "道", "府", "県")) and len(names) > 1:
            parts["prefecture"] = name
        elif name.endswith("郡") and "city" not in parts:
            county = name
        elif "city" not in parts:
            parts["city"] = county + name
        elif name.endswith("区") and "ward" not in parts:
            parts["ward"] = name
        else:
            parts["district"] = parts.get("district", "") + name
    return parts
