"""The photo step inside processing: originals given up when so set, a failing store retried later."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from service.domain import processing
from service.extensions import db
from service.pipeline import pipeline_for
from tests.pipeline.support import event_count, files_under, phone_photo, photos_of, post_report, report_row, routed_entries
from tests.worker import processed_by_worker


def test_original_is_deleted_once_the_derivatives_are_recorded_when_originals_are_not_kept(app, client):
    pipeline = pipeline_for(app)
    pipeline = replace(pipeline, settings=replace(pipeline.settings, keep_originals=False))
    created = post_report(client, photos=[phone_photo()])
    [photo] = photos_of(report_row(created["id"]))
    original_key = photo.original_key
    assert pipeline.store.exists(original_key)

    assert processed_by_worker(db.session, report_row(created["id"]).id, pipeline)

    [photo] = photos_of(report_row(created["id"]))
    assert photo.state == "ready" and photo.original_key is None
    assert not pipeline.store.exists(original_key)
    assert pipeline.store.exists(photo.large_key) and pipeline.store.exists(photo.thumb_key)
    assert photo.exif_lat == pytest.approx(35.650)
    public = client.get(f"/api/v1/reports/{created['id']}").get_json()
    assert public["processing"] == "done" and len(public["photos"]) == 1
    assert client.get(public["photos"][0]["large_url"]).status_code == 200


def test_an_original_two_photos_share_stays_until_the_last_is_processed_when_originals_are_not_kept(app, client):
    # Originals stored before each photo had its own were named by content alone, and could be shared.
    pipeline = pipeline_for(app)
    pipeline = replace(pipeline, settings=replace(pipeline.settings, keep_originals=False))
    first, second = post_report(client, photos=[phone_photo()]), post_report(client, photos=[phone_photo()])
    [kept] = photos_of(report_row(second["id"]))
    [shared] = photos_of(report_row(first["id"]))
    key = shared.original_key = kept.original_key
    db.session.commit()

    assert processed_by_worker(db.session, report_row(first["id"]).id, pipeline)
    assert pipeline.store.exists(key)
    assert processed_by_worker(db.session, report_row(second["id"]).id, pipeline)
    [done] = photos_of(report_row(second["id"]))
    assert done.state == "ready" and not pipeline.store.exists(key)


def test_store_that_cannot_write_derivatives_leaves_the_report_pending_and_untouched_until_it_can(app, client):
    pipeline = pipeline_for(app)
    created = post_report(client, photos=[phone_photo()])
    report_id = report_row(created["id"]).id
    [photo] = photos_of(report_row(created["id"]))
    # A file where the photo's derivatives directory should be: every write below it fails.
    blocker = Path(app.config["PHOTO_DIR"]) / "derivatives" / photo.public_id
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"")

    with pytest.raises(processing.TemporaryFailure, match="photo store"):
        processed_by_worker(db.session, report_id, pipeline)

    db.session.expire_all()
    report = report_row(created["id"])
    assert report.processing_state == "pending" and "photo store" in report.processing_error
    assert report.processing_steps in ({}, None) and report.department_id is None
    assert [p.state for p in photos_of(report)] == ["stored"]
    assert routed_entries(report) == [] and event_count(report, "report.routed") == 0
    assert client.get(f"/api/v1/reports/{created['id']}").get_json()["photos"] == []

    blocker.unlink()
    assert processed_by_worker(db.session, report_id, pipeline)

    db.session.expire_all()
    report = report_row(created["id"])
    assert report.processing_state == "done" and report.processing_error is None
    assert [p.state for p in photos_of(report)] == ["ready"]
    assert len(routed_entries(report)) == 1 and event_count(report, "report.routed") == 1
    assert len(files_under(blocker)) == 2
    assert len(client.get(f"/api/v1/reports/{created['id']}").get_json()["photos"]) == 1
