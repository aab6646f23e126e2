"""Liveness and readiness, and the common answers of the HTTP layer."""

from __future__ import annotations

import pytest

from service import create_app


def test_healthz_and_readyz_answer_ok(client):
    assert client.get("/healthz").get_json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": "ok", "broker": "ok"}


def test_readyz_is_503_problem_when_the_broker_is_unreachable(tmp_path):
    # A port on 127.0.0.1 where nothing listens stands in for a Redis that is down.
    app = create_app({"DATA_DIR": str(tmp_path), "CELERY_BROKER_URL": "redis://127.0.0.1:9/0", "LOG_LEVEL": "CRITICAL"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.content_type == "application/problem+json"
    assert response.get_json()["checks"]["broker"] == "unreachable"


@pytest.mark.parametrize("method,url,status", [("GET", "/nowhere", 404), ("DELETE", "/api/v1/reports", 405), ("PUT", "/healthz", 405)])
def test_unknown_routes_and_methods_are_problems(client, method, url, status):
    response = client.open(url, method=method)
    assert response.status_code == status and response.content_type == "application/problem+json"
    assert response.get_json()["status"] == status


def test_every_answer_has_nosniff_and_a_request_id(client):
    response = client.get("/healthz", headers={"X-Request-Id": "abc123"})
    assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["X-Request-Id"] == "abc123"
