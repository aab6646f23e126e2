"""Rate limits on intake: per address and per device, 429 problem+json with Retry-After, and Redis away."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from service import create_app
from service.extensions import db
from service.seed import seed_demo
from tests.conftest import INSIDE

REPORT = {"category": "road_damage", "description": "穴があります", **INSIDE}


@pytest.fixture()
def limited_app(tmp_path):
    def make(**settings):
        app = create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "s", "LOG_LEVEL": "CRITICAL",
                          "CELERY_BROKER_URL": "memory://localhost/", **settings})
        with app.app_context():
            upgrade()
            if db.session.query(db.metadata.tables["jurisdiction"]).count() == 0:
                seed_demo(db.session)
            db.session.remove()
        return app
    return make


def test_too_many_reports_from_one_address_get_429_with_retry_after(limited_app):
    client = limited_app(RATE_LIMIT_REPORTS_PER_ADDRESS="2/minute").test_client()
    statuses = [client.post("/api/v1/reports", json={**REPORT, "device_id": f"d{i}"}).status_code for i in range(3)]
    assert statuses == [201, 201, 429]
    response = client.post("/api/v1/reports", json=REPORT)
    assert response.content_type == "application/problem+json" and response.get_json()["status"] == 429
    assert int(response.headers["Retry-After"]) > 0


def test_device_limit_holds_across_addresses_but_not_across_devices(limited_app):
    client = limited_app(RATE_LIMIT_REPORTS_PER_DEVICE="1/minute").test_client()
    first = client.post("/api/v1/reports", json={**REPORT, "device_id": "phone-a"}, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    again = client.post("/api/v1/reports", json={**REPORT, "device_id": "phone-a"}, environ_base={"REMOTE_ADDR": "127.0.0.3"})
    other = client.post("/api/v1/reports", json={**REPORT, "device_id": "phone-b"}, environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 429, 201)


def test_intake_keeps_working_when_the_limit_store_is_unreachable(limited_app):
    # Nothing listens on this port: Flask-Limiter falls back to counting in memory.
    app = limited_app(REDIS_URL="redis://127.0.0.1:9/0", CELERY_BROKER_URL="memory://localhost/",
                      RATE_LIMIT_REPORTS_PER_ADDRESS="2/minute")
    client = app.test_client()
    statuses = [client.post("/api/v1/reports", json={**REPORT, "device_id": f"x{i}"}).status_code for i in range(3)]
    assert statuses == [201, 201, 429]


def test_staff_keys_are_limited_too(limited_app):
    from service.domain.staff_keys import create_staff

    app = limited_app(RATE_LIMIT_API_KEYS="2/minute")
    with app.app_context():
        _, key = create_staff(db.session, name="a", role="admin", jurisdiction_code="990019", department_code=None)
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    assert [client.get("/api/v1/staff/reports", headers=headers).status_code for _ in range(3)] == [200, 200, 429]
