"""The parallel workers of one test run never share a name on the shared servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import redis

from tests import services
from tests.faults.stack import RedisServer

ROOT = Path(__file__).resolve().parent.parent
NAMES = "import json, os; from tests import services as s; print(json.dumps([s.RUN_ID, s.database_name(), os.environ['TEST_RUN_ID']]))"


def names(**environment: str) -> list[str]:
    """The run id, the database name and the run id passed on, as tests/services.py gives them in a new process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST_XDIST_"))}
    env.update(PYTHONPATH=str(ROOT), **environment)
    finished = subprocess.run([sys.executable, "-c", NAMES], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=60, check=True)
    return json.loads(finished.stdout)


def test_each_worker_of_a_run_has_its_own_run_id_and_database():
    first = names(TEST_RUN_ID="4242", PYTEST_XDIST_WORKER="gw0")
    second = names(TEST_RUN_ID="4242", PYTEST_XDIST_WORKER="gw1")

    assert first == ["4242_gw0", "machikoe_test_4242_gw0", "4242_gw0"]
    assert second == ["4242_gw1", "machikoe_test_4242_gw1", "4242_gw1"]


def test_a_process_started_by_a_worker_stays_in_that_workers_run():
    started = names(TEST_RUN_ID="4242_gw1", PYTEST_XDIST_WORKER="gw1")

    assert started == ["4242_gw1", "machikoe_test_4242_gw1", "4242_gw1"]


def test_a_database_named_for_the_run_is_made_each_workers_own():
    assert names(TEST_POSTGRES_DB="mine", PYTEST_XDIST_WORKER="gw2")[1] == "mine_gw2"
    assert names(TEST_POSTGRES_DB="mine")[1] == "mine"


def test_a_run_without_workers_keeps_the_names_it_had():
    assert names(TEST_RUN_ID="4242") == ["4242", "machikoe_test_4242", "4242"]


def test_a_worker_finds_a_redis_of_its_own_when_other_runs_hold_every_database(tmp_path):
    shared = RedisServer(tmp_path)
    shared.start()
    try:
        for number in range(1, 16):
            with redis.Redis.from_url(f"{shared.url[:-2]}/{number}") as client:
                client.set(services.REDIS_LOCK_KEY, "another run", ex=60)
        claim = ("import redis; from tests import services as s; url = s.redis_url(); "
                 "print(url, redis.Redis.from_url(url).ping(), s._private_redis_servers[0].process.pid)")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST_XDIST_"))}
        env.update(PYTHONPATH=str(ROOT), TEST_REDIS_BASE_URL=shared.url[:-2], PYTEST_XDIST_WORKER="gw3")
        finished = subprocess.run([sys.executable, "-c", claim], env=env, cwd=ROOT, capture_output=True, text=True,
                                  timeout=60, check=True)
        url, answered, pid = finished.stdout.split()

        assert answered == "True"
        assert not url.startswith(shared.url[:-2])
        # The run's own server ended with the run.
        assert not Path(f"/proc/{pid}").exists()
        for number in range(1, 16):
            with redis.Redis.from_url(f"{shared.url[:-2]}/{number}") as client:
                assert client.get(services.REDIS_LOCK_KEY) == b"another run"
    finally:
        shared.stop()
