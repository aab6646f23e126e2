"""Dispatching outbox events to subscribers and delivering them: signatures, retries, dead letters."""

from __future__ import annotations

import hashlib
import hmac
import random
import socket
import threading
import time
from collections import Counter
from datetime import timedelta

import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.domain import notifications
from service.domain.mail import SmtpMailer
from service.extensions import db
from service.models import Delivery, OutboxEvent
from service.models.types import utcnow
from tests.notifications.conftest import LOCAL, subscribe, transition
from tests.open311.drip import drip_server

POLICY = notifications.DeliveryPolicy(max_attempts=3, timeout=0.3, backoff_base=10, backoff_cap=3600,
                                      base_url="https://machikoe.example.jp", outbound_policy=LOCAL)
STATUS_CHANGED = ["report.status_changed"]


def deliveries() -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def deliver(delivery: Delivery, now=None, policy=POLICY, **extra):
    with requests.Session() as http:
        return notifications.deliver(db.session, delivery.id, http, now or utcnow(), policy=policy, rng=random.Random(7), **extra)


def test_status_change_reaches_webhook_signed_with_subscriber_secret(client, keys, road_report, receiver):
    subscriber = subscribe(client, keys, url=receiver.url(), department="road", event_types=STATUS_CHANGED)
    transition(client, keys, road_report, "acknowledged", public_reply="確認しました。")

    dispatched = notifications.dispatch(db.session)
    (delivery,) = deliveries()
    assert dispatched.delivery_ids == [delivery.id]
    assert deliver(delivery) == "delivered"

    (request,) = receiver.requests
    timestamp, _, signature = request.headers["X-Machikoe-Signature"].partition(",v1=")
    timestamp = timestamp.removeprefix("t=")
    expected = hmac.new(subscriber["secret"].encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert abs(int(timestamp) - time.time()) < 60
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Machikoe-Delivery"] == delivery.uid
    assert request.headers["X-Machikoe-Event"] == "report.status_changed"
    body = request.json()
    assert body["id"] == delivery.uid and body["type"] == "report.status_changed"
    assert body["occurred_at"].endswith("+09:00")
    assert body["data"] == {"report_id": road_report, "from": "received", "to": "acknowledged"}
    report = body["report"]
    assert (report["id"], report["status"], report["status_label_ja"], report["status_label_en"]) == (
        road_report, "acknowledged", "確認済", "Acknowledged")
    assert (report["category"], report["department"]) == ("road_damage", "road")
    assert report["staff_url"] == f"https://machikoe.example.jp/api/v1/staff/reports/{road_report}"
    # Reporter contact and the push token stay out of department webhooks.
    for private in ("resident@example.jp", "090-1111-2222", "device-777"):
        assert private not in request.body.decode()
    assert deliveries()[0].last_status_code == 200
    assert db.session.scalars(select(OutboxEvent.state)).all() == ["dispatched"] * db.session.query(OutboxEvent).count()


def test_server_errors_are_retried_with_growing_jittered_backoff(client, keys, road_report, receiver):
    subscribe(client, keys, url=receiver.url(), event_types=STATUS_CHANGED)
    receiver.answer("/hook", 500, 503)
    transition(client, keys, road_report, "acknowledged")
    notifications.dispatch(db.session)
    (delivery,) = deliveries()

    now = utcnow()
    assert deliver(delivery, now) == "pending"
    first = deliveries()[0]
    assert (first.attempts, first.last_status_code, first.last_error) == (1, 500, "HTTP 500")
    assert now <= first.next_attempt_at <= now + timedelta(seconds=10)
    # Not due yet: a second copy of the job sends nothing.
    assert deliver(delivery, now) is None

    now = first.next_attempt_at
    assert deliver(delivery, now) == "pending"
    second = deliveries()[0]
    assert (second.attempts, second.last_status_code) == (2, 503)
    assert now <= second.next_attempt_at <= now + timedelta(seconds=20)

    assert deliver(delivery, second.next_attempt_at) == "delivered"
    done = deliveries()[0]
    assert (done.state, done.attempts, done.last_error, done.next_attempt_at) == ("delivered", 3, None, None)
    assert len(receiver.requests) == 3
    assert len({r.headers["X-Machikoe-Delivery"] for r in receiver.requests}) == 1


def test_receiver_slower_than_timeout_counts_as_failure(client, keys, road_report, receiver):
    subscribe(client, keys, url=receiver.url("/slow"), event_types=STATUS_CHANGED)
    receiver.answer("/slow", 200, delay=1.0)
    transition(client, keys, road_report, "acknowledged")
    notifications.dispatch(db.session)
    (delivery,) = deliveries()

    started = time.monotonic()
    assert deliver(delivery) == "pending"
    assert time.monotonic() - started < 0.9
    failed = deliveries()[0]
    assert (failed.attempts, failed.last_status_code, failed.last_error) == (1, None, "no answer within 0.3 s")
    assert deliver(delivery, failed.next_attempt_at) == "delivered"


def test_unreachable_receiver_is_dead_lettered_after_max_attempts(client, keys, road_report, receiver):
    subscribe(client, keys, url=receiver.url(), event_types=STATUS_CHANGED)
    receiver.answer("/hook", 500, 500, 500)
    transition(client, keys, road_report, "acknowledged")
    notifications.dispatch(db.session)
    (delivery,) = deliveries()

    now = utcnow()
    for _ in range(POLICY.max_attempts):
        deliver(delivery, now)
        now = deliveries()[0].next_attempt_at or now
    dead = deliveries()[0]
    assert (dead.state, dead.attempts, dead.last_status_code, dead.next_attempt_at) == ("failed", 3, 500, None)
    assert deliver(delivery, now + timedelta(days=1)) is None
    assert len(receiver.requests) == 3
    assert notifications.due_deliveries(db.session, now + timedelta(days=1)) == []


def test_failing_receiver_does_not_hold_up_another_subscriber(client, keys, road_report, receiver):
    subscribe(client, keys, name="遅い受信者", url=receiver.url("/slow"), event_types=STATUS_CHANGED)
    subscribe(client, keys, name="速い受信者", url=receiver.url("/fast"), event_types=STATUS_CHANGED)
    receiver.answer("/slow", 200, delay=1.0)
    transition(client, keys, road_report, "acknowledged")
    notifications.dispatch(db.session)
    slow, fast = deliveries()

    assert deliver(slow) == "pending"
    assert deliver(fast) == "delivered"
    assert [r.path for r in receiver.requests] == ["/slow", "/fast"]


def test_batch_puts_off_a_timed_out_subscribers_other_deliveries_and_serves_the_rest(client, keys, road_report, receiver):
    slow = subscribe(client, keys, name="遅い受信者", url=receiver.url("/slow"), event_types=STATUS_CHANGED)
    subscribe(client, keys, name="速い受信者", url=receiver.url("/fast"), event_types=STATUS_CHANGED)
    receiver.answer("/slow", 200, delay=1.0)
    for to in ("acknowledged", "in_progress", "resolved"):
        transition(client, keys, road_report, to)
    notifications.dispatch(db.session)
    ids = [d.id for d in deliveries()]
    slow_ids = [d.id for d in deliveries() if d.subscriber_id == slow["id"]]

    started = time.monotonic()
    with requests.Session() as http:
        outcomes = notifications.deliver_batch(db.session, ids, http, policy=POLICY, rng=random.Random(7))
    # One time limit for the slow receiver, not one per delivery.
    assert time.monotonic() - started < 0.9
    assert [r.path for r in receiver.requests].count("/slow") == 1
    assert len(receiver.at("/fast")) == 3
    first, *put_off = [d for d in deliveries() if d.id in slow_ids]
    assert (first.state, first.attempts, first.last_error) == ("pending", 1, "no answer within 0.3 s")
    assert [(d.state, d.attempts, d.last_error, d.next_attempt_at) for d in put_off] == [
        ("pending", 0, None, first.next_attempt_at)] * 2
    assert {d.state for d in deliveries() if d.id not in slow_ids} == {"delivered"}
    assert {o.delivery_id: o.attempted for o in outcomes} == {i: i not in slow_ids[1:] for i in ids}

    # They go together at the subscriber's next attempt, and all three arrive once the receiver answers.
    with requests.Session() as http:
        later = notifications.deliver_batch(db.session, slow_ids, http, first.next_attempt_at, policy=POLICY)
    assert [o.state for o in later] == ["delivered"] * 3
    assert len({r.headers["X-Machikoe-Delivery"] for r in receiver.at("/slow")}) == 3


def test_batch_starts_no_attempt_after_its_sending_window(client, keys, road_report, receiver):
    for path in ("/a", "/b", "/c"):
        subscribe(client, keys, name=path, url=receiver.url(path), event_types=STATUS_CHANGED)
        receiver.answer(path, 200, delay=1.0)
    transition(client, keys, road_report, "acknowledged")
    notifications.dispatch(db.session)
    ids = [d.id for d in deliveries()]
    policy = notifications.DeliveryPolicy(max_attempts=3, timeout=0.3, send_window=0.5, outbound_policy=LOCAL)

    with requests.Session() as http:
        outcomes = notifications.deliver_batch(db.session, ids, http, policy=policy, rng=random.Random(7))
    # Attempts start at 0 s and 0.3 s; at 0.6 s the window is over and the last one is due again at once.
    assert [r.path for r in receiver.requests] == ["/a", "/b"]
    assert [o.attempted for o in outcomes] == [True, True, False]
    last = deliveries()[2]
    assert (last.state, last.attempts, last.last_error) == ("pending", 0, None)
    assert last.next_attempt_at <= utcnow()
    assert notifications.due_deliveries(db.session) == [last.id]


def test_workers_at_once_send_each_delivery_once(client, keys, road_report, parks_report, receiver):
    for path in ("/a", "/b", "/c"):
        subscribe(client, keys, name=path, url=receiver.url(path))
    for report, who in ((road_report, "road_staff"), (parks_report, "parks_staff")):
        for to in ("acknowledged", "in_progress", "resolved"):
            transition(client, keys, report, to, who=who)
    notifications.dispatch(db.session)
    ids = [d.id for d in deliveries()]
    assert len(ids) > 20
    # The first POST is slow, so the last worker comes while the others are still sending.
    receiver.answer("/a", 200, delay=0.5)
    policy = notifications.DeliveryPolicy(timeout=2, outbound_policy=LOCAL)
    engine, together, outcomes = db.engine, threading.Barrier(2), []

    def worker(wait: threading.Barrier | None) -> None:
        if wait is not None:
            wait.wait()
        with Session(engine) as session, requests.Session() as http:
            outcomes.extend(notifications.deliver_batch(session, ids, http, policy=policy))

    workers = [threading.Thread(target=worker, args=(together,)) for _ in range(2)]
    for thread in workers:
        thread.start()
    deadline = time.monotonic() + 5
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    workers.append(threading.Thread(target=worker, args=(None,)))
    workers[-1].start()
    for thread in workers:
        thread.join(20)

    assert sorted(o.delivery_id for o in outcomes) == ids
    assert Counter(r.headers["X-Machikoe-Delivery"] for r in receiver.requests) == {d.uid: 1 for d in deliveries()}
    assert {d.state for d in deliveries()} == {"delivered"}


def test_redirect_to_another_host_is_not_followed(client, keys, road_report, receiver):
    subscribe(client, keys, url=receiver.url("/moved"), event_types=STATUS_CHANGED)
    receiver.answer("/moved", 307, headers={"Location": f"http://localhost:{receiver.port}/elsewhere"})
    receiver.answer("/moved", 308, headers={"Location": "/hook"})
    transition(client, keys, road_report, "acknowledged")
    notifications.dispatch(db.session)
    (delivery,) = deliveries()

    assert deliver(delivery) == "pending"
    assert deliveries()[0].last_error == "HTTP 307: redirect to another host not followed"
    assert deliver(delivery, deliveries()[0].next_attempt_at) == "delivered"
    assert [r.path for r in receiver.requests] == ["/moved", "/moved", "/hook"]


def test_dispatch_creates_each_delivery_once(client, keys, road_report, receiver):
    subscribe(client, keys, url=receiver.url(), event_types=STATUS_CHANGED)
    transition(client, keys, road_report, "acknowledged")

    assert len(notifications.dispatch(db.session).delivery_ids) == 1
    assert notifications.dispatch(db.session).delivery_ids == []
    # An event dispatched again (a worker died before marking it) finds its delivery already there.
    db.session.execute(update(OutboxEvent).values(state="pending"))
    db.session.commit()
    assert notifications.dispatch(db.session).delivery_ids == []
    assert len(deliveries()) == 1


def test_subscribers_hear_their_department_and_event_types_only(client, keys, road_report, parks_report, other_report, receiver):
    road = subscribe(client, keys, name="road", url=receiver.url("/road"), department="road")
    city = subscribe(client, keys, name="city", url=receiver.url("/city"), event_types=["report.routed", "report.received"])
    paused = subscribe(client, keys, name="paused", url=receiver.url("/paused"), active=False)
    chiba = subscribe(client, keys, who="other_admin", name="chiba", url=receiver.url("/chiba"), event_types=STATUS_CHANGED)
    transition(client, keys, road_report, "acknowledged")
    transition(client, keys, parks_report, "acknowledged", who="parks_staff")
    transition(client, keys, other_report, "acknowledged", who="other_admin")

    notifications.dispatch(db.session)
    heard: dict[int, set[tuple[str, str]]] = {}
    for d in deliveries():
        event = db.session.get(OutboxEvent, d.outbox_event_id)
        heard.setdefault(d.subscriber_id, set()).add((event.payload["report_id"], event.event_type))
    assert heard[road["id"]] == {(road_report, e) for e in ("report.received", "report.routed", "report.status_changed")}
    assert heard[city["id"]] == {(r, e) for r in (road_report, parks_report) for e in ("report.received", "report.routed")}
    assert heard[chiba["id"]] == {(other_report, "report.status_changed")}
    assert paused["id"] not in heard


def test_push_gateway_gets_device_id_that_no_public_endpoint_shows(client, keys, road_report, parks_report, receiver):
    gateway = subscribe(client, keys, kind="push_gateway", name="アプリ通知", url=receiver.url("/push"),
                        event_types=STATUS_CHANGED)
    transition(client, keys, road_report, "acknowledged")
    transition(client, keys, parks_report, "acknowledged", who="parks_staff")
    notifications.dispatch(db.session)

    # The parks report was sent without a device, so there is nobody to push to.
    (delivery,) = deliveries()
    assert deliver(delivery) == "delivered"
    (push,) = receiver.at("/push")
    body = push.json()
    assert body["device_id"] == "device-777"
    assert body["report"]["id"] == road_report and "staff_url" not in body["report"]
    assert "resident@example.jp" not in push.body.decode()

    public = [client.get(f"/api/v1/reports/{road_report}"), client.get("/api/v1/reports"),
              client.get("/api/v1/staff/deliveries", headers=keys.header("admin")),
              client.get("/api/v1/staff/admin/subscribers", headers=keys.header("admin"))]
    assert all(r.status_code == 200 for r in public)
    assert not [r for r in public if "device-777" in r.get_data(as_text=True)]
    assert gateway["secret"] not in public[3].get_data(as_text=True)


def test_email_subscriber_gets_a_japanese_and_english_mail(client, keys, road_report, smtp_server):
    subscribe(client, keys, kind="email", name="道路課メール", email="road@city.example.jp", department="road",
              event_types=STATUS_CHANGED)
    transition(client, keys, road_report, "resolved", public_reply="補修しました。")
    notifications.dispatch(db.session)
    (delivery,) = deliveries()
    mailer = SmtpMailer(host="127.0.0.1", port=smtp_server.port, sender="machikoe@city.example.jp", timeout=2,
                        outbound_policy=LOCAL)

    assert deliver(delivery, mailer=mailer) == "delivered"
    (mail,) = smtp_server.messages
    assert smtp_server.recipients == ["road@city.example.jp"]
    assert mail["Subject"] == f"[まちの声] 状況の変更: {road_report} / Status changed"
    text = mail.get_content()
    assert f"通報 {road_report}" in text and "状況: 対応済" in text and "Status: Resolved" in text
    assert f"/api/v1/staff/reports/{road_report}" in text
    assert "resident@example.jp" not in text and "090-1111-2222" not in text


def test_silent_smtp_server_costs_one_time_limit_per_batch(client, keys, road_report):
    subscribe(client, keys, kind="email", name="道路課メール", email="road@city.example.jp", event_types=STATUS_CHANGED)
    for to in ("acknowledged", "in_progress", "resolved"):
        transition(client, keys, road_report, to)
    notifications.dispatch(db.session)
    ids = [d.id for d in deliveries()]
    # It accepts connections and never says a word.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        mailer = SmtpMailer(host="127.0.0.1", port=silent.getsockname()[1], sender="machikoe@city.example.jp", timeout=0.3,
                            outbound_policy=LOCAL)
        started = time.monotonic()
        with requests.Session() as http:
            outcomes = notifications.deliver_batch(db.session, ids, http, policy=POLICY, mailer=mailer)

    assert time.monotonic() - started < 0.9
    assert [o.attempted for o in outcomes] == [True, False, False]
    first, *put_off = deliveries()
    assert (first.attempts, first.last_error) == (1, "SMTP failed (timed out)")
    assert {(d.attempts, d.next_attempt_at) for d in put_off} == {(0, first.next_attempt_at)}


def test_email_without_smtp_server_is_retried(client, keys, road_report):
    subscribe(client, keys, kind="email", name="道路課メール", email="road@city.example.jp", event_types=STATUS_CHANGED)
    transition(client, keys, road_report, "acknowledged")
    notifications.dispatch(db.session)
    (delivery,) = deliveries()

    assert deliver(delivery) == "pending"
    assert deliveries()[0].last_error == "e-mail is not configured (SMTP_HOST is unset)"


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_timeout_for_the_whole_post(client, keys, road_report):
    # One byte every 0.1 s keeps each read inside a 0.3 s read timeout, for as long as the receiver likes.
    with drip_server(interval=0.1, longest=10) as receiver:
        for path in ("/headers/hook", "/body/hook"):
            subscribe(client, keys, url=receiver.url(path), event_types=STATUS_CHANGED)
        transition(client, keys, road_report, "acknowledged")
        notifications.dispatch(db.session)
        for delivery in deliveries():
            started = time.monotonic()
            assert deliver(delivery) == "pending"
            assert time.monotonic() - started < 1.0
        assert [(d.attempts, d.last_error) for d in deliveries()] == [(1, "no answer within 0.3 s")] * 2
        assert len(receiver.connections) == 2
