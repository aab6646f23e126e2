"""Outbox events on their way to subscribers: dispatch into deliveries, then deliver them in batches.

``dispatch`` turns pending outbox events into one delivery per subscriber that
hears them, and one per resident who gets mail about them
(:mod:`service.domain.resident_mail`), and marks the events dispatched; ``deliver_batch`` claims a batch of
due deliveries and makes one attempt at each. A failed attempt is retried later
with exponential backoff and full jitter; after the last allowed attempt the
delivery is dead-lettered (state ``failed``) until an admin replays it.

Every connection, to a webhook, a push gateway or the SMTP relay, goes through
the outbound policy (:mod:`service.domain.outbound`). A destination the policy
refuses is never contacted, and its deliveries all record the same error,
so the deliveries list cannot tell a closed port from an open one, or an
internal host that exists from one that does not.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import smtplib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session, lazyload

from service.channels.line import push as line_push
from service.channels.line.client import LineApiError, LineEndpoints
from service.domain import follows, outbound, resident_mail, signatures
from service.domain.mail import Mailer
from service.domain.notification_bodies import mail_text, webhook_body
from service.models import Delivery, Follower, OutboxEvent, Report, Subscriber
from service.models.types import utcnow

log = logging.getLogger(__name__)

REDIRECT_CODES = (307, 308)
MAX_REDIRECTS = 3
# Outcomes are committed this often within a batch, so a worker killed mid-batch
# leaves few sent deliveries unrecorded (they are sent again once their claim lapses).
OUTCOMES_PER_COMMIT = 10
# The receiver of every resident's mail, as far as putting off a batch goes: the one SMTP relay.
RESIDENT_MAIL = "residents' mail"


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard to try: attempts, the receiver's time limit, the retry delays and a batch's sending time, in seconds."""

    max_attempts: int = 8
    timeout: float = 5.0
    backoff_base: float = 10.0
    backoff_cap: float = 3600.0
    base_url: str = ""
    coordinate_decimals: int = 4
    # The server secret: it signs residents' unsubscribe links and opens the confirmation's sealed token.
    secret: str = ""
    line: LineEndpoints | None = None
    # A batch starts attempts only this long after its claim; an attempt started
    # within it ends, every hop's time limit later, while the claim still holds.
    send_window: float = 30.0
    # Private networks and hosts the operator allows receivers on; none by default.
    outbound_policy: outbound.Policy = field(default_factory=outbound.Policy)

    def backoff(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds before the next attempt after ``attempts`` failed ones: full jitter over a doubling ceiling."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempts - 1))
        return (rng or random).uniform(0, ceiling)

    @property
    def lease(self) -> timedelta:
        """How long a claim holds its deliveries: the sending window, every hop's time limit and a margin."""
        return timedelta(seconds=self.send_window + self.timeout * (MAX_REDIRECTS + 1) + 30)


@dataclass
class Dispatched:
    events: int = 0
    delivery_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """Where one claimed delivery stands after its batch; ``attempted`` is False when it was put off untried."""

    delivery_id: int
    state: str
    next_attempt_at: datetime | None
    attempted: bool


class DeliveryFailed(Exception):
    """One attempt failed; ``status_code`` is the receiver's answer when there was one.

    ``timed_out`` says the receiver did not answer within the time limit, so its
    other deliveries in the batch are put off rather than waited for again.
    """

    def __init__(self, message: str, status_code: int | None = None, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.timed_out = timed_out


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hears(subscriber: Subscriber, event: OutboxEvent, report: Report, *, device_followed: bool = False) -> bool:
    """Whether ``subscriber`` is told about ``event`` of ``report``; ``device_followed``: an app's device follows it."""
    if not subscriber.active or subscriber.jurisdiction_id != report.jurisdiction_id:
        return False
    if subscriber.department_id is not None and subscriber.department_id != report.department_id:
        return False
    if subscriber.event_types is not None and event.event_type not in subscriber.event_types:
        return False
    if subscriber.kind == line_push.KIND:
        return line_push.hears(event, report)
    # The push gateway pushes to the reporter's and followers' devices; without one there is nobody to tell.
    return subscriber.kind != "push_gateway" or bool(report.device_id) or device_followed


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
    followed = follows.device_followed(session, reports.keys())
    existing = {(event_id, subscriber_id, recipient, follower_id) for event_id, subscriber_id, recipient, follower_id in session.execute(
        select(Delivery.outbox_event_id, Delivery.subscriber_id, Delivery.recipient, Delivery.follower_id)
        .where(Delivery.outbox_event_id.in_([e.id for e in events]))
    )}
    created: list[Delivery] = []
    for event in events:
        # An event without a report, or whose report is gone, is heard by no one.
        report = reports.get(event.report_id) if event.report_id is not None else None
        if report is None:
            continue
        for subscriber in subscribers:
            if (event.id, subscriber.id, None, None) not in existing and hears(subscriber, event, report,
                                                                               device_followed=report.id in followed):
                created.append(Delivery(uid=f"dlv_{secrets.token_hex(12)}", outbox_event_id=event.id,
                                        subscriber_id=subscriber.id, state="pending", attempts=0, next_attempt_at=now))
        for recipient, follower_id in resident_mail.recipients(session, event, report):
            if (event.id, None, recipient, follower_id) not in existing:
                created.append(Delivery(uid=f"dlv_{secrets.token_hex(12)}", outbox_event_id=event.id, recipient=recipient,
                                        follower_id=follower_id, state="pending", attempts=0, next_attempt_at=now))
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
        select(Delivery.id).where(Delivery.state == "pending", _due(now)).order_by(Delivery.next_attempt_at).limit(limit)
    ))


