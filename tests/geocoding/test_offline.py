"""OfflineGeocoder: addresses from area polygons alone."""

from __future__ import annotations

import pytest
from shapely.geometry import Polygon, box

from service.geocoding import GeocodeResult, OfflineArea, OfflineGeocoder


def test_reverse_names_most_specific_area(offline_geocoder: OfflineGeocoder) -> None:
    result = offline_geocoder.reverse(35.60, 140.12)

    assert result == GeocodeResult(
        address="千葉県千葉市中央区",
        parts={"prefecture": "千葉県", "city": "千葉市", "ward": "中央区"},
        approximate=True,
        source="offline",
    )


def test_reverse_outside_ward_names_city(offline_geocoder: OfflineGeocoder) -> None:
    result = offline_geocoder.reverse(35.52, 140.25)

    assert result is not None
    assert result.address == "千葉県千葉市"
    assert result.parts == {"prefecture": "千葉県", "city": "千葉市"}


def test_reverse_point_on_boundary_counts_as_inside(offline_geocoder: OfflineGeocoder) -> None:
    # 140.08 is the western edge of Chiba's 中央区 box.
    result = offline_geocoder.reverse(35.60, 140.08)

    assert result is not None
    assert result.address == "千葉県千葉市中央区"


def test_reverse_outside_every_area_returns_none(offline_geocoder: OfflineGeocoder) -> None:
    assert offline_geocoder.reverse(34.69, 135.50) is None


def test_reverse_refuses_impossible_coordinates(offline_geocoder: OfflineGeocoder) -> None:
    with pytest.raises(ValueError):
        offline_geocoder.reverse(35.0, 181.0)


def test_overlapping_areas_of_one_level_prefer_the_smaller() -> None:
    geocoder = OfflineGeocoder(
        [
            OfflineArea(("道路管理",), box(0, 0, 10, 10), 2),
            OfflineArea(("公園",), box(4, 4, 6, 6), 2),
        ]
    )

    result = geocoder.reverse(5, 5)

    assert result is not None and result.address == "公園"


def test_forward_prefers_area_whose_names_the_hint_spells_out(offline_geocoder: OfflineGeocoder) -> None:
    chiba = offline_geocoder.forward("千葉市中央区中央３丁目")
    tokyo = offline_geocoder.forward("東京都中央区銀座四丁目")

    assert chiba is not None and chiba.result.address == "千葉県千葉市中央区"
    assert 140.08 <= chiba.lon <= 140.16 and 35.56 <= chiba.lat <= 35.63
    assert chiba.result.approximate is True
    assert tokyo is not None and tokyo.result.address == "東京都中央区"
    assert 139.76 <= tokyo.lon <= 139.79 and 35.66 <= tokyo.lat <= 35.69


def test_forward_city_name_does_not_pick_a_ward_inside_it(offline_geocoder: OfflineGeocoder) -> None:
    place = offline_geocoder.forward("千葉県 千葉市")

    assert place is not None and place.result.address == "千葉県千葉市"


def test_forward_representative_point_lies_inside_a_concave_area() -> None:
    # A U shape whose centroid falls in the gap, outside the area.
    u_shape = Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    geocoder = OfflineGeocoder([OfflineArea(("テスト県", "コの字町"), u_shape, 2)])

    place = geocoder.forward("コの字町")

    assert place is not None
    assert geocoder.reverse(place.lat, place.lon) == place.result


def test_forward_unknown_hint_returns_none(offline_geocoder: OfflineGeocoder) -> None:
    assert offline_geocoder.forward("大阪府大阪市北区") is None
    assert offline_geocoder.forward("   ") is None


def test_invalid_area_is_refused_at_construction() -> None:
    bow_tie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])

    with pytest.raises(ValueError):
        OfflineGeocoder([OfflineArea(("壊れた町",), bow_tie, 2)])
    with pytest.raises(ValueError):
        OfflineGeocoder([OfflineArea((), box(0, 0, 1, 1), 1)])


def test_thousands_of_areas_answer_from_the_right_cell() -> None:
    # A 60 x 50 grid of wards inside one city, as a large N03 import would give.
    areas = [OfflineArea(("試験県",), box(0, 0, 60, 50), 1)]
    for x in range(60):
        for y in range(50):
            areas.append(OfflineArea(("試験県", "試験市", f"第{x}-{y}区"), box(x, y, x + 1, y + 1), 3))
    geocoder = OfflineGeocoder(areas)

    result = geocoder.reverse(lat=20.5, lon=33.5)

    assert result is not None and result.address == "試験県試験市第33-20区"
