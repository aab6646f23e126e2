"""Geohash cells for finding possible duplicate reports nearby.

Each report stores the geohash of its position at `DEFAULT_PRECISION`. To find
reports within `radius_m` of a new one, look up the reports whose cell is in
`cells_covering(lat, lon, radius_m)` and then keep those with
`haversine_m(...) <= radius_m`.

Guarantee: for every point q with `haversine_m(lat, lon, q_lat, q_lon) <= radius_m`,
`geohash_encode(q_lat, q_lon, precision)` is one of
`cells_covering(lat, lon, radius_m, precision)`. This holds for any radius and
latitude within the `MAX_CELLS` limit, including coverings that cross the
antimeridian, because the covering is computed from the exact spherical distance
between the centre and each candidate cell, not from a fixed block of neighbours.

Why not just the 3 x 3 block of neighbours: it is only enough while the radius is
at most the cell's smaller side. A precision-7 cell is 0.001373° by 0.001373°,
that is 152.7 m north-south everywhere, but its east-west width shrinks with the
cosine of the latitude: 152.7 m at the equator, 124 m in Tokyo (35.7°N), 108 to
112 m in Hokkaido (43-45°N). A 150 m radius therefore reaches four columns of cells in
Hokkaido. `cells_covering` returns 4 to 9 cells for it at the equator and 6 to 12
in Japan (up to 15 at 60°N), leaving out the corner cells the circle cannot reach.

Geohashes follow the standard base-32 encoding (longitude bit first). A point
exactly on a cell boundary belongs to the cell to its north or east, which is the
bisection rule "value >= midpoint takes the upper half".
"""

from __future__ import annotations

import math

DEFAULT_PRECISION = 7
EARTH_RADIUS_M = 6_371_008.8
MAX_PRECISION = 12
# A covering larger than this is a sign that the precision is too fine for the
# radius; the caller should use a coarser precision instead of a huge IN list.
MAX_CELLS = 1024
# Floating-point slack when comparing distances to the radius. Including a cell
# that is 1 cm too far only adds candidates; leaving out a reachable cell would
# miss a duplicate.
_TOLERANCE_M = 0.01

_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_DECODE = {char: value for value, char in enumerate(_BASE32)}


def geohash_encode(lat: float, lon: float, precision: int) -> str:
    """Return the geohash of (lat, lon) with `precision` characters.

    Raises `ValueError` for a precision outside 1..12 or a latitude or longitude
    that is not finite or out of range.
    """
    _check_precision(precision)
    _check_position(lat, lon)
    lon_bits, lat_bits = _bit_counts(precision)
    return _encode_indices(
        _cell_index(lon, -180.0, 360.0, lon_bits),
        _cell_index(lat, -90.0, 180.0, lat_bits),
        precision,
    )


def geohash_bounds(geohash: str) -> tuple[float, float, float, float]:
    """Return the cell of `geohash` as (min_lat, min_lon, max_lat, max_lon).

    Raises `ValueError` for an empty or too long string or a character outside
    the geohash alphabet.
    """
    text = geohash.lower()
    _check_precision(len(text))
    code = 0
    for char in text:
        if char not in _DECODE:
            raise ValueError(f"{char!r} is not a geohash character")
        code = (code << 5) | _DECODE[char]
    lon_bits, lat_bits = _bit_counts(len(text))
    lon_index, lat_index = _deinterleave(code, 5 * len(text))
    lon_size = 360.0 / (1 << lon_bits)
    lat_size = 180.0 / (1 << lat_bits)
    return (
        -90.0 + lat_index * lat_size,
        -180.0 + lon_index * lon_size,
        -90.0 + (lat_index + 1) * lat_size,
        -180.0 + (lon_index + 1) * lon_size,
    )


def cells_covering(
    lat: float, lon: float, radius_m: float, precision: int = DEFAULT_PRECISION
) -> list[str]:
    """Return the sorted geohashes of every cell reachable within `radius_m` of (lat, lon).

    See the module docstring for the guarantee. The cell of the point itself is
    always included.

    Raises `ValueError` for a bad position or precision, a negative or non-finite
    radius, or a covering of more than `MAX_CELLS` cells.
    """
    _check_precision(precision)
    _check_position(lat, lon)
    if not (math.isfinite(radius_m) and radius_m >= 0):
        raise ValueError(f"radius_m must be a finite number >= 0, got {radius_m!r}")

    lon_bits, lat_bits = _bit_counts(precision)
    lon_count, lat_count = 1 << lon_bits, 1 << lat_bits
    lon_size, lat_size = 360.0 / lon_count, 180.0 / lat_count

    # Bounding box of the spherical cap, a little larger than exact so that
    # rounding never cuts off a reachable cell; the distance test trims it.
    angle = (radius_m + 1.0) / EARTH_RADIUS_M
    angle_deg = math.degrees(angle)
    lat_low, lat_high = lat - angle_deg, lat + angle_deg
    cos_lat = math.cos(math.radians(lat))
    contains_pole = lat_low <= -90.0 or lat_high >= 90.0
    if contains_pole or angle >= math.pi / 2 or math.sin(angle) >= cos_lat:
        lon_ranges = [(0, lon_count - 1)]
    else:
        half_width = math.degrees(math.asin(math.sin(angle) / cos_lat))
        lon_ranges = _lon_index_ranges(lon - half_width, lon + half_width, lon_bits)
    first_row = _cell_index(max(lat_low, -90.0), -90.0, 180.0, lat_bits)
    last_row = _cell_index(min(lat_high, 90.0), -90.0, 180.0, lat_bits)

    cell_count = (last_row - first_row + 1) * sum(end - start + 1 for start, end in lon_ranges)
    if cell_count > MAX_CELLS:
        raise ValueError(
            f"a {radius_m} m radius needs about {cell_count} cells at precision "
            f"{precision}; use a lower precision"
        )

    cells = []
    for row in range(first_row, last_row + 1):
        south = -90.0 + row * lat_size
        for start, end in lon_ranges:
            for column in range(start, end + 1):
                west = -180.0 + column * lon_size
                distance = _distance_to_cell_m(
                    lat, lon, south, south + lat_size, west, west + lon_size
                )
                if distance <= radius_m + _TOLERANCE_M:
                    cells.append(_encode_indices(column, row, precision))
    return sorted(cells)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance in metres on a sphere of the Earth's mean radius.

    Never raises; NaN in gives NaN out.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def _check_precision(precision: int) -> None:
    if not isinstance(precision, int) or not 1 <= precision <= MAX_PRECISION:
        raise ValueError(f"precision must be an integer from 1 to {MAX_PRECISION}, got {precision!r}")


