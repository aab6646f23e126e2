"""Outbox events on their way to subscribers: dispatch into deliveries, then deliver each one.

``dispatch`` turns pending outbox events into one delivery per subscriber that
hears them and marks the events dispatched; ``deliver`` makes one attempt at
one delivery. A failed attempt is retried later with exponential backoff and
full jitter; after the last allowed attempt the delivery is dead-lettered
(state ``failed``) until an admin replays it.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

import requests
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, lazyload

from service.domain import signatures
from service.domain.mail import Mailer
from service.domain.notification_bodies import mail_text, webhook_body
from service.models import Delivery, OutboxEvent, Report, Subscriber
from service.models.types import utcnow

log = logging.getLogger(__name__)

REDIRECT_CODES = (307, 308)
MAX_REDIRECTS = 3


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard to try: attempts, the receiver's time limit, and the retry delays in seconds."""

    max_attempts: int = 8
    timeout: float = 5.0
    backoff_base: float = 10.0
    backoff_cap: float = 3600.0
    base_url: str = ""

    def backoff(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds before the next attempt after ``attempts`` failed ones: full jitter over a doubling ceiling."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempts - 1))
        return (rng or random).uniform(0, ceiling)

    @property
    def lease(self) -> timedelta:
        """How long an attempt holds its delivery: every hop's time limit and a margin."""
        return timedelta(seconds=self.timeout * (MAX_REDIRECTS + 1) + 60)


@dataclass
class Dispatched:
    events: int = 0
    delivery_ids: list[int] = field(default_factory=list)


class DeliveryFailed(Exception):
    """One attempt failed; ``status_code`` is the receiver's answer when there was one."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hears(subscriber: Subscriber, event: OutboxEvent, report: Report) -> bool:
    """Whether ``subscriber`` is told about ``event`` of ``report``."""
    if not subscriber.active or subscriber.jurisdiction_id != report.jurisdiction_id:
        return False
    if subscriber.department_id is not None and subscriber.department_id != report.department_id:
        return False
    if subscriber.event_types is not None and event.event_type not in subscriber.event_types:
        return False
    # The push gateway pushes to the resident's device; without one there is nobody to tell.
    return subscriber.kind != "push_gateway" or bool(report.device_id)


def dispatch(session: Session, limit: int = 200, now: datetime | None = None) -> Dispatched:
    """Create the deliveries of up to ``limit`` pending events, mark them dispatched and commit.

    Running it twice, or in two workers at once, creates each (event, subscriber)
    delivery once: rows are claimed with SKIP LOCKED where the database has it,
    and existing deliveries are never added again.
    """
    now = now or utcnow()
    events = list(session.scalars(
        select(OutboxEvent).where(OutboxEvent.state == "pending").order_by(OutboxEvent.id).limit(limit)
        .with_for_update(skip_locked=True)
    ))
    result = Dispatched(events=len(events))
    if not events:
        session.commit()
        return result
    report_ids = {e.report_id for e in events if e.report_id is not None}
    reports = {r.id: r for r in session.scalars(select(Report).where(Report.id.in_(report_ids)))}
    jurisdictions = {r.jurisdiction_id for r in reports.values()}
    subscribers = list(session.scalars(
        select(Subscriber).where(Subscriber.active.is_(True), Subscriber.jurisdiction_id.in_(jurisdictions)).order_by(Subscriber.id)
    ))
    existing = {(event_id, subscriber_id) for event_id, subscriber_id in session.execute(
        select(Delivery.outbox_event_id, Delivery.subscriber_id).where(Delivery.outbox_event_id.in_([e.id for e in events]))
    )}
    created: list[Delivery] = []
    for event in events:
        report = reports.get(event.report_id)
        for subscriber in subscribers if report is not None else ():
            if (event.id, subscriber.id) not in existing and hears(subscriber, event, report):
                created.append(Delivery(uid=f"dlv_{secrets.token_hex(12)}", outbox_event_id=event.id,
                                        subscriber_id=subscriber.id, state="pending", attempts=0, next_attempt_at=now))
        event.state = "dispatched"
    session.add_all(created)
    session.flush()
    result.delivery_ids = [d.id for d in created]
    session.commit()
    return result


def due_deliveries(session: Session, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of pending deliveries whose next attempt is due (including those whose attempt was lost)."""
    now = now or utcnow()
    return list(session.scalars(
        select(Delivery.id).where(Delivery.state == "pending", or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now))
        .order_by(Delivery.next_attempt_at).limit(limit)
    ))


