"""Tasks that fetch photos given by URL."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from service.domain import outbound, remote_media
from service.extensions import db
from service.pipeline import pipeline_for


def fetch_limits() -> remote_media.FetchLimits:
    """The fetch limits from the app's settings."""
    config = current_app.config
    return remote_media.FetchLimits(
        max_bytes=config["MAX_PHOTO_BYTES"],
        timeout=config["MEDIA_FETCH_TIMEOUT"],
        max_pixels=config["MAX_IMAGE_PIXELS"],
        max_redirects=config["MEDIA_FETCH_MAX_REDIRECTS"],
        outbound_policy=outbound.configured(config),
    )


@shared_task(
    bind=True,
    name=remote_media.FETCH_MEDIA,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    autoretry_for=(remote_media.MediaUnavailable,),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=3,
)
def fetch_media(self, remote_media_id: int) -> str:
    """Fetch one media_url into a photo of its report; a refused URL is recorded, not retried."""
    try:
        return remote_media.fetch_media(db.session(), remote_media_id, pipeline_for(current_app), fetch_limits())
    except remote_media.MediaUnavailable as exc:
        if self.request.retries >= self.max_retries:
            remote_media.finish(db.session(), remote_media_id, "failed", f"gave up after {self.request.retries} retries: {exc}")
            return "failed"
        raise
    finally:
        db.session.remove()
