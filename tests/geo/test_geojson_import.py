import json

import pytest
from shapely.geometry import MultiPolygon, Point, Polygon

from service.geo.geojson_import import GeoJSONError, ImportedArea, n03_name_parts, read_areas


def square(lon: float, lat: float, size: float = 0.01) -> list[list[list[float]]]:
    return [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]


def feature(properties: dict | None, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features: dict) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False)


def n03(prefecture, county, city, code, lon, lat) -> dict:
    return feature(
        {"N03_001": prefecture, "N03_002": None, "N03_003": county, "N03_004": city, "N03_007": code},
        {"type": "Polygon", "coordinates": square(lon, lat)},
    )


def test_feature_collection_gives_one_area_per_feature_in_order():
    areas = read_areas(
        collection(
            feature({"name": "North district", "code": 101}, {"type": "Polygon", "coordinates": square(140.0, 35.6)}),
            feature({"name_ja": "南地区"}, {"type": "MultiPolygon", "coordinates": [square(140.0, 35.5)]}),
        ).encode()
    )
    assert [area.name for area in areas] == ["North district", "南地区"]
    assert [area.code for area in areas] == ["101", None]
    assert areas[0].properties == {"name": "North district", "code": 101}
    assert isinstance(areas[0].geometry, Polygon)
    assert areas[0].geometry.covers(Point(140.005, 35.605))
    assert isinstance(areas[1].geometry, Polygon)


def test_single_feature_is_one_area():
    document = feature({"NAME": "Central park"}, {"type": "Polygon", "coordinates": square(139.7, 35.6)})
    assert read_areas(json.dumps(document)) == [
        ImportedArea(
            name="Central park",
            code=None,
            geometry=Polygon(square(139.7, 35.6)[0]),
            properties={"NAME": "Central park"},
        )
    ]


def test_bare_geometry_is_one_unnamed_area():
    (area,) = read_areas(json.dumps({"type": "Polygon", "coordinates": square(139.7, 35.6)}))
    assert area.name == ""
    assert area.geometry.area == pytest.approx(0.0001)


def test_n03_islands_are_merged_and_named_from_their_parts():
    document = collection(
        n03("千葉県", "千葉市", "中央区", "12101", 140.10, 35.60),
        n03("千葉県", "千葉市", "花見川区", "12102", 140.05, 35.65),
        n03("千葉県", "千葉市", "中央区", "12101", 140.20, 35.60),  # an island
        n03("東京都", None, "大島町", "13361", 139.35, 34.75),
        n03("千葉県", "千葉市", "中央区", "12101", 140.30, 35.60),  # another island
        n03("東京都", None, "所属未定地", None, 139.80, 35.60),
        n03("東京都", None, "所属未定地", None, 139.90, 35.60),
    )
    areas = read_areas(document)

    assert [(area.name, area.code) for area in areas] == [
        ("千葉県千葉市中央区", "12101"),
        ("千葉県千葉市花見川区", "12102"),
        ("東京都大島町", "13361"),
        # Land without a code is merged by its name, like any other feature without a code.
        ("東京都所属未定地", None),
    ]
    chuo = areas[0]
    assert isinstance(chuo.geometry, MultiPolygon)
    assert len(chuo.geometry.geoms) == 3
    for lon in (140.105, 140.205, 140.305):
        assert chuo.geometry.covers(Point(lon, 35.605))
    assert chuo.properties["N03_004"] == "中央区"
    assert isinstance(areas[1].geometry, Polygon)


def test_n03_name_parts_skip_nulls():
    assert n03_name_parts({"N03_001": "千葉県", "N03_002": None, "N03_003": "千葉市", "N03_004": "中央区"}) == (
        "千葉県",
        "千葉市",
        "中央区",
    )
    assert n03_name_parts({"N03_001": "東京都", "N03_003": None, "N03_004": "大島町"}) == ("東京都", "大島町")
    assert n03_name_parts({}) == ()


