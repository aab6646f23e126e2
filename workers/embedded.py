"""A real Celery worker inside the `machikoe serve` process, for the embedded default.

With the in-memory broker, producer and consumer must share one process. The
worker runs the same tasks as a deployed worker (solo pool, not eager mode),
and small timers send the periodic jobs, as beat does in a deployment; the
worker consumes the notifications queue as well as the default one.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from workers.celery_app import QUEUES

log = logging.getLogger(__name__)


def start_embedded_worker(app: Flask) -> threading.Thread:
    celery_app = app.extensions["celery"]
    worker = celery_app.WorkController(
        pool_cls="solo",
        concurrency=1,
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
        hostname="embedded@machikoe",
        queues=list(QUEUES),
    )
    thread = threading.Thread(target=worker.start, name="machikoe-worker", daemon=True)
    thread.start()
    _start_sweep_timer(app, float(app.config["SWEEP_INTERVAL_SECONDS"]))
    _start_sweep_timer(app, float(app.config["NOTIFY_DISPATCH_INTERVAL_SECONDS"]), "dispatch_events")
    _start_sweep_timer(app, float(app.config["NOTIFY_SWEEP_INTERVAL_SECONDS"]), "notification_sweeps")
    log.info("embedded worker started")
    return thread


def _start_sweep_timer(app: Flask, interval: float, job: str = "sweep") -> None:
    """Send ``jobs.<job>()`` now and then every ``interval`` seconds, as beat does in a deployment."""
    from service.jobs import jobs

    def tick() -> None:
        stop = threading.Event()
        # The first sweep runs at once, so reports left pending by the last
        # stop are processed without waiting a whole interval.
        while True:
            with app.app_context():
                getattr(jobs, job)()
            if stop.wait(interval):
                return

    threading.Thread(target=tick, name=f"machikoe-{job}-timer", daemon=True).start()
