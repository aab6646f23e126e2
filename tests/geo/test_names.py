"""Japanese municipal names taken apart and put together without doubling."""

import pytest

from service.geo.names import join_once, split_place_name
from service.geocoding.offline import name_parts_to_address_parts


@pytest.mark.parametrize(("name", "parts"), [
    ("千葉県千葉市中央区", ("千葉県", "千葉市", "中央区")),
    ("千葉県印旛郡酒々井町", ("千葉県", "印旛郡", "酒々井町")),
    ("京都府京都市上京区", ("京都府", "京都市", "上京区")),
    ("東京都千代田区", ("東京都", "千代田区")),
    # A 郡 or 市 inside a city's own name is not a county or a designated city.
    ("奈良県大和郡山市", ("奈良県", "大和郡山市")),
    ("三重県四日市市", ("三重県", "四日市市")),
    ("福島県郡山市", ("福島県", "郡山市")),
    ("千葉市緑区", ("千葉市", "緑区")),
    ("緑区", ("緑区",)),
    ("Riverside Park", ("Riverside Park",)),
    ("", ()),
])
def test_split_place_name(name, parts):
    assert split_place_name(name) == parts


def test_join_once_never_writes_a_part_twice():
    outer = ("千葉県", None, "千葉市")
    assert join_once(outer, split_place_name("千葉県千葉市中央区")) == ("千葉県", "千葉市", "中央区")
    assert join_once(outer, ("中央区",)) == ("千葉県", "千葉市", "中央区")
    assert "".join(join_once(outer, ("千葉県", "千葉市", "中央区"))) == "千葉県千葉市中央区"


def test_a_county_town_reads_with_its_county_and_a_ward_is_short():
    town = name_parts_to_address_parts(join_once(("千葉県", "印旛郡", "酒々井町"), ()))
    assert town == {"prefecture": "千葉県", "city": "印旛郡酒々井町"}
    ward = name_parts_to_address_parts(join_once(("千葉県", "千葉市"), ("千葉県", "千葉市", "中央区")))
    assert ward == {"prefecture": "千葉県", "city": "千葉市", "ward": "中央区"}
