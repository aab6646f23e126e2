"""Fixtures for the pipeline with real components.

``worker_app`` is the deployment shape: PostgreSQL, a Redis broker and photos
in a data directory shared with the Celery worker processes that
``start_worker`` runs. Tables are emptied and the demo city re-seeded before
each test, as the top-level ``app`` fixture does, and the broker queue is
purged, so no job of an earlier test reaches this one's worker.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from service import create_app
from service.extensions import db
from service.seed import seed_demo
from tests import services
from tests.conftest import empty_tables
from tests.pipeline.support import WorkerProcess, worker_environment

SECRET = "pipeline-test-secret"


@pytest.fixture(scope="session")
def broker_url() -> str:
    """The Redis test database, emptied once before any producer or worker uses it.

    It is emptied only here: Redis also holds the queue bindings that workers
    declare, and a message published while they are missing would be dropped.
    """
    url = services.redis_url()
    services.reset_redis(url)
    return url


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pipeline-data")


@pytest.fixture(scope="session")
def worker_app_base(broker_url: str, shared_data_dir: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "DATA_DIR": str(shared_data_dir),
            "DATABASE_URL": services.postgres_url(),
            "REDIS_URL": broker_url,
            "SECRET_KEY": SECRET,
            "LOG_LEVEL": "WARNING",
        }
    )
    app.config["TESTING"] = True
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    app.extensions["celery"].close()


@pytest.fixture()
def worker_app(worker_app_base: Flask) -> Iterator[Flask]:
    with worker_app_base.app_context():
        empty_tables()
        seed_demo(db.session)
        db.session.remove()
    worker_app_base.extensions["celery"].control.purge()
    with worker_app_base.app_context():
        yield worker_app_base
        db.session.remove()


@pytest.fixture()
def start_worker(worker_app: Flask, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start ready Celery workers for this test; each is stopped by its pid afterwards.

    ``threads`` gives the worker a pool of that many threads instead of the
    solo pool, ``queues`` the queues it consumes (all by default); other keyword arguments are extra environment variables (``MACHIKOE_...``).
    """
    started: list[WorkerProcess] = []

    def start(name: str = "pipeline", *, threads: int = 0, queues: tuple[str, ...] = (), **settings: str) -> WorkerProcess:
        environment = worker_environment(
            {
                "DATABASE_URL": worker_app.config["DATABASE_URL"],
                "REDIS_URL": worker_app.config["REDIS_URL"],
                "MACHIKOE_DATA_DIR": worker_app.config["DATA_DIR"],
                "MACHIKOE_SECRET_KEY": SECRET,
                "MACHIKOE_LOG_LEVEL": "INFO",
                **settings,
            }
        )
        worker = WorkerProcess(f"{name}-{len(started) + 1}", environment, tmp_path / f"worker-{len(started) + 1}.log",
                               threads=threads, queues=queues)
        started.append(worker)
        worker.wait_ready()
        return worker

    yield start
    # Asking every worker first lets their warm shutdowns overlap.
    for worker in started:
        worker.ask_to_stop()
    for worker in started:
        worker.stop()


@pytest.fixture()
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def broker_down_app(worker_app: Flask, closed_port: int) -> Iterator[Flask]:
    """The same service (database, photos, secret) whose broker cannot be reached."""
    app = create_app(
        {
            "DATA_DIR": worker_app.config["DATA_DIR"],
            "DATABASE_URL": worker_app.config["DATABASE_URL"],
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{closed_port}/0",
            "SECRET_KEY": SECRET,
            "LOG_LEVEL": "WARNING",
        }
    )
    app.config["TESTING"] = True
    yield app
    with app.app_context():
        db.engine.dispose()
    app.extensions["celery"].close()
