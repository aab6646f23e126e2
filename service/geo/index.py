"""Point-in-polygon lookups over many areas.

`PolygonIndex` answers "which areas cover this position?" for routing and for the
offline geocoder. Coordinates are (lon, lat), in that order, as in GeoJSON.

A point on an area's boundary counts as inside that area, so a report standing
exactly on the line between two wards matches both; callers then choose between
them (routing rules do so by priority). Results are ordered deterministically:
smallest area first (the most local match), then the order the areas were given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

K = TypeVar("K")


class PolygonIndex(Generic[K]):
    """An immutable spatial index from keys to Polygon or MultiPolygon geometries.

    Geometries are expected to be valid, as `read_areas` returns them; where an
    invalid geometry overlaps itself the answer is unspecified.

    Raises `ValueError` at construction when a geometry is not a non-empty
    Polygon or MultiPolygon. Lookups never raise for finite coordinates;
    non-finite coordinates (NaN, infinity) match no area.
    """

    def __init__(self, entries: Iterable[tuple[K, BaseGeometry]]) -> None:
        keys: list[K] = []
        geometries: list[BaseGeometry] = []
        for position, (key, geometry) in enumerate(entries):
            if not isinstance(geometry, (Polygon, MultiPolygon)):
                raise ValueError(
                    f"entry {position}: expected a Polygon or MultiPolygon, "
                    f"got {geometry.geom_type}"
                )
            if geometry.is_empty:
                raise ValueError(f"entry {position}: geometry is empty")
            keys.append(key)
            geometries.append(geometry)

        # The tree is built over the geometries already sorted by (area, insertion
        # order), so a tree index is also the rank of the result. Sorting the
        # matches of a point then only needs an integer sort.
        areas = np.array([geometry.area for geometry in geometries], dtype=float)
        order = np.lexsort((np.arange(len(geometries)), areas))
        self._keys: list[K] = [keys[i] for i in order]
        self._key_array = np.empty(len(self._keys), dtype=object)
        self._key_array[:] = self._keys
        self._geometries = np.empty(len(geometries), dtype=object)
        self._geometries[:] = [geometries[i] for i in order]
        # Preparing only attaches a cached search structure to each geometry; the
        # geometries themselves are immutable, so sharing them with the caller is safe.
        shapely.prepare(self._geometries)
        self._tree = STRtree(self._geometries)

    def __len__(self) -> int:
        return len(self._keys)

    def containing(self, lon: float, lat: float) -> list[K]:
        """Return the keys whose geometry covers the point (lon, lat).

        A point on a boundary or a vertex is covered. Keys come smallest area
        first, then in insertion order.
        """
        point = shapely.points(lon, lat)
        candidates = self._tree.query(point)
        if candidates.size == 0:
            return []
        candidates.sort()
        hits = shapely.intersects_xy(self._geometries[candidates], lon, lat)
        return [self._keys[i] for i in candidates[hits]]

    def containing_many(
        self, lons: Sequence[float] | np.ndarray, lats: Sequence[float] | np.ndarray
    ) -> list[list[K]]:
        """Return, for each point, the same list `containing` would return.

        Raises `ValueError` when `lons` and `lats` differ in length or are not
        one-dimensional.
        """
        xs = np.asarray(lons, dtype=float)
        ys = np.asarray(lats, dtype=float)
        if xs.ndim != 1 or ys.ndim != 1 or xs.shape != ys.shape:
            raise ValueError("lons and lats must be one-dimensional and of equal length")
        count = xs.shape[0]
        if count == 0:
            return []

        # The tree gives bounding-box candidates as (point, geometry) pairs; the
        # exact test then runs on the prepared geometries in one vectorised call.
        # `intersects_xy` counts boundary points, which is the "covers" rule.
        point_idx, geom_idx = self._tree.query(shapely.points(xs, ys))
        hits = shapely.intersects_xy(
            self._geometries[geom_idx], xs[point_idx], ys[point_idx]
        )
        point_idx = point_idx[hits]
        geom_idx = geom_idx[hits]

        order = np.lexsort((geom_idx, point_idx))
        point_idx = point_idx[order]
        matched_keys = self._key_array[geom_idx[order]].tolist()

        ends = np.cumsum(np.bincount(point_idx, minlength=count)).tolist()
        starts = [0, *ends[:-1]]
        return [matched_keys[start:end] for start, end in zip(starts, ends)]
