"""Fixtures for the fault drills: a private PostgreSQL cluster for the session, and for each
drill its own database, Redis server, gunicorn, Celery worker and beat, all on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.drills import DrillDatabase
from tests.faults.stack import Gunicorn, PostgresCluster, Process, RedisServer, start_beat, wait_for
from tests.pipeline.support import REPO_ROOT, WorkerProcess, worker_environment

SECRET = "drill-secret"
TEMPLATE = "machikoe_drill_template"
MACHIKOE = str(Path(sys.executable).with_name("machikoe"))

# Short clocks, so lost work is found and retried within a drill's seconds.
DRILL_SETTINGS = {
    "MACHIKOE_SECRET_KEY": SECRET,
    "MACHIKOE_RATE_LIMITS_ENABLED": "false",
    "MACHIKOE_EMBEDDED_WORKER": "false",
    "MACHIKOE_SWEEP_AFTER_SECONDS": "3",
    "MACHIKOE_SWEEP_INTERVAL_SECONDS": "2",
    "MACHIKOE_NOTIFY_DISPATCH_INTERVAL_SECONDS": "1",
    "MACHIKOE_NOTIFY_SWEEP_INTERVAL_SECONDS": "2",
    "MACHIKOE_LOG_LEVEL": "INFO",
}


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A cluster of the drills' own, with the schema and the demo city in a template database."""
    # Not below pytest's temporary directory: the postgres user must reach the
    # data directory, and pytest's directories are private to the user running it.
    root = Path(tempfile.mkdtemp(prefix="machikoe-drill-pg-"))
    cluster = PostgresCluster(root)
    try:
        cluster.init()
        cluster.start()
        url = cluster.create_database(TEMPLATE)
        environment = worker_environment({"DATABASE_URL": url, "MACHIKOE_DATA_DIR": str(root / "seed"), **DRILL_SETTINGS})
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run([MACHIKOE, *command], env=environment, cwd=REPO_ROOT, check=True, capture_output=True, timeout=120)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


class DrillStack:
    """One drill's services and processes; :meth:`close` ends each one it started, by pid."""

    def __init__(self, cluster: PostgresCluster, root: Path, name: str) -> None:
        self.cluster = cluster
        self.root = root
        self.database_url = cluster.create_database(name, template=TEMPLATE)
        self.redis = RedisServer(root)
        self.redis.start()
        self.data_dir = root / "data"
        self.processes: list[Process | WorkerProcess] = []
        self.gunicorn: Gunicorn | None = None
        self.database = DrillDatabase(self.database_url)

    @property
    def photo_root(self) -> Path:
        return self.data_dir / "photos"

    def environment(self, **settings: str) -> dict[str, str]:
        return worker_environment({"DATABASE_URL": self.database_url, "REDIS_URL": self.redis.url,
                                   "MACHIKOE_DATA_DIR": str(self.data_dir), **DRILL_SETTINGS, **settings})

    def start_gunicorn(self, **settings: str) -> Gunicorn:
        self.gunicorn = Gunicorn(self.environment(**settings), self.root / "gunicorn.log")
        self.processes.append(self.gunicorn.process)
        return self.gunicorn

    def start_worker(self, **settings: str) -> WorkerProcess:
        number = sum(isinstance(p, WorkerProcess) for p in self.processes) + 1
        worker = WorkerProcess(f"drill-{number}", self.environment(**settings), self.root / f"worker-{number}.log")
        self.processes.append(worker)
        worker.wait_ready()
        return worker

    def start_beat(self, **settings: str) -> Process:
        beat = start_beat(self.environment(**settings), self.root)
        self.processes.append(beat)
        wait_for(lambda: "beat: Starting" in beat.log(), what="beat to start", logs=[beat])
        return beat

    def start(self, **settings: str) -> WorkerProcess:
        """gunicorn, one worker and beat, all with ``settings``; returns the worker."""
        self.start_gunicorn(**settings)
        self.start_beat(**settings)
        return self.start_worker(**settings)

    def close(self) -> None:
        # Asking every process first lets their shutdowns overlap.
        for process in self.processes:
            process.ask_to_stop()
        for process in reversed(self.processes):
            process.stop()
        self.redis.stop()
        self.database.close()


@pytest.fixture()
def drill(postgres_cluster: PostgresCluster, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DrillStack]:
    stack = DrillStack(postgres_cluster, tmp_path, f"drill_{request.node.name[:40].lower()}")
    try:
        yield stack
    finally:
        stack.close()
