"""Pooled PostgreSQL connections closed by the server while idle are replaced before a request meets them.

A connection is pinged at checkout only after it sat in the pool longer than
service.db_pool.IDLE_SECONDS; a dead one met sooner answers 503 once, and the
pool then heals without a restart.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from service import db_pool
from service.extensions import db
from tests.api.test_status_polls import created


def close_pooled_connections() -> None:
    """The server ends every other session of this database, as a restart does."""
    db.session.remove()
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()").text)


@pytest.fixture(autouse=True)
def fresh_pool_afterwards(app):
    """The pool still holds the sessions the server ended; the next test starts on new ones."""
    yield
    db.session.remove()
    db.engine.dispose()


# Only a PostgreSQL server closes pooled connections; SQLite has none.
on_postgresql = pytest.mark.parametrize("database_kind", ["postgresql"], indirect=True)


@on_postgresql
def test_a_connection_closed_while_idle_is_replaced_and_the_read_answers_200(client, monkeypatch):
    report = created(client)
    monkeypatch.setattr(db_pool, "IDLE_SECONDS", 0.0)
    close_pooled_connections()

    response = client.get(f"/api/v1/reports/{report['id']}")
    assert response.status_code == 200 and response.get_json()["id"] == report["id"]


@on_postgresql
def test_a_connection_closed_within_the_idle_time_answers_503_once_then_the_pool_heals(client, monkeypatch):
    report = created(client)
    monkeypatch.setattr(db_pool, "IDLE_SECONDS", 3600.0)
    close_pooled_connections()

    failed = client.get(f"/api/v1/reports/{report['id']}")
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "5"
    assert failed.headers["Content-Type"] == "application/problem+json"
    healed = client.get(f"/api/v1/reports/{report['id']}")
    assert healed.status_code == 200
