"""FallbackGeocoder: Nominatim first, offline areas when it fails or finds nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer

from service.geocoding import FallbackGeocoder, NominatimGeocoder, OfflineGeocoder

from .samples import TOCHO_ADDRESS, TOCHO_LAT, TOCHO_LON, TOCHO_REVERSE

MakeNominatim = Callable[..., NominatimGeocoder]


def test_primary_answer_is_used_as_is(
    nominatim_server: HTTPServer, make_nominatim: MakeNominatim, offline_geocoder: OfflineGeocoder
) -> None:
    nominatim_server.expect_request("/reverse").respond_with_json(TOCHO_REVERSE)
    geocoder = FallbackGeocoder(make_nominatim(), offline_geocoder)

    result = geocoder.reverse(TOCHO_LAT, TOCHO_LON)

    assert result is not None
    assert result.address == TOCHO_ADDRESS
    assert result.approximate is False
    assert result.source == "nominatim"


def test_server_errors_fall_back_to_offline_area(
    nominatim_server: HTTPServer,
    make_nominatim: MakeNominatim,
    offline_geocoder: OfflineGeocoder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    nominatim_server.expect_request("/reverse").respond_with_data("", status=503)
    geocoder = FallbackGeocoder(make_nominatim(max_retries=1), offline_geocoder)

    with caplog.at_level(logging.WARNING, logger="service.geocoding.fallback"):
        result = geocoder.reverse(TOCHO_LAT, TOCHO_LON)

    assert result is not None
    assert result.address == "東京都新宿区"
    assert result.approximate is True
    assert result.source == "offline"
    assert len(nominatim_server.log) == 2
    fallback_logs = [record for record in caplog.records if record.name == "service.geocoding.fallback"]
    assert [record.levelno for record in fallback_logs] == [logging.WARNING]
    assert "35.68" not in fallback_logs[0].getMessage()
    assert "139.69" not in fallback_logs[0].getMessage()


def test_timeout_falls_back_to_offline_area(
    stalling_server: tuple[HTTPServer, list[str]], make_nominatim: MakeNominatim, offline_geocoder: OfflineGeocoder
) -> None:
    server, _ = stalling_server
    primary = make_nominatim(domain=f"127.0.0.1:{server.port}", timeout=0.3, max_retries=0)
    geocoder = FallbackGeocoder(primary, offline_geocoder)

    result = geocoder.reverse(TOCHO_LAT, TOCHO_LON)

    assert result is not None
    assert result.address == "東京都新宿区"
    assert result.approximate is True
    assert result.source == "offline"


def test_nothing_found_by_primary_falls_back_to_offline_area(
    nominatim_server: HTTPServer, make_nominatim: MakeNominatim, offline_geocoder: OfflineGeocoder
) -> None:
    nominatim_server.expect_request("/reverse").respond_with_json({"error": "Unable to geocode"})
    geocoder = FallbackGeocoder(make_nominatim(), offline_geocoder)

    result = geocoder.reverse(35.60, 140.12)

    assert result is not None
    assert result.address == "千葉県千葉市中央区"
    assert result.approximate is True


def test_nowhere_known_to_either_returns_none(
    nominatim_server: HTTPServer, make_nominatim: MakeNominatim, offline_geocoder: OfflineGeocoder
) -> None:
    nominatim_server.expect_request("/reverse").respond_with_json({"error": "Unable to geocode"})
    geocoder = FallbackGeocoder(make_nominatim(), offline_geocoder)

    assert geocoder.reverse(34.69, 135.50) is None


def test_forward_falls_back_to_offline_area_when_primary_is_down(
    nominatim_server: HTTPServer, make_nominatim: MakeNominatim, offline_geocoder: OfflineGeocoder
) -> None:
    nominatim_server.expect_request("/search").respond_with_data("", status=500)
    geocoder = FallbackGeocoder(make_nominatim(max_retries=0), offline_geocoder)

    place = geocoder.forward("千葉市中央区中央3丁目")

    assert place is not None
    assert place.result.address == "千葉県千葉市中央区"
    assert place.result.approximate is True
    assert offline_geocoder.reverse(place.lat, place.lon) == place.result
