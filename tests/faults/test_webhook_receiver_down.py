"""Drill: a department's webhook receiver down while reports come in, then up again."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain import signatures
from service.models import Delivery, Jurisdiction, OutboxEvent, Subscriber
from tests.faults.drills import ReportStream
from tests.faults.stack import free_port, serving
from tests.pipeline.support import phone_photo

WEBHOOK_SECRET = "drill-webhook-secret"
# The receiver stays down at least this long, and until every delivery has failed this often.
DOWN_SECONDS = 15.0
FAILED_ATTEMPTS = 3
SETTLE_SECONDS = 60.0


class WebhookReceiver(ThreadingHTTPServer):
    """A department's receiver on 127.0.0.1 that keeps each delivery once, by its delivery id."""

    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _ReceiverHandler)
        self.lock = threading.Lock()
        self.posts: Counter[str] = Counter()
        self.kept: dict[str, dict] = {}
        self.bad_signatures = 0


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: WebhookReceiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        delivery_id = self.headers["X-Machikoe-Delivery"]
        signed = signatures.verify(WEBHOOK_SECRET, self.headers[signatures.HEADER], body, now=int(time.time()))
        with self.server.lock:
            self.server.posts[delivery_id] += 1
            self.server.bad_signatures += not signed
            self.server.kept.setdefault(delivery_id, json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def subscribe(drill, url: str) -> None:
    with Session(drill.database.engine) as session:
        jurisdiction_id = session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "990019"))
        session.add(Subscriber(jurisdiction_id=jurisdiction_id, kind="department_webhook", name="道路課 受信",
                               url=url, secret=WEBHOOK_SECRET, active=True))
        session.commit()


def test_every_event_is_delivered_once_after_webhook_receiver_comes_back(drill):
    receiver_port = free_port()
    subscribe(drill, f"http://127.0.0.1:{receiver_port}/hook")
    settings = {"MACHIKOE_NOTIFY_BACKOFF_BASE_SECONDS": "0.5", "MACHIKOE_NOTIFY_BACKOFF_CAP_SECONDS": "2",
                "MACHIKOE_NOTIFY_MAX_ATTEMPTS": "100", "MACHIKOE_NOTIFY_TIMEOUT": "2",
                # The receiver listens on 127.0.0.1, which the outbound policy refuses unless named.
                "MACHIKOE_OUTBOUND_ALLOW_PRIVATE": "127.0.0.1/32"}
    worker = drill.start(**settings)
    went_down = time.monotonic()
    stream = ReportStream(drill.gunicorn.base, count=8, interval=0.3, photos=[phone_photo((1200, 900))])

    stream.start()
    result = stream.finish()
    drill.database.wait_until_processed(list(result.accepted.values()), [worker])
    events = drill.database.scalar(select(func.count()).select_from(OutboxEvent))
    deadline = time.monotonic() + DOWN_SECONDS * 3
    while time.monotonic() < deadline:
        failed_enough = drill.database.scalar(select(func.count()).select_from(Delivery).where(Delivery.attempts >= FAILED_ATTEMPTS))
        if failed_enough == events and time.monotonic() - went_down >= DOWN_SECONDS:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"{failed_enough} of {events} deliveries failed {FAILED_ATTEMPTS} times while the receiver was down\n{worker.log()[-3000:]}")
    with serving(WebhookReceiver(receiver_port)) as receiver:
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline and drill.database.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.state == "delivered")) < events:
            time.sleep(0.3)

    assert result.statuses == {201: 8}, result.problems
    assert events == 16  # report.received and report.routed of each report
    with Session(drill.database.engine) as session:
        deliveries = list(session.scalars(select(Delivery)))
        kinds = Counter((d.outbox_event_id, d.state) for d in deliveries)
    assert len(deliveries) == events and all(state == "delivered" for _, state in kinds) and max(kinds.values()) == 1
    assert set(receiver.kept) == {d.uid for d in deliveries}
    assert Counter((body["type"], body["report"]["id"]) for body in receiver.kept.values()) == Counter(
        {(event_type, public_id): 1 for public_id in result.accepted.values() for event_type in ("report.received", "report.routed")})
    assert receiver.bad_signatures == 0
    assert min(d.attempts for d in deliveries) > FAILED_ATTEMPTS