def deliver(session: Session, delivery_id: int, http: requests.Session, now: datetime | None = None, *,
            policy: DeliveryPolicy | None = None, mailer: Mailer | None = None, rng: random.Random | None = None) -> str | None:
    """Make one attempt at a due delivery and commit its outcome; return its state afterwards.

    It is a batch of one. Returns None, doing nothing, when the delivery is not
    pending or not due, or another worker holds it.
    """
    outcomes = deliver_batch(session, [delivery_id], http, now, policy=policy, mailer=mailer, rng=rng)
    return outcomes[0].state if outcomes else None


def deliver_batch(session: Session, delivery_ids: Iterable[int], http: requests.Session, now: datetime | None = None, *,
                  policy: DeliveryPolicy | None = None, mailer: Mailer | None = None,
                  rng: random.Random | None = None) -> list[Outcome]:
    """Claim those of ``delivery_ids`` that are due, make one attempt at each, and commit their outcomes.

    Deliveries that are not pending or not due, or that another worker holds,
    are left alone and have no outcome. The claim is committed before anything
    is sent, so no other worker sends a claimed delivery while the claim lasts.
    Receiver failures (non-2xx answers, timeouts, connection errors, SMTP
    refusals, destinations the outbound policy refuses) are recorded on the
    delivery, never raised; ``http`` is made to connect through the policy. Two things put a
    claimed delivery off without an attempt: its subscriber already timed out
    in this batch (it waits for that subscriber's next attempt), or the batch's
    sending window is over (it is due again at once, for another run).
    """
    now = now or utcnow()
    policy = policy or DeliveryPolicy()
    started = time.monotonic()

    def clock() -> datetime:
        return now + timedelta(seconds=time.monotonic() - started)

    outbound.guard(http, policy.outbound_policy)
    attempts = _claim(session, list(delivery_ids), now, policy, mailer, http)
    outcomes: list[Outcome] = []
    rows: list[dict[str, Any]] = []
    put_off: dict[str, datetime] = {}
    window_closed: datetime | None = None
    for attempt in attempts:
        if window_closed is None and time.monotonic() - started > policy.send_window:
            window_closed = clock()
        next_attempt_at = put_off.get(attempt.receiver) or window_closed
        if next_attempt_at is not None:
            rows.append({"id": attempt.delivery_id, "next_attempt_at": next_attempt_at})
            outcomes.append(Outcome(attempt.delivery_id, "pending", next_attempt_at, attempted=False))
            log.info("delivery %s to %s put off until %s", attempt.uid, attempt.receiver, next_attempt_at.isoformat())
        else:
            row = _attempt(attempt, policy, clock, rng, put_off)
            rows.append(row)
            outcomes.append(Outcome(attempt.delivery_id, row["state"], row["next_attempt_at"], attempted=True))
        if len(rows) >= OUTCOMES_PER_COMMIT:
            _record(session, rows)
    _record(session, rows)
    return outcomes


@dataclass(frozen=True)
class _Attempt:
    """A claimed delivery, with what it takes to send it ready before the claim's transaction ends."""

    delivery_id: int
    uid: str
    event_type: str
    # Whose slowness puts off the others' deliveries in a batch: a subscriber, or the relay of residents' mail.
    receiver: str
    attempts: int
    send: Callable[[], int | None]


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)


