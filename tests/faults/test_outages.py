"""A database that cannot be reached answers 503 problem+json with Retry-After, never 500."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError

from service import create_app
from service.api.outages import is_outage
from service.extensions import db

REPORT = {"category": "road_damage", "description": "歩道に大きな穴があります", "lat": 35.650, "lon": 139.780}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def unreachable_database_app(tmp_path: Path) -> Iterator[Flask]:
    """The service pointed at a PostgreSQL port on 127.0.0.1 where nothing listens."""
    app = create_app({
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"postgresql://machikoe@127.0.0.1:{closed_port()}/machikoe",
        "SECRET_KEY": "outage-secret",
        "RATE_LIMITS_ENABLED": False,
        "LOG_LEVEL": "ERROR",
    })
    app.config["TESTING"] = True
    yield app
    with app.app_context():
        db.engine.dispose()
    app.extensions["celery"].close()


def test_report_sent_while_database_is_unreachable_answers_503_problem_with_retry_after(unreachable_database_app):
    response = unreachable_database_app.test_client().post("/api/v1/reports", json=REPORT,
                                                           headers={"Idempotency-Key": "outage-1"})

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["status"] == 503 and body["title"] == "Service Unavailable"
    assert "database" in body["detail"] and body["detail_ja"]


def test_every_later_request_also_answers_503_while_database_stays_unreachable(unreachable_database_app):
    client = unreachable_database_app.test_client()

    statuses = [client.get(path).status_code for path in ("/api/v1/jurisdictions", "/api/v1/reports", "/api/v1/jurisdictions")]

    assert statuses == [503, 503, 503]


def test_readiness_answers_503_problem_naming_the_database(unreachable_database_app):
    response = unreachable_database_app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["checks"]["database"] == "unreachable"


def test_liveness_still_answers_200_while_database_is_unreachable(unreachable_database_app):
    assert unreachable_database_app.test_client().get("/healthz").status_code == 200


def test_refused_connection_is_an_outage_and_a_broken_constraint_is_not():
    refused = OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
    broken = IntegrityError("INSERT", {}, ValueError("duplicate key"))

    assert is_outage(refused)
    assert not is_outage(broken)
