"""Japanese addresses from the address shapes Nominatim returns across Japan."""

from __future__ import annotations

import pytest

from service.geocoding import compose_japanese_address
from service.geocoding.compose import PREFECTURES_BY_ISO_CODE

from .samples import TOCHO_ADDRESS, TOCHO_REVERSE


def test_tokyo_special_ward_takes_prefecture_from_iso_code() -> None:
    address, parts = compose_japanese_address(TOCHO_REVERSE["address"])

    assert address == TOCHO_ADDRESS
    assert parts == {
        "prefecture": "東京都",
        "city": "新宿区",
        "district": "西新宿",
        "block": "二丁目",
        "house_number": "8-1",
        "postcode": "163-8001",
    }


def test_chiba_designated_city_ward_comes_from_suburb() -> None:
    address, parts = compose_japanese_address(
        {
            "amenity": "千葉市役所",
            "house_number": "1",
            "neighbourhood": "千葉港",
            "suburb": "中央区",
            "city": "千葉市",
            "province": "千葉県",
            "ISO3166-2-lvl4": "JP-12",
            "postcode": "260-8722",
            "country": "日本",
            "country_code": "jp",
        }
    )

    assert address == "千葉県千葉市中央区千葉港1"
    assert parts == {
        "prefecture": "千葉県",
        "city": "千葉市",
        "ward": "中央区",
        "district": "千葉港",
        "house_number": "1",
        "postcode": "260-8722",
    }


def test_chiba_ward_in_city_district_with_chome_neighbourhood() -> None:
    address, parts = compose_japanese_address(
        {
            "road": "中央通り",
            "neighbourhood": "三丁目",
            "quarter": "中央",
            "city_district": "中央区",
            "city": "千葉市",
            "province": "千葉県",
            "ISO3166-2-lvl4": "JP-12",
            "country": "日本",
            "country_code": "jp",
        }
    )

    assert address == "千葉県千葉市中央区中央三丁目"
    assert parts["ward"] == "中央区"
    assert parts["district"] == "中央"
    assert parts["block"] == "三丁目"


def test_osaka_ward_district_and_block_in_order_without_road() -> None:
    address, parts = compose_japanese_address(
        {
            "building": "なんばパークス",
            "road": "御堂筋",
            "neighbourhood": "難波五丁目",
            "quarter": "難波",
            "suburb": "浪速区",
            "city": "大阪市",
            "province": "大阪府",
            "ISO3166-2-lvl4": "JP-27",
            "postcode": "556-0011",
            "country": "日本",
            "country_code": "jp",
        }
    )

    assert address == "大阪府大阪市浪速区難波五丁目"
    assert "御堂筋" not in address
    assert parts == {
        "prefecture": "大阪府",
        "city": "大阪市",
        "ward": "浪速区",
        "district": "難波",
        "block": "五丁目",
        "postcode": "556-0011",
    }


def test_county_town_is_written_with_its_county() -> None:
    address, parts = compose_japanese_address(
        {
            "neighbourhood": "宮山",
            "town": "寒川町",
            "county": "高座郡",
            "province": "神奈川県",
            "ISO3166-2-lvl4": "JP-14",
            "postcode": "253-0106",
            "country": "日本",
            "country_code": "jp",
        }
    )

    assert address == "神奈川県高座郡寒川町宮山"
    assert parts["city"] == "高座郡寒川町"
    assert parts["district"] == "宮山"


def test_village_in_tokyo_with_hamlet() -> None:
    address, parts = compose_japanese_address(
        {
            "hamlet": "本宿",
            "village": "檜原村",
            "county": "西多摩郡",
            "ISO3166-2-lvl4": "JP-13",
            "postcode": "190-0212",
            "country": "日本",
            "country_code": "jp",
        }
    )

    assert address == "東京都西多摩郡檜原村本宿"
    assert parts == {
        "prefecture": "東京都",
        "city": "西多摩郡檜原村",
        "district": "本宿",
        "postcode": "190-0212",
    }


def test_hokkaido_prefers_state_over_subprefecture() -> None:
    address, parts = compose_japanese_address(
        {
            "neighbourhood": "北一条西二丁目",
            "suburb": "中央区",
            "city": "札幌市",
            "province": "石狩振興局",
            "state": "北海道",
            "ISO3166-2-lvl4": "JP-01",
            "country": "日本",
            "country_code": "jp",
        }
    )

    assert address == "北海道札幌市中央区北一条西二丁目"
    assert parts["prefecture"] == "北海道"
    assert parts["district"] == "北一条西"
    assert parts["block"] == "二丁目"


def test_state_is_used_when_province_and_iso_code_are_missing() -> None:
    address, parts = compose_japanese_address({"city": "横浜市", "city_district": "中区", "state": "神奈川県"})

    assert address == "神奈川県横浜市中区"
    assert parts == {"prefecture": "神奈川県", "city": "横浜市", "ward": "中区"}


def test_suburb_equal_to_city_is_not_repeated() -> None:
    address, parts = compose_japanese_address(
        {"suburb": "新宿区", "city": "新宿区", "quarter": "新宿区", "ISO3166-2-lvl4": "JP-13"}
    )

    assert address == "東京都新宿区"
    assert parts == {"prefecture": "東京都", "city": "新宿区"}


def test_town_name_in_suburb_when_quarter_is_missing() -> None:
    address, _ = compose_japanese_address(
        {"neighbourhood": "二丁目", "suburb": "西新宿", "city": "新宿区", "ISO3166-2-lvl4": "JP-13"}
    )

    assert address == "東京都新宿区西新宿二丁目"


def test_road_only_answer_gives_prefecture_only() -> None:
    address, parts = compose_japanese_address(
        {"road": "国道1号", "ISO3166-2-lvl4": "JP-22", "country": "日本", "country_code": "jp"}
    )

    assert address == "静岡県"
    assert parts == {"prefecture": "静岡県"}


@pytest.mark.parametrize(
    "shape",
    [
        {},
        {"country": "日本", "country_code": "jp"},
        {"city": "", "province": "   ", "neighbourhood": None},
    ],
)
def test_missing_or_blank_parts_give_empty_address(shape: dict) -> None:
    assert compose_japanese_address(shape) == ("", {})


def test_house_number_already_holding_block_number_is_kept_whole() -> None:
    address, parts = compose_japanese_address(
        {"house_number": "8-1", "city_block": "8番", "quarter": "西新宿", "city": "新宿区", "ISO3166-2-lvl4": "JP-13"}
    )

    assert address == "東京都新宿区西新宿8-1"
    assert parts["house_number"] == "8-1"


def test_every_prefecture_has_an_iso_code() -> None:
    assert len(PREFECTURES_BY_ISO_CODE) == 47
    assert len(set(PREFECTURES_BY_ISO_CODE.values())) == 47
    assert PREFECTURES_BY_ISO_CODE["JP-01"] == "北海道"
    assert PREFECTURES_BY_ISO_CODE["JP-47"] == "沖縄県"
    for code, name in PREFECTURES_BY_ISO_CODE.items():
        address, parts = compose_japanese_address({"ISO3166-2-lvl4": code})
        assert address == name
        assert parts == {"prefecture": name}