def _claim(session: Session, delivery_ids: list[int], now: datetime, policy: DeliveryPolicy, mailer: Mailer | None,
           http: requests.Session) -> list[_Attempt]:
    """Claim the due ones of ``delivery_ids``, load them with their subscribers, events and reports, and commit.

    Moving a delivery's next attempt past the lease is the claim: a second copy
    of the job (a retry sweep, a redelivered message) finds it not due. Rows
    another worker is claiming at the same moment are skipped where the database
    has SKIP LOCKED; SQLite runs one writer at a time.
    """
    if not delivery_ids:
        return []
    claimable = (select(Delivery.id).where(Delivery.id.in_(delivery_ids), Delivery.state == "pending", _due(now))
                 .order_by(Delivery.id).limit(len(delivery_ids)).with_for_update(skip_locked=True))
    claimed = list(session.scalars(
        update(Delivery).where(Delivery.id.in_(claimable.scalar_subquery())).values(next_attempt_at=now + policy.lease)
        .returning(Delivery.id).execution_options(synchronize_session=False)
    ))
    if not claimed:
        session.commit()
        return []
    rows = session.execute(
        select(Delivery, Subscriber, OutboxEvent, Follower)
        .outerjoin(Subscriber, Delivery.subscriber_id == Subscriber.id)
        .outerjoin(Follower, Delivery.follower_id == Follower.id)
        .join(OutboxEvent, Delivery.outbox_event_id == OutboxEvent.id)
        .where(Delivery.id.in_(claimed)).order_by(Delivery.id)
        .execution_options(populate_existing=True)
    ).all()
    report_ids = {event.report_id for _, _, event, _ in rows if event.report_id is not None}
    # Photos are part of no notification; the history is loaded only for a resident's mail (its reply).
    reports = {r.id: r for r in session.scalars(
        select(Report).where(Report.id.in_(report_ids)).options(lazyload(Report.photos), lazyload(Report.history))
        .execution_options(populate_existing=True)
    )} if report_ids else {}
    attempts = []
    for delivery, subscriber, event, follower in rows:
        report = reports.get(event.report_id) if event.report_id is not None else None
        if delivery.subscriber_id is None:
            attempts.append(_Attempt(delivery.id, delivery.uid, event.event_type, RESIDENT_MAIL, delivery.attempts + 1,
                                     _resident_sender(delivery, event, report, follower, policy, mailer)))
        else:
            attempts.append(_Attempt(delivery.id, delivery.uid, event.event_type, f"subscriber {subscriber.id}",
                                     delivery.attempts + 1, _sender(delivery, event, report, subscriber, policy, mailer, http, now)))
    session.commit()
    return attempts


def _attempt(attempt: _Attempt, policy: DeliveryPolicy, clock: Callable[[], datetime], rng: random.Random | None,
             put_off: dict[str, datetime]) -> dict[str, Any]:
    """Send once; return the delivery's new columns. A timeout puts off the subscriber's other deliveries in the batch."""
    row: dict[str, Any] = {"id": attempt.delivery_id, "attempts": attempt.attempts, "delivered_at": None}
    try:
        status_code = attempt.send()
    except DeliveryFailed as exc:
        retry_at = clock() + timedelta(seconds=policy.backoff(attempt.attempts, rng))
        dead = attempt.attempts >= policy.max_attempts
        row.update(state="failed" if dead else "pending", next_attempt_at=None if dead else retry_at,
                   last_status_code=exc.status_code, last_error=str(exc))
        if dead:
            # A replayed confirmation links the public page instead.
            row["sealed"] = None
        if exc.timed_out:
            put_off[attempt.receiver] = retry_at
    else:
        # A confirmation's sealed token is needed for that one mail only.
        row.update(state="delivered", delivered_at=clock(), next_attempt_at=None, last_status_code=status_code, last_error=None,
                   sealed=None)
    log.info("delivery %s (%s) to %s, attempt %d: %s%s", attempt.uid, attempt.event_type, attempt.receiver,
             attempt.attempts, row["state"], f" ({row['last_error']})" if row["last_error"] else "")
    return row


def _record(session: Session, rows: list[dict[str, Any]]) -> None:
    """Write and commit the outcomes gathered so far: one UPDATE per kind of outcome, sent as one batch."""
    if rows:
        # Rows with the same columns go out together as one executemany.
        rows.sort(key=len)
        session.execute(update(Delivery), rows)
        session.commit()
        rows.clear()


def replay(session: Session, delivery: Delivery, now: datetime | None = None) -> None:
    """Give a dead-lettered delivery a fresh set of attempts, due at once; the caller commits.

    Raises ValueError when the delivery is not failed.
    """
    if delivery.state != "failed":
        raise ValueError(f"Only failed deliveries are replayed; this one is {delivery.state}.")
    delivery.state, delivery.attempts, delivery.next_attempt_at = "pending", 0, now or utcnow()
    delivery.last_error = None


