"""The contract states the input boundary's own rules, and the server keeps to them.

The character rule (service/domain/characters.py) is one policy: the contract's patterns
are made from it, so a string the contract allows is one the server takes, and the other
way round. JSON numbers are typed, URLs are what the contract's pattern says, errors under
/open311/ are Open311 documents even where no route matches, and the log scan of long runs
finds a leaking line.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import jsonschema
import jsonschema_rs
import pytest

from service.domain import characters
from tests.corpus.logscan import PII, leaking_lines, leaks
from tests.staff import conftest as staff_fixtures
from tests.test_input_contract import component, contract_allows

keys = staff_fixtures.keys  # the staff keys of every role, as a fixture here too
road_report = staff_fixtures.road_report
ADMIN = "/api/v1/staff/admin"
# A sample of every kind of character: refused controls, line breaks, the edges of each range.
SAMPLE = [chr(c) for c in (*range(0x00, 0x21), 0x7E, 0x7F, 0x80, 0x85, 0x9F, 0xA0, 0x3042, 0xFFFD, 0xFFFE, 0xFFFF, 0x1F600)]


@pytest.fixture()
def spec(app):
    return json.loads(json.dumps(app.extensions["api"].spec.to_dict()))


@pytest.mark.parametrize("character", SAMPLE, ids=[f"U+{ord(c):04X}" for c in SAMPLE])
def test_the_contract_patterns_are_the_boundary_rule(character):
    for pattern, text in ((characters.TEXT_PATTERN, True), (characters.LINE_PATTERN, False)):
        allowed = jsonschema.Draft7Validator({"type": "string", "pattern": pattern}).is_valid(f"a{character}b")
        assert allowed == (characters.refused_character(f"a{character}b", text=text) is None)


def _strings(schema: dict, where: str):
    """Every string schema inside ``schema`` (properties, items, combinations), with where it is."""
    if schema.get("type") == "string" and schema.get("format") != "binary" and "enum" not in schema:
        yield where, schema
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _strings(schema[key], f"{where}.{key}")
    for key in ("anyOf", "oneOf"):
        for index, member in enumerate(schema.get(key, [])):
            yield from _strings(member, f"{where}.{key}.{index}")
    for name, member in schema.get("properties", {}).items():
        yield from _strings(member, f"{where}.{name}")


def _holds(schema: dict, pattern: str) -> bool:
    return schema.get("pattern") == pattern or any(rule.get("pattern") == pattern for rule in schema.get("allOf", []))


def test_every_string_a_client_sends_carries_the_character_rule(spec):
    missing = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                if parameter["in"] in ("query", "path"):
                    missing += [f"{method} {path} {w}" for w, s in _strings(parameter["schema"], parameter["name"])
                                if not _holds(s, characters.LINE_PATTERN) and "pattern" not in s]
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                missing += [f"{method} {path} {media} {w}" for w, s in _strings(content["schema"], "body")
                            if not _holds(s, characters.TEXT_PATTERN) and "pattern" not in s]
    for name, schema in spec["components"]["schemas"].items():
        if name in ("ReportCreate", "DepartmentCreate", "CategoryCreate", "SubscriberCreate", "Comment", "Rating"):
            # anyOf and oneOf of a component state rules across fields; its properties carry the patterns.
            missing += [f"{name} {w}" for w, s in _strings(schema, name)
                        if not _holds(s, characters.TEXT_PATTERN) and "Of." not in w]
    assert missing == []


@pytest.mark.parametrize("value", ["名前\u0085", "name\u007f", "a\u0000b"])
def test_a_body_string_the_contract_refuses_the_server_refuses(client, keys, spec, value):
    body = {"code": "noise", "name_ja": value, "name_en": "Noise"}
    assert not contract_allows(component(spec, "DepartmentCreate"), body)
    response = client.post(f"{ADMIN}/departments", json=body, headers=keys.header("admin"))
    assert response.status_code == 422 and "name_ja" in response.get_json()["errors"]
    good = {**body, "name_ja": "騒音\t対策課\n"}
    assert contract_allows(component(spec, "DepartmentCreate"), good)
    assert client.post(f"{ADMIN}/departments", json=good, headers=keys.header("admin")).status_code == 201


@pytest.mark.parametrize("value", ["3", 3.5, True, "0x3"])
def test_a_json_integer_is_a_json_integer(client, keys, road_report, spec, value):
    path = f"/api/v1/staff/reports/{road_report}"
    before = client.get(path, headers=keys.header("admin")).get_json()["priority"]
    response = client.patch(path, json={"priority": value}, headers=keys.header("admin"))
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert list(response.get_json()["errors"]) == ["priority"]
    if value == "3":  # the field alone would have taken it
        assert response.get_json()["errors"]["priority"] == ["Not a JSON integer."]
    assert client.get(path, headers=keys.header("admin")).get_json()["priority"] == before
    assert client.patch(path, json={"priority": 3}, headers=keys.header("admin")).get_json()["priority"] == 3


@pytest.mark.parametrize("value", ["35.65", "1e400", False])
def test_a_json_number_is_a_json_number(client, value):
    body = {"category": "road_damage", "description": "穴があります", "lat": value, "lon": 139.78}
    response = client.post("/api/v1/reports", json=body)
    assert response.status_code == 422 and "lat" in response.get_json()["errors"]


def test_numbers_in_a_form_or_query_are_still_text(client):
    response = client.post("/api/v1/reports", content_type="multipart/form-data",
                           data={"category": "road_damage", "description": "穴があります", "lat": "35.65", "lon": "139.78",
                                 "reporter": json.dumps({"email": "resident@example.jp"})})
    assert response.status_code == 201, response.get_json()
    assert client.get("/api/v1/reports?page=1&page_size=5").status_code == 200


@pytest.mark.parametrize("url,taken", [
    ("https://hooks.example.jp/machikoe?x=1#top", True), ("http://93.184.215.14:8080/hook", True),
    ("http://[2606:4700::1111]/hook", True), ("https://0.a", True),
    ("https://Ï.example/", False), ("https://a b/", False), ("https://a/%zz", False), ("http://[:::::]/", False),
    ("ftp://example.org/", False), ("https://example.org/\n", False),
])
def test_the_contract_and_the_server_agree_on_urls(client, keys, spec, url, taken):
    body = {"kind": "push_gateway", "name": "push", "url": url}
    response = client.post(f"{ADMIN}/subscribers", json=body, headers=keys.header("admin"))
    assert (response.status_code == 201) == taken, response.get_json()
    # Read as schemathesis reads it (ECMA-262 patterns, where $ is the end even before a line feed).
    validator = jsonschema_rs.Draft202012Validator(component(spec, "SubscriberCreate"), validate_formats=True)
    assert validator.is_valid(body) == taken


@pytest.mark.parametrize("path", ["/open311/v2/requests.%C2%9C?service_code=%01", "/open311/v2/nothing.xml?q=%7F"])
def test_open311_answers_a_path_no_route_takes_as_open311_whatever_the_query(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.content_type in ("application/json; charset=utf-8", "text/xml; charset=utf-8")


def test_open311_declares_the_documents_of_its_boundary_errors(spec):
    for path, item in spec["paths"].items():
        if path.startswith("/open311/"):
            for operation in item.values():
                if isinstance(operation, dict) and "responses" in operation:
                    for status in ("413", "422", "429", "default"):
                        assert set(operation["responses"][status]["content"]) == {"application/json", "text/xml"}


def test_the_log_scan_finds_a_leaking_line():
    clean = json.dumps({"level": "INFO", "access": {"method": "POST", "path": "/api/v1/reports", "status": 201}})
    leaking = json.dumps({"level": "ERROR", "message": f"DataError for {PII['reporter_email']}"})
    escaped = json.dumps({"level": "ERROR", "message": PII["reporter_name"]})  # written as \\u escapes
    assert leaking_lines([clean, "waitress serving on 127.0.0.1", leaking, escaped], PII.values()) == [leaking, escaped]
    record = logging.LogRecord("service", logging.ERROR, __file__, 1, "device %s", (PII["device_id"],), None)
    assert len(leaks([record], PII.values())) == 1


def test_the_contract_run_knows_of_no_failure():
    # Any failure of the contract run fails it: nothing is waved through as already known.
    baseline = json.loads((Path(__file__).with_name("baseline.json")).read_text())
    assert baseline["entries"] == []
