"""The embedded default served on 127.0.0.1 with its in-process worker, and the LINE stand-in beside it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from service import create_app
from service.channels.line.setup import configure
from service.extensions import db
from service.seed import seed_demo
from tests.channels.line.standin import LinePlatform
from workers.embedded import start_embedded_worker


@pytest.fixture()
def platform() -> Iterator[LinePlatform]:
    standin = LinePlatform("")
    yield standin
    standin.close()


@pytest.fixture()
def line_app(migrated_data_dir: Path, platform: LinePlatform, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = create_app({
        "DATA_DIR": str(migrated_data_dir), "SECRET_KEY": "line-secret", "LOG_LEVEL": "WARNING",
        "SWEEP_INTERVAL_SECONDS": 3600.0, "NOTIFY_DISPATCH_INTERVAL_SECONDS": 0.3,
        "LINE_API_BASE_URL": platform.url, "LINE_DATA_API_BASE_URL": platform.url,
        "PUBLIC_BASE_URL": "https://minato.example.jp",
    })
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        seed_demo(db.session)
        channel = platform.channel("990019")
        configure(db.session(), "990019", channel_secret=channel.secret, access_token=channel.token)
        db.session.remove()
    celery_app = app.extensions["celery"]
    celery_app.control.purge()
    made: list[Any] = []
    make = celery_app.WorkController

    def keep(*args: Any, **kwargs: Any) -> Any:
        controller = make(*args, **kwargs)
        made.append(controller)
        return controller

    monkeypatch.setattr(celery_app, "WorkController", keep)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    platform.webhook_base = f"http://127.0.0.1:{server.server_port}"
    worker = start_embedded_worker(app)
    yield app
    for controller in made:
        controller.stop()
    worker.join(10)
    server.shutdown()
    serving.join(5)
    with app.app_context():
        db.engine.dispose()
