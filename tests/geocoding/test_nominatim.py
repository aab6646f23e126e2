"""NominatimGeocoder through geopy, against a Nominatim-like server on 127.0.0.1."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer

from service.geocoding import GeocodeResult, GeocoderUnavailable, MemoryCache, NominatimGeocoder, Place

from .samples import TOCHO_ADDRESS, TOCHO_LAT, TOCHO_LON, TOCHO_REVERSE, USER_AGENT

MakeNominatim = Callable[..., NominatimGeocoder]

SEARCH_ANSWER = [
    {
        "place_id": 320512340,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "osm_type": "node",
        "osm_id": 2389128733,
        "lat": "35.6074307",
        "lon": "140.1063990",
        "class": "place",
        "type": "neighbourhood",
        "display_name": "三丁目, 中央, 中央区, 千葉市, 千葉県, 260-0013, 日本",
        "address": {
            "neighbourhood": "三丁目",
            "quarter": "中央",
            "suburb": "中央区",
            "city": "千葉市",
            "province": "千葉県",
            "ISO3166-2-lvl4": "JP-12",
            "postcode": "260-0013",
            "country": "日本",
            "country_code": "jp",
        },
        "boundingbox": ["35.6064", "35.6084", "140.1053", "140.1073"],
    }
]


def test_reverse_returns_japanese_address(nominatim_server: HTTPServer, make_nominatim: MakeNominatim) -> None:
    nominatim_server.expect_request("/reverse").respond_with_json(TOCHO_REVERSE)

    result = make_nominatim().reverse(TOCHO_LAT, TOCHO_LON)

    assert result == GeocodeResult(
        address=TOCHO_ADDRESS,
        parts={
            "prefecture": "東京都",
            "city": "新宿区",
            "district": "西新宿",
            "block": "二丁目",
            "house_number": "8-1",
            "postcode": "163-8001",
        },
        approximate=False,
        source="nominatim",
    )


def test_reverse_sends_position_language_and_user_agent(
    nominatim_server: HTTPServer, make_nominatim: MakeNominatim
) -> None:
    nominatim_server.expect_request("/reverse").respond_with_json(TOCHO_REVERSE)

    make_nominatim().reverse(TOCHO_LAT, TOCHO_LON)

    [(request, _)] = nominatim_server.log
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.args["accept-language"] == "ja"
    assert request.args["addressdetails"] == "1"
    assert request.args["format"] == "json"
    assert float(request.args["lat"]) == pytest.approx(TOCHO_LAT)
    assert float(request.args["lon"]) == pytest.approx(TOCHO_LON)


def test_reverse_with_nothing_there_returns_none(nominatim_server: HTTPServer, make_nominatim: MakeNominatim) -> None:
    nominatim_server.expect_request("/reverse").respond_with_json({"error": "Unable to geocode"})

    assert make_nominatim().reverse(34.0, 141.5) is None


def test_reverse_retries_after_server_error(nominatim_server: HTTPServer, make_nominatim: MakeNominatim) -> None:
    nominatim_server.expect_oneshot_request("/reverse").respond_with_data("Bad Gateway", status=502)
    nominatim_server.expect_request("/reverse").respond_with_json(TOCHO_REVERSE)

    result = make_nominatim().reverse(TOCHO_LAT, TOCHO_LON)

    assert result is not None
    assert result.address == TOCHO_ADDRESS
    assert len(nominatim_server.log) == 2


def test_persistent_server_error_raises_unavailable_after_retries(
    nominatim_server: HTTPServer, make_nominatim: MakeNominatim
) -> None:
    nominatim_server.expect_request("/reverse").respond_with_data("Internal Server Error", status=500)

    with pytest.raises(GeocoderUnavailable, match=r"GeocoderServiceError \(HTTP 500\)"):
        make_nominatim(max_retries=2).reverse(TOCHO_LAT, TOCHO_LON)

    assert len(nominatim_server.log) == 3


def test_timeout_raises_unavailable(
    stalling_server: tuple[HTTPServer, list[str]], make_nominatim: MakeNominatim
) -> None:
    server, calls = stalling_server
    geocoder = make_nominatim(domain=f"127.0.0.1:{server.port}", timeout=0.3, max_retries=1)

    started = time.monotonic()
    with pytest.raises(GeocoderUnavailable, match="GeocoderTimedOut"):
        geocoder.reverse(TOCHO_LAT, TOCHO_LON)

    assert time.monotonic() - started < 2.0
    assert calls == ["/reverse", "/reverse"]


def test_refused_connection_raises_unavailable_without_position_in_message_or_logs(
    make_nominatim: MakeNominatim, closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    geocoder = make_nominatim(domain=f"127.0.0.1:{closed_port}", max_retries=1)

    with caplog.at_level(logging.WARNING), pytest.raises(GeocoderUnavailable) as raised:
        geocoder.reverse(TOCHO_LAT, TOCHO_LON)

    assert str(raised.value) == "Nominatim reverse failed: GeocoderUnavailable"
    # geopy logs each retry with its traceback; the position must not be in it.
    assert "retrying" in caplog.text
    assert "35.68" not in caplog.text
    assert "139.69" not in caplog.text


def test_impossible_coordinates_are_refused_without_a_request(
    nominatim_server: HTTPServer, make_nominatim: MakeNominatim
) -> None:
    geocoder = make_nominatim()

    with pytest.raises(ValueError):
        geocoder.reverse(91.0, 139.0)
    with pytest.raises(ValueError):
        geocoder.reverse(35.0, float("nan"))

    assert nominatim_server.log == []


def test_cached_reverse_makes_no_second_request(nominatim_server: HTTPServer, make_nominatim: MakeNominatim) -> None:
    nominatim_server.expect_request("/reverse").respond_with_json(TOCHO_REVERSE)
    geocoder = make_nominatim(cache=MemoryCache(100))

    first = geocoder.reverse(TOCHO_LAT, TOCHO_LON)
    # Less than a metre away: the same rounded position, so the same cache entry.
    second = geocoder.reverse(TOCHO_LAT + 0.000001, TOCHO_LON)

    assert first == second
    assert second is not None and second.address == TOCHO_ADDRESS
    assert len(nominatim_server.log) == 1


def test_nothing_there_is_cached_too(nominatim_server: HTTPServer, make_nominatim: MakeNominatim) -> None:
    nominatim_server.expect_request("/reverse").respond_with_json({"error": "Unable to geocode"})
    geocoder = make_nominatim(cache=MemoryCache(100))

    assert geocoder.reverse(34.0, 141.5) is None
    assert geocoder.reverse(34.0, 141.5) is None
    assert len(nominatim_server.log) == 1


def test_failures_are_not_cached(nominatim_server: HTTPServer, make_nominatim: MakeNominatim) -> None:
    nominatim_server.expect_oneshot_request("/reverse").respond_with_data("", status=503)
    nominatim_server.expect_request("/reverse").respond_with_json(TOCHO_REVERSE)
    geocoder = make_nominatim(cache=MemoryCache(100), max_retries=0)

    with pytest.raises(GeocoderUnavailable):
        geocoder.reverse(TOCHO_LAT, TOCHO_LON)
    result = geocoder.reverse(TOCHO_LAT, TOCHO_LON)

    assert result is not None and result.address == TOCHO_ADDRESS


def test_forward_finds_address_hint_in_japan(nominatim_server: HTTPServer, make_nominatim: MakeNominatim) -> None:
    nominatim_server.expect_request("/search").respond_with_json(SEARCH_ANSWER)

    place = make_nominatim().forward("千葉県千葉市中央区中央３丁目")

    assert place == Place(
        lat=35.6074307,
        lon=140.106399,
        result=GeocodeResult(
            address="千葉県千葉市中央区中央三丁目",
            parts={
                "prefecture": "千葉県",
                "city": "千葉市",
                "ward": "中央区",
                "district": "中央",
                "block": "三丁目",
                "postcode": "260-0013",
            },
            approximate=False,
            source="nominatim",
        ),
    )
    [(request, _)] = nominatim_server.log
    assert request.args["q"] == "千葉県千葉市中央区中央3丁目"
    assert request.args["countrycodes"] == "jp"
    assert request.args["accept-language"] == "ja"
    assert request.headers["User-Agent"] == USER_AGENT


def test_forward_unknown_hint_returns_none(nominatim_server: HTTPServer, make_nominatim: MakeNominatim) -> None:
    nominatim_server.expect_request("/search").respond_with_json([])

    assert make_nominatim().forward("存在しない町") is None


def test_forward_blank_hint_returns_none_without_request(
    nominatim_server: HTTPServer, make_nominatim: MakeNominatim
) -> None:
    assert make_nominatim().forward(" \u3000 ") is None
    assert nominatim_server.log == []


def test_forward_spellings_that_differ_in_width_share_one_cache_entry(
    nominatim_server: HTTPServer, make_nominatim: MakeNominatim
) -> None:
    nominatim_server.expect_request("/search").respond_with_json(SEARCH_ANSWER)
    geocoder = make_nominatim(cache=MemoryCache(100))

    first = geocoder.forward("千葉市中央区中央３丁目")
    second = geocoder.forward("  千葉市中央区中央3丁目 ")

    assert first == second
    assert len(nominatim_server.log) == 1


def test_forward_server_error_raises_unavailable(nominatim_server: HTTPServer, make_nominatim: MakeNominatim) -> None:
    nominatim_server.expect_request("/search").respond_with_data("", status=503)

    with pytest.raises(GeocoderUnavailable):
        make_nominatim(max_retries=1).forward("千葉市中央区")

    assert len(nominatim_server.log) == 2