def _sender(delivery: Delivery, event: OutboxEvent, report: Report | None, subscriber: Subscriber, policy: DeliveryPolicy,
            mailer: Mailer | None, http: requests.Session, now: datetime) -> Callable[[], int | None]:
    """One attempt over the subscriber's channel, ready to run: the HTTP status on success, DeliveryFailed otherwise.

    The body is built now, while the rows are loaded; the signature is made when it is sent.
    """
    if report is None:
        return _refusal("the report no longer exists")
    if not subscriber.active:
        return _refusal("the subscriber is inactive")
    if subscriber.kind == line_push.KIND:
        return _line_push(delivery, event, report, policy, now)
    if subscriber.kind == "email":
        if mailer is None:
            return _refusal("e-mail is not configured (SMTP_HOST is unset)")
        if not subscriber.email:
            return _refusal("the subscriber has no e-mail address")
        address, (subject, text) = subscriber.email, mail_text(event, report, policy.base_url)
        return lambda: _mail(mailer, address, subject, text)
    if not subscriber.url:
        return _refusal("the subscriber has no URL")
    url, secret = subscriber.url, subscriber.secret or ""
    body = json.dumps(webhook_body(delivery, event, report, subscriber, policy.base_url, policy.coordinate_decimals), ensure_ascii=False,
                      separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "X-Machikoe-Delivery": delivery.uid, "X-Machikoe-Event": event.event_type}

    def send() -> int:
        signed = {**headers, signatures.HEADER: signatures.signature_header(secret, int(time.time()), body)}
        return _post(http, url, body, signed, policy.timeout)

    return send


def _resident_sender(delivery: Delivery, event: OutboxEvent, report: Report | None, follower: Follower | None,
                     policy: DeliveryPolicy, mailer: Mailer | None) -> Callable[[], int | None]:
    """One attempt at a resident's mail, ready to run; the address is never part of an error or a log line."""
    if report is None:
        return _refusal("the report no longer exists")
    if mailer is None:
        return _refusal("e-mail is not configured (SMTP_HOST is unset)")
    mail = resident_mail.compose(delivery, event, report, follower, policy.base_url, policy.secret)
    if mail is None:
        return _refusal("the resident no longer receives mail")
    return lambda: _mail(mailer, mail.to, mail.subject, mail.text, mail.headers)


def _line_push(delivery: Delivery, event: OutboxEvent, report: Report, policy: DeliveryPolicy,
               now: datetime) -> Callable[[], int | None]:
    try:
        push = line_push.prepare(delivery, event, report, policy.line, now)
    except line_push.PushRefused as exc:
        return _refusal(str(exc))

    def send() -> int | None:
        try:
            return push()
        except LineApiError as exc:
            raise DeliveryFailed(f"LINE push failed ({exc})", exc.status) from None

    return send


def _refusal(reason: str) -> Callable[[], None]:
    def refuse() -> None:
        raise DeliveryFailed(reason)

    return refuse


def _post(http: requests.Session, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST, following 307/308 redirects only within the same scheme, host and port."""
    origin = urlsplit(url)[:2]
    # Each hop gets ``timeout`` in all, not per read; the connection is not kept,
    # so the next hop's is watched from its start.
    headers = {**headers, "Connection": "close"}
    for _ in range(MAX_REDIRECTS + 1):
        with outbound.watched(timeout) as watchdog:
            try:
                response = http.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
            except outbound.Refused:
                raise DeliveryFailed(outbound.REFUSED) from None
            except requests.RequestException as exc:
                if watchdog.fired or isinstance(exc, requests.Timeout):
                    raise DeliveryFailed(f"no answer within {timeout:g} s", timed_out=True) from None
                raise DeliveryFailed(f"connection failed ({type(exc).__name__})") from None
            response.close()
            if watchdog.fired:
                raise DeliveryFailed(f"no answer within {timeout:g} s", timed_out=True)
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


def _mail(mailer: Mailer, address: str, subject: str, text: str, headers: dict[str, str] | None = None) -> None:
    try:
        mailer.send(address, subject, text, headers)
    except outbound.Refused:
        raise DeliveryFailed(outbound.REFUSED) from None
    except (OSError, smtplib.SMTPException) as exc:
        # smtplib reports a server that stops answering as a disconnection caused by the timeout.
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            raise DeliveryFailed("SMTP failed (timed out)", timed_out=True) from None
        raise DeliveryFailed(f"SMTP failed ({type(exc).__name__})") from None
