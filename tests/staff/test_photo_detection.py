"""Faces the photo step finds are blurred in public; a photo whose detector failed waits for staff, then is released."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from service.domain import processing
from service.extensions import db
from service.models import Photo, PhotoRegion, Report
from service.photos import detection
from service.photos.regions import Box
from service.pipeline import pipeline_for
from tests.photos.test_detection import LABELS, STREET, detail
from tests.staff.conftest import Keys
from tests.worker import processed_by_worker


@pytest.fixture()
def street_report(client, keys: Keys) -> str:
    response = client.post("/api/v1/reports", data={"category": "road_damage", "description": "歩道が混んでいます", "lat": "35.65",
                                                     "lon": "139.78", "photos": [(io.BytesIO((STREET / "city.jpg").read_bytes()), "city.jpg")]},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def process(client, public_id: str) -> None:
    report_id = db.session.scalar(select(Report.id).where(Report.public_id == public_id))
    processed_by_worker(db.session, report_id, pipeline_for(client.application))


def fetched(client, url: str, **headers) -> Image.Image:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.data)).convert("RGB")


def test_the_photo_step_blurs_the_faces_it_finds_in_public_only(client, keys, street_report):
    process(client, street_report)

    photo = db.session.scalar(select(Photo).join(Report).where(Report.public_id == street_report))
    regions = db.session.scalars(select(PhotoRegion).where(PhotoRegion.photo_id == photo.id)).all()
    assert len(regions) >= len(LABELS["city.jpg"]["faces"])
    assert all(region.source == "detector" and region.kind == "face" and region.score for region in regions)
    shown = client.get(f"/api/v1/reports/{street_report}").get_json()
    assert shown["photo_state"] == "complete"
    public = fetched(client, shown["photos"][0]["large_url"])
    staff = fetched(client, f"/api/v1/staff/photos/{photo.public_id}/large", **keys.header("road_staff"))
    for face in LABELS["city.jpg"]["faces"]:
        assert detail(public, Box(*face)) < 0.3 * detail(staff, Box(*face)), face
    listed = client.get(f"/api/v1/staff/photos/{photo.public_id}/regions", headers=keys.header("road_staff")).get_json()
    assert {region["source"] for region in listed["regions"]} == {"detector"}


def test_a_routed_report_shows_its_photo_only_once_the_detector_has_looked(client, keys, street_report):
    report_id = db.session.scalar(select(Report.id).where(Report.public_id == street_report))
    pipeline = pipeline_for(client.application)
    assert processing.process(db.session, report_id, pipeline)

    # Routed, and staff already see the sharp photo; nothing of it is public yet.
    answer = client.get(f"/api/v1/reports/{street_report}")
    shown, etag = answer.get_json(), answer.headers["ETag"]
    assert shown["department"] == "道路課"
    assert shown["photo_state"] == "pending" and shown["photos"] == []
    photo = db.session.scalar(select(Photo).join(Report).where(Report.public_id == street_report))
    assert photo.state == "awaiting_detection"
    assert client.get(f"/api/v1/photos/{photo.public_id}/large").status_code == 404
    staff_view = client.get(f"/api/v1/staff/reports/{street_report}", headers=keys.header("road_staff")).get_json()
    assert staff_view["photos"][0]["state"] == "awaiting_detection"
    fetched(client, staff_view["photos"][0]["large_url"].removeprefix("http://localhost"), **keys.header("road_staff"))
    # Staff cannot draw regions on a photo the detector is still to see.
    refused = client.put(f"/api/v1/staff/photos/{photo.public_id}/regions", headers=keys.header("road_manager"),
                         json={"regions": [{"left": 0.1, "top": 0.1, "width": 0.2, "height": 0.2}]})
    assert refused.status_code == 409, refused.get_json()
    assert "awaiting_detection" in refused.get_json()["detail"]

    assert processing.check_photos(db.session, report_id, pipeline) == 1
    # A second check (a job sent twice) finds nothing left to do.
    assert processing.check_photos(db.session, report_id, pipeline) == 0
    # A poll with the ETag of before learns that the view changed.
    polled = client.get(f"/api/v1/reports/{street_report}", headers={"If-None-Match": etag})
    assert polled.status_code == 200
    shown = polled.get_json()
    assert shown["photo_state"] == "complete" and len(shown["photos"]) == 1
    public = fetched(client, shown["photos"][0]["large_url"])
    staff = fetched(client, f"/api/v1/staff/photos/{photo.public_id}/large", **keys.header("road_staff"))
    for face in LABELS["city.jpg"]["faces"]:
        assert detail(public, Box(*face)) < 0.3 * detail(staff, Box(*face)), face


@pytest.fixture()
def missing_model(monkeypatch):
    """The shipped model file is gone, as after a broken install."""
    def gone() -> bytes:
        raise FileNotFoundError("centerface.onnx")

    detection.face_detector.cache_clear()
    monkeypatch.setattr(detection, "_centerface_model", gone)
    yield
    detection.face_detector.cache_clear()


def test_a_photo_whose_detector_failed_waits_for_staff_and_is_public_once_released(client, keys, street_report, missing_model):
    process(client, street_report)

    shown = client.get(f"/api/v1/reports/{street_report}").get_json()
    assert shown["photo_state"] == "pending" and shown["photos"] == []
    photo = db.session.scalar(select(Photo).join(Report).where(Report.public_id == street_report))
    assert client.get(f"/api/v1/photos/{photo.public_id}/large").status_code == 404
    staff_view = client.get(f"/api/v1/staff/reports/{street_report}", headers=keys.header("road_staff")).get_json()
    assert staff_view["photos"][0]["state"] == "awaiting_review"
    staff = fetched(client, staff_view["photos"][0]["large_url"].removeprefix("http://localhost"), **keys.header("road_staff"))

    face = LABELS["city.jpg"]["faces"][0]
    released = client.put(f"/api/v1/staff/photos/{photo.public_id}/regions",
                          data=json.dumps({"regions": [dict(zip(("left", "top", "width", "height"), face, strict=True))]}),
                          content_type="application/json", headers=keys.header("road_manager"))

    assert released.status_code == 200, released.get_json()
    shown = client.get(f"/api/v1/reports/{street_report}").get_json()
    assert shown["photo_state"] == "complete" and len(shown["photos"]) == 1
    public = fetched(client, shown["photos"][0]["large_url"])
    assert detail(public, Box(*face)) < 0.3 * detail(staff, Box(*face))


def test_the_sweep_finds_the_photos_whose_check_was_lost(client, street_report):
    report_id = db.session.scalar(select(Report.id).where(Report.public_id == street_report))
    pipeline = pipeline_for(client.application)
    assert processing.process(db.session, report_id, pipeline)
    # Its check job never arrived (the broker was away when it was sent).
    assert processing.unchecked_photos(db.session, older_than_seconds=60) == []
    report = db.session.get(Report, report_id)
    report.processed_at -= timedelta(seconds=61)
    db.session.commit()

    assert processing.unchecked_photos(db.session, older_than_seconds=60) == [report_id]
    processing.check_photos(db.session, report_id, pipeline)
    assert processing.unchecked_photos(db.session, older_than_seconds=60) == []