def deliver(session: Session, delivery_id: int, http: requests.Session, now: datetime | None = None, *,
            policy: DeliveryPolicy | None = None, mailer: Mailer | None = None, rng: random.Random | None = None) -> str | None:
    """Make one attempt at a due delivery and commit its outcome; return its state afterwards.

    Returns None, doing nothing, when the delivery is not pending or not due, or
    another worker holds it. Receiver failures (non-2xx answers, timeouts,
    connection errors, SMTP refusals) are recorded on the delivery, never raised.
    """
    now = now or utcnow()
    policy = policy or DeliveryPolicy()
    # Claiming the delivery by moving its next attempt past the lease keeps a
    # second copy of this job (a retry sweep, a redelivered message) from sending it twice.
    claimed = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == "pending",
               or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now))
        .values(next_attempt_at=now + policy.lease)
    ).rowcount
    session.commit()
    if not claimed:
        return None
    delivery, subscriber, event = session.execute(
        select(Delivery, Subscriber, OutboxEvent)
        .join(Subscriber, Delivery.subscriber_id == Subscriber.id)
        .join(OutboxEvent, Delivery.outbox_event_id == OutboxEvent.id)
        .where(Delivery.id == delivery_id)
    ).one()
    # Photos and history load only if a body needs them, not on every delivery.
    report = (session.get(Report, event.report_id, options=[lazyload(Report.photos), lazyload(Report.history)])
              if event.report_id is not None else None)
    delivery.attempts += 1
    try:
        if report is None:
            raise DeliveryFailed("the report no longer exists")
        if not subscriber.active:
            raise DeliveryFailed("the subscriber is inactive")
        status_code = _send(delivery, event, report, subscriber, http, policy, mailer)
    except DeliveryFailed as exc:
        delivery.last_status_code, delivery.last_error = exc.status_code, str(exc)
        if delivery.attempts >= policy.max_attempts:
            delivery.state, delivery.next_attempt_at = "failed", None
        else:
            delivery.next_attempt_at = now + timedelta(seconds=policy.backoff(delivery.attempts, rng))
    else:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        delivery.last_status_code, delivery.last_error = status_code, None
    log.info("delivery %s (%s) to subscriber %d, attempt %d: %s%s", delivery.uid, event.event_type, subscriber.id,
             delivery.attempts, delivery.state, f" ({delivery.last_error})" if delivery.last_error else "")
    state = delivery.state
    session.commit()
    return state


def replay(session: Session, delivery: Delivery, now: datetime | None = None) -> None:
    """Give a dead-lettered delivery a fresh set of attempts, due at once; the caller commits.

    Raises ValueError when the delivery is not failed.
    """
    if delivery.state != "failed":
        raise ValueError(f"Only failed deliveries are replayed; this one is {delivery.state}.")
    delivery.state, delivery.attempts, delivery.next_attempt_at = "pending", 0, now or utcnow()
    delivery.last_error = None


def _send(delivery: Delivery, event: OutboxEvent, report: Report, subscriber: Subscriber, http: requests.Session,
          policy: DeliveryPolicy, mailer: Mailer | None) -> int | None:
    """One attempt over the subscriber's channel; the HTTP status on success, DeliveryFailed otherwise."""
    if subscriber.kind == "email":
        _mail(event, report, subscriber, policy, mailer)
        return None
    if not subscriber.url:
        raise DeliveryFailed("the subscriber has no URL")
    body = json.dumps(webhook_body(delivery, event, report, subscriber, policy.base_url), ensure_ascii=False,
                      separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        signatures.HEADER: signatures.signature_header(subscriber.secret or "", int(utcnow().timestamp()), body),
        "X-Machikoe-Delivery": delivery.uid,
        "X-Machikoe-Event": event.event_type,
    }
    return _post(http, subscriber.url, body, headers, policy.timeout)


def _post(http: requests.Session, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST, following 307/308 redirects only within the same scheme, host and port."""
    origin = urlsplit(url)[:2]
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = http.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
        except requests.Timeout:
            raise DeliveryFailed(f"no answer within {timeout:g} s") from None
        except requests.RequestException as exc:
            raise DeliveryFailed(f"connection failed ({type(exc).__name__})") from None
        response.close()
        if 200 <= response.status_code < 300:
            return response.status_code
        location = response.headers.get("Location")
        if response.status_code in REDIRECT_CODES and location:
            target = urljoin(url, location)
            if urlsplit(target)[:2] != origin:
                raise DeliveryFailed(f"HTTP {response.status_code}: redirect to another host not followed", response.status_code)
            url = target
            continue
        raise DeliveryFailed(f"HTTP {response.status_code}", response.status_code)
    raise DeliveryFailed("too many redirects", response.status_code)


def _mail(event: OutboxEvent, report: Report, subscriber: Subscriber, policy: DeliveryPolicy, mailer: Mailer | None) -> None:
    if mailer is None:
        raise DeliveryFailed("e-mail is not configured (SMTP_HOST is unset)")
    if not subscriber.email:
        raise DeliveryFailed("the subscriber has no e-mail address")
    subject, text = mail_text(event, report, policy.base_url)
    try:
        mailer.send(subscriber.email, subject, text)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"SMTP failed ({type(exc).__name__})") from None
