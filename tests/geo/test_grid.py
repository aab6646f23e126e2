import math
import random

import pytest

from service.geo.grid import (
    DEFAULT_PRECISION,
    EARTH_RADIUS_M,
    cells_covering,
    geohash_bounds,
    geohash_encode,
    haversine_m,
)


def destination(lat: float, lon: float, bearing_deg: float, distance_m: float) -> tuple[float, float]:
    """The point reached from (lat, lon) along a great circle, on the same sphere as haversine_m."""
    phi, lam = math.radians(lat), math.radians(lon)
    theta, delta = math.radians(bearing_deg), distance_m / EARTH_RADIUS_M
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi),
        math.cos(delta) - math.sin(phi) * math.sin(phi2),
    )
    lon2 = (math.degrees(lam2) + 540.0) % 360.0 - 180.0
    return math.degrees(phi2), lon2


@pytest.mark.parametrize(
    ("geohash", "lat", "lon"),
    [
        ("ezs42", 42.6, -5.6),
        ("u4pruydqqvj", 57.64911, 10.40744),
        ("xn76urx", 35.6812, 139.7671),
        ("s0000", 0.0, 0.0),
    ],
)
def test_geohash_encode_matches_known_values(geohash, lat, lon):
    assert geohash_encode(lat, lon, len(geohash)) == geohash


def test_geohash_bounds_contain_the_encoded_point():
    south, west, north, east = geohash_bounds("ezs42")
    assert (south, west, north, east) == (42.5830078125, -5.625, 42.626953125, -5.5810546875)
    assert south <= 42.6 < north and west <= -5.6 < east


def test_point_on_cell_edge_belongs_to_the_cell_north_and_east():
    south, west, _, _ = geohash_bounds("xn76urx")
    assert geohash_encode(south, west, 7) == "xn76urx"


@pytest.mark.parametrize(
    ("lat", "lon", "precision"),
    [(91.0, 0.0, 7), (0.0, 180.5, 7), (math.nan, 0.0, 7), (0.0, 0.0, 0), (0.0, 0.0, 13)],
)
def test_geohash_encode_refuses_impossible_input(lat, lon, precision):
    with pytest.raises(ValueError):
        geohash_encode(lat, lon, precision)


def test_haversine_matches_known_distance_tokyo_to_osaka():
    # Tokyo Station to Osaka Station is about 403 km as the crow flies.
    assert haversine_m(35.6812, 139.7671, 34.7025, 135.4959) == pytest.approx(403_000, rel=0.01)
    assert haversine_m(35.0, 139.0, 35.0, 139.0) == 0.0


def test_default_precision_is_seven():
    assert DEFAULT_PRECISION == 7


@pytest.mark.parametrize("centre_lat", [0.0, 26.2, 35.68, 43.06, 45.52])
def test_every_point_within_radius_is_in_a_covering_cell(centre_lat):
    rng = random.Random(20240401 + int(centre_lat * 100))
    checked = 0
    for _ in range(150):
        lat = centre_lat + rng.uniform(-0.05, 0.05)
        lon = 139.0 + rng.uniform(-0.05, 0.05)
        radius = rng.choice([10.0, 50.0, 100.0, 150.0, rng.uniform(1.0, 150.0)])
        cells = set(cells_covering(lat, lon, radius))
        for _ in range(20):
            # Half the points are drawn on the rim of the circle, where a missing
            # cell would show first.
            distance = radius * (math.sqrt(rng.random()) if rng.random() < 0.5 else 1.0 - 1e-9)
            q_lat, q_lon = destination(lat, lon, rng.uniform(0.0, 360.0), distance)
            if haversine_m(lat, lon, q_lat, q_lon) <= radius:
                assert geohash_encode(q_lat, q_lon, DEFAULT_PRECISION) in cells
                checked += 1
    assert checked > 2900


@pytest.mark.parametrize("centre_lat", [35.68, 43.06, 45.52])
def test_covering_holds_for_centres_and_points_on_cell_edges(centre_lat):
    rng = random.Random(7 + int(centre_lat * 100))
    checked = 0
    for _ in range(200):
        # A centre on a cell corner or a hair away from it, on either side.
        cell = geohash_encode(centre_lat + rng.uniform(-0.05, 0.05), 141.0 + rng.uniform(-0.05, 0.05), 7)
        south, west, north, east = geohash_bounds(cell)
        lat = rng.choice([south, north]) + rng.choice([0.0, 1e-10, -1e-10])
        lon = rng.choice([west, east]) + rng.choice([0.0, 1e-10, -1e-10])
        radius = rng.choice([150.0, rng.uniform(1.0, 150.0)])
        cells = set(cells_covering(lat, lon, radius))
        height = north - south
        for _ in range(20):
            q_lat, q_lon = destination(lat, lon, rng.uniform(0.0, 360.0), radius * math.sqrt(rng.random()))
            # Snap one coordinate onto the nearest cell edge, where the "edge
            # belongs to the north/east cell" rule decides.
            if rng.random() < 0.5:
                q_lat = south + round((q_lat - south) / height) * height
            else:
                q_lon = west + round((q_lon - west) / (east - west)) * (east - west)
            if haversine_m(lat, lon, q_lat, q_lon) <= radius:
                assert geohash_encode(q_lat, q_lon, 7) in cells
                checked += 1
    assert checked > 2000


def test_covering_150_m_in_hokkaido_needs_more_than_a_three_by_three_block():
    # Precision-7 cells are about 110 m wide at 43°N, so a 150 m circle centred
    # on a cell edge reaches two columns on each side.
    south, west, north, _ = geohash_bounds(geohash_encode(43.06, 141.35, 7))
    cells = cells_covering((south + north) / 2, west, 150.0)
    columns = {geohash_bounds(cell)[1] for cell in cells}
    assert len(columns) == 4
    assert len(cells) <= 12
    east_point = destination((south + north) / 2, west, 90.0, 149.0)
    west_point = destination((south + north) / 2, west, 270.0, 149.0)
    assert geohash_encode(*east_point, 7) in cells
    assert geohash_encode(*west_point, 7) in cells


def test_covering_of_zero_radius_is_the_cell_of_the_point():
    assert cells_covering(35.6812, 139.7671, 0.0) == ["xn76urx"]


def test_covering_across_the_antimeridian_includes_both_sides():
    cells = cells_covering(10.0, 179.9999, 150.0)
    assert any(geohash_bounds(cell)[1] < 0 for cell in cells)
    assert any(geohash_bounds(cell)[1] > 0 for cell in cells)
    q_lat, q_lon = destination(10.0, 179.9999, 90.0, 140.0)
    assert q_lon < 0
    assert geohash_encode(q_lat, q_lon, 7) in cells


def test_covering_refuses_a_radius_too_large_for_the_precision():
    with pytest.raises(ValueError, match="lower precision"):
        cells_covering(35.0, 139.0, 50_000.0, 7)
    coarse = cells_covering(35.0, 139.0, 50_000.0, 3)
    assert geohash_encode(35.0, 139.0, 3) in coarse
    assert len(coarse) <= 9


@pytest.mark.parametrize("radius", [-1.0, math.inf, math.nan])
def test_covering_refuses_a_bad_radius(radius):
    with pytest.raises(ValueError):
        cells_covering(35.0, 139.0, radius)
