"""Celery joined to Flask: every task runs inside the app's context."""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask, include=["workers.tasks", "workers.notifications", "workers.media"])
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def celery_settings(broker_url: str, sweep_interval: float) -> dict[str, object]:
    """Celery's configuration: the database is the record, the broker only wakes workers."""
    return {
        "broker_url": broker_url,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        # Publishing must not hang a request when Redis is away: fail fast, the sweep recovers.
        "task_publish_retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5},
        "broker_transport_options": {"socket_connect_timeout": 2, "socket_timeout": 5, "visibility_timeout": 3600},
        "worker_hijack_root_logger": False,
        "beat_schedule": {"sweep": {"task": "machikoe.sweep", "schedule": sweep_interval}},
    }
