"""Admins manage subscribers, follow deliveries and replay dead letters over the API."""

from __future__ import annotations

import random

import requests
from sqlalchemy import select

from service.domain import notifications
from service.extensions import db
from service.models import AuditEntry, Delivery, Subscriber
from service.models.types import utcnow
from tests.notifications.conftest import LOCAL, subscribe, transition

SUBSCRIBERS = "/api/v1/staff/admin/subscribers"
POLICY = notifications.DeliveryPolicy(max_attempts=1, timeout=0.5, outbound_policy=LOCAL)


def deliver_all(now=None) -> list[str | None]:
    db.session.expire_all()
    with requests.Session() as http:
        return [notifications.deliver(db.session, d, http, now or utcnow(), policy=POLICY, rng=random.Random(1))
                for d in db.session.scalars(select(Delivery.id).order_by(Delivery.id))]


def test_created_subscriber_shows_its_generated_secret_once(client, keys, receiver):
    created = subscribe(client, keys, url=receiver.url(), department="road", event_types=["report.resolved"])
    assert len(created["secret"]) >= 32
    assert created["department"] == "road" and created["active"] is True and created["created_at"].endswith("+09:00")
    assert db.session.get(Subscriber, created["id"]).secret == created["secret"]

    listed = client.get(SUBSCRIBERS, headers=keys.header("admin")).get_json()
    assert [s["id"] for s in listed] == [created["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in client.get(f"{SUBSCRIBERS}/{created['id']}", headers=keys.header("admin")).get_json()
    assert created["secret"] not in str([e.after for e in db.session.scalars(select(AuditEntry))])

    given = subscribe(client, keys, kind="push_gateway", url=receiver.url("/push"), secret="a-secret-of-our-own-choosing")
    assert given["secret"] == "a-secret-of-our-own-choosing"
    mail = subscribe(client, keys, kind="email", email="road@city.example.jp")
    assert mail["secret"] is None


def test_subscriber_is_changed_and_deleted_with_an_audit_trail(client, keys, receiver):
    created = subscribe(client, keys, url=receiver.url())
    path = f"{SUBSCRIBERS}/{created['id']}"

    changed = client.patch(path, json={"active": False, "department": "parks", "event_types": None}, headers=keys.header("admin"))
    assert changed.status_code == 200
    assert (changed.get_json()["active"], changed.get_json()["department"]) == (False, "parks")
    assert client.delete(path, headers=keys.header("admin")).status_code == 204
    assert client.get(path, headers=keys.header("admin")).status_code == 404

    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "subscriber").order_by(AuditEntry.id))
    assert list(actions) == ["subscriber.create", "subscriber.update", "subscriber.delete"]


def test_invalid_subscribers_are_refused_with_field_errors(client, keys, receiver):
    def refused(body: dict, field: str) -> None:
        response = client.post(SUBSCRIBERS, json={"name": "x", **body}, headers=keys.header("admin"))
        assert response.status_code == 422, response.get_json()
        assert field in response.get_json()["errors"]

    refused({"kind": "email"}, "email")
    refused({"kind": "department_webhook"}, "url")
    refused({"kind": "department_webhook", "url": "ftp://example.jp/x"}, "url")
    refused({"kind": "department_webhook", "url": receiver.url(), "department": "nope"}, "department")
    refused({"kind": "department_webhook", "url": receiver.url(), "event_types": ["report.exploded"]}, "event_types")
    refused({"kind": "sms", "url": receiver.url()}, "kind")
    assert db.session.scalar(select(Subscriber.id)) is None


def test_only_admins_of_the_jurisdiction_manage_subscribers(client, keys, receiver):
    created = subscribe(client, keys, url=receiver.url())
    path = f"{SUBSCRIBERS}/{created['id']}"

    assert client.get(SUBSCRIBERS).status_code == 401
    assert client.get(SUBSCRIBERS, headers=keys.header("road_manager")).status_code == 403
    assert client.post(SUBSCRIBERS, json={"kind": "email", "name": "x", "email": "a@example.jp"},
                       headers=keys.header("road_staff")).status_code == 403
    assert client.get(path, headers=keys.header("other_admin")).status_code == 404
    assert client.delete(path, headers=keys.header("other_admin")).status_code == 404
    assert client.get(SUBSCRIBERS, headers=keys.header("other_admin")).get_json() == []


def test_deliveries_are_listed_by_state_within_scope(client, keys, road_report, parks_report, receiver):
    subscribe(client, keys, name="road", url=receiver.url("/road"), department="road", event_types=["report.status_changed"])
    subscribe(client, keys, name="parks", url=receiver.url("/parks"), department="parks", event_types=["report.status_changed"])
    receiver.answer("/parks", 500)
    transition(client, keys, road_report, "acknowledged")
    transition(client, keys, parks_report, "acknowledged", who="parks_staff")
    notifications.dispatch(db.session)
    assert deliver_all() == ["delivered", "failed"]

    everything = client.get("/api/v1/staff/deliveries", headers=keys.header("admin")).get_json()
    assert everything["total"] == 2
    failed = client.get("/api/v1/staff/deliveries?state=failed", headers=keys.header("admin")).get_json()
    (item,) = failed["items"]
    assert (item["event"], item["report"], item["subscriber"]["name"]) == ("report.status_changed", parks_report, "parks")
    assert (item["state"], item["attempts"], item["last_status_code"], item["last_error"]) == ("failed", 1, 500, "HTTP 500")
    road = client.get("/api/v1/staff/deliveries", headers=keys.header("road_staff")).get_json()
    assert [i["subscriber"]["name"] for i in road["items"]] == ["road"]
    assert client.get("/api/v1/staff/deliveries", headers=keys.header("other_admin")).get_json()["total"] == 0
    assert client.get("/api/v1/staff/deliveries?state=lost", headers=keys.header("admin")).status_code == 422
    paged = client.get("/api/v1/staff/deliveries?page_size=1", headers=keys.header("admin")).get_json()
    assert len(paged["items"]) == 1 and paged["links"]["next"]


def test_replayed_dead_letter_is_delivered_again(client, keys, road_report, receiver):
    subscribe(client, keys, url=receiver.url(), event_types=["report.status_changed"])
    receiver.answer("/hook", 500)
    transition(client, keys, road_report, "acknowledged")
    notifications.dispatch(db.session)
    assert deliver_all() == ["failed"]
    uid = db.session.scalar(select(Delivery.uid))
    replay = f"/api/v1/staff/deliveries/{uid}/replay"

    assert client.post(replay, headers=keys.header("road_manager")).status_code == 403
    assert client.post(replay, headers=keys.header("other_admin")).status_code == 404
    response = client.post(replay, headers=keys.header("admin"))
    assert response.status_code == 200
    assert (response.get_json()["state"], response.get_json()["attempts"]) == ("pending", 0)
    assert client.post(replay, headers=keys.header("admin")).status_code == 409

    assert deliver_all() == ["delivered"]
    assert len(receiver.requests) == 2
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_id == uid)) == "delivery.replay"
