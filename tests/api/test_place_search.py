"""The place search (POST /api/v1/jurisdictions/{code}/places/search): places inside the
jurisdiction that a partly typed name may mean, from its areas offline and from a
Nominatim on 127.0.0.1 when one is configured; bad input refused; nothing private."""

from __future__ import annotations

import json

import pytest
from flask_migrate import upgrade
from pytest_httpserver import HTTPServer
from shapely.geometry import box, mapping

from service import create_app
from service.extensions import db
from service.models import Area, Jurisdiction
from service.seed import seed_demo
from tests import services
from tests.conftest import INSIDE

SEARCH = "/api/v1/jurisdictions/990019/places/search"
CGNAT = {"REMOTE_ADDR": "100.64.0.9"}


def add_district(name: str, west: float, south: float, east: float, north: float) -> None:
    """A 町丁目 area of the demo city, as an import of district polygons would add it."""
    city = db.session.query(Jurisdiction).filter_by(code="990019").one()
    db.session.add(Area(jurisdiction_id=city.id, layer="district", code=name, name_ja=name, name_en=name,
                        geometry=mapping(box(west, south, east, north))))
    db.session.commit()


def test_a_partly_typed_ward_name_finds_the_ward_with_its_inner_point(client):
    response = client.post(SEARCH, json={"query": "中央"})
    assert response.status_code == 200
    places = response.get_json()["places"]
    assert [p["label"] for p in places] == ["みなと市中央区"]
    place = places[0]
    assert place["approximate"] is True
    assert 35.64 <= place["lat"] <= 35.66 and 139.76 <= place["lon"] <= 139.84
    assert response.headers["Cache-Control"] == "no-store"


def test_chome_names_of_the_city_are_found_and_the_city_itself_is_not_offered(app, client):
    add_district("本町一丁目", 139.77, 35.665, 139.78, 35.67)
    add_district("本町二丁目", 139.78, 35.665, 139.79, 35.67)
    places = client.post(SEARCH, json={"query": "本町", "limit": 5}).get_json()["places"]
    assert [p["label"] for p in places] == ["みなと市本町一丁目", "みなと市本町二丁目"]
    # 「みなと」 is in every name; the whole city is no place for a pin, its wards are.
    labels = [p["label"] for p in client.post(SEARCH, json={"query": "みなと"}).get_json()["places"]]
    assert "みなと市" not in labels and "みなと市北区" in labels


def test_full_width_input_and_a_limit_of_one(client):
    places = client.post(SEARCH, json={"query": "みなと市　南", "limit": 1}).get_json()["places"]
    assert [p["label"] for p in places] == ["みなと市南区"]


def test_a_name_found_nowhere_in_the_city_answers_an_empty_list(client):
    response = client.post(SEARCH, json={"query": "新宿"})
    assert response.status_code == 200
    assert response.get_json() == {"places": []}


