"""Sample Nominatim answers and settings shared by the geocoding tests."""

from __future__ import annotations

from typing import Any

USER_AGENT = "machikoe-test/1.0 (ops@example.jp)"

# 東京都庁, answered the way Nominatim's /reverse?format=json&addressdetails=1 does.
TOCHO_LAT, TOCHO_LON = 35.68950, 139.69171
TOCHO_REVERSE: dict[str, Any] = {
    "place_id": 318823462,
    "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
    "osm_type": "way",
    "osm_id": 23768478,
    "lat": "35.6894875",
    "lon": "139.6917064",
    "display_name": "東京都庁, 都庁通り, 西新宿二丁目, 西新宿, 新宿区, 163-8001, 日本",
    "address": {
        "amenity": "東京都庁",
        "house_number": "1",
        "city_block": "8",
        "road": "都庁通り",
        "neighbourhood": "西新宿二丁目",
        "quarter": "西新宿",
        "city": "新宿区",
        "ISO3166-2-lvl4": "JP-13",
        "postcode": "163-8001",
        "country": "日本",
        "country_code": "jp",
    },
    "boundingbox": ["35.6889", "35.6901", "139.6910", "139.6925"],
}
TOCHO_ADDRESS = "東京都新宿区西新宿二丁目8-1"
