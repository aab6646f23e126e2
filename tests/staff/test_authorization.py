"""Every staff endpoint × every role × own department, another department and another jurisdiction."""

from __future__ import annotations

import pytest

ROLES = ("admin", "road_manager", "road_staff", "road_viewer", "parks_staff", "other_admin", "no_key", "bad_key")

ENDPOINTS = {
    "read": ("GET", "", None),
    "patch": ("PATCH", "", {"priority": 2}),
    "transition": ("POST", "/transitions", {"to": "acknowledged"}),
    "comment": ("POST", "/comments", {"internal_note": "確認"}),
    "assign": ("POST", "/assign", {"department": "parks", "reason": "公園内"}),
}

#                admin road_manager road_staff road_viewer parks_staff other_admin no_key bad_key
EXPECTED = {
    "read":       (200, 200, 200, 200, 403, 404, 401, 401),
    "patch":      (200, 200, 200, 403, 403, 404, 401, 401),
    "transition": (201, 201, 201, 403, 403, 404, 401, 401),
    "comment":    (201, 201, 201, 403, 403, 404, 401, 401),
    "assign":     (200, 200, 403, 403, 403, 404, 401, 401),
}

CASES = [(endpoint, role, EXPECTED[endpoint][i]) for endpoint in ENDPOINTS for i, role in enumerate(ROLES)]


def headers_for(keys, role):
    if role == "no_key":
        return {}
    if role == "bad_key":
        return {"Authorization": "Bearer mk_00000000_not-a-real-key"}
    return keys.header(role)


# Who may do what is decided before the database is asked; the workflow tests run on both engines.
@pytest.mark.engine_independent
@pytest.mark.parametrize("endpoint,role,expected", CASES, ids=[f"{e}-{r}" for e, r, _ in CASES])
def test_authorization_matrix(client, keys, road_report, endpoint, role, expected):
    method, suffix, body = ENDPOINTS[endpoint]
    response = client.open(f"/api/v1/staff/reports/{road_report}{suffix}", method=method, json=body,
                           headers=headers_for(keys, role))
    assert response.status_code == expected, response.get_json()
    if expected >= 400:
        assert response.content_type == "application/problem+json"
    if expected == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role,visible", [("admin", 2), ("road_manager", 1), ("road_staff", 1), ("road_viewer", 1),
                                          ("parks_staff", 1), ("other_admin", 1)])
def test_lists_show_only_the_callers_scope(client, keys, road_report, parks_report, other_report, role, visible):
    body = client.get("/api/v1/staff/reports", headers=keys.header(role)).get_json()
    ids = {item["id"] for item in body["items"]}
    assert body["total"] == visible == len(ids)
    if role == "other_admin":
        assert ids == {other_report}
    elif role == "parks_staff":
        assert ids == {parks_report}


def test_list_without_a_key_is_401(client):
    response = client.get("/api/v1/staff/reports")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == 'Bearer realm="machikoe"'


def test_revoked_key_is_401(client, keys, road_report):
    from sqlalchemy import select

    from service.domain.staff_keys import hash_api_key
    from service.extensions import db
    from service.models import Staff
    from service.models.types import utcnow

    member = db.session.scalar(select(Staff).where(Staff.key_hash == hash_api_key(keys.road_staff)))
    member.revoked_at = utcnow()
    db.session.commit()
    assert client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header("road_staff")).status_code == 401


def test_no_public_or_resident_answer_carries_private_data(client, keys, road_report):
    client.post(f"/api/v1/staff/reports/{road_report}/transitions",
                json={"to": "acknowledged", "public_reply": "確認しました", "internal_note": "内部メモ-SECRET"},
                headers=keys.header("road_staff"))
    private = ("resident@example.jp", "090-1111-2222", "device-777", "内部メモ-SECRET")
    assert "確認しました" in client.get(f"/api/v1/reports/{road_report}").get_data(as_text=True)
    for url in (f"/api/v1/reports/{road_report}", "/api/v1/reports", "/api/v1/reports?status=acknowledged"):
        text = client.get(url).get_data(as_text=True)
        assert road_report in text
        for secret in private:
            assert secret not in text, (url, secret)
