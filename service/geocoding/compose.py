"""Japanese addresses composed from Nominatim's ``address`` object.

Nominatim (asked with ``accept-language=ja``) names the pieces of a Japanese
address with OpenStreetMap's generic keys, and which key holds which piece
varies by region: a Tokyo special ward sits in ``city`` with no ``province``,
a designated city's ward sits in ``city_district`` or ``suburb``, a 町 name in
``quarter`` or ``suburb``, a 丁目 in ``neighbourhood``. This module maps those
shapes onto one set of parts and writes them in Japanese order.

``city`` in the parts is the municipality as written in a postal address: a
市, a Tokyo special ward (特別区), or a town or village with its county (郡),
such as 高座郡寒川町. ``ward`` is only the ward (行政区) of a designated city.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PREFECTURES_BY_ISO_CODE: dict[str, str] = {
    "JP-01": "北海道",
    "JP-02": "青森県",
    "JP-03": "岩手県",
    "JP-04": "宮城県",
    "JP-05": "秋田県",
    "JP-06": "山形県",
    "JP-07": "福島県",
    "JP-08": "茨城県",
    "JP-09": "栃木県",
    "JP-10": "群馬県",
    "JP-11": "埼玉県",
    "JP-12": "千葉県",
    "JP-13": "東京都",
    "JP-14": "神奈川県",
    "JP-15": "新潟県",
    "JP-16": "富山県",
    "JP-17": "石川県",
    "JP-18": "福井県",
    "JP-19": "山梨県",
    "JP-20": "長野県",
    "JP-21": "岐阜県",
    "JP-22": "静岡県",
    "JP-23": "愛知県",
    "JP-24": "三重県",
    "JP-25": "滋賀県",
    "JP-26": "京都府",
    "JP-27": "大阪府",
    "JP-28": "兵庫県",
    "JP-29": "奈良県",
    "JP-30": "和歌山県",
    "JP-31": "鳥取県",
    "JP-32": "島根県",
    "JP-33": "岡山県",
    "JP-34": "広島県",
    "JP-35": "山口県",
    "JP-36": "徳島県",
    "JP-37": "香川県",
    "JP-38": "愛媛県",
    "JP-39": "高知県",
    "JP-40": "福岡県",
    "JP-41": "佐賀県",
    "JP-42": "長崎県",
    "JP-43": "熊本県",
    "JP-44": "大分県",
    "JP-45": "宮崎県",
    "JP-46": "鹿児島県",
    "JP-47": "沖縄県",
}

PART_KEYS = ("prefecture", "city", "ward", "district", "block", "house_number", "postcode")

_PREFECTURE_SUFFIXES = ("都", "道", "府", "県")
_CHOME = re.compile(r"^(?P<district>.*?)(?P<block>[0-9０-９一二三四五六七八九十〇]+丁目)$")
_BANCHI_SUFFIX = re.compile(r"(番地|番)$")


def compose_japanese_address(address: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """Return the address in Japanese order and its normalised parts.

    The string runs prefecture, municipality, ward, 町, 丁目, house number, with
    no spaces, postcode or country. Missing keys are simply left out; an empty
    mapping gives an empty string and no parts. Never raises on odd input.
    """
    values = {key: value.strip() for key, value in address.items() if isinstance(value, str) and value.strip()}
    parts: dict[str, str] = {}
    used: set[str] = set()

    def take(key: str, value: str | None) -> None:
        if value and value not in used:
            parts[key] = value
            used.add(value)

    take("prefecture", _prefecture(values))

    municipality_key = next((key for key in ("city", "town", "village", "municipality") if key in values), None)
    if municipality_key is not None:
        municipality = values[municipality_key]
        county = values.get("county", "")
        # A county (郡) is written before a town or village, never before a city or special ward.
        if county and not municipality.endswith(("市", "区")) and not municipality.startswith(county):
            municipality = county + municipality
        take("city", municipality)
        used.add(values[municipality_key])

    ward = values.get("city_district")
    suburb = values.get("suburb")
    if not ward and suburb and suburb.endswith("区") and "city" in parts:
        ward = suburb
    take("ward", ward)

    # The 町 is usually in quarter; suburb and hamlet hold it where quarter is absent, and a
    # town or village key that was not the municipality names a locality (大字) as well.
    district_candidates = [values.get("quarter"), suburb, values.get("hamlet")]
    district_candidates += [values.get(key) for key in ("town", "village") if key != municipality_key]
    district = next((value for value in district_candidates if value and value not in used), None)

    block = None
    neighbourhood = values.get("neighbourhood")
    if neighbourhood and neighbourhood not in used:
        match = _CHOME.match(neighbourhood)
        if match:
            # Neighbourhoods are often named in full (西新宿二丁目); the 町 must not be written twice.
            block = match.group("block")
            district = match.group("district") or district
        elif district is None:
            district = neighbourhood
        elif neighbourhood.startswith(district):
            block = neighbourhood[len(district) :]
        else:
            block = neighbourhood
    take("district", district)
    take("block", block)

    house_number = _house_number(values.get("city_block"), values.get("house_number"))
    if house_number:
        parts["house_number"] = house_number
    if "postcode" in values:
        parts["postcode"] = values["postcode"]

    text = "".join(parts[key] for key in PART_KEYS[:-1] if key in parts)
    return text, parts


def _prefecture(values: Mapping[str, str]) -> str | None:
    """The prefecture from province or state, else from the ISO 3166-2 code."""
    named = [values[key] for key in ("province", "state") if key in values]
    for name in named:
        # In Hokkaido a subprefecture (振興局) can take one of these keys; prefer the real prefecture.
        if name.endswith(_PREFECTURE_SUFFIXES):
            return name
    for key in ("ISO3166-2-lvl4", "ISO3166-2-lvl3"):
        code = values.get(key, "").upper()
        if code in PREFECTURES_BY_ISO_CODE:
            return PREFECTURES_BY_ISO_CODE[code]
    return named[0] if named else None


def _house_number(city_block: str | None, house_number: str | None) -> str | None:
    """番地 and 号 as written after the 丁目, e.g. ``8-1``.

    Nominatim gives the block number (街区) as ``city_block`` in some areas and the
    building number as ``house_number``; a house number that already starts with
    the block number is kept as it is.
    """
    if not city_block:
        return house_number or None
    if not house_number:
        return city_block
    block_number = _BANCHI_SUFFIX.sub("", city_block)
    if house_number.startswith(block_number):
        return house_number
    return f"{block_number}-{house_number}"
