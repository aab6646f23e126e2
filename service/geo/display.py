"""Boundaries for drawing on a map, next to the exact ones kept for coverage.

An N03 boundary carries a vertex every few metres; a phone drawing the
outline on a map needs one every few tens of metres. `display_boundary`
simplifies (keeping the topology valid) and rounds coordinates to about 10 cm,
and remembers its answer per boundary version, since boundaries change a few
times a year and are read on every app start.
"""

from __future__ import annotations

import threading
from typing import Any

from shapely import set_precision
from shapely.geometry import mapping, shape

# About 30 m at Japanese latitudes: finer than a map at city scale shows.
DISPLAY_TOLERANCE_DEG = 0.0003
# About 10 cm.
GRID_DEG = 0.000001

_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[dict[str, Any], list[float]]] = {}


def display_boundary(key: str, version: str, boundary: dict[str, Any]) -> tuple[dict[str, Any], list[float]]:
    """The simplified GeoJSON geometry and the bbox [west, south, east, north] of an exact boundary.

    `key` and `version` (such as a code and an update time) name the boundary,
    so a changed boundary is simplified again. Never raises on a valid geometry.
    """
    with _lock:
        found = _cache.get((key, version))
    if found is not None:
        return found
    exact = shape(boundary)
    simplified = set_precision(exact.simplify(DISPLAY_TOLERANCE_DEG, preserve_topology=True), GRID_DEG)
    if simplified.is_empty or not simplified.is_valid:
        simplified = exact
    result = (mapping(simplified), [round(v, 6) for v in exact.bounds])
    with _lock:
        for stale in [k for k in _cache if k[0] == key]:
            del _cache[stale]
        _cache[(key, version)] = result
    return result
