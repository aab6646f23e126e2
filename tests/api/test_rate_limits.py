"""Rate limits: per device first, a ceiling per shared address, refusals counted apart,
trusted proxies, staff keys per staff member, 429 problem+json with Retry-After, and Redis away.

Every test runs with the counters in memory (the embedded default) and in the
run's Redis (the deployment shape).
"""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from service import create_app
from service.extensions import db
from service.seed import seed_demo
from tests import services
from tests.conftest import INSIDE

REPORT = {"category": "road_damage", "description": "穴があります", **INSIDE}
# Behind one carrier-grade NAT address, as on Japanese mobile networks.
CGNAT = {"REMOTE_ADDR": "100.64.0.7"}
RATE_LIMIT_HEADERS = ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit",
                      "RateLimit-Policy")


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, migrated_data_dir):
    storage = {}
    if request.param == "redis":
        url = services.redis_url()
        services.reset_redis(url)
        storage = {"REDIS_URL": url}

    def make(**settings):
        app = create_app({"DATA_DIR": str(migrated_data_dir), "SECRET_KEY": "s", "LOG_LEVEL": "CRITICAL",
                          "CELERY_BROKER_URL": "memory://localhost/", **storage, **settings})
        with app.app_context():
            upgrade()
            if db.session.query(db.metadata.tables["jurisdiction"]).count() == 0:
                seed_demo(db.session)
            db.session.remove()
        return app
    return make


def post(client, body, environ=CGNAT, **headers):
    return client.post("/api/v1/reports", json=body, environ_base=environ, headers=headers)


def assert_too_many(response):
    assert response.status_code == 429
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 3600 and body["retry_after"] == seconds
    assert body["status"] == 429 and f"{seconds} seconds" in body["detail"]
    assert "秒" in body["detail_ja"] and body["detail_ja"] != body["detail"]


def test_too_many_reports_from_one_address_get_429_with_retry_after(limited_app):
    client = limited_app(RATE_LIMIT_REPORTS_PER_ADDRESS="2/minute").test_client()
    statuses = [post(client, {**REPORT, "device_id": f"d{i}"}).status_code for i in range(3)]
    assert statuses == [201, 201, 429]
    assert_too_many(post(client, REPORT))


