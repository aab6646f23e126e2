"""The public list of reports for a map."""

from __future__ import annotations

import json

import pytest

from tests.conftest import INSIDE


def create(client, **fields):
    body = {"category": "road_damage", "description": "穴", **INSIDE, **fields}
    response = client.post("/api/v1/reports", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    return response.get_json()["id"]


def test_list_is_newest_first_and_paged_with_links(client):
    ids = [create(client) for _ in range(5)]
    first = client.get("/api/v1/reports", query_string={"page_size": 2}).get_json()
    assert first["total"] == 5 and [i["id"] for i in first["items"]] == ids[::-1][:2]
    assert first["links"]["prev"] is None and "page=2" in first["links"]["next"]
    last = client.get("/api/v1/reports", query_string={"page_size": 2, "page": 3}).get_json()
    assert [i["id"] for i in last["items"]] == [ids[0]] and last["links"]["next"] is None


def test_list_filters_by_bbox_category_and_status(client):
    north = create(client, lat=35.67, lon=139.80)
    create(client, lat=35.63, lon=139.80)
    dumped = create(client, category="illegal_dumping", lat=35.67, lon=139.81)
    in_box = client.get("/api/v1/reports", query_string={"bbox": "139.79,35.665,139.82,35.675"}).get_json()
    assert {i["id"] for i in in_box["items"]} == {north, dumped}
    by_category = client.get("/api/v1/reports", query_string={"category": "illegal_dumping"}).get_json()
    assert [i["id"] for i in by_category["items"]] == [dumped]
    assert client.get("/api/v1/reports", query_string={"status": "resolved"}).get_json()["total"] == 0
    assert client.get("/api/v1/reports", query_string={"status": "received,resolved"}).get_json()["total"] == 3


@pytest.mark.parametrize(
    "query",
    [{"bbox": "1,2,3"}, {"bbox": "a,b,c,d"}, {"bbox": "139.9,35.6,139.7,35.7"}, {"status": "open-ish"},
     {"page_size": 1000}, {"page": 0}],
)
def test_bad_list_queries_are_422(client, query):
    response = client.get("/api/v1/reports", query_string=query)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
