"""Tasks that deliver outbox events to subscribers, and the clock's own events.

Deliveries travel in batches: one job carries the ids of up to
``DELIVERY_BATCH`` deliveries and attempts those still due. Retries live in
the database, not in Celery: a failed attempt sets the delivery's next attempt
time, a short wait is scheduled as a countdown and the retry sweep picks up the
rest, so a lost message or a killed worker only delays a delivery.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import requests
from celery import Celery, Task, shared_task
from flask import current_app

from service import urls
from service.channels.line.client import LineEndpoints
from service.domain import notifications, outbound, reminders
from service.domain.mail import Mailer, SmtpMailer
from service.extensions import db
from service.jobs import DELIVER, DISPATCH_EVENTS, OVERDUE, RATING_REMINDERS, RETRY_DELIVERIES
from service.models.types import utcnow

log = logging.getLogger(__name__)

DISPATCH_BATCH = 200
# Deliveries per job: enough to share the claim and the commits among many,
# few enough that one job ends quickly and leaves the worker to the next.
DELIVERY_BATCH = 50
DISPATCH_ROUNDS = 10
# Longer waits are left to the retry sweep, so workers do not hold many delayed messages.
LONGEST_COUNTDOWN_SECONDS = 300


def delivery_policy(config: dict[str, Any]) -> notifications.DeliveryPolicy:
    return notifications.DeliveryPolicy(max_attempts=config["NOTIFY_MAX_ATTEMPTS"], timeout=config["NOTIFY_TIMEOUT"],
                                        backoff_base=config["NOTIFY_BACKOFF_BASE_SECONDS"],
                                        backoff_cap=config["NOTIFY_BACKOFF_CAP_SECONDS"], base_url=urls.base_url(config["PUBLIC_BASE_URL"], config.get("TRUSTED_HOSTS")),
                                        coordinate_decimals=config["OPENDATA_COORDINATE_DECIMALS"],
                                        secret=config["SECRET_KEY"],
                                        outbound_policy=outbound.configured(config),
                                        line=LineEndpoints(config["LINE_API_BASE_URL"], config["LINE_DATA_API_BASE_URL"]))


def mailer(config: dict[str, Any]) -> Mailer | None:
    if not config["SMTP_HOST"]:
        return None
    return SmtpMailer(host=config["SMTP_HOST"], port=config["SMTP_PORT"], sender=config["SMTP_FROM"],
                      timeout=config["NOTIFY_TIMEOUT"], starttls=config["SMTP_STARTTLS"], user=config["SMTP_USER"],
                      password=config["SMTP_PASSWORD"], outbound_policy=outbound.configured(config))


@shared_task(name=DISPATCH_EVENTS, ignore_result=True, bind=True)
def dispatch_events(self: Task) -> int:
    """Turn pending outbox events into deliveries and send them to the notifications queue in batches."""
    created = 0
    for _ in range(DISPATCH_ROUNDS):
        try:
            dispatched = notifications.dispatch(db.session(), limit=DISPATCH_BATCH)
        finally:
            db.session.remove()
        _send_batches(self.app, dispatched.delivery_ids)
        created += len(dispatched.delivery_ids)
        if dispatched.events < DISPATCH_BATCH:
            break
    return created


@shared_task(name=DELIVER, ignore_result=True, acks_late=True, reject_on_worker_lost=True, bind=True)
def deliver(self: Task, *delivery_ids: int) -> int:
    """One attempt at each of these deliveries that is still due, as one batch; return how many were delivered.

    A short retry wait is scheduled here, one job per retry time (a timed-out
    subscriber's put-off deliveries share its time); a long one is left to the sweep.
    """
    try:
        with requests.Session() as http:
            outcomes = notifications.deliver_batch(db.session(), delivery_ids, http, policy=delivery_policy(current_app.config),
                                                   mailer=mailer(current_app.config))
    finally:
        db.session.remove()
    retries: dict[datetime, list[int]] = {}
    for outcome in outcomes:
        if outcome.state == "pending" and outcome.next_attempt_at is not None:
            retries.setdefault(outcome.next_attempt_at, []).append(outcome.delivery_id)
    for next_attempt_at, ids in retries.items():
        wait = max(0.0, (next_attempt_at - utcnow()).total_seconds())
        if wait <= LONGEST_COUNTDOWN_SECONDS:
            self.apply_async(ids, countdown=wait)
    return sum(outcome.state == "delivered" for outcome in outcomes)


@shared_task(name=RETRY_DELIVERIES, ignore_result=True, bind=True)
def retry_deliveries(self: Task) -> int:
    """Send every due delivery again: failed attempts whose wait is over, and attempts that were lost."""
    try:
        due = notifications.due_deliveries(db.session())
    finally:
        db.session.remove()
    _send_batches(self.app, due)
    return len(due)


def _send_batches(celery: Celery, delivery_ids: list[int]) -> None:
    """One delivery job per ``DELIVERY_BATCH`` ids."""
    for start in range(0, len(delivery_ids), DELIVERY_BATCH):
        celery.tasks[DELIVER].delay(*delivery_ids[start:start + DELIVERY_BATCH])


@shared_task(name=RATING_REMINDERS, ignore_result=True)
def rating_reminders() -> int:
    """Remind residents once to rate reports resolved a while ago and still unrated."""
    try:
        reminded = reminders.remind_ratings(db.session(), after_days=current_app.config["RATING_REMINDER_DAYS"],
                                            window_days=current_app.config["RATING_WINDOW_DAYS"])
    finally:
        db.session.remove()
    return len(reminded)


@shared_task(name=OVERDUE, ignore_result=True)
def overdue() -> int:
    """Record once each missed first-response and resolution target of open reports."""
    try:
        flagged = reminders.flag_overdue(db.session())
    finally:
        db.session.remove()
    if flagged:
        log.info("%d SLA targets became overdue", len(flagged))
    return len(flagged)
