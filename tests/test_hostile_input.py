"""Hostile and broken input: each case gets its documented 4xx (or an inert success), never a 500,
nothing half-written, and the service keeps serving."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import OutboxEvent, Photo, Report
from tests.conftest import INSIDE
from tests.corpus import files
from tests.corpus import requests as corpus_requests
from tests.corpus.logscan import PII, leaks, reporter_fields
from tests.staff import conftest as staff_fixtures

keys = staff_fixtures.keys  # the staff keys of every role, as a fixture here too

FIELDS = {"category": "road_damage", "description": "穴があります", "lat": str(INSIDE["lat"]), "lon": str(INSIDE["lon"])}


def counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Report, Photo, OutboxEvent))


def post_photos(client, photos):
    data = {**FIELDS, "photos": [(io.BytesIO(body), name) for name, body in photos]}
    return client.post("/api/v1/reports", data=data, content_type="multipart/form-data")


PHOTO_CASES = [
    ("zero.jpg", b"", 422),
    ("truncated.jpg", files.truncated_jpeg(), 422),
    ("bomb.png", files.decompression_bomb_png(), 422),
    ("crc.png", files.png_with_wrong_crc(), 422),
    ("vector.jpg", files.svg_named_jpg(), 422),
    ("page.jpg", files.html_named_jpg(), 422),
    ("empty.heic", files.heic_without_image(), 422),
    ("anim.gif", files.animated_gif(), 422),
    ("exif.jpg", files.huge_exif_jpeg(), 201),
    ("polyglot.jpg", files.polyglot_jpeg_zip_html(), 201),
    ("tall.png", files.one_by_hundred_thousand(), 201),
    ("anim.webp", files.animated_webp(), 201),
]


@pytest.mark.parametrize("name,body,status", PHOTO_CASES, ids=[c[0] for c in PHOTO_CASES])
def test_hostile_photos(client, name, body, status):
    before = counts()
    response = post_photos(client, [(name, body)])
    assert response.status_code == status, response.get_json()
    if status >= 400:
        assert response.content_type == "application/problem+json" and name in response.get_json()["detail"]
        assert counts() == before
    else:
        assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert client.get("/healthz").status_code == 200


def test_twenty_photos_are_refused(client):
    response = post_photos(client, [(f"{i}.jpg", files.jpeg((64, 64))) for i in range(20)])
    assert response.status_code == 422 and counts()[0] == 0


def test_a_200_mb_body_is_refused_before_it_is_read(client):
    # The stream holds little; the declared length alone must be refused.
    response = client.post("/api/v1/reports", input_stream=io.BytesIO(b"x" * 1024),
                           content_type="multipart/form-data; boundary=x",
                           environ_overrides={"CONTENT_LENGTH": str(200 * 1024 * 1024)})
    assert response.status_code == 413 and response.content_type == "application/problem+json"
    assert counts()[0] == 0


TEXTS = [
    "制御文字\x00\x07\x1b[31m赤",
    "右から左 \u202eevil\u202c \u200f",
    "絵文字 🏯🗾👍🏽 \U0001F9A2",
    "'; DROP TABLE report; --",
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("text", TEXTS)
def test_descriptions_are_stored_and_returned_inert(client, text):
    response = client.post("/api/v1/reports", json={**FIELDS, "lat": INSIDE["lat"], "lon": INSIDE["lon"], "description": text})
    if "\x00" in text:
        # PostgreSQL cannot store NUL in text; it is refused for every database alike.
        assert response.status_code == 422 and "description" in response.get_json()["errors"]
        return
    assert response.status_code == 201
    read = client.get(response.headers["Location"])
    assert read.mimetype == "application/json" and read.get_json()["description"] == text
    assert read.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("raw,status", [
    # A JSON number field takes a JSON number: a string holding one is what the contract refuses.
    ('{"category": "road_damage", "description": "x", "lat": "35.65", "lon": "139.78"}', 422),
    ('{"category": "road_damage", "description": "x", "lat": NaN, "lon": 139.78}', 400),
    ('{"category": "road_damage", "description": "x", "lat": 1e309, "lon": 139.78}', 422),
    ('{"category": "road_damage", "description": "x", "lat": 35.65, "lon": -0}', 422),
    ('{"category": "road_damage", "description": "x", "lat": -0.0, "lon": 139.78}', 422),
    ("[" * 10000 + "]" * 10000, 400),
    ('{"category": "road_damage", "category": "graffiti", "description": "x", "lat": 35.65, "lon": 139.78}', 400),
])
def test_hostile_json(client, raw, status):
    response = client.post("/api/v1/reports", data=raw, content_type="application/json")
    assert response.status_code == status
    if status >= 400:
        assert response.content_type == "application/problem+json"


def test_wrong_charset_is_refused(client):
    body = json.dumps({**FIELDS, "description": "道路に穴"}, ensure_ascii=False).encode("shift_jis")
    response = client.post("/api/v1/reports", data=body, content_type="application/json; charset=shift_jis")
    assert response.status_code == 400 and counts()[0] == 0


# The input boundary: bodies bounded before parsing, control characters, dates, ids, changes.

def cpu_seconds_of(call):
    """The answer of ``call`` and the CPU time this process spent on it (the app runs in-process)."""
    start = time.process_time()
    response = call()
    return response, time.process_time() - start


def test_a_31_mb_json_body_with_2_5_million_attributes_is_refused_in_under_50_ms_of_cpu(client):
    body = ('{"category": "road_damage", "description": "x", "lat": 35.65, "lon": 139.78, "attributes": {'
            + ",".join(f'"k{i}": 1' for i in range(2_500_000)) + "}}").encode()
    assert len(body) > 30_000_000
    response, cpu = cpu_seconds_of(lambda: client.post("/api/v1/reports", data=body, content_type="application/json"))
    assert response.status_code == 413 and response.content_type == "application/problem+json"
    assert cpu < 0.05, f"{cpu * 1000:.1f} ms of CPU"
    assert counts()[0] == 0


@pytest.mark.parametrize("body", [
    "&".join(f"f{i}=x" for i in range(200_000)),  # 2 MB: past the byte cap
    "a=x&" * 12_000,  # 48 KB: under the byte cap, past the field count
], ids=["200000-fields", "12000-fields-under-the-byte-cap"])
def test_an_open311_post_with_thousands_of_urlencoded_fields_is_refused_in_under_50_ms_of_cpu(client, body):
    response, cpu = cpu_seconds_of(lambda: client.post("/open311/v2/requests.json", data=body,
                                                       content_type="application/x-www-form-urlencoded"))
    assert response.status_code == 413
    assert cpu < 0.05, f"{cpu * 1000:.1f} ms of CPU"
    assert counts()[0] == 0


def test_a_chunked_json_body_is_cut_at_the_byte_cap(client):
    # No Content-Length: the server reads the stream only up to the cap.
    body = json.dumps({**FIELDS, "description": "x" * 200_000}).encode()
    response = client.post("/api/v1/reports", input_stream=io.BytesIO(body), content_type="application/json",
                           headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413 and response.content_type == "application/problem+json"
    assert counts()[0] == 0


def test_the_byte_cap_is_a_setting(app):
    from service import create_app

    small = create_app({**{k: app.config[k] for k in ("DATA_DIR", "DATABASE_URL", "SECRET_KEY")},
                        "CELERY_BROKER_URL": "memory://localhost/", "MAX_JSON_BYTES": 100, "RATE_LIMITS_ENABLED": False})
    response = small.test_client().post("/api/v1/reports", json={**FIELDS, "description": "x" * 100})
    assert response.status_code == 413 and "100 bytes" in response.get_json()["detail"]


def test_only_the_area_import_takes_a_body_past_the_byte_cap(client, keys):
    features = [{"type": "Feature", "properties": {"code": f"a{i}", "name": f"区域{i}", "note": "あ" * 200},
                 "geometry": {"type": "Polygon", "coordinates": [[[139.77, 35.64], [139.78, 35.64], [139.78, 35.65],
                                                                   [139.77, 35.64]]]}} for i in range(300)]
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()
    assert len(body) > 64 * 1024
    response = client.post("/api/v1/staff/admin/areas/import?layer=district&name_property=name", data=body,
                           content_type="application/geo+json", headers=keys.header("admin"))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 300
    report = {**FIELDS, "lat": INSIDE["lat"], "lon": INSIDE["lon"], "description": "𠮷" * 4000,
              "address_hint": "い" * 500, "attributes": {f"a{i}": "𠮷" * 500 for i in range(30)}}
    assert len(json.dumps(report, ensure_ascii=False).encode()) > 64 * 1024
    assert client.post("/api/v1/reports", json=report).status_code == 413


def test_a_refused_character_names_its_field_and_text_keeps_tabs_and_line_breaks(client):
    response = client.post("/api/v1/reports", json={**FIELDS, "lat": INSIDE["lat"], "lon": INSIDE["lon"],
                                                    "description": "一行目\r\n二行目\tタブ"})
    assert response.status_code == 201
    assert client.get(response.headers["Location"]).get_json()["description"] == "一行目\r\n二行目\tタブ"
    response = client.post("/api/v1/reports", json={**FIELDS, "reporter": {"name": "山田\x07"}})
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert response.get_json()["errors"] == {"reporter.name": ["Must not contain the control character U+0007."]}
    response = client.get("/api/v1/reports?category=a%00b")
    assert response.status_code == 422 and list(response.get_json()["errors"]) == ["category"]


def test_the_engine_hides_statement_parameters(app):
    assert app.extensions["sqlalchemy"].engine.hide_parameters is True


def test_a_database_error_is_logged_without_the_values_it_quotes(app, caplog):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from service.api.problems import handle_unexpected

    email = PII["reporter_email"]
    with app.test_request_context("/"), caplog.at_level(logging.DEBUG):
        try:
            # Both databases refuse a second department with the same code; PostgreSQL quotes the key.
            for _ in range(2):
                db.session.execute(text("INSERT INTO department (jurisdiction_id, code, name_ja, name_en, email, is_fallback, active) "
                                        "SELECT id, :code, 'x', 'x', :email, false, true FROM jurisdiction"),
                                   {"code": email, "email": email})
        except DBAPIError as exc:
            db.session.rollback()
            answer = handle_unexpected(exc)
        else:  # pragma: no cover - the insert must fail
            raise AssertionError("the duplicate was stored")
    assert answer.status_code == 500
    assert any(r.exc_info for r in caplog.records)
    assert leaks(caplog.records, [email]) == []


@pytest.fixture()
def targets(client, keys):
    """A report with a reporter's personal data, and a subscriber, for the corpus to aim at."""
    created = client.post("/api/v1/reports", json={**corpus_requests.REPORT, **reporter_fields()})
    assert created.status_code == 201, created.get_json()
    subscriber = client.post("/api/v1/staff/admin/subscribers", headers=keys.header("admin"),
                             json={"kind": "email", "name": "通知", "email": "notify@example.jp"})
    assert subscriber.status_code == 201, subscriber.get_json()
    report_id = created.get_json()["id"]
    token = created.get_json()["tracking_token"]
    token_hash = db.session.scalar(select(Report.tracking_token_hash).where(Report.public_id == report_id))
    return {"report": report_id, "subscriber": subscriber.get_json()["id"], "secrets": [*PII.values(), token, token_hash]}


