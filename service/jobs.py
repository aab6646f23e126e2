"""The small interface through which the HTTP layer asks for background work.

Jobs are sent by task name, so the web process never imports task bodies. A
job is sent only after the transaction that wrote its rows has committed; if
the broker cannot be reached the job is not lost, because the database is the
record and the periodic sweep enqueues whatever is still pending.
"""

from __future__ import annotations

import logging

from flask import current_app

from service.domain.remote_media import FETCH_MEDIA

log = logging.getLogger(__name__)

PROCESS_REPORT = "machikoe.process_report"
SWEEP = "machikoe.sweep"
CHECK_PHOTOS = "machikoe.check_photos"
ENRICH_ADDRESS = "machikoe.enrich_address"
DISPATCH_EVENTS = "machikoe.dispatch_events"
DELIVER = "machikoe.deliver"
RETRY_DELIVERIES = "machikoe.retry_deliveries"
RATING_REMINDERS = "machikoe.rating_reminders"
OVERDUE = "machikoe.overdue"
NOTIFICATION_SWEEPS = (RETRY_DELIVERIES, RATING_REMINDERS, OVERDUE)
LINE_EVENTS = "machikoe.line_events"
PRIVACY_PURGE = "machikoe.privacy_purge"

# The priority of work that nothing urgent waits for (the photo check). With
# Redis, 0 is taken first and a job sent without a priority has 0; a worker
# takes one of this priority only when no queue it consumes holds one of 0,
# because kombu polls every queue's priority levels in order, 0 first.
LATER = 9


class Jobs:
    def process_report(self, report_id: int) -> bool:
        """Ask a worker to process a report; False when the broker is unreachable."""
        return self._send(PROCESS_REPORT, report_id)

    def check_photos(self, report_id: int) -> bool:
        """Ask a worker to check a routed report's photos, after every report still to be routed; the sweep resends a lost one."""
        return self._send(CHECK_PHOTOS, report_id, priority=LATER)

    def sweep(self) -> bool:
        """Ask a worker to re-enqueue reports whose processing was lost."""
        return self._send(SWEEP)

    def fetch_media(self, media_id: int) -> bool:
        """Ask a worker to fetch a photo given by URL; the sweep sends it when the broker is away."""
        return self._send(FETCH_MEDIA, media_id)

    def deliver(self, delivery_id: int) -> bool:
        """Ask a worker to attempt a delivery; the retry sweep sends it when the broker is away."""
        return self._send(DELIVER, delivery_id)

    def line_events(self, event_ids: list[int]) -> bool:
        """Ask a worker to handle stored LINE webhook events, in order."""
        return self._send(LINE_EVENTS, event_ids)

    def dispatch_events(self) -> bool:
        """Ask a worker to turn pending outbox events into deliveries."""
        return self._send(DISPATCH_EVENTS)

    def notification_sweeps(self) -> bool:
        """Ask workers to retry due deliveries, remind unrated reports and flag overdue ones."""
        # Every job is sent even when one fails, so one broker hiccup does not skip the others.
        sent = [self._send(name) for name in NOTIFICATION_SWEEPS]
        return all(sent)

    def privacy_purge(self) -> bool:
        """Ask a worker to remove the personal data whose retention has run out."""
        return self._send(PRIVACY_PURGE)

    def _send(self, name: str, *args: object, priority: int | None = None) -> bool:
        celery = current_app.extensions["celery"]
        try:
            celery.send_task(name, args=list(args), priority=priority)
        except Exception as exc:  # noqa: BLE001  (any broker failure; the sweep recovers)
            log.warning("could not enqueue %s: %s; the sweep will pick it up", name, type(exc).__name__)
            return False
        return True


jobs = Jobs()
