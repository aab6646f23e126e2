"""Departments (課): listed, added, changed and deleted by the admin."""

from __future__ import annotations

from sqlalchemy import select

from service.extensions import db
from service.models import Department
from tests.admin.helpers import audit_actions, call

BRIDGES = {"code": "bridges", "name_ja": "橋梁課", "name_en": "Bridges", "email": "bridges@example.jp",
           "phone": "025-552-1511", "webhook_url": "https://hooks.example.jp/bridges",
           "translations": {"vi": {"name": "Phòng Cầu"}, "pt": {"name": "Divisão de Pontes"}}}


def test_admin_lists_the_departments_of_the_jurisdiction(client, keys):
    response = call(client, keys, "GET", "/departments")
    assert response.status_code == 200
    departments = {d["code"]: d for d in response.get_json()}
    assert set(departments) == {"road", "parks", "environment", "sewer", "traffic_safety", "public_hearing"}
    assert departments["road"] == {"code": "road", "name_ja": departments["road"]["name_ja"], "name_en": "Road Division",
                                   "translations": departments["road"]["translations"], "fallback": False, "email": None, "phone": None, "webhook_url": None,
                                   "active": True}
    assert departments["road"]["translations"]["vi"] == {"name": "Phòng Đường bộ"}
    assert [code for code, d in departments.items() if d["fallback"]] == ["public_hearing"]


def test_admin_creates_a_department(client, keys):
    response = call(client, keys, "POST", "/departments", BRIDGES)
    assert response.status_code == 201
    assert response.get_json() == {**BRIDGES, "fallback": False, "active": True}
    assert "bridges" in [d["code"] for d in call(client, keys, "GET", "/departments").get_json()]
    assert ("department.create", "department", "bridges") in audit_actions(client, keys)


def test_a_new_fallback_department_takes_the_role_from_the_old_one(client, keys):
    response = call(client, keys, "POST", "/departments", {**BRIDGES, "fallback": True, "active": False})
    assert response.status_code == 201
    assert response.get_json()["active"] is False
    fallbacks = [d["code"] for d in call(client, keys, "GET", "/departments").get_json() if d["fallback"]]
    assert fallbacks == ["bridges"]


def test_a_taken_department_code_is_a_conflict(client, keys):
    response = call(client, keys, "POST", "/departments", {**BRIDGES, "code": "road"})
    assert response.status_code == 409
    assert "exists" in response.get_json()["detail"]
    assert db.session.scalar(select(Department.name_en).where(Department.code == "road")) == "Road Division"


def test_invalid_department_fields_are_reported_per_field(client, keys):
    response = call(client, keys, "POST", "/departments",
                    {"code": "Bad Code", "name_ja": "", "name_en": "X", "email": "not-an-email", "webhook_url": "ftp://x",
                     "colour": "red"})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"code", "name_ja", "email", "webhook_url", "colour"}
    assert call(client, keys, "GET", "/audit").get_json()["items"] == []


def test_admin_updates_a_department(client, keys):
    response = call(client, keys, "PATCH", "/departments/road",
                    {"name_en": "Road Maintenance", "email": "road@example.jp", "fallback": True, "active": False})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name_en"], body["email"], body["fallback"], body["active"]) == (
        "Road Maintenance", "road@example.jp", True, False)
    fallbacks = [d["code"] for d in call(client, keys, "GET", "/departments").get_json() if d["fallback"]]
    assert fallbacks == ["road"]
    entry = call(client, keys, "GET", "/audit").get_json()["items"][0]
    assert entry["action"] == "department.update"
    assert (entry["before"]["name_en"], entry["after"]["name_en"]) == ("Road Division", "Road Maintenance")


def test_a_department_patch_cannot_change_the_code_or_unknown_fields(client, keys):
    response = call(client, keys, "PATCH", "/departments/road", {"code": "roads"})
    assert response.status_code == 422
    assert "code" in response.get_json()["errors"]


def test_an_unknown_department_is_not_found(client, keys):
    assert call(client, keys, "PATCH", "/departments/nowhere", {"name_en": "X"}).status_code == 404
    assert call(client, keys, "DELETE", "/departments/nowhere").status_code == 404


def test_admin_deletes_an_unused_department(client, keys):
    call(client, keys, "POST", "/departments", BRIDGES)
    response = call(client, keys, "DELETE", "/departments/bridges")
    assert response.status_code == 204
    assert "bridges" not in [d["code"] for d in call(client, keys, "GET", "/departments").get_json()]
    assert ("department.delete", "department", "bridges") in audit_actions(client, keys)


def test_a_department_with_rules_cannot_be_deleted(client, keys):
    response = call(client, keys, "DELETE", "/departments/sewer")
    assert response.status_code == 409
    assert "routing rules" in response.get_json()["detail"]
    assert "sewer" in [d["code"] for d in call(client, keys, "GET", "/departments").get_json()]


def test_a_department_with_reports_cannot_be_deleted(client, keys, road_report):
    for rule in call(client, keys, "GET", "/rules").get_json():
        if rule["department"] == "road":
            assert call(client, keys, "DELETE", f"/rules/{rule['id']}").status_code == 204
    response = call(client, keys, "DELETE", "/departments/road")
    assert response.status_code == 409
    assert "1 reports" in response.get_json()["detail"]


def test_the_fallback_department_cannot_be_deleted(client, keys):
    response = call(client, keys, "DELETE", "/departments/public_hearing")
    assert response.status_code == 409
    assert "fallback" in response.get_json()["detail"]
