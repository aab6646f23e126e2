"""Tasks that deliver outbox events to subscribers, and the clock's own events.

Retries live in the database, not in Celery: a failed attempt sets the
delivery's next attempt time, a short wait is scheduled as a countdown and the
retry sweep picks up the rest, so a lost message or a killed worker only
delays a delivery.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from celery import shared_task
from flask import current_app

from service.domain import notifications, reminders
from service.domain.mail import Mailer, SmtpMailer
from service.extensions import db
from service.jobs import DELIVER, DISPATCH_EVENTS, OVERDUE, RATING_REMINDERS, RETRY_DELIVERIES
from service.models import Delivery
from service.models.types import utcnow

log = logging.getLogger(__name__)

DISPATCH_BATCH = 200
DISPATCH_ROUNDS = 10
# Longer waits are left to the retry sweep, so workers do not hold many delayed messages.
LONGEST_COUNTDOWN_SECONDS = 300


def delivery_policy(config: dict[str, Any]) -> notifications.DeliveryPolicy:
    return notifications.DeliveryPolicy(max_attempts=config["NOTIFY_MAX_ATTEMPTS"], timeout=config["NOTIFY_TIMEOUT"],
                                        backoff_base=config["NOTIFY_BACKOFF_BASE_SECONDS"],
                                        backoff_cap=config["NOTIFY_BACKOFF_CAP_SECONDS"], base_url=config["PUBLIC_BASE_URL"])


def mailer(config: dict[str, Any]) -> Mailer | None:
    if not config["SMTP_HOST"]:
        return None
    return SmtpMailer(host=config["SMTP_HOST"], port=config["SMTP_PORT"], sender=config["SMTP_FROM"],
                      timeout=config["NOTIFY_TIMEOUT"], starttls=config["SMTP_STARTTLS"], user=config["SMTP_USER"],
                      password=config["SMTP_PASSWORD"])


@shared_task(name=DISPATCH_EVENTS, ignore_result=True)
def dispatch_events() -> int:
    """Turn pending outbox events into deliveries and send each to the notifications queue."""
    created = 0
    for _ in range(DISPATCH_ROUNDS):
        try:
            dispatched = notifications.dispatch(db.session, limit=DISPATCH_BATCH)
        finally:
            db.session.remove()
        for delivery_id in dispatched.delivery_ids:
            deliver.delay(delivery_id)
        created += len(dispatched.delivery_ids)
        if dispatched.events < DISPATCH_BATCH:
            break
    return created


@shared_task(name=DELIVER, ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def deliver(delivery_id: int) -> str | None:
    """One attempt at one delivery; a short retry wait is scheduled here, a long one by the sweep."""
    try:
        with requests.Session() as http:
            state = notifications.deliver(db.session, delivery_id, http, policy=delivery_policy(current_app.config),
                                          mailer=mailer(current_app.config))
        next_attempt_at = db.session.get(Delivery, delivery_id).next_attempt_at if state == "pending" else None
    finally:
        db.session.remove()
    if next_attempt_at is not None:
        wait = max(0.0, (next_attempt_at - utcnow()).total_seconds())
        if wait <= LONGEST_COUNTDOWN_SECONDS:
            deliver.apply_async((delivery_id,), countdown=wait)
    return state


@shared_task(name=RETRY_DELIVERIES, ignore_result=True)
def retry_deliveries() -> int:
    """Send every due delivery again: failed attempts whose wait is over, and attempts that were lost."""
    try:
        due = notifications.due_deliveries(db.session)
    finally:
        db.session.remove()
    for delivery_id in due:
        deliver.delay(delivery_id)
    return len(due)


@shared_task(name=RATING_REMINDERS, ignore_result=True)
def rating_reminders() -> int:
    """Remind residents once to rate reports resolved a while ago and still unrated."""
    try:
        reminded = reminders.remind_ratings(db.session, after_days=current_app.config["RATING_REMINDER_DAYS"],
                                            window_days=current_app.config["RATING_WINDOW_DAYS"])
    finally:
        db.session.remove()
    return len(reminded)


@shared_task(name=OVERDUE, ignore_result=True)
def overdue() -> int:
    """Record once each missed first-response and resolution target of open reports."""
    try:
        flagged = reminders.flag_overdue(db.session)
    finally:
        db.session.remove()
    if flagged:
        log.info("%d SLA targets became overdue", len(flagged))
    return len(flagged)
