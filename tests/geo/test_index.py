import math
import random

import pytest
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from service.geo.index import PolygonIndex

# Two wards sharing the meridian 140.0 as their border, inside a city.
WEST_WARD = box(139.9, 35.5, 140.0, 35.7)
EAST_WARD = box(140.0, 35.5, 140.1, 35.7)
CITY = box(139.8, 35.4, 140.2, 35.8)


def test_point_in_polygon_returns_its_key_and_outside_returns_nothing():
    index = PolygonIndex([("west", WEST_WARD)])
    assert index.containing(139.95, 35.6) == ["west"]
    assert index.containing(139.5, 35.6) == []
    assert len(index) == 1


def test_point_in_a_hole_is_not_contained():
    # A park polygon with a pond cut out of it.
    park = Polygon(
        [(0, 0), (10, 0), (10, 10), (0, 10)],
        [[(4, 4), (6, 4), (6, 6), (4, 6)]],
    )
    index = PolygonIndex([("park", park)])
    assert index.containing(5, 5) == []
    assert index.containing(2, 2) == ["park"]
    # The hole's edge still belongs to the park.
    assert index.containing(4, 5) == ["park"]


def test_every_island_of_a_multipolygon_is_contained():
    town = MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6), box(10, 0, 11, 1)])
    index = PolygonIndex([(42, town)])
    assert index.containing(0.5, 0.5) == [42]
    assert index.containing(5.5, 5.5) == [42]
    assert index.containing(10.5, 0.5) == [42]
    assert index.containing(3, 3) == []


def test_point_exactly_on_an_edge_or_a_vertex_counts_as_inside():
    triangle = Polygon([(0, 0), (4, 0), (0, 4)])
    index = PolygonIndex([("t", triangle)])
    assert index.containing(2, 0) == ["t"]
    assert index.containing(2, 2) == ["t"]  # on the slanted edge
    assert index.containing(4, 0) == ["t"]
    assert index.containing(0, 0) == ["t"]
    assert index.containing(2.0000001, 2) == []


def test_shared_border_returns_both_wards_smallest_area_first_then_insertion_order():
    small_east = box(140.0, 35.5, 140.05, 35.7)
    index = PolygonIndex([("city", CITY), ("west", WEST_WARD), ("east", small_east)])
    assert index.containing(140.0, 35.6) == ["east", "west", "city"]

    # Equal areas keep the order in which they were given.
    index = PolygonIndex([("west", WEST_WARD), ("east", EAST_WARD)])
    assert index.containing(140.0, 35.6) == ["west", "east"]
    index = PolygonIndex([("east", EAST_WARD), ("west", WEST_WARD)])
    assert index.containing(140.0, 35.6) == ["east", "west"]


def test_batch_lookup_equals_single_lookups_on_random_points():
    rng = random.Random(1234)
    polygons = []
    for key in range(300):
        lon, lat = rng.uniform(130, 145), rng.uniform(30, 45)
        size = rng.choice([0.05, 0.3, 1.0])
        shape = box(lon, lat, lon + size, lat + size)
        if key % 3 == 0:
            shape = shape.difference(box(lon + size / 4, lat + size / 4, lon + size / 2, lat + size / 2))
        if key % 5 == 0:
            shape = MultiPolygon([shape, box(lon + 2, lat, lon + 2 + size, lat + size)])
        polygons.append((f"area-{key}", shape))
    index = PolygonIndex(polygons)

    lons = [rng.uniform(129, 148) for _ in range(5000)]
    lats = [rng.uniform(29, 46) for _ in range(5000)]
    # Some points sit exactly on polygon corners and edges.
    for position, (_, shape) in enumerate(polygons[:200]):
        x, y = shape.exterior.coords[0] if isinstance(shape, Polygon) else shape.geoms[0].exterior.coords[0]
        lons[position], lats[position] = x, y
    batch = index.containing_many(lons, lats)

    assert batch == [index.containing(lon, lat) for lon, lat in zip(lons, lats)]
    assert sum(1 for keys in batch if keys) > 500
    # The lookups agree with shapely's own "covers" test.
    for lon, lat, keys in list(zip(lons, lats, batch))[:1000]:
        point = Point(lon, lat)
        assert set(keys) == {key for key, shape in polygons if shape.covers(point)}


def test_batch_lookup_of_no_points_and_of_an_empty_index():
    index = PolygonIndex([("west", WEST_WARD)])
    assert index.containing_many([], []) == []
    empty: PolygonIndex[str] = PolygonIndex([])
    assert len(empty) == 0
    assert empty.containing(139.95, 35.6) == []
    assert empty.containing_many([139.95], [35.6]) == [[]]


def test_non_finite_coordinates_match_nothing():
    index = PolygonIndex([("west", WEST_WARD)])
    assert index.containing(math.nan, 35.6) == []
    assert index.containing_many([math.nan, 139.95], [35.6, 35.6]) == [[], ["west"]]


def test_batch_lookup_refuses_mismatched_coordinate_arrays():
    index = PolygonIndex([("west", WEST_WARD)])
    with pytest.raises(ValueError, match="equal length"):
        index.containing_many([139.95, 139.96], [35.6])


def test_index_refuses_geometries_that_are_not_areas():
    with pytest.raises(ValueError, match="entry 1: expected a Polygon or MultiPolygon"):
        PolygonIndex([("ok", WEST_WARD), ("road", LineString([(0, 0), (1, 1)]))])
    with pytest.raises(ValueError, match="empty"):
        PolygonIndex([("nothing", Polygon())])
