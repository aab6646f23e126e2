"""A client system's api_key, reports sent over Open311, and the GeoReport v2 JSON Schemas."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from service.domain import jurisdictions as setup
from service.domain.api_clients import create_client
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Report
from service.pipeline import pipeline_for
from service.seed import category_catalogue
from tests.staff.conftest import OTHER_BOUNDARY
from tests.worker import processed_by_worker

BASE = "/open311/v2"
DEMO = "990019"


@pytest.fixture()
def api_key(app) -> str:
    return create_client(db.session, name="FixMyStreet", jurisdiction_code=DEMO)[1]


@pytest.fixture()
def second_jurisdiction(app) -> str:
    chiba = setup.create_jurisdiction(db.session, code="121002", name_ja="千葉市", name_en="Chiba City",
                                      boundary_geojson=json.dumps(OTHER_BOUNDARY), prefecture_ja="千葉県")
    setup.add_department(db.session, chiba, code="koho", name_ja="広報広聴課", name_en="Public Relations", fallback=True)
    setup.add_categories(db.session, chiba, category_catalogue())
    db.session.commit()
    return "121002"


@pytest.fixture()
def road_staff_key(app) -> str:
    return create_staff(db.session, name="道路 太郎", role="staff", jurisdiction_code=DEMO, department_code="road")[1]


def post_request(client: FlaskClient, api_key: str | None, fmt: str = "json", **fields: Any):
    body = {"service_code": "road_damage", "lat": "35.650", "long": "139.780", "description": "歩道に穴があります", **fields}
    if api_key is not None:
        body["api_key"] = api_key
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in body.items() if v is not None})


def created_id(client: FlaskClient, api_key: str, process: bool = True, **fields: Any) -> str:
    response = post_request(client, api_key, **fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    public_id = response.get_json()[0]["service_request_id"]
    if process:
        report_id = db.session.scalar(select(Report.id).where(Report.public_id == public_id))
        processed_by_worker(db.session, report_id, pipeline_for(client.application))
    return public_id


def report_count() -> int:
    return len(db.session.scalars(select(Report.id)).all())


def xml_of(response) -> ElementTree.Element:
    assert response.content_type.startswith("text/xml"), response.content_type
    return ElementTree.fromstring(response.data)


# The GeoReport v2 documents, written from the field lists of the specification
# (http://wiki.open311.org/GeoReport_v2) and of the FixMyStreet updates extension.
NULLABLE_STRING = {"type": ["string", "null"]}
DATETIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$"}
# As the open311/schema-validation GeoReport v2 schemas have them: a datetime or null, a URI or null.
OPTIONAL_DATETIME = {"anyOf": [DATETIME, {"type": "null"}]}
OPTIONAL_URI = {"anyOf": [{"type": "string", "format": "uri"}, {"type": "null"}]}

DISCOVERY = {
    "type": "object",
    "required": ["changeset", "contact", "key_service", "endpoints"],
    "properties": {
        "changeset": DATETIME,
        "contact": {"type": "string"},
        "key_service": {"type": "string"},
        "endpoints": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["specification", "url", "changeset", "type", "formats"],
            "properties": {
                "specification": {"const": "http://wiki.open311.org/GeoReport_v2"},
                "url": {"type": "string", "format": "uri"},
                "changeset": DATETIME,
                "type": {"enum": ["production", "test"]},
                "formats": {"type": "array", "items": {"enum": ["text/xml", "application/json"]}},
            }}},
    },
}
SERVICES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"],
        "properties": {
            "service_code": {"type": "string", "minLength": 1},
            "service_name": {"type": "string"},
            "description": {"type": "string"},
            "metadata": {"type": "boolean"},
            "type": {"enum": ["realtime", "batch", "blackbox"]},
            "keywords": {"type": "string"},
            "group": {"type": "string"},
        },
        "additionalProperties": False,
    },
}
SERVICE_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": {"type": "string"},
        "attributes": {"type": "array", "items": {
            "type": "object",
            "required": ["variable", "code", "datatype", "required", "datatype_description", "order", "description"],
            "properties": {
                "variable": {"type": "boolean"},
                "code": {"type": "string"},
                "datatype": {"enum": ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]},
                "required": {"type": "boolean"},
                "datatype_description": {"type": "string"},
                "order": {"type": "integer"},
                "description": {"type": "string"},
                "values": {"type": "array", "items": {"type": "object", "required": ["key", "name"],
                                                      "properties": {"key": {"type": "string"}, "name": {"type": "string"}}}},
            },
            "additionalProperties": False,
        }},
    },
    "additionalProperties": False,
}
POST_RESPONSE = {
    "type": "array", "minItems": 1, "maxItems": 1,
    "items": {"type": "object", "required": ["service_request_id"],
              "properties": {"service_request_id": {"type": "string", "minLength": 1}, "token": {"type": "string"},
                             "service_notice": {"type": "string"}, "account_id": NULLABLE_STRING},
              "additionalProperties": False},
}
SERVICE_REQUESTS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_request_id", "status", "service_code", "requested_datetime", "lat", "long"],
        "properties": {
            "service_request_id": {"type": "string"},
            "status": {"enum": ["open", "closed"]},
            "status_notes": NULLABLE_STRING,
            "service_name": NULLABLE_STRING,
            "service_code": {"type": "string"},
            "description": NULLABLE_STRING,
            "agency_responsible": NULLABLE_STRING,
            "service_notice": NULLABLE_STRING,
            "requested_datetime": DATETIME,
            "updated_datetime": OPTIONAL_DATETIME,
            "expected_datetime": OPTIONAL_DATETIME,
            "address": NULLABLE_STRING,
            "address_id": NULLABLE_STRING,
            "zipcode": NULLABLE_STRING,
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "long": {"type": "number", "minimum": -180, "maximum": 180},
            "media_url": OPTIONAL_URI,
        },
        "additionalProperties": False,
    },
}
TOKENS = {
    "type": "array",
    "items": {"type": "object", "required": ["service_request_id", "token"],
              "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}},
              "additionalProperties": False},
}
ERRORS = {
    "type": "array", "minItems": 1,
    "items": {"type": "object", "required": ["code", "description"],
              "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}},
              "additionalProperties": False},
}
UPDATES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["update_id", "service_request_id", "status", "updated_datetime", "description"],
        "properties": {
            "update_id": {"type": "string"},
            "service_request_id": {"type": "string"},
            "status": {"enum": ["FIXED", "IN_PROGRESS", "ACTION_SCHEDULED", "INVESTIGATING", "DUPLICATE",
                                "NOT_COUNCILS_RESPONSIBILITY", "NO_FURTHER_ACTION", "INTERNAL_REFERRAL", "CLOSED",
                                "OPEN"]},
            "updated_datetime": DATETIME,
            "description": {"type": "string"},
            "media_url": OPTIONAL_URI,
        },
        "additionalProperties": False,
    },
}


def _is_uri(value: object) -> bool:
    """An absolute URI (RFC 3986: a scheme, then its part); jsonschema checks "uri" only with rfc3987 installed."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and value.strip() == value


def assert_valid(document: Any, schema: dict[str, Any]) -> None:
    import jsonschema

    checker = jsonschema.FormatChecker()
    checker.checks("uri")(_is_uri)
    jsonschema.validate(document, schema, format_checker=checker)


def assert_open311_error(response, status: int, fmt: str = "json") -> str:
    """Assert the Open311 error shape and status; return the description."""
    assert response.status_code == status, response.get_data(as_text=True)
    if fmt == "xml":
        root = xml_of(response)
        assert root.tag == "errors"
        error = root.find("error")
        assert error is not None and error.findtext("code") == str(status)
        return error.findtext("description") or ""
    assert response.content_type.startswith("application/json")
    body = response.get_json()
    assert_valid(body, ERRORS)
    assert body[0]["code"] == status
    return body[0]["description"]
