"""Staff keys: listed without secrets, created with the key shown once, revoked for good."""

from __future__ import annotations

from tests.admin.helpers import audit_actions, call


def test_admin_lists_the_staff_of_the_jurisdiction_without_key_hashes(client, keys):
    response = call(client, keys, "GET", "/staff")
    assert response.status_code == 200
    staff = response.get_json()
    assert sorted((s["role"], s["department"]) for s in staff) == [
        ("admin", None), ("manager", "road"), ("staff", "parks"), ("staff", "road"), ("viewer", "road")]
    assert set(staff[0]) == {"id", "name", "role", "department", "key_prefix", "created_at", "last_used_at", "revoked_at"}
    assert staff[0]["created_at"].endswith("+09:00")
    assert staff[0]["last_used_at"].endswith("+09:00")
    assert keys.admin not in response.get_data(as_text=True)


def test_a_created_key_is_shown_once_and_works(client, keys):
    response = call(client, keys, "POST", "/staff", {"name": "清掃 太郎", "role": "staff", "department": "environment"})
    assert response.status_code == 201
    created = response.get_json()
    assert (created["name"], created["role"], created["department"]) == ("清掃 太郎", "staff", "environment")
    assert created["api_key"].startswith(f"mk_{created['key_prefix']}_")
    listed = call(client, keys, "GET", "/staff").get_json()
    assert created["id"] in [s["id"] for s in listed] and "api_key" not in listed[-1]
    own = client.get("/api/v1/staff/reports", headers={"Authorization": f"Bearer {created['api_key']}"})
    assert own.status_code == 200
    assert ("staff.create", "staff", str(created["id"])) in audit_actions(client, keys)
    assert created["api_key"] not in call(client, keys, "GET", "/audit").get_data(as_text=True)


def test_staff_fields_are_checked(client, keys):
    response = call(client, keys, "POST", "/staff", {"name": "", "role": "mayor", "key": "mine"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"name", "role", "key"}


def test_a_staff_member_needs_a_department_of_this_jurisdiction(client, keys):
    missing = call(client, keys, "POST", "/staff", {"name": "新人", "role": "manager"})
    assert missing.status_code == 422 and "department" in missing.get_json()["errors"]
    elsewhere = call(client, keys, "POST", "/staff", {"name": "新人", "role": "staff", "department": "koho"})
    assert elsewhere.status_code == 422 and "department" in elsewhere.get_json()["errors"]
    assert len(call(client, keys, "GET", "/staff").get_json()) == 5


def test_a_revoked_key_answers_unauthorised(client, keys):
    viewer = next(s for s in call(client, keys, "GET", "/staff").get_json() if s["role"] == "viewer")
    assert client.get("/api/v1/staff/reports", headers=keys.header("road_viewer")).status_code == 200
    assert call(client, keys, "DELETE", f"/staff/{viewer['id']}").status_code == 204
    assert client.get("/api/v1/staff/reports", headers=keys.header("road_viewer")).status_code == 401
    listed = next(s for s in call(client, keys, "GET", "/staff").get_json() if s["id"] == viewer["id"])
    assert listed["revoked_at"].endswith("+09:00")
    assert call(client, keys, "DELETE", f"/staff/{viewer['id']}").status_code == 204
    assert audit_actions(client, keys).count(("staff.revoke", "staff", str(viewer["id"]))) == 1


def test_an_unknown_staff_member_is_not_found(client, keys):
    assert call(client, keys, "DELETE", "/staff/999999").status_code == 404
