"""Place search: partly typed names to the few places they may mean, inside a box."""

from __future__ import annotations

from collections.abc import Callable

from pytest_httpserver import HTTPServer

from service.geocoding import FallbackPlaceSearch, NominatimGeocoder, OfflineGeocoder

from .samples import TOCHO_REVERSE

MakeNominatim = Callable[..., NominatimGeocoder]
TOKYO_BOX = (139.5, 35.5, 139.95, 35.85)
CHIBA_BOX = (140.0, 35.5, 140.3, 35.7)


def test_offline_search_finds_areas_by_part_of_their_name_inside_the_box(offline_geocoder: OfflineGeocoder) -> None:
    assert [p.result.address for p in offline_geocoder.search("中央", viewbox=TOKYO_BOX, limit=5)] == ["東京都中央区"]
    assert [p.result.address for p in offline_geocoder.search("中央", viewbox=CHIBA_BOX, limit=5)] == ["千葉県千葉市中央区"]
    # The full name matches as well, and full-width spaces are folded away.
    found = offline_geocoder.search("千葉市　中", viewbox=CHIBA_BOX, limit=5)
    assert [p.result.address for p in found] == ["千葉県千葉市中央区"]
    assert found[0].result.approximate and 35.56 <= found[0].lat <= 35.63


def test_offline_search_leaves_out_the_widest_areas_and_ranks_names_that_begin_with_the_query_first(
        offline_geocoder: OfflineGeocoder) -> None:
    assert offline_geocoder.search("東京都", viewbox=TOKYO_BOX, limit=5)[0].result.address != "東京都"
    names = [p.result.address for p in offline_geocoder.search("千葉", viewbox=CHIBA_BOX, limit=5)]
    assert names == ["千葉県千葉市", "千葉県千葉市中央区"]
    assert offline_geocoder.search("千葉", viewbox=CHIBA_BOX, limit=1)[0].result.address == "千葉県千葉市"
    assert offline_geocoder.search(" ", viewbox=CHIBA_BOX, limit=5) == []


def test_nominatim_search_is_bounded_to_the_box_and_cached(nominatim_server: HTTPServer,
                                                           make_nominatim: MakeNominatim) -> None:
    from service.geocoding import MemoryCache

    nominatim_server.expect_request("/search").respond_with_json([TOCHO_REVERSE])
    geocoder = make_nominatim(cache=MemoryCache())
    places = geocoder.search("西新宿", viewbox=TOKYO_BOX, limit=3)
    assert [p.result.address for p in places] == ["東京都新宿区西新宿二丁目8-1"]
    assert not places[0].result.approximate
    (request, _), = nominatim_server.log
    assert request.args["bounded"] == "1" and request.args["limit"] == "3"
    assert request.args["viewbox"] == "139.5,35.5,139.95,35.85"
    assert [p.result.address for p in geocoder.search("西新宿", viewbox=TOKYO_BOX, limit=3)] == ["東京都新宿区西新宿二丁目8-1"]
    assert len(nominatim_server.log) == 1
    # Another box is another search.
    geocoder.search("西新宿", viewbox=CHIBA_BOX, limit=3)
    assert len(nominatim_server.log) == 2


def test_fallback_search_answers_from_the_areas_when_nominatim_is_down_or_finds_nothing(
        nominatim_server: HTTPServer, make_nominatim: MakeNominatim, offline_geocoder: OfflineGeocoder,
        closed_port: int) -> None:
    nominatim_server.expect_request("/search").respond_with_json([])
    empty = FallbackPlaceSearch(make_nominatim(), offline_geocoder)
    assert [p.result.address for p in empty.search("新宿", viewbox=TOKYO_BOX, limit=3)] == ["東京都新宿区"]
    down = FallbackPlaceSearch(make_nominatim(domain=f"127.0.0.1:{closed_port}", max_retries=0), offline_geocoder)
    found = down.search("新宿", viewbox=TOKYO_BOX, limit=3)
    assert [p.result.address for p in found] == ["東京都新宿区"] and found[0].result.approximate
