"""GeoReport v2 as third-party clients and validators read it: lists, numbers, errors, attributes, keys."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.domain.api_clients import create_client
from service.extensions import db
from service.models import HistoryEntry, Report
from tests.open311.conftest import (
    BASE,
    SERVICE_REQUESTS,
    UPDATES,
    assert_open311_error,
    assert_valid,
    created_id,
    post_request,
    report_count,
    xml_of,
)
from tests.open311.test_get_requests import transition


def listed(client, query: str) -> list[str]:
    response = client.get(f"{BASE}/requests.json{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert_valid(response.get_json(), SERVICE_REQUESTS)
    return sorted(r["service_request_id"] for r in response.get_json())


def test_status_and_service_code_may_be_repeated_or_comma_lists(client, api_key: str, road_staff_key: str) -> None:
    road = created_id(client, api_key)
    light = created_id(client, api_key, service_code="streetlight")
    graffiti = created_id(client, api_key, service_code="graffiti")
    transition(client, road_staff_key, road, "resolved", "済")
    everything = sorted([road, light, graffiti])
    assert listed(client, "?status=open&status=closed") == everything
    assert listed(client, "?status=open,closed") == everything
    assert listed(client, "?status=closed&status=closed") == [road]
    assert listed(client, "?service_code=streetlight&service_code=road_damage") == sorted([road, light])
    assert listed(client, "?service_code=streetlight,graffiti&service_code=road_damage") == everything
    assert listed(client, f"?service_request_id={road}&service_request_id={light},{graffiti}") == everything
    root = xml_of(client.get(f"{BASE}/requests.xml?service_code=streetlight&service_code=graffiti"))
    assert sorted(r.findtext("service_request_id") for r in root.findall("request")) == sorted([light, graffiti])


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("query", ["status=open&status=pending", "service_code=streetlight&service_code=no_such",
                                   "page=1&page=2", "start_date=2024-01-01&start_date=2024-01-02",
                                   "service_request_id=abc&status=pending",
                                   "service_request_id=abc&start_date=yesterday"])
def test_a_bad_repeated_or_overridden_parameter_is_an_open311_error(client, query: str, fmt: str) -> None:
    response = client.get(f"{BASE}/requests.{fmt}?{query}")
    assert response.status_code in (400, 404)
    assert_open311_error(response, response.status_code, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("query", ["page_size=%C2%B9", "page=%C2%B2", "page_size=%D9%A3", "page=%EF%BC%91",
                                   "page_size=+5", "page= 1", "page=1e3", "page_size=-1", "page=", "page_size="])
def test_page_numbers_are_ascii_digits_only(client, query: str, fmt: str) -> None:
    """Superscripts, Arabic-Indic and full-width digits are digits to str.isdigit(), not to int()."""
    assert "must be a whole number" in assert_open311_error(client.get(f"{BASE}/requests.{fmt}?{query}"), 400, fmt)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_to_an_unknown_jurisdiction_is_404_and_to_another_served_one_403(client, api_key: str,
                                                                              second_jurisdiction: str,
                                                                              fmt: str) -> None:
    assert_open311_error(post_request(client, api_key, fmt=fmt, jurisdiction_id="131016"), 404, fmt)
    assert_open311_error(post_request(client, api_key, fmt=fmt, jurisdiction_id=second_jurisdiction), 403, fmt)
    assert report_count() == 0
    assert post_request(client, api_key, fmt=fmt, jurisdiction_id="990019").status_code == 201


UNROUTED = [
    ("GET", "/requests", 404, "json"),
    ("GET", "/services", 404, "json"),
    ("GET", "/no_such_call.json", 404, "json"),
    ("GET", "/no_such_call.xml", 404, "xml"),
    ("GET", "/services.csv", 404, "json"),
    ("GET", "/requests/x/y.xml", 404, "xml"),
    ("DELETE", "/requests.json", 405, "json"),
    ("PUT", "/requests.xml", 405, "xml"),
    ("POST", "/services.xml", 405, "xml"),
    ("PATCH", "/requests/abc.json", 405, "json"),
]


@pytest.mark.parametrize(("method", "path", "status", "fmt"), UNROUTED, ids=[f"{m} {p}" for m, p, _, _ in UNROUTED])
def test_paths_and_methods_no_route_takes_answer_open311_errors(client, method: str, path: str, status: int,
                                                                fmt: str) -> None:
    response = client.open(BASE + path, method=method)
    assert_open311_error(response, status, fmt)
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_paths_outside_v2_but_under_open311_answer_open311_errors(client) -> None:
    assert_open311_error(client.get("/open311/discovery.xml"), 404, "xml")
    assert_open311_error(client.get("/open311"), 404)


def test_undefined_attributes_are_accepted_ignored_and_recorded_for_staff(client, api_key: str,
                                                                          road_staff_key: str) -> None:
    public_id = created_id(client, api_key, **{"attribute[uprn]": "100023336956", "attribute[lane_blocked]": "yes",
                                               "attribute[fms_extra][]": ["a", "b"]})
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    assert report.attributes == {"lane_blocked": "yes"}
    created = db.session.scalar(select(HistoryEntry).where(HistoryEntry.report_id == report.id,
                                                           HistoryEntry.kind == "created"))
    assert created.details == {"ignored_fields": ["attribute[fms_extra]", "attribute[uprn]"]}
    staff_view = client.get(f"/api/v1/staff/reports/{public_id}", headers={"Authorization": f"Bearer {road_staff_key}"})
    assert staff_view.status_code == 200, staff_view.get_json()
    assert staff_view.get_json()["history"][0]["details"]["ignored_fields"] == ["attribute[fms_extra]", "attribute[uprn]"]
    for public in (client.get(f"{BASE}/requests/{public_id}.json"), client.get(f"/api/v1/reports/{public_id}")):
        assert "uprn" not in public.get_data(as_text=True) and "100023336956" not in public.get_data(as_text=True)


def test_a_request_without_media_has_a_null_media_url_and_validates(client, api_key: str, road_staff_key: str) -> None:
    public_id = created_id(client, api_key)
    transition(client, road_staff_key, public_id, "acknowledged", "確認しました。")
    request = client.get(f"{BASE}/requests/{public_id}.json").get_json()
    assert_valid(request, SERVICE_REQUESTS)
    assert request[0]["media_url"] is None
    updates = client.get(f"{BASE}/servicerequestupdates.json").get_json()
    assert_valid(updates, UPDATES)
    assert [u["media_url"] for u in updates] == [None]
    assert xml_of(client.get(f"{BASE}/requests/{public_id}.xml")).findtext("request/media_url") == ""


@pytest.mark.parametrize("path", ["/requests.json", "/requests.xml", "/services.json", "/discovery.xml",
                                  "/servicerequestupdates.json", "/requests/abc.xml", "/tokens/abc.json"])
def test_an_api_key_in_a_url_is_refused(client, api_key: str, path: str) -> None:
    fmt = path.rsplit(".", 1)[1]
    response = client.get(f"{BASE}{path}?api_key={api_key}")
    assert "api_key" in assert_open311_error(response, 400, fmt)
    assert api_key not in response.get_data(as_text=True)


def test_a_post_takes_its_api_key_from_the_body_only(client, api_key: str) -> None:
    in_url = client.post(f"{BASE}/requests.json?api_key={api_key}",
                         data={"service_code": "road_damage", "lat": "35.650", "long": "139.780"})
    assert_open311_error(in_url, 400)
    assert report_count() == 0
    assert post_request(client, api_key).status_code == 201


def test_an_api_key_given_twice_is_refused(client, api_key: str) -> None:
    other = create_client(db.session, name="Other", jurisdiction_code="990019")[1]
    response = client.post(f"{BASE}/requests.json", data={"api_key": [api_key, other], "service_code": "road_damage",
                                                          "lat": "35.650", "long": "139.780"})
    assert_open311_error(response, 400)
    assert report_count() == 0


def test_the_contract_declares_formats_and_document_shapes(app) -> None:
    spec = app.extensions["api"].spec.to_dict()
    open311 = {path: item for path, item in spec["paths"].items() if path.startswith("/open311/")}
    assert len(open311) == 7
    for path, item in open311.items():
        fmt = [p for p in item.get("parameters", []) if p["name"] == "fmt"]
        assert fmt and fmt[0]["schema"] == {"type": "string", "enum": ["json", "xml"]}, path
    objects = {"/open311/v2/discovery.{fmt}", "/open311/v2/services/{service_code}.{fmt}"}
    for path, item in open311.items():
        for operation in (op for method, op in item.items() if method in ("get", "post")):
            success = next(r for code, r in operation["responses"].items() if str(code).startswith("2"))
            expected = "object" if path in objects else "array"
            assert success["content"]["application/json"]["schema"]["type"] == expected, path


def multipart(api_key: str, part: bytes) -> tuple[bytes, str]:
    fields = {"api_key": api_key, "service_code": "road_damage", "lat": "35.650", "long": "139.780"}
    body = b"".join(f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items())
    return body + part + b"--B--\r\n", "multipart/form-data; boundary=B"


@pytest.mark.parametrize("part", [b"Content-Disposition: form-data\r\n\r\nvalue\r\n",
                                  b'Content-Disposition: form-data; name=""\r\n\r\nvalue\r\n'],
                         ids=["no name", "empty name"])
def test_a_form_field_without_a_name_is_refused(client, api_key: str, part: bytes) -> None:
    body, content_type = multipart(api_key, b"--B\r\n" + part)
    response = client.post(f"{BASE}/requests.xml", data=body, content_type=content_type)
    assert "needs a name" in assert_open311_error(response, 400, "xml")
    assert report_count() == 0


@pytest.mark.parametrize("field", ["media", "media[]"])
def test_media_sent_as_text_is_refused(client, api_key: str, field: str) -> None:
    body, content_type = multipart(api_key, f'--B\r\nContent-Disposition: form-data; name="{field}"\r\n\r\nabc\r\n'.encode())
    response = client.post(f"{BASE}/requests.json", data=body, content_type=content_type)
    assert "media" in assert_open311_error(response, 400)
    assert report_count() == 0
