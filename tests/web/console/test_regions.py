"""Redacting part of a photo from its page: boxes typed or drawn, kept or removed, and the public derivative blurred."""

from __future__ import annotations

import io
import random
import re
from statistics import pvariance

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from service.extensions import db
from service.models import Photo, Report
from service.pipeline import pipeline_for
from tests.web.console.conftest import csrf_token
from tests.worker import processed_by_worker

# The box the tests blur, in fractions of the photo: its middle.
BOX = (0.375, 0.375, 0.25, 0.25)


def textured_jpeg(width: int = 320, height: int = 240) -> bytes:
    """A photo of coarse noise: blurring flattens it, so a blurred area shows in the pixels' variance."""
    rng = random.Random(14)
    small = Image.new("L", (width // 8, height // 8))
    small.putdata([rng.randrange(256) for _ in range(small.width * small.height)])
    buf = io.BytesIO()
    small.resize((width, height), Image.NEAREST).convert("RGB").save(buf, "JPEG", quality=95)
    return buf.getvalue()


@pytest.fixture()
def textured(client, keys) -> tuple[str, bytes]:
    original = textured_jpeg()
    response = client.post("/api/v1/reports", data={"category": "road_damage", "description": "顔が写っています",
                                                     "lat": "35.65", "lon": "139.78", "photos": [(io.BytesIO(original), "a.jpg")]},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    public_id = response.get_json()["id"]
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    processed_by_worker(db.session, report.id, pipeline_for(client.application))
    photo = db.session.scalars(select(Photo).where(Photo.report_id == report.id)).one()
    assert photo.state == "ready", photo.state
    return photo.public_id, original


def photo(public_id: str) -> Photo:
    db.session.expire_all()
    return db.session.scalars(select(Photo).where(Photo.public_id == public_id)).one()


def grey(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("L")


def pixels(image: Image.Image, box: tuple[float, float, float, float]) -> list[int]:
    left, top, width, height = box
    w, h = image.size
    return list(image.crop((int(left * w), int(top * h), int((left + width) * w), int((top + height) * h))).tobytes())


def assert_blurred_inside_only(app: Flask, client, public_id: str, original: bytes) -> None:
    """The public large derivative is flat inside BOX and as the staff one far outside; the original is as uploaded."""
    row = photo(public_id)
    store = app.extensions["photo_store"]
    sharp, public = grey(store.get(row.large_key)), grey(client.get(f"/api/v1/photos/{public_id}/large").data)
    assert public.size == sharp.size
    inside = pixels(public, BOX)
    assert pvariance(inside) < pvariance(pixels(sharp, BOX)) / 10
    corner = (0.0, 0.0, 0.2, 0.2)  # well outside the box and its margin
    difference = [abs(a - b) for a, b in zip(pixels(public, corner), pixels(sharp, corner), strict=True)]
    assert sum(difference) / len(difference) < 4
    assert store.get(row.original_key) == original


def test_a_manager_types_a_box_and_the_public_photo_is_blurred_there(app, client, signed_in_client, textured):
    public_id, original = textured
    manager = signed_in_client("manager road")
    page = manager.get(f"/staff/photos/{public_id}/regions").get_data(as_text=True)
    assert "ぼかしはありません。" in page and f"/staff/photos/{public_id}/large" in page and "regions.js" in page
    left, top, width, height = (f"{v * 100:.1f}" for v in BOX)
    saved = manager.post(f"/staff/photos/{public_id}/regions", follow_redirects=True, data={
        "csrf_token": csrf_token(page), "regions_version": "0",
        "left": [left, ""], "top": [top, ""], "width": [width, ""], "height": [height, ""], "kind": ["face", "other"]})
    shown = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "ぼかしを保存しました。" in shown and "顔（職員）" in shown
    row = photo(public_id)
    assert row.regions_version == 1 and [(r.kind, r.source) for r in row.active_regions()] == [("face", "staff")]
    assert_blurred_inside_only(app, client, public_id, original)


def test_a_box_is_removed_by_unticking_it_and_stays_on_record(app, client, signed_in_client, textured):
    public_id, _original = textured
    manager = signed_in_client("manager road")
    page = manager.get(f"/staff/photos/{public_id}/regions").get_data(as_text=True)
    manager.post(f"/staff/photos/{public_id}/regions", data={
        "csrf_token": csrf_token(page), "regions_version": "0", "left": "10", "top": "10", "width": "20", "height": "20",
        "kind": "plate"})
    page = manager.get(f"/staff/photos/{public_id}/regions").get_data(as_text=True)
    assert re.search(r'name="keep" value="\d+" checked', page)
    removed = manager.post(f"/staff/photos/{public_id}/regions", follow_redirects=True,
                           data={"csrf_token": csrf_token(page), "regions_version": "1"})
    shown = removed.get_data(as_text=True)
    assert "ぼかしはありません。" in shown and "外したぼかし" in shown and "ナンバープレート（職員）" in shown
    row = photo(public_id)
    assert row.active_regions() == [] and len(row.regions) == 1 and row.regions_version == 2
    # With no region left, the public photo is the sharp one again.
    assert client.get(f"/api/v1/photos/{public_id}/large").data == app.extensions["photo_store"].get(row.large_key)


def test_a_clerk_reads_the_boxes_but_cannot_change_them(signed_in_client, textured):
    public_id, _original = textured
    clerk = signed_in_client("staff road")
    page = clerk.get(f"/staff/photos/{public_id}/regions").get_data(as_text=True)
    assert "ぼかしを保存する" not in page and "regions.js" not in page
    refused = clerk.post(f"/staff/photos/{public_id}/regions", data={
        "csrf_token": csrf_token(page), "regions_version": "0", "left": "10", "top": "10", "width": "20", "height": "20"})
    assert refused.status_code == 403 and "写真のぼかしは課長と管理者が行います。" in refused.get_data(as_text=True)
    assert photo(public_id).regions == []
    assert signed_in_client("staff parks").get(f"/staff/photos/{public_id}/regions").status_code == 403


def test_a_stale_or_wrong_box_is_refused_with_what_was_typed_kept(signed_in_client, textured):
    public_id, _original = textured
    manager = signed_in_client("manager road")
    page = manager.get(f"/staff/photos/{public_id}/regions").get_data(as_text=True)
    outside = manager.post(f"/staff/photos/{public_id}/regions", data={
        "csrf_token": csrf_token(page), "regions_version": "0", "left": "90", "top": "10", "width": "20", "height": "20"})
    text = outside.get_data(as_text=True)
    assert outside.status_code == 422 and "写真の中に収まる0〜100の数" in text and 'value="90"' in text
    stale = manager.post(f"/staff/photos/{public_id}/regions", data={
        "csrf_token": csrf_token(page), "regions_version": "7", "left": "12.5", "top": "10", "width": "20", "height": "20"})
    assert stale.status_code == 409 and "他の職員が更新しました" in stale.get_data(as_text=True)
    assert 'value="12.5"' in stale.get_data(as_text=True)
    assert photo(public_id).regions == [] and photo(public_id).regions_version == 0