def send(client, case, keys, api_key, targets):
    headers = dict(case.headers)
    if case.who == "client":
        data = {**case.data, "api_key": api_key} if isinstance(case.data, dict) else case.data
    else:
        data = case.data
        if case.who:
            headers.update(keys.header(case.who))
    path = case.path.format(report=targets["report"], subscriber=targets["subscriber"])
    kwargs = {"headers": headers}
    if case.json is not None:
        kwargs.update(data=json.dumps(case.json), content_type="application/json")
    elif case.raw is not None:
        kwargs.update(data=case.raw, content_type=case.content_type)
    elif data is not None:
        kwargs.update(data=data, content_type=case.content_type or "application/x-www-form-urlencoded")
    return client.open(path, method=case.method, **kwargs)


def test_the_hostile_corpus_gets_4xx_writes_nothing_and_logs_no_personal_data(client, keys, targets, caplog):
    from service.domain.api_clients import create_client

    api_key = create_client(db.session, name="FixMyStreet", jurisdiction_code="990019")[1]
    before = counts()
    wrong = []
    with caplog.at_level(logging.DEBUG):
        for case in corpus_requests.corpus():
            response = send(client, case, keys, api_key, targets)
            problem = response.content_type == "application/problem+json" or case.path.startswith("/open311/")
            if response.status_code not in case.statuses or not problem:
                wrong.append(f"{case.name}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    assert wrong == []
    assert counts() == before
    assert client.get("/healthz").status_code == 200
    assert leaks(caplog.records, targets["secrets"]) == []
