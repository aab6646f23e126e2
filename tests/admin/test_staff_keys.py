"""Staff keys: listed without secrets, created with the key shown once, renewed (the key before left working
for a day if asked), revoked for good."""

from __future__ import annotations

from datetime import timedelta

from flask import g
from sqlalchemy import select

from service.extensions import db
from service.models import AuditEntry, Jurisdiction, Staff
from tests.admin.helpers import audit_actions, call


def test_admin_lists_the_staff_of_the_jurisdiction_without_key_hashes(client, keys):
    response = call(client, keys, "GET", "/staff")
    assert response.status_code == 200
    staff = response.get_json()
    assert sorted((s["role"], s["department"]) for s in staff) == [
        ("admin", None), ("manager", "road"), ("staff", "parks"), ("staff", "road"), ("viewer", "road")]
    assert set(staff[0]) == {"id", "name", "role", "department", "key_prefix", "previous_key_prefix", "previous_key_until",
                             "created_at", "last_used_at", "revoked_at"}
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


def viewer_id() -> int:
    demo = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.code == "990019"))
    return db.session.scalar(select(Staff.id).where(Staff.jurisdiction_id == demo, Staff.role == "viewer"))


def status_with(client, key: str) -> int:
    # The tests' application context outlives a request, and with it the API's member of the last one.
    g.pop("staff", None)
    return client.get("/api/v1/staff/reports", headers={"Authorization": f"Bearer {key}"}).status_code


def test_a_renewal_that_keeps_the_key_before_lets_both_work_for_a_day(client, keys, fixed_clock):
    member = viewer_id()
    old = call(client, keys, "POST", f"/staff/{member}/key").get_json()
    assert status_with(client, old["api_key"]) == 200
    renewed = call(client, keys, "POST", f"/staff/{member}/key", {"keep_previous": True})
    assert renewed.status_code == 200
    body = renewed.get_json()
    assert body["api_key"].startswith("mk_") and body["key_prefix"] != old["key_prefix"]
    assert (body["previous_key_prefix"], body["previous_key_until"]) == (old["key_prefix"], "2025-06-16T12:00:00+09:00")
    assert (status_with(client, old["api_key"]), status_with(client, body["api_key"])) == (200, 200)
    listed = {s["id"]: s for s in call(client, keys, "GET", "/staff").get_json()}[member]
    assert listed["previous_key_prefix"] == old["key_prefix"] and "api_key" not in listed

    fixed_clock.instant += timedelta(hours=24)
    assert (status_with(client, old["api_key"]), status_with(client, body["api_key"])) == (401, 200)
    listed = {s["id"]: s for s in call(client, keys, "GET", "/staff").get_json()}[member]
    assert (listed["previous_key_prefix"], listed["previous_key_until"]) == (None, None)
    db.session.expire_all()
    after = db.session.scalars(select(AuditEntry.after).where(AuditEntry.action == "staff.key_renewed")
                               .order_by(AuditEntry.id.desc())).first()
    assert after["previous_key_until"] == "2025-06-16T03:00:00+00:00" and body["api_key"] not in str(after)


def test_a_renewal_without_a_body_stops_the_key_before_at_once(client, keys):
    member = viewer_id()
    first = call(client, keys, "POST", f"/staff/{member}/key", {"keep_previous": True}).get_json()
    second = call(client, keys, "POST", f"/staff/{member}/key")
    assert second.status_code == 200 and second.get_json()["previous_key_prefix"] is None
    assert (status_with(client, first["api_key"]), status_with(client, second.get_json()["api_key"])) == (401, 200)


def test_a_deactivated_member_or_a_loose_flag_is_refused_and_nothing_changes(client, keys):
    member = viewer_id()
    prefix = db.session.get(Staff, member).key_prefix
    loose = call(client, keys, "POST", f"/staff/{member}/key", {"keep_previous": "yes"})
    assert loose.status_code == 422 and loose.mimetype == "application/problem+json"
    assert call(client, keys, "DELETE", f"/staff/{member}").status_code == 204
    refused = call(client, keys, "POST", f"/staff/{member}/key", {"keep_previous": True})
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert "deactivated" in refused.get_json()["detail"]
    db.session.expire_all()
    assert db.session.get(Staff, member).key_prefix == prefix
