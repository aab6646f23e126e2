"""LINE task: handle the stored webhook events of one webhook call, in order."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from flask import current_app

from service import clock, urls
from service.channels.line import handling
from service.channels.line.client import LineApiError, LineClient, LineEndpoints
from service.extensions import db
from service.jobs import LINE_EVENTS, PROCESS_REPORT
from service.models import LineChannel, LineEvent
from service.pipeline import pipeline_for

log = logging.getLogger(__name__)


@shared_task(bind=True, name=LINE_EVENTS, acks_late=True, reject_on_worker_lost=True, ignore_result=True,
             autoretry_for=(LineApiError,), retry_backoff=2, retry_backoff_max=120, max_retries=5)
def line_events(self, event_ids: list[int]) -> None:
    try:
        for event_id in event_ids:
            row = db.session.get(LineEvent, event_id)
            if row is None or row.state == "done":
                continue
            channel = db.session.query(LineChannel).filter_by(jurisdiction_id=row.jurisdiction_id).one_or_none()
            if channel is None:
                continue
            client = LineClient(endpoints(), channel.access_token)
            try:
                handling.handle(context(client), event_id)
            finally:
                client.close()
    finally:
        db.session.remove()


def endpoints() -> LineEndpoints:
    return LineEndpoints(current_app.config["LINE_API_BASE_URL"], current_app.config["LINE_DATA_API_BASE_URL"])


def context(client: LineClient) -> handling.LineContext:
    config = current_app.config
    celery = current_app.extensions["celery"]
    return handling.LineContext(
        session=db.session(),
        store=current_app.extensions["photo_store"],
        client=client,
        secret=config["SECRET_KEY"],
        locate_address=pipeline_for(current_app).locate,
        status_url=lambda public_id: urls.join(urls.base_url(config["PUBLIC_BASE_URL"], config.get("TRUSTED_HOSTS")),
                                               f"/api/v1/reports/{public_id}"),
        now=clock.now,
        enqueue_processing=lambda report_id: celery.send_task(PROCESS_REPORT, args=[report_id]),
        max_pixels=config["MAX_IMAGE_PIXELS"],
        timeout=timedelta(minutes=config["LINE_CONVERSATION_TIMEOUT_MINUTES"]),
        rating_window_days=config["RATING_WINDOW_DAYS"],
        year_end_break=config["YEAR_END_BREAK"],
    )
