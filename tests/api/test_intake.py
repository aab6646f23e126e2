"""A resident sends a report: JSON and multipart, photos, retries, and every way it can be wrong."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from service.extensions import db
from service.models import Category, HistoryEntry, OutboxEvent, Photo, Report
from tests.conftest import INSIDE, OUTSIDE, make_heic, make_jpeg, make_png


def make_gif() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    frames = [Image.new("P", (40, 40), i) for i in range(3)]
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


VALID = {"category": "road_damage", "description": "歩道に穴があいています", **INSIDE}


def row_counts() -> dict[str, int]:
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in (Report, Photo, HistoryEntry, OutboxEvent)}


def post_json(client, body, **headers):
    return client.post("/api/v1/reports", data=json.dumps(body), content_type="application/json", headers=headers)


def post_form(client, fields, photos=(), **headers):
    data = {k: (json.dumps(v) if isinstance(v, dict) else str(v)) for k, v in fields.items()}
    data["photos"] = [(io.BytesIO(b), name) for name, b in photos]
    return client.post("/api/v1/reports", data=data, content_type="multipart/form-data", headers=headers)


def test_json_report_is_received_with_id_token_and_location(client):
    response = post_json(client, {**VALID, "reporter": {"name": "山田", "email": "yamada@example.jp"}, "device_id": "dev-1"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "received" and body["status_label"] == "受付"
    assert body["created_at"].endswith("+09:00")
    assert len(body["id"]) == 16 and len(body["tracking_token"]) >= 32
    assert response.headers["Location"] == f"/api/v1/reports/{body['id']}"
    report = db.session.scalar(select(Report))
    assert report.public_id == body["id"] and report.reporter_email == "yamada@example.jp"
    assert report.tracking_token_hash != body["tracking_token"]
    assert db.session.scalar(select(OutboxEvent.event_type)) == "report.received"


def test_status_label_follows_accept_language(client):
    response = post_json(client, VALID, **{"Accept-Language": "en-US,en;q=0.9"})
    assert response.get_json()["status_label"] == "Received"


@pytest.mark.parametrize("maker,content_type", [(make_jpeg, "image/jpeg"), (make_png, "image/png"), (make_heic, "image/heic")])
def test_multipart_report_keeps_the_original_photo_privately(client, app, maker, content_type):
    data = maker()
    response = post_form(client, {**VALID, "reporter": {"email": "a@example.jp"}, "attributes": {"lane_blocked": "yes"}},
                         photos=[("IMG_0001.x", data)])
    assert response.status_code == 201, response.get_json()
    photo = db.session.scalar(select(Photo))
    assert photo.content_type == content_type and photo.state == "stored"
    assert app.extensions["photo_store"].get(photo.original_key) == data
    report = db.session.scalar(select(Report))
    assert report.attributes == {"lane_blocked": "yes"} and report.reporter_email == "a@example.jp"
    public = client.get(f"/api/v1/reports/{response.get_json()['id']}").get_json()
    assert public["photos"] == []  # derivatives are made by the worker; originals are never public


def test_same_idempotency_key_and_body_answers_the_same_report(client):
    first = post_form(client, VALID, photos=[("a.jpg", make_jpeg())], **{"Idempotency-Key": "retry-1"})
    second = post_form(client, VALID, photos=[("a.jpg", make_jpeg())], **{"Idempotency-Key": "retry-1"})
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert row_counts()["report"] == 1 and row_counts()["photo"] == 1
    token = second.get_json()["tracking_token"]
    own = client.get(first.headers["Location"], headers={"X-Tracking-Token": token})
    assert own.status_code == 200 and "reporter" in own.get_json()


def originals_of(app, data: bytes) -> set[str]:
    """The keys of the stored originals of these bytes (the store is shared by a run's tests)."""
    sha = hashlib.sha256(data).hexdigest()
    root = app.extensions["photo_store"].root
    return {path.relative_to(root).as_posix() for path in (root / "originals" / sha[:2]).glob(f"{sha}-*")}


def test_each_photo_keeps_its_own_original_and_a_replay_or_refusal_leaves_none_behind(client, app):
    photo = make_jpeg((64, 48), (10, 120, 200))
    before = originals_of(app, photo)
    fields = {**VALID, "device_id": "phone-own"}
    first = post_form(client, fields, photos=[("a.jpg", photo)], **{"Idempotency-Key": "own-original"})
    replayed = post_form(client, fields, photos=[("a.jpg", photo)], **{"Idempotency-Key": "own-original"})
    refused = post_form(client, {**fields, "description": "別の内容"}, photos=[("a.jpg", photo)],
                        **{"Idempotency-Key": "own-original"})
    assert (first.status_code, replayed.status_code, refused.status_code) == (201, 201, 409)
    kept = db.session.scalar(select(Photo.original_key))
    assert originals_of(app, photo) - before == {kept}
    # The same picture in another report is a second object: deleting one never takes the other's.
    other = post_form(client, {**VALID, "description": "同じ写真の別の通報"}, photos=[("b.jpg", photo)])
    assert other.status_code == 201
    keys = set(db.session.scalars(select(Photo.original_key)))
    assert len(keys) == 2 and originals_of(app, photo) - before == keys


def test_same_idempotency_key_from_the_same_device_with_another_body_is_a_conflict(client):
    device = {"device_id": "phone-a"}
    assert post_json(client, {**VALID, **device}, **{"Idempotency-Key": "k-2"}).status_code == 201
    response = post_json(client, {**VALID, **device, "description": "別の内容"}, **{"Idempotency-Key": "k-2"})
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert row_counts()["report"] == 1


def test_same_idempotency_key_from_another_device_makes_its_own_report_and_learns_nothing(client):
    first = post_json(client, {**VALID, "device_id": "phone-a"}, **{"Idempotency-Key": "k-1"})
    same_body = post_json(client, {**VALID, "device_id": "phone-b"}, **{"Idempotency-Key": "k-1"})
    other_body = post_json(client, {**VALID, "device_id": "phone-c", "description": "別の内容"}, **{"Idempotency-Key": "k-1"})
    assert first.status_code == same_body.status_code == other_body.status_code == 201
    token = first.get_json()["tracking_token"]
    for response in (same_body, other_body):
        assert "Idempotent-Replayed" not in response.headers
        assert response.get_json()["id"] != first.get_json()["id"]
        assert token not in response.get_data(as_text=True)
    assert row_counts()["report"] == 3
    # Each device's own retry still answers its own report.
    retry = post_json(client, {**VALID, "device_id": "phone-b"}, **{"Idempotency-Key": "k-1"})
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.get_json() == same_body.get_json()


def test_without_device_id_a_key_answers_only_the_same_request_from_the_same_address(client):
    here, there = {"REMOTE_ADDR": "100.64.0.7"}, {"REMOTE_ADDR": "100.64.9.9"}

    def send(body, environ):
        return client.post("/api/v1/reports", json=body, headers={"Idempotency-Key": "1"}, environ_base=environ)

    first = send(VALID, here)
    retry = send(VALID, here)
    neighbour = send({**VALID, "description": "別の内容"}, here)
    elsewhere = send(VALID, there)
    assert [r.status_code for r in (first, retry, neighbour, elsewhere)] == [201] * 4
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.get_json() == first.get_json()
    for response in (neighbour, elsewhere):
        assert "Idempotent-Replayed" not in response.headers
        assert first.get_json()["tracking_token"] not in response.get_data(as_text=True)
    assert row_counts()["report"] == 3


def test_idempotency_key_expires_a_day_after_its_report(client, fixed_clock):
    body, key = {**VALID, "device_id": "phone-a"}, {"Idempotency-Key": "k-day"}
    start = fixed_clock.instant
    first = post_json(client, body, **key)
    fixed_clock.instant = start + timedelta(hours=23, minutes=59)
    late_retry = post_json(client, body, **key)
    fixed_clock.instant = start + timedelta(hours=24)
    next_day = post_json(client, body, **key)
    next_day_retry = post_json(client, body, **key)

    assert late_retry.headers["Idempotent-Replayed"] == "true" and late_retry.get_json() == first.get_json()
    assert next_day.status_code == 201 and "Idempotent-Replayed" not in next_day.headers
    assert next_day.get_json()["id"] != first.get_json()["id"]
    assert next_day_retry.get_json() == next_day.get_json()
    assert row_counts()["report"] == 2
    # The first report keeps its tracking token.
    own = client.get(first.headers["Location"], headers={"X-Tracking-Token": first.get_json()["tracking_token"]})
    assert own.status_code == 200 and own.get_json()["device_id"] == "phone-a"


def test_retry_answers_the_first_report_even_after_its_category_was_withdrawn(client):
    first = post_json(client, VALID, **{"Idempotency-Key": "k-3"})
    assert first.status_code == 201
    db.session.execute(update(Category).where(Category.code == VALID["category"]).values(active=False))
    db.session.commit()
    assert post_json(client, VALID).status_code == 422

    retry = post_json(client, VALID, **{"Idempotency-Key": "k-3"})

    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json()
    assert row_counts() == {"report": 1, "photo": 0, "history_entry": 1, "outbox_event": 1}


def test_tracking_token_opens_private_fields_and_only_its_own_report(client):
    mine = post_json(client, {**VALID, "reporter": {"phone": "03-1234-5678"}, "device_id": "device-xyz"}).get_json()
    other = post_json(client, VALID).get_json()
    own = client.get(f"/api/v1/reports/{mine['id']}", headers={"X-Tracking-Token": mine["tracking_token"]}).get_json()
    assert own["reporter"]["phone"] == "03-1234-5678" and own["device_id"] == "device-xyz"
    wrong = client.get(f"/api/v1/reports/{mine['id']}", headers={"X-Tracking-Token": other["tracking_token"]})
    assert wrong.status_code == 403


def test_public_view_never_shows_private_fields(client):
    body = {**VALID, "reporter": {"name": "秘密太郎", "email": "secret@example.jp", "phone": "090-0000-1111"},
            "device_id": "device-secret-42", "address_hint": "秘密ビル前"}
    created = post_json(client, body).get_json()
    for url in (f"/api/v1/reports/{created['id']}", "/api/v1/reports"):
        response = client.get(url)
        text = response.get_data(as_text=True)
        assert response.status_code == 200
        for secret in ("秘密太郎", "secret@example.jp", "090-0000-1111", "device-secret-42", "秘密ビル前", created["tracking_token"]):
            assert secret not in text
    public = client.get(f"/api/v1/reports/{created['id']}").get_json()
    assert public["status_label"] == "受付" and public["history"][0]["status"] == "received"
    assert "reporter" not in public and "device_id" not in public


def test_unknown_report_is_404_problem(client):
    response = client.get("/api/v1/reports/doesnotexist")
    assert response.status_code == 404 and response.content_type == "application/problem+json"
    assert response.get_json()["status"] == 404


BAD_FIELDS = [
    ({**VALID, "category": "no_such"}, "category"),
    ({k: v for k, v in VALID.items() if k != "lat"}, "lat"),
    ({**VALID, "lat": "north"}, "lat"),
    ({**VALID, "lat": 91}, "lat"),
    ({**VALID, "lon": -180.5}, "lon"),
    ({**VALID, "lat": True}, "lat"),
    ({**VALID, "description": ""}, "description"),
    ({**VALID, "description": "   "}, "description"),
    ({**VALID, "description": "あ" * 4001}, "description"),
    ({**VALID, "colour": "red"}, "colour"),
    ({**VALID, "reporter": {"email": "not-an-email"}}, "reporter"),
    ({**VALID, "attributes": {"x": {"nested": "object"}}}, "attributes"),
]


@pytest.mark.parametrize("body,field", BAD_FIELDS)
def test_bad_fields_are_422_with_field_errors_and_nothing_written(client, body, field):
    before = row_counts()
    response = post_json(client, body)
    assert response.status_code == 422
    problem = response.get_json()
    assert response.content_type == "application/problem+json"
    assert problem["status"] == 422 and field in problem["errors"]
    assert row_counts() == before


def test_overflowing_number_is_422(client):
    raw = json.dumps(VALID).replace('"lat": 35.65', '"lat": 1e309')
    response = client.post("/api/v1/reports", data=raw, content_type="application/json")
    assert response.status_code == 422 and "lat" in response.get_json()["errors"]


def test_point_outside_every_jurisdiction_is_refused_in_japanese_and_english(client):
    response = post_json(client, {**VALID, **OUTSIDE})
    assert response.status_code == 422
    problem = response.get_json()
    assert "outside the areas served" in problem["detail"] and "区域外" in problem["detail_ja"]
    assert row_counts()["report"] == 0


@pytest.mark.parametrize("raw", ['{"lat": NaN}', '{"lat": Infinity}', "{not json", '[1, 2]', '{"a": 1, "a": 2}', "[" * 10000 + "]" * 10000])
def test_malformed_json_is_400(client, raw):
    response = client.post("/api/v1/reports", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.content_type == "application/problem+json"
    assert row_counts()["report"] == 0


def test_wrong_content_type_is_415(client):
    response = client.post("/api/v1/reports", data="category=road_damage", content_type="text/plain")
    assert response.status_code == 415 and response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("empty.jpg", b"", "empty"),
        ("truncated.jpg", make_jpeg((1200, 900))[:4000], "does not decode"),
        ("page.jpg", b"<html><script>alert(1)</script></html>", "not a JPEG"),
        ("vector.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="10" height="10"/></svg>', "not a JPEG"),
        ("anim.gif", make_gif(), "not a JPEG"),
    ],
)
def test_photo_that_is_not_an_accepted_image_is_422_naming_it(client, name, data, reason):
    response = post_form(client, VALID, photos=[("good.jpg", make_jpeg()), (name, data)])
    assert response.status_code == 422
    problem = response.get_json()
    assert "Photo 2" in problem["detail"] and name in problem["detail"] and reason in problem["detail"]
    assert "photos[1]" in problem["errors"]
    assert row_counts()["report"] == 0


def test_decompression_bomb_is_refused(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_IMAGE_PIXELS", 1_000_000)
    response = post_form(client, VALID, photos=[("big.png", make_png((2000, 1000)))])
    assert response.status_code == 422 and "pixels" in response.get_json()["detail"]


def test_too_many_photos_is_422(client):
    response = post_form(client, VALID, photos=[(f"{i}.jpg", make_jpeg()) for i in range(6)])
    assert response.status_code == 422 and "photos" in response.get_json()["errors"]


def test_oversized_photo_and_oversized_body_are_413(client, app, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setitem(app.config, "MAX_PHOTO_BYTES", 2000)
        response = post_form(client, VALID, photos=[("big.jpg", make_jpeg((800, 800)))])
    assert response.status_code == 413 and "photos[0]" in response.get_json()["errors"]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)
    response = post_form(client, VALID, photos=[("big.jpg", b"\xff" * 20_000)])
    assert response.status_code == 413 and response.content_type == "application/problem+json"
    assert row_counts()["report"] == 0


def test_text_is_stored_and_returned_inert(client):
    text = "'); DROP TABLE report; -- <script>alert(1)</script> \u202e emoji 🏯"
    created = post_json(client, {**VALID, "description": text}).get_json()
    response = client.get(f"/api/v1/reports/{created['id']}")
    assert response.content_type == "application/json"
    assert response.get_json()["description"] == text
    assert response.headers["X-Content-Type-Options"] == "nosniff"
