"""POST requests: a client system with its api_key sends a report; every refusal writes nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from service.domain.api_clients import create_client
from service.extensions import db
from service.models import ApiClient, RemoteMedia, Report
from tests.conftest import make_jpeg
from tests.open311.conftest import (
    BASE,
    POST_RESPONSE,
    SERVICE_REQUESTS,
    TOKENS,
    assert_open311_error,
    assert_valid,
    post_request,
    report_count,
    xml_of,
)


def test_post_answers_the_service_request_id_and_stores_an_open311_report(client, api_key: str) -> None:
    response = post_request(client, api_key, email="resident@example.jp", first_name="太郎", last_name="山田",
                            phone="090-1234-5678", device_id="dev-1", account_id="acct-9",
                            **{"attribute[lane_blocked]": "yes"})
    assert response.status_code == 201
    body = response.get_json()
    assert_valid(body, POST_RESPONSE)
    report = db.session.scalar(select(Report).where(Report.public_id == body[0]["service_request_id"]))
    client_id = db.session.scalar(select(ApiClient.id))
    assert (report.source, report.api_client_id, report.reporter_account_id) == ("open311", client_id, "acct-9")
    assert (report.reporter_name, report.reporter_email, report.device_id) == ("山田 太郎", "resident@example.jp", "dev-1")
    assert report.attributes == {"lane_blocked": "yes"}


def test_posted_request_reads_back_by_id_and_by_token_without_private_fields(client, api_key: str) -> None:
    public_id = post_request(client, api_key, email="resident@example.jp").get_json()[0]["service_request_id"]
    one = client.get(f"{BASE}/requests/{public_id}.json").get_json()
    assert_valid(one, SERVICE_REQUESTS)
    assert one[0]["status"] == "open" and one[0]["service_code"] == "road_damage"
    assert "resident@example.jp" not in client.get(f"{BASE}/requests/{public_id}.xml").get_data(as_text=True)
    token = client.get(f"{BASE}/tokens/{public_id}.json").get_json()
    assert_valid(token, TOKENS)
    assert token[0]["service_request_id"] == public_id
    assert xml_of(client.get(f"{BASE}/tokens/{public_id}.xml")).findtext("request/service_request_id") == public_id


def test_post_in_xml_answers_xml(client, api_key: str) -> None:
    root = xml_of(post_request(client, api_key, fmt="xml"))
    assert root.tag == "service_requests" and root.findtext("request/service_request_id")


def test_multivaluelist_attributes_take_several_values(client, api_key: str) -> None:
    from service.models import Category

    category = db.session.scalar(select(Category).where(Category.code == "graffiti"))
    category.attributes = [{"code": "surface", "datatype": "multivaluelist", "required": True,
                            "values": [{"key": "wall", "name_ja": "壁"}, {"key": "sign", "name_ja": "標識"}]}]
    db.session.commit()
    response = client.post(f"{BASE}/requests.json", data={
        "api_key": api_key, "service_code": "graffiti", "lat": "35.65", "long": "139.78",
        "attribute[surface][]": ["wall", "sign"]})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert db.session.scalar(select(Report.attributes)) == {"surface": ["wall", "sign"]}
    missing = post_request(client, api_key, service_code="graffiti")
    assert "attribute[surface]: An answer is required." in assert_open311_error(missing, 400)


def test_a_multipart_media_file_becomes_a_photo(client, api_key: str) -> None:
    response = client.post(f"{BASE}/requests.json", content_type="multipart/form-data", data={
        "api_key": api_key, "service_code": "road_damage", "lat": "35.65", "long": "139.78",
        "media": (io.BytesIO(make_jpeg()), "pothole.jpg")})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert len(db.session.scalar(select(Report)).photos) == 1


def test_an_address_string_places_the_report(client, api_key: str) -> None:
    response = post_request(client, api_key, lat=None, long=None, address_string="みなと市中央区")
    if response.status_code == 400:
        pytest.skip("the demo gazetteer cannot place this address")
    assert response.status_code == 201
    assert db.session.scalar(select(Report.location_source)) == "address"


def test_a_media_url_is_recorded_for_the_worker(client, api_key: str) -> None:
    response = post_request(client, api_key, media_url="https://photos.example.org/pothole.jpg")
    assert response.status_code == 201
    media = db.session.scalar(select(RemoteMedia))
    assert (media.url, media.state) == ("https://photos.example.org/pothole.jpg", "pending")


REFUSALS = [
    ("no api_key", None, {}, 403),
    ("bad api_key", "mk_nope_nope", {}, 403),
    ("no service_code", "KEY", {"service_code": None}, 400),
    ("unknown service_code", "KEY", {"service_code": "no_such"}, 404),
    ("no location", "KEY", {"lat": None, "long": None}, 400),
    ("lat without long", "KEY", {"long": None}, 400),
    ("lat not a number", "KEY", {"lat": "north"}, 400),
    ("lat out of range", "KEY", {"lat": "91"}, 400),
    ("outside the jurisdiction", "KEY", {"lat": "35.300", "long": "139.600"}, 400),
    ("description too long", "KEY", {"description": "穴" * 4001}, 400),
    ("bad email", "KEY", {"email": "not-an-email"}, 400),
    ("value not in the list", "KEY", {"attribute[lane_blocked]": "maybe"}, 400),
    ("media_url to loopback", "KEY", {"media_url": "http://127.0.0.1/x.jpg"}, 400),
    ("media_url to a private network", "KEY", {"media_url": "http://10.1.2.3/x.jpg"}, 400),
    ("media_url to link-local metadata", "KEY", {"media_url": "http://169.254.169.254/latest/meta-data"}, 400),
    ("media_url to IPv6 loopback", "KEY", {"media_url": "http://[::1]/x.jpg"}, 400),
    ("media_url to localhost", "KEY", {"media_url": "http://localhost/x.jpg"}, 400),
    ("media_url is a file URL", "KEY", {"media_url": "file:///etc/passwd"}, 400),
    ("media_url with credentials", "KEY", {"media_url": "https://u:p@photos.example.org/x.jpg"}, 400),
    ("jurisdiction_id not served here", "KEY", {"jurisdiction_id": "131016"}, 404),
]


@pytest.mark.parametrize(("case", "key", "fields", "status"), REFUSALS, ids=[r[0] for r in REFUSALS])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_refused_post_answers_an_open311_error_and_writes_nothing(client, api_key: str, case: str, key: str | None,
                                                                     fields: dict, status: int, fmt: str) -> None:
    response = post_request(client, api_key if key == "KEY" else key, fmt=fmt, **fields)
    assert_open311_error(response, status, fmt)
    assert report_count() == 0
    assert db.session.scalars(select(RemoteMedia)).all() == []


def test_a_revoked_api_key_is_403(client, app, api_key: str, road_staff_key: str) -> None:
    from service.domain.api_clients import revoke_client
    from service.models import Staff

    admin = db.session.scalar(select(Staff))
    revoke_client(db.session, admin, db.session.scalar(select(ApiClient)))
    assert_open311_error(post_request(client, api_key), 403)


def test_a_key_of_another_jurisdiction_cannot_post_here(client, second_jurisdiction: str) -> None:
    other_key = create_client(db.session, name="Chiba app", jurisdiction_code=second_jurisdiction)[1]
    assert_open311_error(post_request(client, other_key), 400)
    assert report_count() == 0


def test_a_broken_media_file_is_refused_and_writes_nothing(client, api_key: str) -> None:
    response = client.post(f"{BASE}/requests.json", content_type="multipart/form-data", data={
        "api_key": api_key, "service_code": "road_damage", "lat": "35.65", "long": "139.78",
        "media": (io.BytesIO(make_jpeg()[:200]), "broken.jpg")})
    assert "media file 1" in assert_open311_error(response, 400)
    assert report_count() == 0


def test_an_oversize_media_file_is_refused(client, app, api_key: str, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAX_PHOTO_BYTES", 1000)
    response = client.post(f"{BASE}/requests.json", content_type="multipart/form-data", data={
        "api_key": api_key, "service_code": "road_damage", "lat": "35.65", "long": "139.78",
        "media": (io.BytesIO(make_jpeg()), "big.jpg")})
    assert "larger than" in assert_open311_error(response, 400)
    assert report_count() == 0


def test_a_json_body_is_refused_in_open311_shape(client, api_key: str) -> None:
    response = client.post(f"{BASE}/requests.json", json={"api_key": api_key, "service_code": "road_damage"})
    assert "form-encoded" in assert_open311_error(response, 400)