def test_name_property_chooses_the_name():
    document = collection(
        feature({"ward_name": "港北区", "name": "ignored"}, {"type": "Polygon", "coordinates": square(139.6, 35.5)}),
        feature({"ward_name": 7, "N03_001": "x", "N03_007": "1"}, {"type": "Polygon", "coordinates": square(139.7, 35.5)}),
    )
    assert [area.name for area in read_areas(document, name_property="ward_name")] == ["港北区", "7"]


def test_missing_name_property_is_refused_with_the_feature_index():
    document = collection(
        feature({"ward_name": "港北区"}, {"type": "Polygon", "coordinates": square(139.6, 35.5)}),
        feature({"name": "no ward"}, {"type": "Polygon", "coordinates": square(139.7, 35.5)}),
    )
    with pytest.raises(GeoJSONError, match="feature 1: property 'ward_name' is missing") as caught:
        read_areas(document, name_property="ward_name")
    assert caught.value.feature_index == 1


def test_feature_without_any_name_is_refused():
    document = collection(feature({"id": 3}, {"type": "Polygon", "coordinates": square(139.6, 35.5)}))
    with pytest.raises(GeoJSONError, match="no name") as caught:
        read_areas(document)
    assert caught.value.feature_index == 0


def test_bow_tie_polygon_is_repaired_into_its_two_triangles():
    bow_tie = [[[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0], [0.0, 0.0]]]
    (area,) = read_areas(collection(feature({"name": "bow"}, {"type": "Polygon", "coordinates": bow_tie})))
    assert area.geometry.is_valid
    assert isinstance(area.geometry, MultiPolygon)
    assert area.geometry.area == pytest.approx(2.0)
    assert area.geometry.covers(Point(0.5, 1.0))
    assert area.geometry.covers(Point(1.5, 1.0))
    assert not area.geometry.covers(Point(1.0, 0.5))


def test_polygon_collapsing_to_a_line_is_refused_with_the_feature_index():
    flat = [[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [0.0, 0.0]]]
    document = collection(
        feature({"name": "ok"}, {"type": "Polygon", "coordinates": square(0, 0)}),
        feature({"name": "flat"}, {"type": "Polygon", "coordinates": flat}),
    )
    with pytest.raises(GeoJSONError, match="no area left") as caught:
        read_areas(document)
    assert caught.value.feature_index == 1


def test_line_geometry_is_refused_naming_the_feature_index():
    document = collection(
        feature({"name": "ok"}, {"type": "Polygon", "coordinates": square(139.6, 35.5)}),
        feature({"name": "ok too"}, {"type": "Polygon", "coordinates": square(139.7, 35.5)}),
        feature({"name": "road"}, {"type": "LineString", "coordinates": [[139.6, 35.5], [139.7, 35.6]]}),
    )
    with pytest.raises(GeoJSONError) as caught:
        read_areas(document)
    assert caught.value.feature_index == 2
    assert str(caught.value) == "feature 2: geometry type LineString is not an area; only Polygon and MultiPolygon are"


def test_geometry_collection_keeps_its_polygonal_parts():
    geometry = {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "Point", "coordinates": [139.605, 35.505]},
            {"type": "Polygon", "coordinates": square(139.6, 35.5)},
            {"type": "MultiPolygon", "coordinates": [square(139.7, 35.5)]},
        ],
    }
    (area,) = read_areas(collection(feature({"name": "parks"}, geometry)))
    assert isinstance(area.geometry, MultiPolygon)
    assert area.geometry.area == pytest.approx(0.0002)


def test_overlapping_parts_are_united():
    overlapping = {"type": "MultiPolygon", "coordinates": [square(0.0, 0.0, 2.0), square(1.0, 1.0, 2.0)]}
    (area,) = read_areas(collection(feature({"name": "overlap"}, overlapping)))
    assert area.geometry.is_valid
    assert area.geometry.area == pytest.approx(7.0)
    assert area.geometry.covers(Point(1.5, 1.5))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n", "not UTF-8"),
        ("this is not json", "invalid JSON"),
        ("[1, 2, 3]", "not a JSON object"),
        ('{"type": "Topology", "objects": {}}', "unknown type 'Topology'"),
        ('{"type": "FeatureCollection"}', 'needs a "features" list'),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
        ('{"type": "Polygon", "coordinates": [[[0, 0], [1, NaN], [1, 1], [0, 0]]]}', "NaN"),
    ],
)
def test_non_geojson_input_is_refused_with_a_clear_message(data, message):
    with pytest.raises(GeoJSONError, match=message) as caught:
        read_areas(data)
    assert caught.value.feature_index is None


