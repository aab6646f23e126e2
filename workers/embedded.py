"""Real Celery workers inside the `machikoe serve` process, for the embedded default.

With the in-memory broker, producer and consumer must share one process. The
workers run the same tasks as a deployed worker (solo pool, not eager mode),
and small timers send the periodic jobs, as beat does in a deployment. One
worker processes reports and delivers notifications; remote media has a
worker of its own, so a media server that answers slowly, or not at all,
never holds a resident's report: media is never fetched ahead of, or instead
of, report processing.
"""

from __future__ import annotations

import logging
import threading

from celery import Celery
from flask import Flask

from workers.celery_app import DEFAULT_QUEUE, MEDIA_QUEUE, NOTIFICATIONS_QUEUE, joined_celery_app

log = logging.getLogger(__name__)

REPORT_QUEUES = (DEFAULT_QUEUE, NOTIFICATIONS_QUEUE)
# Media fetches at once: each mostly waits on a remote server, so a few slow
# ones leave room for the others.
MEDIA_FETCHES = 4


def start_embedded_worker(app: Flask) -> threading.Thread:
    """Start the workers and the periodic timers; return the report worker's thread."""
    celery_app = app.extensions["celery"]
    thread = _start_worker(celery_app, celery_app, "embedded@machikoe", REPORT_QUEUES)
    _start_worker(celery_app, joined_celery_app(app), "embedded-media@machikoe", (MEDIA_QUEUE,), threads=MEDIA_FETCHES)
    _start_sweep_timer(app, float(app.config["SWEEP_INTERVAL_SECONDS"]))
    _start_sweep_timer(app, float(app.config["NOTIFY_DISPATCH_INTERVAL_SECONDS"]), "dispatch_events")
    _start_sweep_timer(app, float(app.config["NOTIFY_SWEEP_INTERVAL_SECONDS"]), "notification_sweeps")
    _start_sweep_timer(app, float(app.config["PRIVACY_PURGE_INTERVAL_SECONDS"]), "privacy_purge")
    log.info("embedded workers started")
    return thread


def _start_worker(celery_app: Celery, worker_app: Celery, hostname: str, queues: tuple[str, ...], *,
                  threads: int = 0) -> threading.Thread:
    """A worker of ``worker_app`` on ``queues``, solo or with ``threads`` threads.

    It is made by the main app's WorkController, so whoever keeps track of
    that app's workers (a test) sees this one too.
    """
    worker = celery_app.WorkController(
        app=worker_app,
        pool_cls="threads" if threads else "solo",
        concurrency=threads or 1,
        without_heartbeat=True,
        without_mingle=True,
        without_gossip=True,
        hostname=hostname,
        queues=list(queues),
    )
    thread = threading.Thread(target=worker.start, name=f"machikoe-worker-{hostname.split('@')[0]}", daemon=True)
    thread.start()
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
