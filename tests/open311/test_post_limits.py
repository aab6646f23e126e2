"""Open311 POST: an Idempotency-Key makes a retry one request, and each API client has a rate limit."""

from __future__ import annotations

from flask_migrate import upgrade

from service import create_app
from service.domain.api_clients import create_client
from service.extensions import db
from service.seed import seed_demo
from tests.open311.conftest import BASE, DEMO, assert_open311_error, post_request, report_count

FIELDS = {"service_code": "road_damage", "lat": "35.650", "long": "139.780", "description": "歩道に穴があります"}


def post_with_key(client, api_key, key, fmt="json", **fields):
    return client.post(f"{BASE}/requests.{fmt}", data={**FIELDS, "api_key": api_key, **fields}, headers={"Idempotency-Key": key})


def test_a_retry_with_the_same_key_answers_the_same_request_once(client, api_key):
    first = post_with_key(client, api_key, "retry-1")
    again = post_with_key(client, api_key, "retry-1")
    assert first.status_code == again.status_code == 201
    assert again.get_json()[0]["service_request_id"] == first.get_json()[0]["service_request_id"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert report_count() == 1


def test_the_same_key_for_a_different_request_is_a_conflict_and_writes_nothing(client, api_key):
    post_with_key(client, api_key, "retry-2")
    response = post_with_key(client, api_key, "retry-2", fmt="xml", description="別の穴です")
    assert_open311_error(response, 409, "xml")
    assert report_count() == 1


def test_another_client_using_the_same_key_makes_its_own_request(client, api_key):
    other = create_client(db.session, name="別のアプリ", jurisdiction_code=DEMO)[1]
    first = post_with_key(client, api_key, "shared-key")
    second = post_with_key(client, other, "shared-key")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert second.get_json()[0]["service_request_id"] != first.get_json()[0]["service_request_id"]


def test_a_key_that_is_not_printable_ascii_is_refused_in_open311_terms(client, api_key):
    response = post_with_key(client, api_key, "鍵")
    assert_open311_error(response, 400)
    assert report_count() == 0


def test_a_client_past_its_limit_gets_429_with_retry_after_in_its_format(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "s", "LOG_LEVEL": "CRITICAL", "CELERY_BROKER_URL": "memory://localhost/",
                      "RATE_LIMIT_REPORTS_PER_CLIENT": "2/minute"})
    with app.app_context():
        upgrade()
        seed_demo(db.session)
        api_key = create_client(db.session, name="集計アプリ", jurisdiction_code=DEMO)[1]
        client = app.test_client()
        assert [post_request(client, api_key).status_code for _ in range(2)] == [201, 201]
        refused = post_request(client, api_key, fmt="xml")
        assert_open311_error(refused, 429, "xml")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert report_count() == 2
        db.session.remove()