@pytest.mark.parametrize(
    "ring",
    [
        [[139.6, 35.5], [139.7, 35.5], [139.7, 95.0], [139.6, 35.5]],
        [[35.5, 139.6], [35.5, 139.7], [35.6, 139.7], [35.5, 139.6]],  # lat and lon swapped
        [[-181.0, 0.0], [0.0, 0.0], [0.0, 1.0], [-181.0, 0.0]],
    ],
)
def test_out_of_range_coordinates_are_refused(ring):
    document = collection(
        feature({"name": "ok"}, {"type": "Polygon", "coordinates": square(139.6, 35.5)}),
        feature({"name": "bad"}, {"type": "Polygon", "coordinates": [ring]}),
    )
    with pytest.raises(GeoJSONError, match="out of range") as caught:
        read_areas(document)
    assert caught.value.feature_index == 1


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (None, "has no geometry"),
        ({"type": "Polygon", "coordinates": [[["a", "b"], [1, 1], [1, 0], ["a", "b"]]]}, "position must be"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}, "at least 4 positions"),
        ({"type": "Polygon", "coordinates": [[[True, 0], [1, 1], [1, 0], [True, 0]]]}, "position must be"),
        ({"type": "Circle", "coordinates": [0, 0]}, "unknown geometry type"),
    ],
)
def test_malformed_feature_geometry_is_refused_with_its_index(geometry, message):
    with pytest.raises(GeoJSONError, match=message) as caught:
        read_areas(json.dumps(feature({"name": "x"}, geometry)))
    assert caught.value.feature_index == 0


def test_unclosed_ring_is_closed():
    open_ring = [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]]
    (area,) = read_areas(json.dumps(feature({"name": "open"}, {"type": "Polygon", "coordinates": open_ring})))
    assert area.geometry.area == pytest.approx(1.0)


def test_utf8_file_with_byte_order_mark_is_read():
    data = "\ufeff".encode() + collection(n03("北海道", "札幌市", "中央区", "01101", 141.35, 43.06)).encode()
    assert [area.name for area in read_areas(data)] == ["北海道札幌市中央区"]


def test_code_property_chooses_the_code_and_merges_its_polygons():
    document = collection(
        feature({"KEY": "12105", "label": "緑区"}, {"type": "Polygon", "coordinates": square(140.20, 35.50)}),
        feature({"KEY": "12105", "label": "緑区"}, {"type": "Polygon", "coordinates": square(140.30, 35.50)}),
        feature({"KEY": "12106", "label": "美浜区"}, {"type": "Polygon", "coordinates": square(140.05, 35.63)}),
    )
    areas = read_areas(document, name_property="label", code_property="KEY")
    assert [(a.code, a.name) for a in areas] == [("12105", "緑区"), ("12106", "美浜区")]
    assert isinstance(areas[0].geometry, MultiPolygon) and len(areas[0].geometry.geoms) == 2
    with pytest.raises(GeoJSONError, match="feature 0: property 'CODE' is missing"):
        read_areas(document, name_property="label", code_property="CODE")


def test_features_without_a_code_merge_by_name_one_feature_per_polygon():
    document = collection(
        feature({"name": "千葉県千葉市緑区"}, {"type": "Polygon", "coordinates": square(140.20, 35.50, 0.0001)}),
        feature({"name": "千葉県千葉市中央区"}, {"type": "Polygon", "coordinates": square(140.10, 35.60)}),
        feature({"name": "千葉県千葉市緑区"}, {"type": "Polygon", "coordinates": square(140.25, 35.50, 0.05)}),
    )
    areas = read_areas(document)
    assert [a.name for a in areas] == ["千葉県千葉市緑区", "千葉県千葉市中央区"]
    # The sliver and the real ward are one area, not a sliver named like the ward and a "-3".
    assert areas[0].geometry.area == pytest.approx(0.0001**2 + 0.05**2)
