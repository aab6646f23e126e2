"""Jurisdictions and categories as the mobile app reads them."""

from __future__ import annotations

from shapely.geometry import Point, shape

from tests.conftest import INSIDE, OUTSIDE


def test_jurisdictions_list_code_names_and_boundary(client):
    body = client.get("/api/v1/jurisdictions").get_json()
    assert [j["code"] for j in body] == ["990019"]
    demo = body[0]
    assert demo["name"] == "みなと市" and demo["name_en"] == "Minato Demo City"
    assert shape(demo["boundary"]).covers(Point(INSIDE["lon"], INSIDE["lat"]))


def test_categories_at_a_point_are_that_jurisdictions_in_japanese(client):
    body = client.get("/api/v1/categories", query_string=INSIDE).get_json()
    names = {c["code"]: c["name"] for c in body}
    assert len(body) >= 8
    assert names["road_damage"] == "道路の損傷" and names["streetlight"] == "街灯の故障" and names["other"] == "その他"
    assert all(c["jurisdiction"] == "990019" and c["resolution_days"] > 0 for c in body)


def test_categories_in_english_on_request(client):
    body = client.get("/api/v1/categories", headers={"Accept-Language": "en"}).get_json()
    assert {c["code"]: c["name"] for c in body}["illegal_dumping"] == "Illegal dumping"
    attribute = next(c for c in body if c["code"] == "road_damage")["attributes"][0]
    assert attribute["description"] == "Is a lane blocked?" and attribute["values"][0]["name"] == "Yes"


def test_no_categories_outside_every_jurisdiction(client):
    assert client.get("/api/v1/categories", query_string=OUTSIDE).get_json() == []


def test_half_a_point_is_422(client):
    response = client.get("/api/v1/categories", query_string={"lat": 35.6})
    assert response.status_code == 422 and response.content_type == "application/problem+json"
