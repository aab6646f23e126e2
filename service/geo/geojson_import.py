"""Reading areas from GeoJSON, including 国土数値情報 N03 administrative boundaries.

`read_areas` turns a GeoJSON document (a FeatureCollection, one Feature, or a bare
geometry) into `ImportedArea` values ready to be stored as areas or jurisdiction
boundaries. Everything that makes a file unusable raises `GeoJSONError`, whose
`feature_index` names the offending feature when there is one.

N03 files (国土数値情報 行政区域) are recognised by their property keys:
N03_001 prefecture, N03_002 sub-prefecture (振興局, usually null), N03_003 county or
designated city (郡・政令市), N03_004 city, town, village or ward, N03_007 the
five-digit local government code, null for areas whose municipality is undecided
(所属未定地). Recent editions put a designated city's ward in N03_005; it is read
when present.

Files carry one feature per polygon (per island, in N03 and in files derived
from it that keep only a `name`), so features sharing a code are merged into one
area; features without a code are merged by name. A zipped Shapefile (older N03
editions, municipal GIS exports) is read too, see `service.geo.shapefile`.
Repairs made on the way (a ring closed, a self-intersecting polygon split) are
reported in the `notes` list the caller passes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from service.domain import characters

NAME_PROPERTIES = ("name", "name_ja", "NAME")
N03_NAME_KEYS = ("N03_001", "N03_003", "N03_004", "N03_005")
N03_CODE_KEY = "N03_007"
# The area table keeps names of up to 200 characters and codes of up to 100.
NAME_MAX = 200
CODE_MAX = 100

_NOT_AREA_TYPES = frozenset({"Point", "MultiPoint", "LineString", "MultiLineString"})
_GEOMETRY_TYPES = _NOT_AREA_TYPES | {"Polygon", "MultiPolygon", "GeometryCollection"}


class GeoJSONError(ValueError):
    """The document is not usable GeoJSON for areas.

    `feature_index` is the zero-based index of the offending feature in the
    collection (0 for a single Feature), or None when the problem concerns the
    whole document or a bare geometry.
    """

    def __init__(self, message: str, feature_index: int | None = None) -> None:
        if feature_index is not None:
            message = f"feature {feature_index}: {message}"
        super().__init__(message)
        self.feature_index = feature_index


@dataclass(frozen=True)
class ImportedArea:
    """One area read from a GeoJSON document; geometry is a valid Polygon or MultiPolygon."""

    name: str
    code: str | None
    geometry: BaseGeometry
    properties: dict[str, Any]


def read_areas(data: bytes | str, *, name_property: str | None = None, code_property: str | None = None,
               notes: list[str] | None = None) -> list[ImportedArea]:
    """Parse a GeoJSON document (or a zipped Shapefile) into areas, in document order.

    The name of each area is `str(properties[name_property])` when `name_property`
    is given; otherwise the joined N03 names for N03 features, otherwise the first
    non-null of the "name", "name_ja" and "NAME" properties. A bare geometry has no
    properties and gets the empty name. The code is `properties[code_property]`
    when `code_property` is given, N03_007 for N03 features, otherwise the "code"
    property when present. Features sharing a code, or without a code sharing a
    name, are merged into the first one. Repairs are appended to `notes`.

    Raises `GeoJSONError` when the document is not JSON, not GeoJSON, has no
    features, when a feature's geometry is not polygonal (points, lines, or
    nothing polygonal left after repairing an invalid geometry), when a coordinate
    is malformed or out of range (|lon| > 180 or |lat| > 90), or when a feature has
    no name.
    """
    if isinstance(data, bytes) and data[:4] == b"PK\x03\x04":
        from service.geo.shapefile import ShapefileError, features_from_zip

        try:
            document: Any = {"type": "FeatureCollection", "features": features_from_zip(data)}
        except ShapefileError as exc:
            raise GeoJSONError(str(exc)) from None
    else:
        document = _load_json(data)
    if notes is None:
        notes = []
    if not isinstance(document, dict):
        raise GeoJSONError("not GeoJSON: the document is not a JSON object")
    kind = document.get("type")

    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise GeoJSONError('not GeoJSON: a FeatureCollection needs a "features" list')
        if not features:
            raise GeoJSONError("the FeatureCollection has no features")
        indexed = list(enumerate(features))
    elif kind == "Feature":
        indexed = [(0, document)]
    elif kind in _GEOMETRY_TYPES:
        geometry = _parse_geometry(document, None, notes)
        return [ImportedArea(name="", code=None, geometry=geometry, properties={})]
    else:
        raise GeoJSONError(f"not GeoJSON: unknown type {kind!r}")

    areas: list[ImportedArea] = []
    # The polygons of one area (islands, enclaves) are collected under its code,
    # or its name when it has none, and merged once all features are read; the
    # first feature's place in the list is kept.
    merged_parts: dict[str, list[BaseGeometry]] = {}
    merged_slot: dict[str, int] = {}
    for index, feature in indexed:
        area = _read_feature(feature, index, name_property, code_property, notes)
        key = f"code:{area.code}" if area.code is not None else f"name:{area.name}"
        if key in merged_parts:
            merged_parts[key].append(area.geometry)
            continue
        merged_parts[key] = [area.geometry]
        merged_slot[key] = len(areas)
        areas.append(area)

    for key, parts in merged_parts.items():
        if len(parts) > 1:
            slot = merged_slot[key]
            first = areas[slot]
            areas[slot] = ImportedArea(
                name=first.name,
                code=first.code,
                geometry=_polygonal(shapely.unary_union(parts)),
                properties=first.properties,
            )
    return areas


def n03_name_parts(properties: Mapping[str, Any]) -> tuple[str, ...]:
    """Return the non-empty N03 name parts, e.g. ("千葉県", "千葉市", "中央区").

    The parts are prefecture, county or designated city, municipality and, in
    editions that have it, ward. A part equal to the one before it is dropped, so
    a city named in two columns is not repeated. Never raises.
    """
    parts: list[str] = []
    for key in N03_NAME_KEYS:
        value = properties.get(key)
        if value is None:
            continue
        text = str(value).strip()
        if text and (not parts or parts[-1] != text):
            parts.append(text)
    return tuple(parts)


def is_n03(properties: Mapping[str, Any]) -> bool:
    """Tell whether a feature's properties are 国土数値情報 N03's."""
    return "N03_001" in properties and N03_CODE_KEY in properties


def _load_json(data: bytes | str) -> Any:
    if isinstance(data, bytes):
        try:
            # The "-sig" codec also accepts the byte-order mark that some GIS
            # tools on Windows write.
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GeoJSONError(f"not GeoJSON: the file is not UTF-8 text ({exc.reason})") from None
    try:
        document = json.loads(data, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise GeoJSONError(
            f"not GeoJSON: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise GeoJSONError("not GeoJSON: the JSON is nested too deeply") from None
    # The import takes a body larger than the input boundary parses, so the boundary's
    # character rule is applied here, to the same effect.
    refused = characters.json_text_may_refuse(data) and characters.refused_in(document)
    if refused:
        where, message = next(iter(refused.items()))
        raise GeoJSONError(f"not usable: {where}: {message}")
    return document


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, and a NaN coordinate would slip past the
    # range check, so they are refused as soon as they are read.
    raise GeoJSONError(f"not GeoJSON: {name} is not a valid JSON number")


def _read_feature(feature: Any, index: int, name_property: str | None, code_property: str | None,
                  notes: list[str]) -> ImportedArea:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise GeoJSONError('not a GeoJSON Feature (needs "type": "Feature")', index)
    properties = feature.get("properties")
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise GeoJSONError('"properties" must be an object or null', index)
    geometry = _parse_geometry(feature.get("geometry"), index, notes)

    n03 = is_n03(properties)
    if name_property is not None:
        value = properties.get(name_property)
        if value is None:
            raise GeoJSONError(f"property {name_property!r} is missing or null", index)
        name = str(value)
    elif n03:
        name = "".join(n03_name_parts(properties))
    else:
        found = next((properties[key] for key in NAME_PROPERTIES if properties.get(key) is not None), None)
        if found is None:
            raise GeoJSONError(
                'no name: none of "name", "name_ja", "NAME" is set; choose a name property',
                index,
            )
        name = str(found)

    if code_property is not None:
        raw_code = properties.get(code_property)
        if raw_code is None:
            raise GeoJSONError(f"property {code_property!r} is missing or null", index)
    else:
        raw_code = properties.get(N03_CODE_KEY) if n03 else properties.get("code")
    code = None if raw_code is None else str(raw_code)
    _check_line("name", name, NAME_MAX, index)
    if code is not None:
        _check_line("code", code, CODE_MAX, index)
    return ImportedArea(name=name, code=code, geometry=geometry, properties=dict(properties))


def _check_line(what: str, value: str, limit: int, index: int) -> None:
    """A name or code fits its column and is one line of printable text."""
    if not value.strip():
        raise GeoJSONError(f"the {what} is empty", index)
    if len(value) > limit:
        raise GeoJSONError(f"the {what} is {len(value)} characters long; at most {limit} are kept", index)
    refused = characters.refused_character(value, text=False)
    if refused is not None:
        raise GeoJSONError(f"the {what}: {characters.explain(refused)}", index)


def _parse_geometry(geometry: Any, index: int | None, notes: list[str]) -> BaseGeometry:
    """Build a valid Polygon or MultiPolygon from a GeoJSON geometry object."""
    if geometry is None:
        raise GeoJSONError("the feature has no geometry", index)
    polygons = _collect_polygons(geometry, index, notes)
    if not polygons:
        raise GeoJSONError("the GeometryCollection holds no Polygon or MultiPolygon", index)
    repaired: list[Polygon] = []
    for polygon in polygons:
        if polygon.is_valid:
            repaired.append(polygon)
        else:
            # Self-intersecting rings (a bow-tie drawn by hand, rings touching
            # along a line) are common in hand-made files; make_valid keeps the
            # area that was drawn, and what collapses to lines or points is dropped.
            parts = _polygon_parts(shapely.make_valid(polygon))
            repaired.extend(parts)
            notes.append(_where(index) + f"an invalid polygon ({shapely.is_valid_reason(polygon)}) was repaired "
                         f"into {len(parts)} polygon{'s' if len(parts) != 1 else ''}")
    if not repaired:
        raise GeoJSONError("the geometry has no area left after repairing it", index)
    if len(repaired) == 1:
        return repaired[0]
    combined = MultiPolygon(repaired)
    if combined.is_valid:
        return combined
    # Parts of one area may overlap or touch (several members of a collection,
    # sloppy MultiPolygons); their union is the area that was meant.
    return _polygonal(shapely.unary_union(repaired))


def _where(index: int | None) -> str:
    return f"feature {index}: " if index is not None else ""


def _collect_polygons(geometry: Any, index: int | None, notes: list[str]) -> list[Polygon]:
    if not isinstance(geometry, dict):
        raise GeoJSONError("geometry must be a GeoJSON geometry object", index)
    kind = geometry.get("type")
    if kind in _NOT_AREA_TYPES:
        raise GeoJSONError(
            f"geometry type {kind} is not an area; only Polygon and MultiPolygon are", index
        )
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            raise GeoJSONError('a GeometryCollection needs a "geometries" list', index)
        polygons: list[Polygon] = []
        for member in members:
            # Points and lines inside a collection are decoration (labels,
            # outlines); only the polygonal members describe the area.
            if isinstance(member, dict) and member.get("type") in _NOT_AREA_TYPES:
                continue
            polygons.extend(_collect_polygons(member, index, notes))
        return polygons
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return [_polygon(coordinates, index, notes)]
    if kind == "MultiPolygon":
        if not isinstance(coordinates, list):
            raise GeoJSONError("MultiPolygon coordinates must be a list of polygons", index)
        return [_polygon(polygon, index, notes) for polygon in coordinates]
    raise GeoJSONError(f"unknown geometry type {kind!r}", index)


def _polygon(rings: Any, index: int | None, notes: list[str]) -> Polygon:
    if not isinstance(rings, list) or not rings:
        raise GeoJSONError("Polygon coordinates must be a non-empty list of rings", index)
    shell, *holes = (_ring(ring, index, notes) for ring in rings)
    return Polygon(shell, holes)


def _ring(ring: Any, index: int | None, notes: list[str]) -> list[tuple[float, float]]:
    if not isinstance(ring, list):
        raise GeoJSONError("a ring must be a list of positions", index)
    points = [_position(position, index) for position in ring]
    if points and points[0] != points[-1]:
        points.append(points[0])
        notes.append(_where(index) + "an unclosed ring was closed")
    if len(points) < 4:
        raise GeoJSONError("a ring needs at least 4 positions", index)
    return points


def _position(position: Any, index: int | None) -> tuple[float, float]:
    if (
        not isinstance(position, list)
        or len(position) < 2
        or not all(_is_number(value) for value in position[:2])
    ):
        raise GeoJSONError(f"a position must be [lon, lat], got {position!r:.60}", index)
    lon, lat = float(position[0]), float(position[1])
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lon) > 180 or abs(lat) > 90:
        raise GeoJSONError(
            f"coordinate [{lon}, {lat}] is out of range; positions are [lon, lat] "
            "with |lon| <= 180 and |lat| <= 90",
            index,
        )
    return lon, lat


def _is_number(value: Any) -> bool:
    # JSON true/false are bool in Python, which is a subclass of int.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _polygon_parts(geometry: BaseGeometry) -> list[Polygon]:
    """Return the non-empty polygons found anywhere inside a geometry."""
    if isinstance(geometry, Polygon):
        return [geometry] if not geometry.is_empty and geometry.area > 0 else []
    if isinstance(geometry, (MultiPolygon, GeometryCollection)):
        return [part for member in geometry.geoms for part in _polygon_parts(member)]
    return []


def _polygonal(geometry: BaseGeometry) -> Polygon | MultiPolygon:
    """Keep the polygonal parts of a valid geometry as one Polygon or MultiPolygon."""
    polygons = _polygon_parts(geometry)
    if len(polygons) == 1:
        return polygons[0]
    return MultiPolygon(polygons)
