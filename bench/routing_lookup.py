"""Throughput of area lookups for routing.

Builds 2,000 random areas over a Japan-sized box (mixed sizes, some with holes,
some with islands) and 200,000 random report positions, then measures:

- `PolygonIndex.containing_many` (the batch path used by workers),
- its ceiling in the same run: a bare `STRtree.query(points, predicate="intersects")`
  over the raw geometries, which finds the matches but neither orders them nor
  maps them to keys,
- `PolygonIndex.containing` one point at a time.

Run with `python bench/routing_lookup.py`. Exits with status 1 when the batch
path is below 50,000 lookups per second.
"""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import MultiPolygon, Polygon

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from service.geo.index import PolygonIndex

AREA_COUNT = 2_000
POINT_COUNT = 200_000
SINGLE_POINT_COUNT = 20_000
REQUIRED_LOOKUPS_PER_SECOND = 50_000
# Roughly the extent of Japan, Okinawa to Hokkaido.
LON_RANGE = (123.0, 146.0)
LAT_RANGE = (24.0, 46.0)
ROUNDS = 3


def blob(rng: np.random.Generator, lon: float, lat: float, radius: float, vertices: int) -> Polygon:
    """A star-shaped polygon with a wobbly outline, like a ward boundary."""
    angles = np.sort(rng.uniform(0, 2 * math.pi, vertices))
    radii = radius * rng.uniform(0.6, 1.0, vertices)
    return Polygon(np.column_stack((lon + radii * np.cos(angles), lat + radii * np.sin(angles))))


def random_areas(rng: np.random.Generator) -> list[tuple[int, Polygon | MultiPolygon]]:
    areas: list[tuple[int, Polygon | MultiPolygon]] = []
    for key in range(AREA_COUNT):
        lon = rng.uniform(*LON_RANGE)
        lat = rng.uniform(*LAT_RANGE)
        # Mostly ward-sized areas, some towns, a few prefecture-sized ones.
        radius = rng.choice([0.02, 0.05, 0.15, 0.5, 1.5], p=[0.35, 0.3, 0.2, 0.1, 0.05])
        shape = blob(rng, lon, lat, radius, int(rng.integers(12, 80)))
        if key % 4 == 0:
            hole = blob(rng, lon, lat, radius * 0.3, 16)
            shape = Polygon(shape.exterior.coords, [hole.exterior.coords])
        area: Polygon | MultiPolygon = shape
        if key % 5 == 0:
            islands = [
                blob(rng, lon + radius * rng.uniform(2.2, 4), lat + radius * rng.uniform(-2, 2), radius * 0.3, 20)
                for _ in range(int(rng.integers(1, 5)))
            ]
            # Islands may overlap the main shape; the union keeps the area valid.
            united = shapely.unary_union([shape, *islands])
            assert isinstance(united, Polygon | MultiPolygon)  # a union of polygons is polygonal
            area = united
        areas.append((key, area))
    return areas


def best_time(function) -> float:
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> int:
    rng = np.random.default_rng(2024)
    areas = random_areas(rng)
    lons = rng.uniform(*LON_RANGE, POINT_COUNT)
    lats = rng.uniform(*LAT_RANGE, POINT_COUNT)

    started = time.perf_counter()
    index = PolygonIndex(areas)
    build_seconds = time.perf_counter() - started

    # The ceiling runs on separate copies so that nothing prepared by the index
    # helps it.
    raw = shapely.from_wkb(shapely.to_wkb(np.array([shape for _, shape in areas], dtype=object)))
    tree = STRtree(raw)

    results = index.containing_many(lons, lats)
    matched = sum(1 for keys in results if keys)
    pairs = sum(len(keys) for keys in results)
    bare_pairs = tree.query(shapely.points(lons, lats), predicate="intersects").shape[1]
    if bare_pairs != pairs:
        print(f"mismatch: index found {pairs} matches, bare STRtree {bare_pairs}")
        return 1

    batch_seconds = best_time(lambda: index.containing_many(lons, lats))
    bare_seconds = best_time(lambda: tree.query(shapely.points(lons, lats), predicate="intersects"))
    single_lons, single_lats = lons[:SINGLE_POINT_COUNT].tolist(), lats[:SINGLE_POINT_COUNT].tolist()

    def single_lookups() -> None:
        for lon, lat in zip(single_lons, single_lats):
            index.containing(lon, lat)

    single_seconds = best_time(single_lookups)

    batch_rate = POINT_COUNT / batch_seconds
    bare_rate = POINT_COUNT / bare_seconds
    single_rate = SINGLE_POINT_COUNT / single_seconds
    print(f"areas: {AREA_COUNT}, points: {POINT_COUNT}, index built in {build_seconds * 1000:.0f} ms")
    print(f"points inside at least one area: {matched} ({pairs} area matches)")
    print(f"PolygonIndex.containing_many:        {batch_rate:12,.0f} lookups/s")
    print(f"bare STRtree.query(intersects):      {bare_rate:12,.0f} lookups/s")
    print(f"ratio containing_many / bare query:  {batch_rate / bare_rate:12.2f}")
    print(f"PolygonIndex.containing (one by one): {single_rate:11,.0f} lookups/s")
    if batch_rate < REQUIRED_LOOKUPS_PER_SECOND:
        print(f"FAIL: batch throughput below {REQUIRED_LOOKUPS_PER_SECOND:,} lookups/s")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
