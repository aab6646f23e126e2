"""Where the tests find PostgreSQL and Redis, and what happens when they are away.

On a developer's machine without the services, the tests that need them are
skipped with a reason; in CI (CI=true) they fail instead, so a green CI run
always means they ran.
"""

from __future__ import annotations

import os

import pytest

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
POSTGRES_TEST_DB = os.environ.get("TEST_POSTGRES_DB", "machikoe_test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def services_required() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(what: str, exc: BaseException) -> None:
    message = f"{what} is not reachable ({type(exc).__name__}: {exc})"
    if services_required():
        pytest.fail(message + "; CI needs it", pytrace=False)
    pytest.skip(message)


def postgres_url() -> str:
    """Create the test database when missing and return its SQLAlchemy URL."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (POSTGRES_TEST_DB,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{POSTGRES_TEST_DB}"')
    except psycopg.OperationalError as exc:
        unavailable("PostgreSQL", exc)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{POSTGRES_TEST_DB}"


def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        unavailable("Redis", exc)
    return REDIS_URL
