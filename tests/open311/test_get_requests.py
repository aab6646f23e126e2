"""GET requests and servicerequestupdates: filters, public fields only, errors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from service.extensions import db
from service.models import Report
from service.models.types import utcnow
from tests.open311.conftest import BASE, SERVICE_REQUESTS, UPDATES, assert_open311_error, assert_valid, created_id, xml_of


def transition(client, key: str, public_id: str, to: str, reply: str | None = None) -> None:
    body = {"to": to, **({"public_reply": reply} if reply else {}), "internal_note": "内部メモ：業者手配済み"}
    response = client.post(f"/api/v1/staff/reports/{public_id}/transitions", data=json.dumps(body),
                           content_type="application/json", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code in (200, 201), response.get_json()


def test_requests_show_status_notes_department_and_closed_status(client, api_key: str, road_staff_key: str) -> None:
    public_id = created_id(client, api_key, email="resident@example.jp", device_id="dev-secret")
    transition(client, road_staff_key, public_id, "acknowledged", "確認しました。")
    transition(client, road_staff_key, public_id, "in_progress")
    transition(client, road_staff_key, public_id, "resolved", "補修しました。")
    body = client.get(f"{BASE}/requests/{public_id}.json").get_json()
    assert_valid(body, SERVICE_REQUESTS)
    request = body[0]
    assert request["status"] == "closed" and request["status_notes"] == "補修しました。"
    assert request["agency_responsible"] == "道路課"
    assert request["requested_datetime"].endswith("+09:00")
    text = client.get(f"{BASE}/requests.xml").get_data(as_text=True)
    for private in ("resident@example.jp", "dev-secret", "内部メモ"):
        assert private not in text


def test_request_list_filters_by_status_code_and_ids(client, api_key: str, road_staff_key: str) -> None:
    road = created_id(client, api_key)
    light = created_id(client, api_key, service_code="streetlight")
    transition(client, road_staff_key, road, "resolved", "済")

    def ids(query: str) -> list[str]:
        response = client.get(f"{BASE}/requests.json{query}")
        assert response.status_code == 200, response.get_json()
        assert_valid(response.get_json(), SERVICE_REQUESTS)
        return [r["service_request_id"] for r in response.get_json()]

    assert ids("") == [light, road]
    assert ids("?status=closed") == [road]
    assert ids("?status=open") == [light]
    assert ids("?service_code=streetlight,road_damage") == [light, road]
    assert ids("?service_code=streetlight") == [light]
    assert ids(f"?service_request_id={road}&status=open") == [road]
    assert ids("?page_size=1&page=2") == [road]
    root = xml_of(client.get(f"{BASE}/requests.xml?status=closed"))
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [road]


def test_hidden_reports_are_never_listed_or_found(client, api_key: str) -> None:
    public_id = created_id(client, api_key, process=False)
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    report.hidden = True
    db.session.commit()
    assert client.get(f"{BASE}/requests.json").get_json() == []
    assert_open311_error(client.get(f"{BASE}/requests/{public_id}.json"), 404)
    assert_open311_error(client.get(f"{BASE}/tokens/{public_id}.xml"), 404, "xml")


def test_date_range_defaults_to_the_last_90_days(client, api_key: str) -> None:
    public_id = created_id(client, api_key, process=False)
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    report.created_at = utcnow() - timedelta(days=120)
    db.session.commit()
    assert client.get(f"{BASE}/requests.json").get_json() == []
    old = (utcnow() - timedelta(days=125)).strftime("%Y-%m-%dT%H:%M:%SZ")
    found = client.get(f"{BASE}/requests.json?start_date={old}").get_json()
    assert [r["service_request_id"] for r in found] == [public_id]


GET_ERRORS = [
    ("/requests/nope.{fmt}", 404),
    ("/tokens/nope.{fmt}", 404),
    ("/requests.{fmt}?start_date=2024-01-01T00:00:00Z&end_date=2024-06-01T00:00:00Z", 400),
    ("/requests.{fmt}?start_date=yesterday", 400),
    ("/requests.{fmt}?start_date=2024-06-01T00:00:00Z&end_date=2024-05-01T00:00:00Z", 400),
    ("/requests.{fmt}?status=pending", 400),
    ("/requests.{fmt}?service_code=no_such", 404),
    ("/requests.{fmt}?page_size=0", 400),
    ("/requests.{fmt}?page_size=1001", 400),
    ("/requests.{fmt}?jurisdiction_id=131016", 404),
    ("/servicerequestupdates.{fmt}?start_date=2024-01-01T00:00:00Z&end_date=2024-12-01T00:00:00Z", 400),
]


@pytest.mark.parametrize(("path", "status"), GET_ERRORS, ids=[p for p, _ in GET_ERRORS])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_queries_answer_open311_errors(client, path: str, status: int, fmt: str) -> None:
    assert_open311_error(client.get(BASE + path.format(fmt=fmt)), status, fmt)


def test_an_unsupported_method_is_405(client) -> None:
    assert client.delete(f"{BASE}/requests.json").status_code == 405


def test_service_request_updates_follow_the_public_history(client, api_key: str, road_staff_key: str) -> None:
    public_id = created_id(client, api_key)
    transition(client, road_staff_key, public_id, "acknowledged", "確認しました。")
    transition(client, road_staff_key, public_id, "resolved", "補修しました。")
    start = (utcnow() - timedelta(hours=1)).isoformat()
    end = (utcnow() + timedelta(hours=1)).isoformat()
    response = client.get(f"{BASE}/servicerequestupdates.json", query_string={"start_date": start, "end_date": end})
    body = response.get_json()
    assert_valid(body, UPDATES)
    assert [(u["service_request_id"], u["status"], u["description"]) for u in body] == [
        (public_id, "INVESTIGATING", "確認しました。"), (public_id, "FIXED", "補修しました。")]
    root = xml_of(client.get(f"{BASE}/servicerequestupdates.xml", query_string={"start_date": start, "end_date": end}))
    assert root.tag == "service_request_updates"
    assert [u.findtext("status") for u in root.findall("request_update")] == ["INVESTIGATING", "FIXED"]
    assert "内部メモ" not in response.get_data(as_text=True)
