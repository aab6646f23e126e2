"""One disclosure policy: every public surface shows a report's place and words alike.

Public surfaces round coordinates to the public precision and stop the address
at the block (丁目); staff and the reporter's own view keep the stored record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from service.domain import notifications
from service.extensions import db
from service.models import Report
from service.pipeline import pipeline_for
from tests.notifications.conftest import local_receivers_allowed, receiver, subscribe, transition  # noqa: F401  (autouse: 127.0.0.1 receivers allowed)
from tests.notifications.test_delivery import deliver, deliveries
from tests.staff.conftest import Keys, keys, submit
from tests.worker import processed_by_worker

__all__ = ["keys", "receiver"]

EXACT = (35.6512345, 139.7812345)
PUBLIC = (35.6512, 139.7812)
# What a Nominatim answer with a house number composes to (service.geocoding.compose).
ADDRESS = "みなと市中央区海岸通一丁目5-3"
PARTS = {"city": "みなと市", "ward": "中央区", "district": "海岸通", "block": "一丁目", "house_number": "5-3",
         "postcode": "999-0001"}
BLOCK = "みなと市中央区海岸通一丁目"
DESCRIPTION = "街灯が消えています。夜は真っ暗です。"


@pytest.fixture()
def placed(client: FlaskClient, keys: Keys) -> dict[str, str]:
    """A processed report at an exact position, whose address has a house number, with a public reply."""
    response = client.post("/api/v1/reports", json={"category": "road_damage", "description": DESCRIPTION,
                                                    "lat": EXACT[0], "lon": EXACT[1]})
    assert response.status_code == 201
    created = response.get_json()
    report = db.session.scalar(select(Report).where(Report.public_id == created["id"]))
    processed_by_worker(db.session, report.id, pipeline_for(client.application))
    report = db.session.scalar(select(Report).where(Report.public_id == created["id"]))
    report.address, report.address_parts = ADDRESS, PARTS
    db.session.commit()
    transition(client, keys, created["id"], "acknowledged", public_reply="現地を確認します。")
    return {"id": created["id"], "token": created["tracking_token"]}


def _item(client: FlaskClient, report_id: str) -> dict[str, Any]:
    body = client.get(f"/api/v1/reports/{report_id}").get_json()
    return {"lat": body["lat"], "lon": body["lon"], "address": body["address"], "description": body["description"]}


def _listed(client: FlaskClient, report_id: str) -> dict[str, Any]:
    (item,) = client.get("/api/v1/reports").get_json()["items"]
    return {"lat": item["lat"], "lon": item["lon"], "address": item["address"]}


def _open311_json(client: FlaskClient, report_id: str) -> dict[str, Any]:
    (listed,) = client.get("/open311/v2/requests.json?jurisdiction_id=990019").get_json()
    (single,) = client.get(f"/open311/v2/requests/{report_id}.json?jurisdiction_id=990019").get_json()
    assert listed == single
    return {"lat": single["lat"], "lon": single["long"], "address": single["address"], "description": single["description"]}


def _open311_xml(client: FlaskClient, report_id: str) -> dict[str, Any]:
    element = ElementTree.fromstring(client.get(f"/open311/v2/requests/{report_id}.xml?jurisdiction_id=990019").data).find("request")
    assert element is not None
    return {"lat": float(element.findtext("lat") or "nan"), "lon": float(element.findtext("long") or "nan"),
            "address": element.findtext("address"), "description": element.findtext("description")}


def _open_data(client: FlaskClient, report_id: str) -> dict[str, Any]:
    (feature,) = json.loads(client.get("/api/v1/opendata/reports.geojson").data)["features"]
    lon, lat = feature["geometry"]["coordinates"]
    assert (feature["properties"]["lat"], feature["properties"]["lon"]) == (lat, lon)
    return {"lat": lat, "lon": lon, "address": feature["properties"]["address"]}


SURFACES: dict[str, Callable[[FlaskClient, str], dict[str, Any]]] = {
    "report": _item, "public list": _listed, "open311 json": _open311_json, "open311 xml": _open311_xml,
    "open data": _open_data,
}


@pytest.mark.parametrize("surface", SURFACES)
def test_every_public_surface_rounds_the_position_and_stops_the_address_at_the_block(client, placed, surface):
    shown = SURFACES[surface](client, placed["id"])

    assert (shown["lat"], shown["lon"]) == PUBLIC
    assert shown["address"] == BLOCK
    if "description" in shown:
        assert shown["description"] == DESCRIPTION


def test_public_answers_never_carry_the_exact_position_or_the_house_number_but_private_ones_do(client, keys, placed):
    answers = [client.get(f"/api/v1/reports/{placed['id']}"), client.get("/api/v1/reports"),
               client.get("/open311/v2/requests.json?jurisdiction_id=990019"),
               client.get("/open311/v2/requests.xml?jurisdiction_id=990019"),
               client.get(f"/open311/v2/requests/{placed['id']}.xml?jurisdiction_id=990019"),
               client.get("/api/v1/opendata/reports.csv"), client.get("/api/v1/opendata/reports.geojson")]
    assert all(a.status_code == 200 for a in answers)
    for answer in answers:
        text = answer.get_data(as_text=True)
        assert "35.6512345" not in text and "139.7812345" not in text and "5-3" not in text

    staff = client.get(f"/api/v1/staff/reports/{placed['id']}", headers=keys.header("road_staff")).get_json()
    own = client.get(f"/api/v1/reports/{placed['id']}", headers={"X-Tracking-Token": placed["token"]}).get_json()
    (listed,) = client.get("/api/v1/staff/reports", headers=keys.header("road_staff")).get_json()["items"]
    for view in (staff, own, listed):
        assert (view["lat"], view["lon"], view["address"], view["description"]) == (*EXACT, ADDRESS, DESCRIPTION)


def test_public_precision_is_the_one_coordinate_setting(client, app, placed, monkeypatch):
    monkeypatch.setitem(app.config, "OPENDATA_COORDINATE_DECIMALS", 3)

    assert (_item(client, placed["id"])["lat"], _open311_json(client, placed["id"])["lon"]) == (35.651, 139.781)
    assert (_open_data(client, placed["id"])["lat"], _listed(client, placed["id"])["lon"]) == (35.651, 139.781)


def test_a_box_finds_a_report_by_its_public_position_only(client, placed):
    # The box holds the exact position but not the rounded one, so it would
    # otherwise tell the exact position to anyone who shrinks it step by step.
    around_exact = client.get("/api/v1/reports", query_string={"bbox": "139.78123,35.65123,139.78124,35.65124"})
    around_public = client.get("/api/v1/reports", query_string={"bbox": "139.7812,35.6512,139.7812,35.6512"})

    assert around_exact.status_code == 200 and around_exact.get_json()["total"] == 0
    assert [i["id"] for i in around_public.get_json()["items"]] == [placed["id"]]


def test_an_address_without_parts_is_not_shown_in_public(client, placed):
    # A geocoder that gives only a display name may put anything in it, house numbers included.
    report = db.session.scalar(select(Report).where(Report.public_id == placed["id"]))
    report.address_parts = None
    db.session.commit()

    assert _item(client, placed["id"])["address"] is None
    assert _open311_json(client, placed["id"])["address"] == ""


def test_push_gateway_gets_the_public_place_and_department_webhooks_the_stored_one(client, keys, receiver):
    public_id = submit(client, lat=EXACT[0], lon=EXACT[1], device_id="device-777")
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    report.address, report.address_parts = ADDRESS, PARTS
    db.session.commit()
    subscribe(client, keys, kind="push_gateway", name="アプリ通知", url=receiver.url("/push"),
              event_types=["report.status_changed"])
    subscribe(client, keys, url=receiver.url("/department"), department="road", event_types=["report.status_changed"])
    transition(client, keys, public_id, "acknowledged")
    notifications.dispatch(db.session)
    for delivery in deliveries():
        assert deliver(delivery) == "delivered"

    (push,) = receiver.at("/push")
    (department,) = receiver.at("/department")
    pushed, worked = push.json()["report"], department.json()["report"]
    assert (pushed["lat"], pushed["lon"], pushed["address"]) == (*PUBLIC, BLOCK)
    assert "5-3" not in push.body.decode()
    assert (worked["lat"], worked["lon"], worked["address"]) == (*EXACT, ADDRESS)