def _check_position(lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        raise ValueError(f"position ({lat!r}, {lon!r}) is not a valid latitude and longitude")


def _bit_counts(precision: int) -> tuple[int, int]:
    """Return (longitude bits, latitude bits); longitude takes the odd bit out."""
    total = 5 * precision
    return (total + 1) // 2, total // 2


def _cell_index(value: float, low: float, span: float, bits: int) -> int:
    """Return the cell number of `value` along one axis, as bisection would.

    The division can round across a cell edge, so the estimate is corrected with
    comparisons against the edges, which are exact: they are multiples of a power
    of two times 45 and fit in a double.
    """
    count = 1 << bits
    size = span / count
    index = min(max(math.floor((value - low) / size), 0), count - 1)
    while index > 0 and low + index * size > value:
        index -= 1
    while index < count - 1 and low + (index + 1) * size <= value:
        index += 1
    return index


def _lon_index_ranges(west: float, east: float, bits: int) -> list[tuple[int, int]]:
    """Return the column ranges covering [west, east], split at the antimeridian."""
    count = 1 << bits
    if west < -180.0:
        return [(_cell_index(west + 360.0, -180.0, 360.0, bits), count - 1),
                (0, _cell_index(east, -180.0, 360.0, bits))]
    if east > 180.0:
        return [(_cell_index(west, -180.0, 360.0, bits), count - 1),
                (0, _cell_index(east - 360.0, -180.0, 360.0, bits))]
    return [(_cell_index(west, -180.0, 360.0, bits), _cell_index(east, -180.0, 360.0, bits))]


def _encode_indices(lon_index: int, lat_index: int, precision: int) -> str:
    lon_bits, lat_bits = _bit_counts(precision)
    code = 0
    for bit in range(5 * precision):
        # Bits alternate longitude, latitude, ... from the most significant.
        if bit % 2 == 0:
            lon_bits -= 1
            code = (code << 1) | ((lon_index >> lon_bits) & 1)
        else:
            lat_bits -= 1
            code = (code << 1) | ((lat_index >> lat_bits) & 1)
    return "".join(
        _BASE32[(code >> shift) & 31] for shift in range(5 * (precision - 1), -1, -5)
    )


def _deinterleave(code: int, total_bits: int) -> tuple[int, int]:
    lon_index = lat_index = 0
    for bit in range(total_bits):
        value = (code >> (total_bits - 1 - bit)) & 1
        if bit % 2 == 0:
            lon_index = (lon_index << 1) | value
        else:
            lat_index = (lat_index << 1) | value
    return lon_index, lat_index


def _distance_to_cell_m(
    lat: float, lon: float, south: float, north: float, west: float, east: float
) -> float:
    """Return the shortest spherical distance from (lat, lon) to a cell, in metres.

    The nearest point lies either straight north or south (when the longitude is
    within the cell) or on the nearer edge meridian. On a meridian the nearest
    point is the foot of the perpendicular great circle, at latitude
    atan2(sin φ, cos φ cos Δλ); if the foot is outside the cell's latitude range,
    the nearest point is the corner on that side, since distance grows steadily
    along the meridian away from the foot.
    """
    if (lon - west) % 360.0 <= east - west:
        # The longitude lies within the cell's span.
        gap_deg = max(south - lat, lat - north, 0.0)
        return EARTH_RADIUS_M * math.radians(gap_deg)
    # Longitude differences to the west edge going east and to the east edge
    # going west; the smaller one names the nearer edge meridian.
    to_west_edge = (west - lon) % 360.0
    to_east_edge = (lon - east) % 360.0
    if to_west_edge <= to_east_edge:
        edge, delta = west, to_west_edge
    else:
        edge, delta = east, to_east_edge
    if delta >= 90.0:
        # So far away that only huge radii matter; keeping the cell is safe.
        return 0.0
    phi = math.radians(lat)
    foot_lat = math.degrees(math.atan2(math.sin(phi), math.cos(phi) * math.cos(math.radians(delta))))
    if south <= foot_lat <= north:
        sine = math.cos(phi) * math.sin(math.radians(delta))
        return EARTH_RADIUS_M * math.asin(min(1.0, sine))
    corner_lat = south if foot_lat < south else north
    return haversine_m(lat, lon, corner_lat, edge)
