"""Hostile and broken input: each case gets its documented 4xx (or an inert success), never a 500,
nothing half-written, and the service keeps serving."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from service.extensions import db
from service.models import OutboxEvent, Photo, Report
from tests.conftest import INSIDE
from tests.corpus import files

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
    ('{"category": "road_damage", "description": "x", "lat": "35.65", "lon": "139.78"}', 201),
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
