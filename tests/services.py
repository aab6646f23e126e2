"""Where the tests find PostgreSQL and Redis, and what happens when they are away.

On a developer's machine without the services, the tests that need them are
skipped with a reason; in CI (CI=true) they fail instead, so a green CI run
always means they ran.

Every name a run uses on the shared servers comes from the run's settings, so
two runs on one machine never touch each other's data, and neither do the
parallel workers of one run (pytest-xdist's ``gw0``, ``gw1``, …):

- ``TEST_RUN_ID`` is the run id; the pytest process id when unset. A worker's
  run id is ``<run id>_<worker>``, and the processes a test starts inherit it.
- ``TEST_POSTGRES_DB`` names the test database; when unset it is
  ``machikoe_test_<run id>``, created on first use and dropped when the run
  ends. A worker adds ``_<worker>`` to a name given. Other databases a test
  needs are ``<that name>_<purpose>``.
- ``TEST_REDIS_URL`` names the Redis database of a run in one process; when
  unset, each process claims a free numbered database (1–15) on
  ``TEST_REDIS_BASE_URL`` by a lock key held inside it for the run, and
  releases it at the end. When every one is claimed by other runs, the process
  starts a private ``redis-server`` of its own on a free port instead.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.faults.stack import RedisServer

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# The xdist worker this process is ("gw0", …), or "" in a run without workers.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _per_worker(name: str) -> str:
    """``name`` made this worker's; a process a worker started has it already."""
    return name if not WORKER or name.endswith(f"_{WORKER}") else f"{name}_{WORKER}"


RUN_ID = _per_worker(os.environ.get("TEST_RUN_ID") or str(os.getpid()))
# Processes the tests start (workers, servers) belong to the same run.
os.environ["TEST_RUN_ID"] = RUN_ID
POSTGRES_TEST_DB = _per_worker(os.environ["TEST_POSTGRES_DB"]) if os.environ.get("TEST_POSTGRES_DB") else f"machikoe_test_{RUN_ID}"
REDIS_BASE_URL = os.environ.get("TEST_REDIS_BASE_URL", "redis://127.0.0.1:6379")
REDIS_LOCK_KEY = "machikoe:test-run"
# A crashed run's claim lapses after this long, so its database is free again.
REDIS_LOCK_SECONDS = 4 * 3600

_created_databases: list[str] = []
_claimed_redis: list[str] = []
_private_redis_servers: list[RedisServer] = []


def services_required() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(what: str, exc: BaseException) -> None:
    message = f"{what} is not reachable ({type(exc).__name__}: {exc})"
    if services_required():
        pytest.fail(message + "; CI needs it", pytrace=False)
    pytest.skip(message)


def database_name(purpose: str | None = None) -> str:
    """The run's test database, or the run's database for ``purpose`` (``contract``, say)."""
    return POSTGRES_TEST_DB if purpose is None else f"{POSTGRES_TEST_DB}_{purpose}"


def postgres_url(purpose: str | None = None, *, fresh: bool = False) -> str:
    """Create the run's database (for ``purpose``) when missing and return its SQLAlchemy URL.

    ``fresh`` drops and creates it again. A database this run created is dropped at its end.
    """
    import psycopg

    name = database_name(purpose)
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            if fresh:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
                if name not in _created_databases and "TEST_POSTGRES_DB" not in os.environ:
                    _created_databases.append(name)
    except psycopg.OperationalError as exc:
        unavailable("PostgreSQL", exc)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def redis_url() -> str:
    """The run's Redis database URL: ``TEST_REDIS_URL``, or a numbered database claimed for this run."""
    import redis

    if os.environ.get("TEST_REDIS_URL"):
        if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
            pytest.fail("TEST_REDIS_URL names one Redis database, but this run has several workers: "
                        "run with -n 0, or leave it unset so that each worker claims its own", pytrace=False)
        url = os.environ["TEST_REDIS_URL"]
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError as exc:
            unavailable("Redis", exc)
        return url
    if _claimed_redis:
        return _claimed_redis[0]
    try:
        for number in range(1, 16):
            url = f"{REDIS_BASE_URL}/{number}"
            client = redis.Redis.from_url(url, socket_connect_timeout=2)
            try:
                if client.set(REDIS_LOCK_KEY, RUN_ID, nx=True, ex=REDIS_LOCK_SECONDS):
                    # Whatever a crashed run left behind goes; the lock key is set again.
                    client.flushdb()
                    client.set(REDIS_LOCK_KEY, RUN_ID, ex=REDIS_LOCK_SECONDS)
                    _claimed_redis.append(url)
                    return url
            finally:
                client.close()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    return _private_redis()


def _private_redis() -> str:
    """A ``redis-server`` of this process's own, for when other runs hold every numbered database."""
    import tempfile
    from pathlib import Path

    from tests.faults.stack import RedisServer

    server = RedisServer(Path(tempfile.mkdtemp(prefix=f"machikoe-redis-{RUN_ID}-")))
    server.start()
    _private_redis_servers.append(server)
    _claimed_redis.append(server.url)
    return server.url


def reset_redis(url: str) -> None:
    """Empty the run's Redis database, keeping its claim."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
        if url in _claimed_redis:
            client.set(REDIS_LOCK_KEY, RUN_ID, ex=REDIS_LOCK_SECONDS)
    finally:
        client.close()


@atexit.register
def release() -> None:
    """Release the run's Redis database and drop the databases this run created."""
    # The run is over: a database left behind is only untidy, and a Redis
    # claim left behind lapses by itself, so failures here are not reported.
    # Redis goes first: it is quick, and a worker stopped while PostgreSQL
    # drops its databases has released its claim already.
    for url in _claimed_redis:
        import redis

        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(url, socket_connect_timeout=2)
            client.flushdb()
            client.close()
    for server in _private_redis_servers:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
    if _created_databases:
        import psycopg

        with contextlib.suppress(psycopg.Error), psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            for name in _created_databases:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
