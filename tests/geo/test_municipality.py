"""Picking one municipality out of a prefecture's N03 file."""

from shapely.geometry import box

from service.domain.local_government_code import first_five, normalize
from service.geo.geojson_import import ImportedArea
from service.geo.municipality import select_municipality


def n03(county, city, code, x):
    properties = {"N03_001": "神奈川県", "N03_002": None, "N03_003": county, "N03_004": city, "N03_007": code}
    return ImportedArea(name=f"神奈川県{county or ''}{city}", code=code, geometry=box(x, 35.0, x + 0.01, 35.01),
                        properties=properties)


KANAGAWA = [
    n03("横浜市", "鶴見区", "14101", 139.60), n03("横浜市", "神奈川区", "14102", 139.61),
    n03("川崎市", "川崎区", "14131", 139.70), n03("川崎市", "幸区", "14132", 139.71),
    n03("相模原市", "緑区", "14151", 139.30), n03(None, "横須賀市", "14201", 139.65),
    n03("高座郡", "寒川町", "14321", 139.38),
]


def test_a_designated_city_takes_its_own_wards_only():
    kawasaki = select_municipality(KANAGAWA, "14130")
    assert [a.code for a in kawasaki.areas] == ["14131", "14132"]
    assert kawasaki.name_parts == ("神奈川県", "川崎市") and kawasaki.left_out == 5


def test_a_city_and_a_town_are_found_by_their_code():
    assert [a.code for a in select_municipality(KANAGAWA, "14201").areas] == ["14201"]
    samukawa = select_municipality(KANAGAWA, "14321")
    assert samukawa.name_parts == ("神奈川県", "高座郡", "寒川町")


def test_a_code_not_in_the_file_finds_nothing():
    assert select_municipality(KANAGAWA, "13101") is None


def test_codes_in_either_form_name_one_municipality():
    assert normalize("12101") == normalize("121011") == "121011"
    assert normalize(" 121002 ") == "121002"
    assert normalize("121003") is None and normalize("1210") is None and normalize("１２１００") is None
    assert first_five("121002") == first_five("12100") == "12100"