@pytest.mark.parametrize("body", [
    {},
    {"query": ""},
    {"query": "   "},
    {"query": "\u3000"},
    {"query": "あ" * 101},
    {"query": 5},
    {"query": "中央", "limit": 0},
    {"query": "中央", "limit": 11},
    {"query": "中央", "limit": "5"},
    {"query": "中央", "bogus": 1},
])
def test_bad_input_is_refused_with_a_problem(client, body):
    response = client.post(SEARCH, json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_control_characters_and_a_body_that_is_not_json_are_refused(client):
    assert client.post(SEARCH, json={"query": "中央\u0000"}).status_code in (400, 422)
    response = client.post(SEARCH, data="query=中央", content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"


def test_an_unknown_jurisdiction_is_not_found(client):
    response = client.post("/api/v1/jurisdictions/999997/places/search", json={"query": "中央"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_suggestions_hold_public_places_only(app, client):
    """A report's address, description and reporter never come back from a search, whatever is typed."""
    from tests.web.resident.conftest import post_report

    post_report(client, category="road_damage", description="中央区の秘密の穴", reporter_email="taro@example.jp",
                lat=str(INSIDE["lat"]), lon=str(INSIDE["lon"]), address_hint="中央区港町3-2 山田様宅前")
    for query in ("中央", "山田", "港町", "taro", "秘密"):
        response = client.post(SEARCH, json={"query": query})
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert "山田" not in text and "taro" not in text and "秘密" not in text and "港町" not in text
        for place in response.get_json()["places"]:
            assert set(place) == {"label", "lat", "lon", "approximate"}


def _app(data_dir, **settings):
    app = create_app({"DATA_DIR": str(data_dir), "SECRET_KEY": "s", "LOG_LEVEL": "CRITICAL",
                      "CELERY_BROKER_URL": "memory://localhost/", **settings})
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        db.session.remove()
    return app


def nominatim_place(lat: float, lon: float, quarter: str) -> dict:
    return {"lat": str(lat), "lon": str(lon), "display_name": f"{quarter}, 中央区, みなと市, 日本",
            "address": {"quarter": quarter, "suburb": "中央区", "city": "みなと市", "country_code": "jp"}}


@pytest.fixture()
def nominatim() -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_a_configured_nominatim_is_searched_inside_the_city_box_and_places_outside_the_boundary_are_dropped(
        migrated_data_dir, nominatim):
    inside = nominatim_place(35.651, 139.791, "港町")
    # Inside the box but across the boundary's cut corner (north-west of the city).
    outside = nominatim_place(35.689, 139.762, "港北")
    nominatim.expect_request("/search").respond_with_json([inside, outside])
    app = _app(migrated_data_dir, GEOCODER="nominatim", NOMINATIM_DOMAIN=f"127.0.0.1:{nominatim.port}",
               NOMINATIM_SCHEME="http", NOMINATIM_MIN_DELAY=0.0)
    client = app.test_client()

    response = client.post(SEARCH, json={"query": "港", "limit": 3})
    assert response.status_code == 200
    assert response.get_json()["places"] == [
        {"label": "みなと市中央区港町", "lat": 35.651, "lon": 139.791, "approximate": False}]
    (request, _), = nominatim.log
    asked = request.args
    assert asked["q"] == "港" and asked["bounded"] == "1" and asked["countrycodes"] == "jp"
    west, south, east, north = (float(v) for v in asked["viewbox"].split(","))
    assert (west, south, east, north) == (139.76, 35.62, 139.84, 35.69)

    # Asked again, the answer comes from the cache: Nominatim hears nothing more.
    assert client.post(SEARCH, json={"query": "港", "limit": 3}).get_json()["places"][0]["label"] == "みなと市中央区港町"
    assert len(nominatim.log) == 1


def test_when_nominatim_fails_the_city_areas_answer(migrated_data_dir, nominatim):
    nominatim.expect_request("/search").respond_with_data("down", status=503)
    app = _app(migrated_data_dir, GEOCODER="nominatim", NOMINATIM_DOMAIN=f"127.0.0.1:{nominatim.port}",
               NOMINATIM_SCHEME="http", NOMINATIM_MIN_DELAY=0.0)
    response = app.test_client().post(SEARCH, json={"query": "北"})
    assert response.status_code == 200
    assert [p["label"] for p in response.get_json()["places"]] == ["みなと市北区"]
    assert len(nominatim.log) == 1  # no retries: a resident is waiting


def test_the_public_nominatim_is_never_searched_as_residents_type(migrated_data_dir):
    """Its usage policy forbids search as you type; the city's areas answer instead, with no request sent."""
    app = _app(migrated_data_dir, GEOCODER="nominatim", NOMINATIM_DOMAIN="nominatim.openstreetmap.org")
    response = app.test_client().post(SEARCH, json={"query": "南"})
    assert [p["label"] for p in response.get_json()["places"]] == ["みなと市南区"]
    from service.geocoding import NominatimGeocoder
    assert not isinstance(app.extensions["place_search"], NominatimGeocoder)
    assert app.extensions["place_search"] is app.extensions["pipeline"].offline


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_searches_are_limited_per_address_with_429_and_retry_after(migrated_data_dir, storage):
    settings = {"RATE_LIMIT_PLACE_SEARCHES": "3/minute"}
    if storage == "redis":
        url = services.redis_url()
        services.reset_redis(url)
        settings["REDIS_URL"] = url
    client = _app(migrated_data_dir, **settings).test_client()
    for _ in range(3):
        assert client.post(SEARCH, json={"query": "中央"}, environ_base=CGNAT).status_code == 200
    refused = client.post(SEARCH, json={"query": "中央"}, environ_base=CGNAT)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert int(refused.headers["Retry-After"]) >= 1
    # Another address still searches.
    assert client.post(SEARCH, json={"query": "中央"}, environ_base={"REMOTE_ADDR": "198.51.100.4"}).status_code == 200


def test_what_was_typed_never_reaches_the_logs(client, caplog):
    with caplog.at_level("DEBUG"):
        client.post(SEARCH, json={"query": "中央区港町3-2 山田様宅前"})
    assert "山田" not in caplog.text and "港町3-2" not in caplog.text
    assert "山田" not in json.dumps([r.__dict__ for r in caplog.records], default=str, ensure_ascii=False)


def test_an_area_imported_after_a_search_is_found_at_once_despite_the_cache(app, client):
    assert client.post(SEARCH, json={"query": "栄町"}).get_json() == {"places": []}
    add_district("栄町", 139.79, 35.67, 139.80, 35.675)
    assert [p["label"] for p in client.post(SEARCH, json={"query": "栄町"}).get_json()["places"]] == ["みなと市栄町"]
