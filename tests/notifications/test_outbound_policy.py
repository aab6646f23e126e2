"""Webhooks, push gateways and the SMTP relay go through the outbound policy: no internal address is
reached unless the operator names it, and the deliveries list tells nothing about refused destinations."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import select, update

from service.domain import outbound
from service.extensions import db
from service.models import Delivery, Subscriber
from tests.notifications.conftest import LOCAL_RECEIVERS, subscribe, transition
from workers.notifications import deliver, dispatch_events

SUBSCRIBERS = "/api/v1/staff/admin/subscribers"
STATUS_CHANGED = ["report.status_changed"]
INTERNAL_HOSTS = ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "[::ffff:7f00:1]:{port}",
                  "[::7f00:1]:{port}", "[64:ff9b::7f00:1]:{port}", "[2002:7f00:1::]:{port}", "[::ffff:0:7f00:1]:{port}",
                  "[fec0::1]:{port}", "169.254.169.254", "10.0.0.7:8080", "app.localhost"]


@pytest.fixture()
def default_policy(app, monkeypatch) -> None:
    """The setting as it ships: no private network or host is allowed."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", "")


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def deliveries_seen_by_admin(client, keys) -> dict[str, dict]:
    response = client.get("/api/v1/staff/deliveries", headers=keys.header("admin"))
    assert response.status_code == 200
    return {item["subscriber"]["name"]: item for item in response.get_json()["items"]}


def test_a_url_to_an_internal_address_is_refused_when_a_subscriber_is_created(client, keys, receiver,
                                                                             default_policy) -> None:
    for kind in ("department_webhook", "push_gateway"):
        for host in INTERNAL_HOSTS:
            url = f"http://{host.format(port=receiver.port)}/hook"
            response = client.post(SUBSCRIBERS, json={"kind": kind, "name": "内部", "url": url}, headers=keys.header("admin"))
            assert response.status_code == 422, url
            assert response.headers["Content-Type"] == "application/problem+json"
            problem = response.get_json()
            assert "public address" in problem["detail"] and list(problem["errors"]) == ["url"], url
    assert client.get(SUBSCRIBERS, headers=keys.header("admin")).get_json() == []
    assert db.session.scalars(select(Subscriber)).all() == []
    assert receiver.requests == []


def test_a_url_to_an_internal_address_is_refused_when_a_subscriber_is_changed(client, keys, default_policy) -> None:
    created = subscribe(client, keys, url="https://hooks.example.jp/machikoe")
    response = client.patch(f"{SUBSCRIBERS}/{created['id']}", json={"url": "http://[::ffff:a9fe:a9fe]/latest/meta-data"},
                            headers=keys.header("admin"))
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["url"]
    assert client.get(f"{SUBSCRIBERS}/{created['id']}", headers=keys.header("admin")).get_json()["url"] == (
        "https://hooks.example.jp/machikoe")


def test_a_stored_internal_webhook_is_never_contacted_and_the_deliveries_list_is_no_port_scan(
        app, client, keys, road_report, receiver, monkeypatch) -> None:
    # Subscribers made while the operator allowed 127.0.0.1: one port answers 404, one is closed.
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", LOCAL_RECEIVERS)
    receiver.answer("/open", 404, 404)
    subscribe(client, keys, name="open", url=receiver.url("/open"), event_types=STATUS_CHANGED)
    subscribe(client, keys, name="closed", url=f"http://127.0.0.1:{closed_port()}/hook", event_types=STATUS_CHANGED)
    subscribe(client, keys, name="mapped", url=f"http://[::ffff:7f00:1]:{receiver.port}/mapped", event_types=STATUS_CHANGED)
    transition(client, keys, road_report, "acknowledged")
    dispatch_events()
    ids = list(db.session.scalars(select(Delivery.id).order_by(Delivery.id)))

    # With the policy as it ships, nothing is sent, and every refusal reads the same.
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", "")
    assert deliver(*ids) == 0
    assert receiver.requests == []
    seen = deliveries_seen_by_admin(client, keys)
    assert {name: (d["last_error"], d["last_status_code"]) for name, d in seen.items()} == {
        name: (outbound.REFUSED, None) for name in ("open", "closed", "mapped")}

    # An allowed receiver's failures stay useful to the admin.
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", LOCAL_RECEIVERS)
    db.session.execute(update(Delivery).values(next_attempt_at=None))
    db.session.commit()
    deliver(*ids)
    seen = deliveries_seen_by_admin(client, keys)
    assert (seen["open"]["last_error"], seen["open"]["last_status_code"]) == ("HTTP 404", 404)
    assert seen["closed"]["last_error"].startswith("connection failed")


def test_an_smtp_relay_on_an_internal_address_is_refused_unless_allowed(app, client, keys, road_report, smtp_server,
                                                                       monkeypatch) -> None:
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_server.port)
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", "")
    subscribe(client, keys, kind="email", name="道路課メール", email="road@city.example.jp", event_types=STATUS_CHANGED)
    transition(client, keys, road_report, "acknowledged")
    dispatch_events()
    (delivery_id,) = db.session.scalars(select(Delivery.id))

    assert deliver(delivery_id) == 0
    assert smtp_server.messages == []
    assert deliveries_seen_by_admin(client, keys)["道路課メール"]["last_error"] == outbound.REFUSED

    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", "127.0.0.1")
    db.session.execute(update(Delivery).values(next_attempt_at=None))
    db.session.commit()
    assert deliver(delivery_id) == 1
    assert [m["To"] for m in smtp_server.messages] == ["road@city.example.jp"]


def test_a_public_name_that_resolves_to_an_internal_address_at_delivery_is_not_contacted(
        app, client, keys, road_report, receiver, default_policy, monkeypatch) -> None:
    # No DNS server can be run here for a public name, so the system resolver
    # answers this one name with loopback, as a rebinding attacker's would.
    resolve = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        return resolve("127.0.0.1" if host == "hooks.example.jp" else host, *args, **kwargs)

    subscribe(client, keys, name="rebinding", url=f"http://hooks.example.jp:{receiver.port}/hook", event_types=STATUS_CHANGED)
    transition(client, keys, road_report, "acknowledged")
    dispatch_events()
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    assert deliver(*db.session.scalars(select(Delivery.id))) == 0
    assert receiver.requests == []
    assert deliveries_seen_by_admin(client, keys)["rebinding"]["last_error"] == outbound.REFUSED
