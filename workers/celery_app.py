"""Celery joined to Flask: every task runs inside the app's context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask
from kombu import Queue

from service.jobs import DELIVER, DISPATCH_EVENTS, FETCH_MEDIA, LATER, NOTIFICATION_SWEEPS, PRIVACY_PURGE

# Deliveries and media fetches wait on other people's servers, so each has a
# queue of its own: workers started with `-Q celery` keep processing reports
# however slow a receiver or a media server is.
DEFAULT_QUEUE = "celery"
NOTIFICATIONS_QUEUE = "notifications"
MEDIA_QUEUE = "media"
QUEUES = (DEFAULT_QUEUE, NOTIFICATIONS_QUEUE, MEDIA_QUEUE)


def celery_init_app(app: Flask) -> Celery:
    celery_app = joined_celery_app(app)
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def joined_celery_app(app: Flask) -> Celery:
    """A Celery app with every task, running each one inside ``app``'s context.

    The embedded default makes a second one for its media worker: a Celery app
    keeps the set of queues its worker consumes, so two workers of one process
    that consume different queues need an app each.
    """

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask, include=["workers.tasks", "workers.notifications", "workers.media", "workers.line", "workers.privacy"])
    celery_app.config_from_object(app.config["CELERY"])
    return celery_app


def celery_settings(broker_url: str, sweep_interval: float, dispatch_interval: float = 5.0,
                    notify_sweep_interval: float = 60.0, purge_interval: float = 3600.0) -> dict[str, object]:
    """Celery's configuration: the database is the record, the broker only wakes workers.

    A worker started without `-Q` consumes both queues, so no job waits for a
    worker that was never started.
    """
    # A tick that no worker took in time is dropped: the next one does the same work.
    periodic = {
        "dispatch_events": {"task": DISPATCH_EVENTS, "schedule": dispatch_interval, "options": {"expires": dispatch_interval}},
        **{name.rsplit(".", 1)[1]: {"task": name, "schedule": notify_sweep_interval, "options": {"expires": notify_sweep_interval}}
           for name in NOTIFICATION_SWEEPS},
        "privacy_purge": {"task": PRIVACY_PURGE, "schedule": purge_interval, "options": {"expires": purge_interval}},
    }
    return {
        "broker_url": broker_url,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        # Publishing must not hang a request when Redis is away: fail fast, the sweep recovers.
        "task_publish_retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
        "broker_transport_options": {"socket_connect_timeout": 2, "socket_timeout": 5, "visibility_timeout": 3600,
                                     "priority_steps": [0, LATER]},
        "worker_hijack_root_logger": False,
        "task_default_queue": DEFAULT_QUEUE,
        "task_queues": tuple(Queue(name) for name in QUEUES),
        "task_routes": {DELIVER: {"queue": NOTIFICATIONS_QUEUE}, FETCH_MEDIA: {"queue": MEDIA_QUEUE}},
        "beat_schedule": {"sweep": {"task": "machikoe.sweep", "schedule": sweep_interval}, **periodic},
    }