def test_device_limit_holds_across_addresses_but_not_across_devices(limited_app):
    client = limited_app(RATE_LIMIT_REPORTS_PER_DEVICE="1/minute").test_client()
    first = post(client, {**REPORT, "device_id": "phone-a"}, {"REMOTE_ADDR": "127.0.0.2"})
    again = post(client, {**REPORT, "device_id": "phone-a"}, {"REMOTE_ADDR": "127.0.0.3"})
    other = post(client, {**REPORT, "device_id": "phone-b"}, {"REMOTE_ADDR": "127.0.0.2"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 429, 201)
    assert_too_many(again)


def test_forty_residents_behind_one_nat_address_each_send_their_reports(limited_app):
    client = limited_app().test_client()
    statuses = {post(client, {**REPORT, "device_id": f"phone-{i}"}).status_code for i in range(40)}
    assert statuses == {201}


def test_reports_without_device_id_are_held_to_the_address_ceiling_not_a_device_budget(limited_app):
    client = limited_app(RATE_LIMIT_REPORTS_PER_DEVICE="2/minute", RATE_LIMIT_REPORTS_PER_ADDRESS="15/minute").test_client()
    statuses = [post(client, REPORT).status_code for _ in range(16)]
    assert statuses == [201] * 15 + [429]


def test_malformed_reports_do_not_use_up_the_valid_budget(limited_app):
    client = limited_app(RATE_LIMIT_REPORTS_PER_DEVICE="2/minute", RATE_LIMIT_REPORTS_PER_ADDRESS="2/minute").test_client()
    device = {"device_id": "phone-a"}
    malformed = [post(client, {"category": "road_damage", **INSIDE, **device}).status_code for _ in range(10)]
    unknown = post(client, {**REPORT, **device, "category": "no_such_thing"}).status_code
    assert malformed == [422] * 10 and unknown == 422
    assert [post(client, {**REPORT, **device}).status_code for _ in range(3)] == [201, 201, 429]


def test_refusals_past_their_own_budget_get_429_while_valid_reports_still_go_in(limited_app):
    client = limited_app(RATE_LIMIT_REFUSED_PER_ADDRESS="3/minute").test_client()
    refused = [post(client, {"description": "カテゴリなし", **INSIDE}) for _ in range(4)]
    assert [r.status_code for r in refused] == [422, 422, 422, 429]
    assert_too_many(refused[-1])
    assert post(client, {**REPORT, "device_id": "phone-b"}).status_code == 201


def test_successful_answers_carry_no_rate_limit_headers(limited_app):
    client = limited_app(RATE_LIMIT_REPORTS_PER_ADDRESS="5/minute").test_client()
    response = post(client, {**REPORT, "device_id": "phone-a"})
    assert response.status_code == 201
    assert [name for name in RATE_LIMIT_HEADERS if name in response.headers] == []


def test_behind_a_trusted_proxy_each_resident_is_counted_by_their_own_address(limited_app):
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def statuses(client, *forwarded_for):
        return [post(client, REPORT, proxy, **{"X-Forwarded-For": f}).status_code for f in forwarded_for]

    behind_proxy = limited_app(TRUSTED_PROXY_HOPS=1, RATE_LIMIT_REPORTS_PER_ADDRESS="1/minute").test_client()
    # Only the hop the proxy added is believed: a client cannot pick a fresh address.
    assert statuses(behind_proxy, "203.0.113.5", "203.0.113.6", "198.51.100.1, 203.0.113.5") == [201, 201, 429]
    # Without trusted proxies the header is not believed at all.
    direct = limited_app(TRUSTED_PROXY_HOPS=0, RATE_LIMIT_REPORTS_PER_ADDRESS="1/minute").test_client()
    assert statuses(direct, "192.0.2.1", "192.0.2.2") == [201, 429]


def test_ipv6_clients_are_counted_per_64_block(limited_app):
    client = limited_app(RATE_LIMIT_REPORTS_PER_ADDRESS="1/minute").test_client()
    assert post(client, REPORT, {"REMOTE_ADDR": "2001:db8:1:2::10"}).status_code == 201
    assert post(client, REPORT, {"REMOTE_ADDR": "2001:db8:1:2::11"}).status_code == 429
    assert post(client, REPORT, {"REMOTE_ADDR": "2001:db8:1:3::10"}).status_code == 201


def test_intake_keeps_working_when_the_limit_store_is_unreachable(limited_app):
    # Nothing listens on this port: the counters fall back to memory.
    app = limited_app(REDIS_URL="redis://127.0.0.1:9/0", RATE_LIMIT_REPORTS_PER_ADDRESS="2/minute")
    client = app.test_client()
    statuses = [post(client, {**REPORT, "device_id": f"x{i}"}).status_code for i in range(3)]
    assert statuses == [201, 201, 429]


@pytest.fixture()
def staff_key(limited_app):
    from service.domain.staff_keys import create_staff

    def make(**settings):
        app = limited_app(**settings)
        with app.app_context():
            _, key = create_staff(db.session, name="a", role="admin", jurisdiction_code="990019", department_code=None)
            db.session.remove()
        return app.test_client(), key
    return make


def test_staff_keys_are_limited_too(staff_key):
    client, key = staff_key(RATE_LIMIT_API_KEYS="2/minute")
    headers = {"Authorization": f"Bearer {key}"}
    responses = [client.get("/api/v1/staff/reports", headers=headers) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert_too_many(responses[-1])


def test_respelling_the_authorization_header_does_not_make_a_fresh_bucket(staff_key):
    client, key = staff_key(RATE_LIMIT_API_KEYS="2/minute")
    spellings = [f"Bearer {key}", f"bearer    {key}   ", f"BEARER\t{key}"]
    assert [client.get("/api/v1/staff/reports", headers={"Authorization": h}).status_code for h in spellings] == [200, 200, 429]


def test_wrong_keys_are_counted_apart_from_the_staff_members_budget(staff_key):
    client, key = staff_key(RATE_LIMIT_API_KEYS="3/minute", RATE_LIMIT_REFUSED_PER_ADDRESS="3/minute")
    wrong = [client.get("/api/v1/staff/reports", headers={"Authorization": f"Bearer wrong-{i}"}) for i in range(5)]
    assert [r.status_code for r in wrong] == [401, 401, 401, 429, 429]
    assert_too_many(wrong[-1])
    assert client.get("/api/v1/staff/reports", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_refused_ratings_do_not_use_up_the_rating_budget(limited_app):
    client = limited_app(RATE_LIMIT_RATINGS="1/minute", RATE_LIMIT_REFUSED_PER_ADDRESS="3/minute").test_client()
    report = post(client, {**REPORT, "device_id": "phone-a"}).get_json()
    rating = {"score": 4, "fixed": True}
    wrong = [client.post(f"/api/v1/reports/{report['id']}/rating", json=rating, environ_base=CGNAT,
                         headers={"X-Tracking-Token": f"wrong-{i}"}) for i in range(4)]
    assert [r.status_code for r in wrong] == [404, 404, 404, 429]
    # Not resolved yet: refused with 409, from the budget for refusals, not the rating budget.
    own = client.post(f"/api/v1/reports/{report['id']}/rating", json=rating, environ_base={"REMOTE_ADDR": "100.64.0.8"},
                      headers={"X-Tracking-Token": report["tracking_token"]})
    assert own.status_code == 409
