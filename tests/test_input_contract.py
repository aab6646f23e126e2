"""The contract says what the input boundary enforces, and the server answers as it says.

Bodies the server refuses are refused by the contract's own JSON Schema too (and the
other way round), path ids are bounded, and changes, booleans and If-Match are strict.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import AuditEntry, Category
from tests.staff import conftest as staff_fixtures

keys = staff_fixtures.keys  # the staff keys of every role, as a fixture here too
road_report = staff_fixtures.road_report
ADMIN = "/api/v1/staff/admin"


@pytest.fixture()
def spec(app):
    return json.loads(json.dumps(app.extensions["api"].spec.to_dict()))


def component(spec: dict, name: str) -> dict:
    """A component schema with its references resolved, for jsonschema."""
    text = json.dumps(spec["components"]["schemas"][name])
    for other in spec["components"]["schemas"]:
        text = text.replace(json.dumps(f"#/components/schemas/{other}"), json.dumps(f"#/$defs/{other}"))
    return {**json.loads(text), "$defs": spec["components"]["schemas"]}


def contract_allows(schema: dict, body: dict) -> bool:
    return jsonschema.Draft7Validator(schema).is_valid(body)


REPORT = {"category": "road_damage", "description": "穴があります"}


@pytest.mark.parametrize("body,status", [
    ({**REPORT, "lat": 35.65, "lon": 139.78}, 201),
    ({**REPORT, "lat": 35.65}, 422),
    ({**REPORT, "lon": 139.78}, 422),
    ({**REPORT, "lat": 35.65, "lon": 139.78, "attributes": {f"a{i}": "x" for i in range(31)}}, 422),
    ({**REPORT, "lat": 35.65, "lon": 139.78, "reporter": {"email": "a@example.jp", "email_updates": True}}, 201),
    ({**REPORT, "lat": 35.65, "lon": 139.78, "reporter": {"email": "a@example.jp", "email_updates": 0}}, 422),
    ({**REPORT, "lat": 35.65, "lon": 139.78, "reporter": {"email": "a@example.jp", "email_updates": "yes"}}, 422),
])
def test_the_contract_and_the_server_agree_on_reports(client, spec, body, status):
    assert client.post("/api/v1/reports", json=body).status_code == status
    assert contract_allows(component(spec, "ReportCreate"), body) == (status < 400)


@pytest.mark.parametrize("body,status", [
    ({"kind": "email", "name": "通知", "email": "notify@example.jp"}, 201),
    ({"kind": "email", "name": "通知"}, 422),
    ({"kind": "email", "name": "通知", "email": None}, 422),
    ({"kind": "department_webhook", "name": "hook"}, 422),
    ({"kind": "push_gateway", "name": "push", "email": "notify@example.jp"}, 422),
])
def test_the_contract_and_the_server_agree_on_subscribers(client, keys, spec, body, status):
    response = client.post(f"{ADMIN}/subscribers", json=body, headers=keys.header("admin"))
    assert response.status_code == status, response.get_json()
    assert contract_allows(component(spec, "SubscriberCreate"), body) == (status < 400)


def test_the_contract_declares_what_the_server_enforces(spec):
    paths = spec["paths"]
    for path in ("/api/v1/staff/admin/rules/{rule_id}", "/api/v1/staff/admin/areas/{area_id}",
                 "/api/v1/staff/admin/staff/{staff_id}", "/api/v1/staff/admin/clients/{client_id}",
                 "/api/v1/staff/admin/subscribers/{subscriber_id}"):
        (parameter,) = [p for p in paths[path]["parameters"] if p["in"] == "path"]
        assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2147483647}
    stats = {p["name"]: p for p in paths["/api/v1/staff/stats"]["get"]["parameters"]}
    assert stats["from"]["schema"]["pattern"] == "^20[0-9]{2}-" and "ten years" in stats["from"]["description"]
    staff = {p["name"]: p for p in paths["/api/v1/staff/reports"]["get"]["parameters"]}
    assert staff["status"]["schema"]["items"]["enum"][0] == "received"
    assert staff["created_from"]["schema"]["pattern"] == "^20[0-9]{2}-"
    opendata = {p["name"]: p for p in paths["/api/v1/opendata/reports.csv"]["get"]["parameters"]}
    assert opendata["end_date"]["schema"]["pattern"] == "^20[0-9]{2}-"
    imports = {p["name"]: p for p in paths["/api/v1/staff/admin/areas/import"]["post"]["parameters"]}
    assert imports["layer"]["required"] is True
    webhook = spec["components"]["schemas"]["DepartmentCreate"]["properties"]["webhook_url"]
    assert webhook["format"] == "uri" and webhook["pattern"].startswith("^https?://")
    assert spec["components"]["schemas"]["Transition"]["properties"]["to"]["enum"][0] == "received"


@pytest.mark.parametrize("path", ["/rules/{id}", "/areas/{id}", "/staff/{id}", "/clients/{id}", "/subscribers/{id}"])
@pytest.mark.parametrize("number", ["2147483648", "9223372036854775808", "0", "9" * 5000, "\u0661"])
def test_a_path_id_past_the_database_integer_is_not_found(client, keys, path, number):
    for method in ("GET", "DELETE") if path in ("/areas/{id}", "/subscribers/{id}") else ("DELETE",):
        response = client.open(ADMIN + path.format(id=number), method=method, headers=keys.header("admin"))
        assert response.status_code == 404 and response.content_type == "application/problem+json"


@pytest.mark.parametrize("path", [f"{ADMIN}/categories/road_damage", f"{ADMIN}/departments/road"])
@pytest.mark.parametrize("body", [{}, None], ids=["empty-object", "no-body"])
def test_a_patch_with_nothing_to_change_is_refused_and_changes_nothing(client, keys, path, body):
    audits = db.session.scalar(select(func.count(AuditEntry.id)))
    kwargs = {"json": body} if body is not None else {}
    response = client.patch(path, headers=keys.header("admin"), **kwargs)
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert response.get_json()["errors"] == {"_schema": ["Nothing to change: give at least one field."]}
    assert db.session.scalar(select(func.count(AuditEntry.id))) == audits


@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", None])
def test_active_is_a_json_boolean(client, keys, value):
    response = client.patch(f"{ADMIN}/categories/road_damage", json={"active": value}, headers=keys.header("admin"))
    assert response.status_code == 422 and "active" in response.get_json()["errors"]
    assert db.session.scalar(select(Category.active).where(Category.code == "road_damage")) is True
    assert client.patch(f"{ADMIN}/categories/road_damage", json={"active": False}, headers=keys.header("admin")).status_code == 200


def test_an_empty_if_match_is_a_malformed_header(client, keys, road_report):
    path = f"/api/v1/staff/reports/{road_report}"
    for value in ("", "   "):
        response = client.patch(path, json={"priority": 3}, headers={**keys.header("admin"), "If-Match": value})
        assert response.status_code == 400 and "If-Match" in response.get_json()["errors"]
    etag = client.get(path, headers=keys.header("admin")).headers["ETag"]
    response = client.patch(path, json={"priority": 3}, headers={**keys.header("admin"), "If-Match": etag})
    assert response.status_code == 200


@pytest.mark.parametrize("query", [
    "from=0001-01-01&to=0010-12-01", "from=1390-01-01", "to=9999-12-31", "from=1999-12-31", "to=2100-01-01",
])
def test_stats_dates_outside_the_range_are_refused(client, keys, query):
    response = client.get(f"/api/v1/staff/stats?{query}", headers=keys.header("admin"))
    assert response.status_code == 422 and response.content_type == "application/problem+json"


def test_stats_take_the_first_and_last_days_of_the_range(client, keys):
    assert client.get("/api/v1/staff/stats?from=2000-01-01&to=2009-12-31", headers=keys.header("admin")).status_code == 200
    assert client.get("/api/v1/staff/stats?from=2090-01-01&to=2099-12-31", headers=keys.header("admin")).status_code == 200
