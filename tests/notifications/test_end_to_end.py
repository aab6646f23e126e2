"""A staff transition reaches a webhook through real Celery beat and worker processes on Redis and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from flask import Flask
from sqlalchemy import select

from service.domain import signatures
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Delivery, Subscriber
from tests.notifications.conftest import LOCAL_RECEIVERS, Receiver
from tests.pipeline import conftest as pipeline_fixtures
from tests.pipeline.conftest import SECRET
from tests.pipeline.support import REPO_ROOT, post_report, published, wait_until, worker_environment

pytestmark = pytest.mark.services

STATUS_CHANGED = ["report.status_changed"]

# The pipeline tests' PostgreSQL and Redis app and their Celery worker processes.
broker_url, shared_data_dir, worker_app_base, worker_app, start_worker = (
    pipeline_fixtures.broker_url, pipeline_fixtures.shared_data_dir, pipeline_fixtures.worker_app_base,
    pipeline_fixtures.worker_app, pipeline_fixtures.start_worker)


@pytest.fixture()
def start_beat(worker_app: Flask, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `celery beat` with extra settings; it is stopped by its pid afterwards."""
    started: list[subprocess.Popen] = []
    logs: list[BinaryIO] = []

    def start(**settings: str) -> subprocess.Popen:
        environment = worker_environment({
            "DATABASE_URL": worker_app.config["DATABASE_URL"], "REDIS_URL": worker_app.config["REDIS_URL"],
            "MACHIKOE_DATA_DIR": worker_app.config["DATA_DIR"], "MACHIKOE_SECRET_KEY": SECRET, **settings,
        })
        log = (tmp_path / "beat.log").open("wb")
        logs.append(log)
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers", "beat", "--loglevel=INFO",
             "-s", str(tmp_path / "beat-schedule"), "--pidfile", str(tmp_path / "beat.pid")],
            cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
        )
        started.append(beat)
        return beat

    yield start
    for beat in started:
        beat.terminate()
        try:
            beat.wait(timeout=10)
        except subprocess.TimeoutExpired:
            beat.kill()
            beat.wait(timeout=10)
    for log in logs:
        log.close()


def test_staff_transition_reaches_signed_webhook_while_a_slow_one_times_out(worker_app, start_worker, start_beat, receiver: Receiver,
                                                                           monkeypatch):
    # The receivers listen on 127.0.0.1, which the operator must name for the API and the worker.
    monkeypatch.setitem(worker_app.config, "OUTBOUND_ALLOW_PRIVATE", LOCAL_RECEIVERS)
    worker = start_worker("notify", MACHIKOE_NOTIFY_TIMEOUT="1", MACHIKOE_OUTBOUND_ALLOW_PRIVATE=LOCAL_RECEIVERS)
    start_beat(MACHIKOE_NOTIFY_DISPATCH_INTERVAL_SECONDS="0.5")
    client = worker_app.test_client()
    _, admin_key = create_staff(db.session, name="管理者", role="admin", jurisdiction_code="990019", department_code=None)
    _, staff_key = create_staff(db.session, name="道路 太郎", role="staff", jurisdiction_code="990019", department_code="road")
    receiver.answer("/slow", 200, 200, 200, delay=4.0)
    for name, path in (("遅い受信者", "/slow"), ("道路課", "/fast")):
        response = client.post("/api/v1/staff/admin/subscribers", headers={"Authorization": f"Bearer {admin_key}"},
                               json={"kind": "department_webhook", "name": name, "url": receiver.url(path),
                                     "department": "road", "event_types": STATUS_CHANGED})
        assert response.status_code == 201
    secret = db.session.scalar(select(Subscriber.secret).where(Subscriber.name == "道路課"))

    created = post_report(client)
    wait_until(lambda: published(created["id"]), what="processing", workers=[worker])
    started = time.monotonic()
    response = client.post(f"/api/v1/staff/reports/{created['id']}/transitions", json={"to": "in_progress"},
                           headers={"Authorization": f"Bearer {staff_key}"})
    assert response.status_code == 201

    (request,) = wait_until(lambda: receiver.at("/fast"), what="the signed POST at the fast receiver", timeout=20, workers=[worker])
    assert time.monotonic() - started < 20
    assert signatures.verify(secret, request.headers["X-Machikoe-Signature"], request.body, now=int(time.time()))
    assert request.json()["report"]["id"] == created["id"]
    assert request.json()["data"]["to"] == "in_progress"
    slow = wait_until(lambda: db.session.scalar(select(Delivery).join(Subscriber).where(
        Subscriber.name == "遅い受信者", Delivery.last_error.is_not(None))), what="the slow delivery's failed attempt", workers=[worker])
    assert slow.last_error == "no answer within 1 s"
    fast = db.session.scalar(select(Delivery).join(Subscriber).where(Subscriber.name == "道路課"))
    assert (fast.state, fast.attempts) == ("delivered", 1)
