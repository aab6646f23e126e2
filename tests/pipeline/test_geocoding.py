"""Addresses through a Nominatim stand-in on 127.0.0.1, and the offline address when it fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from pytest_httpserver import HTTPServer

from service import create_app
from service.domain import processing
from service.extensions import db
from service.pipeline import pipeline_for
from tests.pipeline.support import post_report, report_row
from tests.worker import processed_by_worker

# What Nominatim's /reverse?format=json&addressdetails=1&accept-language=ja
# answers for a point in a city with wards, in the shape OpenStreetMap tags it.
REVERSE_ANSWER: dict[str, Any] = {
    "place_id": 4242,
    "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
    "osm_type": "way",
    "osm_id": 424242,
    "lat": "35.6500",
    "lon": "139.7800",
    "display_name": "5, 一丁目, 海岸通, 中央区, みなと市, 999-0001, 日本",
    "address": {
        "house_number": "5",
        "neighbourhood": "一丁目",
        "quarter": "海岸通",
        "suburb": "中央区",
        "city": "みなと市",
        "postcode": "999-0001",
        "country": "日本",
        "country_code": "jp",
    },
    "boundingbox": ["35.6499", "35.6501", "139.7799", "139.7801"],
}


@pytest.fixture(scope="module")
def nominatim() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def nominatim_app(app: Flask, nominatim: HTTPServer) -> Iterator[Callable[[], Flask]]:
    """Build an app on the test database that geocodes through the stand-in."""
    nominatim.clear()
    made: list[Flask] = []

    def make() -> Flask:
        geocoding_app = create_app(
            {
                "DATA_DIR": app.config["DATA_DIR"],
                "DATABASE_URL": app.config["DATABASE_URL"],
                "SECRET_KEY": "test-secret",
                "CELERY_BROKER_URL": "memory://localhost/",
                "LOG_LEVEL": "WARNING",
                "GEOCODER": "nominatim",
                "NOMINATIM_DOMAIN": f"127.0.0.1:{nominatim.port}",
                "NOMINATIM_SCHEME": "http",
                "NOMINATIM_MIN_DELAY": 0.0,
                "NOMINATIM_TIMEOUT": 2.0,
                "NOMINATIM_MAX_RETRIES": 1,
            }
        )
        geocoding_app.config["TESTING"] = True
        made.append(geocoding_app)
        return geocoding_app

    yield make
    for geocoding_app in made:
        with geocoding_app.app_context():
            pipeline_for(geocoding_app).geocoder.primary.close()
            db.engine.dispose()
    nominatim.clear()


def post_and_process(geocoding_app: Flask, view: str = "own") -> dict[str, Any]:
    """Post a report in 中央区, process it, and return the reporter's own view of it (or the public one)."""
    with geocoding_app.app_context():
        client = geocoding_app.test_client()
        created = post_report(client, lat=35.650, lon=139.780)
        assert processed_by_worker(db.session, report_row(created["id"]).id, pipeline_for(geocoding_app))
        headers = {"X-Tracking-Token": created["tracking_token"]} if view == "own" else {}
        public = client.get(f"/api/v1/reports/{created['id']}", headers=headers).get_json()
        assert public["processing"] == "done"
        return public


def test_address_from_nominatim_is_composed_in_japanese_and_exact(nominatim, nominatim_app):
    nominatim.expect_request("/reverse").respond_with_json(REVERSE_ANSWER)

    public = post_and_process(nominatim_app())

    assert public["address"] == "みなと市中央区海岸通一丁目5"
    assert public["address_approximate"] is False
    assert public["ward"] == "中央区"
    assert public["department"] == "道路課"
    [(request, _)] = nominatim.log
    assert float(request.args["lat"]) == pytest.approx(35.650) and float(request.args["lon"]) == pytest.approx(139.780)
    assert request.args["accept-language"] == "ja" and request.args["addressdetails"] == "1"


def test_public_view_of_an_address_from_nominatim_stops_at_the_block(nominatim, nominatim_app):
    nominatim.expect_request("/reverse").respond_with_json(REVERSE_ANSWER)

    public = post_and_process(nominatim_app(), view="public")

    assert public["address"] == "みなと市中央区海岸通一丁目" and public["ward"] == "中央区"


def test_report_completes_with_approximate_offline_address_when_nominatim_fails(nominatim, nominatim_app):
    nominatim.expect_request("/reverse").respond_with_data("Internal Server Error", status=500)

    public = post_and_process(nominatim_app())

    assert public["address"] == "みなと市中央区"
    assert public["address_approximate"] is True
    assert public["department"] == "道路課"
    # The first try and the one retry allowed by NOMINATIM_MAX_RETRIES, both answered 500.
    assert [response.status_code for _, response in nominatim.log] == [500, 500]


