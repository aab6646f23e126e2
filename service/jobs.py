"""The small interface through which the HTTP layer asks for background work.

Jobs are sent by task name, so the web process never imports task bodies. A
job is sent only after the transaction that wrote its rows has committed; if
the broker cannot be reached the job is not lost, because the database is the
record and the periodic sweep enqueues whatever is still pending.
"""

from __future__ import annotations

import logging

from flask import current_app

log = logging.getLogger(__name__)

PROCESS_REPORT = "machikoe.process_report"
SWEEP = "machikoe.sweep"
ENRICH_ADDRESS = "machikoe.enrich_address"


class Jobs:
    def process_report(self, report_id: int) -> bool:
        """Ask a worker to process a report; False when the broker is unreachable."""
        return self._send(PROCESS_REPORT, report_id)

    def sweep(self) -> bool:
        """Ask a worker to re-enqueue reports whose processing was lost."""
        return self._send(SWEEP)

    def _send(self, name: str, *args: object) -> bool:
        celery = current_app.extensions["celery"]
        try:
            celery.send_task(name, args=list(args))
        except Exception as exc:  # noqa: BLE001  (any broker failure; the sweep recovers)
            log.warning("could not enqueue %s: %s; the sweep will pick it up", name, type(exc).__name__)
            return False
        return True


jobs = Jobs()
