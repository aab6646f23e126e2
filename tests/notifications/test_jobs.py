"""The delivery jobs: dispatch sends deliveries to the notifications queue in batches, and a batch
schedules its retries, one job for a timed-out subscriber's deliveries."""

from __future__ import annotations

from datetime import datetime, timedelta
from queue import Empty
from typing import Any

from celery import Celery
from sqlalchemy import select

from service.domain import notifications
from service.extensions import db
from service.jobs import DELIVER, DISPATCH_EVENTS
from service.models import Delivery
from tests.notifications.conftest import subscribe, transition
from workers import notifications as notification_jobs
from workers.celery_app import NOTIFICATIONS_QUEUE

STATUS_CHANGED = ["report.status_changed"]


def queued(celery: Celery, name: str = NOTIFICATIONS_QUEUE) -> list[tuple[str, list[Any], str | None]]:
    """Take every job waiting in the queue (the notifications queue by default): its task name, arguments and ETA."""
    jobs = []
    with celery.connection_for_read() as connection:
        queue = connection.SimpleQueue(name)
        try:
            while True:
                message = queue.get(timeout=0.2)
                message.ack()
                args, _kwargs, _embed = message.payload
                jobs.append((message.headers["task"], args, message.headers.get("eta")))
        except Empty:
            pass
        finally:
            queue.close()
    return jobs


def delivery_ids() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery.id).order_by(Delivery.id)))


def test_dispatch_sends_one_delivery_job_per_batch(app, client, keys, road_report, receiver, monkeypatch):
    celery = app.extensions["celery"]
    celery.control.purge()
    monkeypatch.setattr(notification_jobs, "DELIVERY_BATCH", 2)
    for path in ("/a", "/b", "/c"):
        subscribe(client, keys, name=path, url=receiver.url(path), event_types=STATUS_CHANGED)
    transition(client, keys, road_report, "acknowledged")

    assert celery.tasks[DISPATCH_EVENTS]() == 3
    ids = delivery_ids()
    jobs = queued(celery)
    assert jobs == [(DELIVER, ids[:2], None), (DELIVER, ids[2:], None)]
    assert [celery.tasks[DELIVER](*args) for _, args, _ in jobs] == [2, 1]
    assert sorted(r.path for r in receiver.requests) == ["/a", "/b", "/c"]


def test_timed_out_subscriber_gets_one_retry_job_for_its_deliveries(app, client, keys, road_report, receiver, monkeypatch):
    celery = app.extensions["celery"]
    celery.control.purge()
    monkeypatch.setitem(app.config, "NOTIFY_TIMEOUT", 0.3)
    # The middle of the jitter range: a wait of 5 s, not one so short it is over before the batch ends.
    monkeypatch.setattr(notifications.random, "uniform", lambda low, high: (low + high) / 2)
    slow = subscribe(client, keys, name="遅い受信者", url=receiver.url("/slow"), event_types=STATUS_CHANGED)
    subscribe(client, keys, name="速い受信者", url=receiver.url("/fast"), event_types=STATUS_CHANGED)
    receiver.answer("/slow", 200, delay=1.0)
    for to in ("acknowledged", "in_progress", "resolved"):
        transition(client, keys, road_report, to)
    celery.tasks[DISPATCH_EVENTS]()
    (job,) = queued(celery)

    assert celery.tasks[DELIVER](*job[1]) == 3
    slow_deliveries = list(db.session.scalars(select(Delivery).where(Delivery.subscriber_id == slow["id"]).order_by(Delivery.id)))
    (retry,) = queued(celery)
    assert retry[:2] == (DELIVER, [d.id for d in slow_deliveries])
    retry_at = slow_deliveries[0].next_attempt_at
    assert {d.next_attempt_at for d in slow_deliveries} == {retry_at}
    assert abs(datetime.fromisoformat(retry[2]) - retry_at) < timedelta(seconds=1)

    assert celery.tasks[DELIVER](*retry[1]) == 0  # not due yet
    assert len(receiver.at("/slow")) == 1
