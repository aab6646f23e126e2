"""Followers with the app are pushed to as the reporter is, also after the report they follow is merged."""

from __future__ import annotations

from service.domain import notifications
from service.extensions import db
from tests.notifications.conftest import subscribe, transition
from tests.notifications.test_delivery import STATUS_CHANGED, deliver, deliveries
from tests.staff.conftest import submit


def test_a_follower_device_is_pushed_to_even_without_a_reporter_device(client, keys, receiver):
    report = submit(client)
    subscribe(client, keys, kind="push_gateway", name="アプリ通知", url=receiver.url("/push"), event_types=STATUS_CHANGED)
    followed = client.post(f"/api/v1/reports/{report}/followers", json={"device_id": "neighbour-phone"})
    assert followed.status_code == 201
    transition(client, keys, report, "acknowledged")
    notifications.dispatch(db.session)

    (delivery,) = deliveries()
    assert deliver(delivery) == "delivered"
    (push,) = receiver.at("/push")
    assert push.json()["device_id"] is None and push.json()["follower_device_ids"] == ["neighbour-phone"]
    public = client.get(f"/api/v1/reports/{report}").get_data(as_text=True)
    assert "neighbour-phone" not in public


def test_followers_of_a_merged_report_are_pushed_about_the_primary(client, keys, road_report, receiver):
    duplicate = submit(client, lat=35.6501, lon=139.7801)
    client.post(f"/api/v1/reports/{duplicate}/followers", json={"device_id": "neighbour-phone"})
    merged = client.post(f"/api/v1/staff/reports/{duplicate}/transitions", headers=keys.header("admin"),
                         json={"to": "duplicate", "duplicate_of": road_report})
    assert merged.status_code == 201
    subscribe(client, keys, kind="push_gateway", name="アプリ通知", url=receiver.url("/push"), event_types=STATUS_CHANGED)
    transition(client, keys, road_report, "in_progress")
    notifications.dispatch(db.session)

    pushed = []
    for delivery in deliveries():
        assert deliver(delivery) == "delivered"
    for push in receiver.at("/push"):
        pushed.append((push.json()["report"]["id"], push.json()["device_id"], push.json()["follower_device_ids"]))
    assert (road_report, "device-777", ["neighbour-phone"]) in pushed
