"""The embedded default: a real Celery worker inside the process, on the in-memory broker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from service import create_app
from service.extensions import db
from service.seed import seed_demo
from tests.conftest import make_jpeg
from tests.pipeline.support import post_report, published, wait_until
from workers.embedded import start_embedded_worker


@pytest.fixture()
def embedded_app(tmp_path: Path) -> Iterator[Flask]:
    """The shape `machikoe serve` runs with no settings at all: SQLite, local photos, memory broker."""
    app = create_app(
        {
            "DATA_DIR": str(tmp_path),
            "SECRET_KEY": "embedded-secret",
            "LOG_LEVEL": "WARNING",
            # One sweep at start-up is enough here; the timer then sleeps past the test.
            "SWEEP_INTERVAL_SECONDS": 3600.0,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        seed_demo(db.session)
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture()
def worker_controllers(embedded_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Keep every WorkController the embedded worker makes, so the test can stop them."""
    celery_app = embedded_app.extensions["celery"]
    make = celery_app.WorkController
    made: list[Any] = []

    def keep(*args: Any, **kwargs: Any) -> Any:
        controller = make(*args, **kwargs)
        made.append(controller)
        return controller

    monkeypatch.setattr(celery_app, "WorkController", keep)
    yield made
    for controller in made:
        controller.stop()


def test_embedded_worker_thread_processes_posted_report(embedded_app, worker_controllers):
    celery_app = embedded_app.extensions["celery"]
    assert embedded_app.config["EMBEDDED_WORKER"] is True
    assert celery_app.conf.broker_url.startswith("memory://")
    assert not celery_app.conf.task_always_eager
    # Every app in this process shares the in-memory broker; jobs other tests
    # left there belong to other databases.
    celery_app.control.purge()

    thread = start_embedded_worker(embedded_app)
    assert thread.daemon and thread.is_alive()
    assert thread is not threading.current_thread()

    with embedded_app.app_context():
        client = embedded_app.test_client()
        created = post_report(client, photos=[make_jpeg((1200, 900))])
        wait_until(lambda: published(created["id"]), what="processing and the photo check by the embedded worker", timeout=20)
        public = client.get(f"/api/v1/reports/{created['id']}").get_json()

    assert public["department"] == "道路課" and public["address"] == "みなと市中央区"
    assert len(public["photos"]) == 1
    # Reports (and notifications) on one worker, remote media on its own.
    assert [c.hostname for c in worker_controllers] == ["embedded@machikoe", "embedded-media@machikoe"]
    worker_controllers[0].stop()
    thread.join(10)
    assert not thread.is_alive()