def test_approximate_address_is_enriched_once_nominatim_answers_again(nominatim, nominatim_app):
    nominatim.expect_request("/reverse").respond_with_data("Bad Gateway", status=502)
    geocoding_app = nominatim_app()
    public = post_and_process(geocoding_app)
    assert public["address_approximate"] is True

    nominatim.clear()
    nominatim.expect_request("/reverse").respond_with_json(REVERSE_ANSWER)
    with geocoding_app.app_context():
        [report_id] = processing.approximate_addresses(db.session, older_than_seconds=0)
        assert processing.enrich_address(db.session, report_id, pipeline_for(geocoding_app))
        assert processing.approximate_addresses(db.session, older_than_seconds=0) == []
        public = geocoding_app.test_client().get(f"/api/v1/reports/{public['id']}").get_json()
    # The public view stops at the block; the house number stays with staff and the reporter.
    assert public["address"] == "みなと市中央区海岸通一丁目" and public["address_approximate"] is False
    assert public["ward"] == "中央区"


def search_answer(lat: float, lon: float, address: dict[str, str]) -> list[dict[str, Any]]:
    """What Nominatim's /search?format=json&addressdetails=1 answers for one match."""
    return [{
        "place_id": 5151, "licence": REVERSE_ANSWER["licence"], "osm_type": "node", "osm_id": 515151,
        "lat": str(lat), "lon": str(lon), "class": "place", "type": "house", "importance": 0.3,
        "display_name": ", ".join(reversed(list(address.values()))), "address": address,
        "boundingbox": [str(lat - 0.0001), str(lat + 0.0001), str(lon - 0.0001), str(lon + 0.0001)],
    }]


def post_address_hint_and_process(geocoding_app: Flask, hint: str) -> dict[str, Any]:
    """Post a report with an address hint and no position, process it, and return the reporter's own view."""
    with geocoding_app.app_context():
        client = geocoding_app.test_client()
        response = client.post("/api/v1/reports", data={"category": "road_damage", "description": "段差があります",
                                                         "address_hint": hint}, content_type="multipart/form-data")
        assert response.status_code == 201, response.get_data(as_text=True)
        public_id, token = response.get_json()["id"], response.get_json()["tracking_token"]
        assert processed_by_worker(db.session, report_row(public_id).id, pipeline_for(geocoding_app))
        public = client.get(f"/api/v1/reports/{public_id}", headers={"X-Tracking-Token": token}).get_json()
        assert public["processing"] == "done"
        return public


HINT = "みなと市中央区海岸通一丁目5"


def test_address_hint_is_placed_where_nominatim_finds_the_address(nominatim, nominatim_app):
    nominatim.expect_request("/search").respond_with_json(search_answer(
        35.6551, 139.7833, {"house_number": "5", "neighbourhood": "一丁目", "quarter": "海岸通", "suburb": "中央区",
                            "city": "みなと市", "country": "日本", "country_code": "jp"}))

    public = post_address_hint_and_process(nominatim_app(), HINT)

    assert (public["lat"], public["lon"]) == (pytest.approx(35.6551), pytest.approx(139.7833))
    assert public["address"] == "みなと市中央区海岸通一丁目5" and public["address_approximate"] is False
    assert public["ward"] == "中央区" and public["department"] == "道路課"
    [(request, _)] = nominatim.log
    assert request.path == "/search" and request.args["q"] == HINT and request.args["countrycodes"] == "jp"


@pytest.mark.parametrize("answer", ["outside the city", "server error"])
def test_address_hint_stays_at_its_area_with_the_area_name_when_nominatim_cannot_place_it(nominatim, nominatim_app, answer):
    if answer == "server error":
        nominatim.expect_request("/search").respond_with_data("Internal Server Error", status=500)
    else:
        nominatim.expect_request("/search").respond_with_json(search_answer(
            34.6937, 135.5023, {"suburb": "北区", "city": "大阪市", "province": "大阪府", "country_code": "jp"}))
    geocoding_app = nominatim_app()

    public = post_address_hint_and_process(geocoding_app, HINT)

    # Where intake put it: the middle of 中央区, whose street address nobody knows.
    assert public["address"] == "みなと市中央区" and public["address_approximate"] is True
    assert public["ward"] == "中央区" and public["department"] is not None
    assert {request.path for request, _ in nominatim.log} == {"/search"}
    with geocoding_app.app_context():
        # Asking again later would describe the middle of the area, not the resident's address.
        assert processing.approximate_addresses(db.session, older_than_seconds=0) == []
