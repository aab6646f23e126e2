"""A report goes through a real Celery worker process on Redis and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from PIL import Image
from sqlalchemy import select

from service.domain import processing
from service.domain.routing import FALLBACK_REASON
from service.extensions import db
from service.jobs import CHECK_PHOTOS, PROCESS_REPORT, jobs
from service.models import Category, Department, RoutingRule
from service.pipeline import pipeline_for
from tests.conftest import make_jpeg
from tests.pipeline.support import (
    event_count,
    files_under,
    phone_photo,
    photos_of,
    post_report,
    published,
    report_row,
    routed_entries,
    wait_until,
)


def road_damage_rule_id() -> int:
    return db.session.scalar(
        select(RoutingRule.id).join(Category, RoutingRule.category_id == Category.id)
        .where(Category.code == "road_damage", RoutingRule.area_id.is_(None))
    )


def derivative_dir(app: Flask) -> Path:
    return Path(app.config["PHOTO_DIR"]) / "derivatives"


def test_report_posted_through_redis_is_routed_by_worker_with_clean_public_photo(worker_app, start_worker):
    worker = start_worker()
    client = worker_app.test_client()
    created = post_report(client, photos=[phone_photo()])
    assert created["status"] == "received"

    wait_until(lambda: published(created["id"]), what="processing and the photo check by the worker", workers=[worker])

    public = client.get(f"/api/v1/reports/{created['id']}").get_json()
    assert public["processing"] == "done"
    assert public["department"] == "道路課"
    assert public["address"] == "みなと市中央区" and public["ward"] == "中央区"
    assert len(public["photos"]) == 1
    large = client.get(public["photos"][0]["large_url"])
    assert large.status_code == 200 and large.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(large.data))
    assert image.format == "JPEG"
    # The phone stored 2400x1800 pixels sideways; upright and bounded it is 1200x1600.
    assert image.size == (1200, 1600)
    assert max(image.size) <= 1600
    top, bottom = image.convert("RGB").getpixel((600, 100)), image.convert("RGB").getpixel((600, 1500))
    assert top[0] > 180 and top[2] < 80, f"top is not red: {top}"
    assert bottom[2] > 180 and bottom[0] < 80, f"bottom is not blue: {bottom}"
    assert len(image.getexif()) == 0 and "exif" not in image.info
    assert b"SECRET" not in large.data

    report = report_row(created["id"])
    assert event_count(report, "report.routed") == 1
    [routed] = routed_entries(report)
    rule_id = road_damage_rule_id()
    assert routed.details["rule_id"] == rule_id
    assert routed.details["reason"] == f"rule {rule_id}: category road_damage anywhere"
    assert routed.details["department_id"] == db.session.scalar(select(Department.id).where(Department.name_ja == "道路課"))


def test_job_delivered_twice_to_two_workers_takes_effect_once(worker_app, broker_down_app, start_worker):
    # Intake with the broker away sends no job, so the two sent below are the only deliveries.
    created = post_report(broker_down_app.test_client(), photos=[phone_photo()])
    report = report_row(created["id"])
    before = files_under(derivative_dir(worker_app))

    assert jobs.process_report(report.id) and jobs.process_report(report.id)
    workers = [start_worker("twice"), start_worker("twice")]

    wait_until(lambda: sum(w.succeeded(PROCESS_REPORT) for w in workers) == 2, what="both deliveries", workers=workers)
    report = report_row(created["id"])
    assert report.processing_state == "done" and report.processing_attempts == 1
    [photo] = photos_of(report)
    assert files_under(derivative_dir(worker_app)) - before == {
        f"{photo.public_id}/large.jpg",
        f"{photo.public_id}/thumb.jpg",
    }
    assert len(routed_entries(report)) == 1
    assert event_count(report, "report.routed") == 1


def test_photo_that_fails_to_decode_in_worker_is_rejected_and_report_completes(worker_app, start_worker):
    client = worker_app.test_client()
    good, damaged = make_jpeg((800, 600), (20, 140, 60)), make_jpeg((800, 600), (201, 77, 13))
    created = post_report(client, category="other", photos=[good, damaged])
    report = report_row(created["id"])
    # The stored original breaks after intake accepted it (a bad disk, a partial copy).
    broken = photos_of(report)[1]
    worker_app.extensions["photo_store"].put(broken.original_key, damaged[: len(damaged) // 3], "image/jpeg")

    worker = start_worker()
    wait_until(lambda: published(created["id"]), what="processing and the photo check by the worker", workers=[worker])

    kept, rejected = photos_of(report_row(created["id"]))
    assert kept.state == "ready"
    assert rejected.state == "rejected" and rejected.reject_reason
    assert rejected.large_key is None and rejected.thumb_key is None
    public = client.get(f"/api/v1/reports/{created['id']}").get_json()
    assert public["processing"] == "done" and public["department"] == "広聴課"
    assert len(public["photos"]) == 1
    assert client.get(public["photos"][0]["large_url"]).status_code == 200
    [routed] = routed_entries(report_row(created["id"]))
    assert routed.details["reason"] == FALLBACK_REASON



def test_worker_with_a_pool_of_threads_processes_reports_side_by_side_each_with_its_own_photo(worker_app, start_worker):
    client = worker_app.test_client()
    tops = [(230, 20 + 40 * i, 20) for i in range(6)]
    created = [post_report(client, photos=[phone_photo((1200, 900), top=top)], lat=35.650 + 0.0001 * i)
               for i, top in enumerate(tops)]

    worker = start_worker(threads=3)
    for report in created:
        wait_until(lambda report=report: published(report["id"]), what="processing and the photo check by the threads", workers=[worker])

    derivatives = files_under(derivative_dir(worker_app))
    for report, top in zip(created, tops):
        public = client.get(f"/api/v1/reports/{report['id']}").get_json()
        assert public["department"] == "道路課" and public["address"] == "みなと市中央区"
        [photo] = public["photos"]
        large = Image.open(io.BytesIO(client.get(photo["large_url"]).data)).convert("RGB")
        assert large.size == (900, 1200)
        # Each report shows the photo it was sent with, upright.
        assert all(abs(a - b) < 12 for a, b in zip(large.getpixel((450, 100)), top)), (large.getpixel((450, 100)), top)
        row = report_row(report["id"])
        assert len(routed_entries(row)) == 1 and event_count(row, "report.routed") == 1
        [stored] = photos_of(row)
        assert {f for f in derivatives if f.startswith(f"{stored.public_id}/")} == {
            f"{stored.public_id}/large.jpg", f"{stored.public_id}/thumb.jpg"}


def test_photo_checks_wait_behind_every_report_still_to_be_routed(worker_app, start_worker):
    client = worker_app.test_client()
    # One routed report whose photo check is already waiting in the broker ...
    first = post_report(client, photos=[phone_photo((1200, 900))])
    first_id = report_row(first["id"]).id
    assert processing.process(db.session, first_id, pipeline_for(worker_app))
    assert jobs.check_photos(first_id)
    # ... then three reports to route, sent after it.
    later = [post_report(client, photos=[phone_photo((1200, 900), top=(20, 40 * i, 200))], lat=35.650 + 0.0001 * i)
             for i in range(3)]

    worker = start_worker()
    for report in [first, *later]:
        wait_until(lambda report=report: published(report["id"]), what="processing and the photo check", workers=[worker])

    finished = [PROCESS_REPORT if f"Task {PROCESS_REPORT}[" in line else CHECK_PHOTOS
                for line in worker.log().splitlines()
                if " succeeded in " in line and (f"Task {PROCESS_REPORT}[" in line or f"Task {CHECK_PHOTOS}[" in line)]
    # The first report's own job (found done) and the three later ones are
    # all taken before any check, although that check was sent first.
    assert finished == [PROCESS_REPORT] * 4 + [CHECK_PHOTOS] * 4, finished
    assert all(client.get(f"/api/v1/reports/{r['id']}").get_json()["photo_state"] == "complete" for r in [first, *later])
