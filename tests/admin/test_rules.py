"""Routing rules: listed by code, added by code, deleted."""

from __future__ import annotations

from tests.admin.helpers import audit_actions, call
from tests.staff.conftest import submit


def test_admin_lists_rules_with_codes(client, keys):
    rules = call(client, keys, "GET", "/rules").get_json()
    assert rules[0] == {"id": rules[0]["id"], "priority": 10, "category": None, "area": "park:central-park",
                        "department": "parks", "description": None}
    assert {"priority": 20, "category": "road_damage", "area": None, "department": "road"}.items() <= rules[1].items()


def test_a_new_rule_routes_new_reports(client, keys):
    body = {"department": "sewer", "category": "road_damage", "area": "ward:chuo", "priority": 5}
    response = call(client, keys, "POST", "/rules", body)
    assert response.status_code == 201
    rule = response.get_json()
    assert (rule["department"], rule["category"], rule["area"], rule["priority"]) == ("sewer", "road_damage", "ward:chuo", 5)
    report = submit(client)
    seen = client.get(f"/api/v1/staff/reports/{report}", headers=keys.header("admin")).get_json()
    assert seen["department"]["code"] == "sewer"
    assert seen["routing_rule_id"] == rule["id"]
    assert ("rule.create", "rule", str(rule["id"])) in audit_actions(client, keys)


def test_a_rule_needs_a_known_department_category_and_area(client, keys):
    for body, field in (({"department": "nowhere"}, "department"), ({"department": "road", "category": "nothing"}, "category"),
                        ({"department": "road", "area": "ward:atlantis"}, "area")):
        response = call(client, keys, "POST", "/rules", body)
        assert response.status_code == 422, body
        assert field in response.get_json()["errors"]
    assert len(call(client, keys, "GET", "/rules").get_json()) == 8


def test_invalid_rule_fields_are_reported_per_field(client, keys):
    response = call(client, keys, "POST", "/rules", {"category": "graffiti", "area": "chuo", "priority": "high", "weight": 1})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"department", "area", "priority", "weight"}


def test_admin_deletes_a_rule(client, keys):
    first = call(client, keys, "GET", "/rules").get_json()[0]
    assert call(client, keys, "DELETE", f"/rules/{first['id']}").status_code == 204
    assert first["id"] not in [r["id"] for r in call(client, keys, "GET", "/rules").get_json()]
    assert call(client, keys, "DELETE", f"/rules/{first['id']}").status_code == 404
    entry = call(client, keys, "GET", "/audit").get_json()["items"][0]
    assert (entry["action"], entry["before"]["area"], entry["after"]) == ("rule.delete", "park:central-park", None)


def test_deleting_the_rule_that_routed_a_report_keeps_the_reports_department(client, keys, road_report):
    seen = client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header("admin")).get_json()
    assert call(client, keys, "DELETE", f"/rules/{seen['routing_rule_id']}").status_code == 204
    after = client.get(f"/api/v1/staff/reports/{road_report}", headers=keys.header("admin")).get_json()
    assert (after["department"]["code"], after["routing_rule_id"]) == ("road", None)
