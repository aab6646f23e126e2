"""Task bodies. Thin: each one calls domain code with the app's pipeline."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from flask import current_app

from service import clock
from service.channels.line import store_events
from service.domain import processing, remote_media
from service.domain.remote_media import FETCH_MEDIA
from service.extensions import db
from service.jobs import CHECK_PHOTOS, ENRICH_ADDRESS, LINE_EVENTS, PROCESS_REPORT, SWEEP, jobs
from service.pipeline import pipeline_for

log = logging.getLogger(__name__)

# Jobs on a report that a passing outage (database, photo store) must not
# lose: acknowledged once done, taken again when their worker is lost, and
# retried with a growing wait.
RETRIED: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "autoretry_for": (processing.TemporaryFailure,),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(bind=True, name=PROCESS_REPORT, **RETRIED)
def process_report(self, report_id: int) -> None:
    try:
        finished = processing.process(db.session(), report_id, pipeline_for(current_app))
    except processing.TemporaryFailure as exc:
        if self.request.retries >= self.max_retries:
            processing.mark_failed(db.session(), report_id, f"gave up after {self.request.retries} retries: {exc}")
            return
        raise
    finally:
        db.session.remove()
    if finished and current_app.config["PHOTO_DETECTION"]:
        jobs.check_photos(report_id)


@shared_task(bind=True, name=CHECK_PHOTOS, **RETRIED)
def check_photos(self, report_id: int) -> int:
    """Let the detector look at a routed report's photos and publish them."""
    try:
        return processing.check_photos(db.session(), report_id, pipeline_for(current_app))
    finally:
        db.session.remove()


@shared_task(name=SWEEP, ignore_result=True)
def sweep() -> int:
    """Re-enqueue reports whose job was lost (broker down at intake, worker killed)."""
    try:
        ids = processing.sweep(db.session(), older_than_seconds=current_app.config["SWEEP_AFTER_SECONDS"])
    finally:
        db.session.remove()
    for report_id in ids:
        process_report.delay(report_id)
    if ids:
        log.info("sweep re-enqueued %d reports", len(ids))
    if current_app.config["PHOTO_DETECTION"]:
        try:
            unchecked = processing.unchecked_photos(db.session(), older_than_seconds=current_app.config["SWEEP_AFTER_SECONDS"])
        finally:
            db.session.remove()
        for report_id in unchecked:
            jobs.check_photos(report_id)
    try:
        media = remote_media.pending_media(db.session(), stale_after_seconds=current_app.config["SWEEP_AFTER_SECONDS"])
    finally:
        db.session.remove()
    for media_id in media:
        current_app.extensions["celery"].send_task(FETCH_MEDIA, args=[media_id])
    try:
        line_events = store_events.stale(db.session(), current_app.config["SWEEP_AFTER_SECONDS"], clock.now())
    finally:
        db.session.remove()
    if line_events:
        current_app.extensions["celery"].send_task(LINE_EVENTS, args=[line_events])
    if current_app.config["GEOCODER"] != "offline":
        try:
            approximate = processing.approximate_addresses(db.session(), older_than_seconds=current_app.config["ENRICH_AFTER_SECONDS"])
        finally:
            db.session.remove()
        for report_id in approximate:
            enrich_address.delay(report_id)
    return len(ids)


@shared_task(name=ENRICH_ADDRESS, ignore_result=True, acks_late=True)
def enrich_address(report_id: int) -> bool:
    """Replace an approximate (offline) address once the geocoder answers again."""
    try:
        return processing.enrich_address(db.session(), report_id, pipeline_for(current_app))
    finally:
        db.session.remove()
