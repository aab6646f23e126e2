"""The reporter's rights under 個人情報保護法: 開示 (find and export), 訂正 (correct), 利用停止 (erase).

A person is named by one identity: an e-mail address, a telephone number, a
device id or a LINE user id (the ``identity`` fields of
service/privacy/personal_data.py), always within one jurisdiction. Finding
gathers every row that names them; correcting rewrites their contact fields on
every report they made; erasing removes their personal data as the retention
purge would, at once and whatever the reports' status. Every act is audited
with the identity's kind and the reports it reached, never the identity
itself, so the audit log does not become one more copy of it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

from service.domain.audit import Actor, audit
from service.models import (
    AuditEntry,
    Delivery,
    Follower,
    LineEvent,
    LineReport,
    LineUser,
    OutboxEvent,
    Rating,
    Report,
    Subscriber,
)
from service.privacy.personal_data import (
    CORRECTABLE,
    IDENTITIES,
    LINE_EVENTS_IN_HAND,
    Removed,
    fields_of,
    remove_followers,
    remove_from_reports,
    remove_line_users,
)
from service.timefmt import iso_tokyo


class RightsError(ValueError):
    """An identity or a correction that cannot be used: the message says why."""


class NobodyFound(RightsError):
    """No report holds the data of the person named, so there is nothing to correct."""


@dataclass(frozen=True)
class Identity:
    kind: str
    value: str

    @classmethod
    def parse(cls, kind: str, value: str) -> Identity:
        """Raises :class:`RightsError` for an unknown kind or an empty value."""
        if kind not in IDENTITIES:
            raise RightsError(f"A person is found by one of {', '.join(IDENTITIES)}, not {kind!r}.")
        value = unicodedata.normalize("NFKC", value or "").strip()
        if kind == "phone":
            value = phone_digits(value)
        if not value:
            raise RightsError(f"Give the {kind} to look for.")
        return cls(kind, value)


def phone_digits(value: str) -> str:
    """A telephone number as its digits in the national form: +81 90 1234 5678 is 09012345678."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    if value.strip().startswith("+81") and digits.startswith("81"):
        digits = "0" + digits[2:]
    return digits


def _stored_phone_digits(column: Any) -> Any:
    for separator in ("-", " ", "(", ")", "+", "."):
        column = func.replace(column, separator, "")
    return column


def _reports(session: Session, jurisdiction_id: int, identity: Identity) -> list[Report]:
    query = select(Report).where(Report.jurisdiction_id == jurisdiction_id).order_by(Report.id)
    if identity.kind == "email":
        query = query.where(func.lower(Report.reporter_email) == identity.value.lower())
    elif identity.kind == "phone":
        # Stored as typed: 090-1234-5678 and +81 90-1234-5678 are one number.
        digits = _stored_phone_digits(Report.reporter_phone)
        query = query.where(or_(digits == identity.value, digits == "81" + identity.value[1:]))
    elif identity.kind == "device_id":
        query = query.where(Report.device_id == identity.value)
    else:
        query = query.join(LineReport, LineReport.report_id == Report.id).join(LineUser).where(
            LineUser.user_id == identity.value)
    return list(session.scalars(query))


def _line_users(session: Session, jurisdiction_id: int, identity: Identity, reports: list[Report]) -> list[LineUser]:
    if identity.kind == "line_id":
        condition = LineUser.user_id == identity.value
    elif reports:
        condition = LineUser.id.in_(select(LineReport.line_user_id).where(LineReport.report_id.in_([r.id for r in reports])))
    else:
        return []
    return list(session.scalars(select(LineUser).where(LineUser.jurisdiction_id == jurisdiction_id, condition)))


@dataclass
class Holdings:
    """Everything held about one person in one jurisdiction."""

    identity: Identity
    reports: list[Report]
    line_users: list[LineUser]
    body: dict[str, Any]
    followers: list[Follower] = field(default_factory=list)


def find(session: Session, jurisdiction_id: int, identity: Identity) -> Holdings:
    """Every row naming the person: reports, ratings, LINE users, events and pushes, idempotency keys, outbox rows, audit rows."""
    reports = _reports(session, jurisdiction_id, identity)
    line_users = _line_users(session, jurisdiction_id, identity, reports)
    ids = [r.id for r in reports]
    public_ids = [r.public_id for r in reports]
    photos = [p for r in reports for p in r.photos]
    ratings = list(session.scalars(select(Rating).where(Rating.report_id.in_(ids)).order_by(Rating.id))) if ids else []
    events = list(session.scalars(select(OutboxEvent).where(OutboxEvent.report_id.in_(ids)).order_by(OutboxEvent.id))) if ids else []
    deliveries = list(session.execute(
        # A follower's mail is the follower's, not the reporter's: only the reporter's own is theirs to see.
        select(Delivery, Subscriber).outerjoin(Subscriber)
        .where(Delivery.outbox_event_id.in_([e.id for e in events]), Delivery.follower_id.is_(None))
        .order_by(Delivery.id))) if events else []
    line_events = _line_events(session, jurisdiction_id, line_users)
    line_pushes = _line_pushes(session, line_users)
    followers = _followers(session, jurisdiction_id, identity)
    follower_reports = {row.id: row.public_id for row in session.execute(select(Report.id, Report.public_id).where(
        Report.id.in_({f.report_id for f in followers})))} if followers else {}
    targets = public_ids + [p.public_id for p in photos]
    audits = list(session.scalars(select(AuditEntry).where(
        AuditEntry.jurisdiction_id == jurisdiction_id, AuditEntry.target_id.in_(targets)).order_by(AuditEntry.id))) if targets else []
    report_ids = {r.id: r.public_id for r in reports}
    body = {
        "identity": {"kind": identity.kind},
        "reports": [_report(r) for r in reports],
        "ratings": [{"report": report_ids[x.report_id], "score": x.score, "fixed": x.fixed, "comment": x.comment,
                     "current": x.current, "created_at": iso_tokyo(x.created_at)} for x in ratings],
        "line_users": [{"id": u.id, "user_id": u.user_id, "language": u.language, "conversation": u.conversation or {},
                        "created_at": iso_tokyo(u.created_at), "blocked_at": iso_tokyo(u.blocked_at)} for u in line_users],
        "line_events": [{"id": e.id, "state": e.state, "received_at": iso_tokyo(e.received_at), "body": e.body}
                        for e in line_events],
        "line_pushes": [{"id": d.uid, "line_user": d.line_user_id, "report": report_id, "event_type": event_type,
                         "state": d.state, "text": d.sent_text, "created_at": iso_tokyo(d.created_at),
                         "delivered_at": iso_tokyo(d.delivered_at)} for d, event_type, report_id in line_pushes],
        "followers": [{"report": follower_reports[f.report_id], "email": f.email, "device_id": f.device_id,
                       "email_updates": f.email_updates, "language": f.language, "created_at": iso_tokyo(f.created_at)}
                      for f in followers],
        "idempotency_keys": [{"report": r.public_id, "key_hmac": r.idempotency_key} for r in reports if r.idempotency_key],
        "outbox": [{"id": e.id, "event_type": e.event_type, "report": report_ids.get(e.report_id or 0), "state": e.state,
                    "created_at": iso_tokyo(e.created_at),
                    "deliveries": [{"id": d.uid, "subscriber": s.name if s else None, "kind": s.kind if s else "resident_email",
                                    "address": _address(d, s, e, reports, line_users), "state": d.state}
                                   for d, s in deliveries if d.outbox_event_id == e.id]}
                   for e in events],
        "audit": [{"id": a.id, "action": a.action, "target_type": a.target_type, "target_id": a.target_id,
                   "staff_id": a.staff_id, "created_at": iso_tokyo(a.created_at)} for a in audits],
    }
    return Holdings(identity, reports, line_users, body, followers)


def _followers(session: Session, jurisdiction_id: int, identity: Identity) -> list[Follower]:
    """The person's follows of reports in the jurisdiction (follows keep e-mail addresses in lower case)."""
    if identity.kind == "email":
        condition = Follower.email == identity.value.strip().lower()
    elif identity.kind == "device_id":
        condition = Follower.device_id == identity.value
    else:
        return []
    return list(session.scalars(select(Follower).join(Report, Report.id == Follower.report_id)
                                .where(Report.jurisdiction_id == jurisdiction_id, condition).order_by(Follower.id)))


def _address(delivery: Delivery, subscriber: Subscriber | None, event: OutboxEvent, reports: list[Report],
             line_users: list[LineUser]) -> str | None:
    """Where a delivery went: the push gateway is sent the reporter's device id, mail to the reporter their address,
    a LINE push to the LINE user it names, the others their own address."""
    if subscriber is not None and subscriber.kind == "line":
        return next((u.user_id for u in line_users if u.id == delivery.line_user_id), None)
    if subscriber is None:
        return next((r.reporter_email for r in reports if r.id == event.report_id), None)
    if subscriber.kind == "push_gateway":
        return next((r.device_id for r in reports if r.id == event.report_id), None)
    return subscriber.email or subscriber.url


def _line_pushes(session: Session, line_users: list[LineUser]) -> list[tuple[Delivery, str, str | None]]:
    """The pushes made to the person's LINE users, with each one's event type and report, whatever report they name."""
    if not line_users:
        return []
    return [(d, event_type, report_id) for d, event_type, report_id in session.execute(
        select(Delivery, OutboxEvent.event_type, Report.public_id)
        .join(OutboxEvent, Delivery.outbox_event_id == OutboxEvent.id).outerjoin(Report, Report.id == OutboxEvent.report_id)
        .where(Delivery.line_user_id.in_([u.id for u in line_users])).order_by(Delivery.id))]


def _line_events(session: Session, jurisdiction_id: int, line_users: list[LineUser]) -> list[LineEvent]:
    if not line_users:
        return []
    # The sender's id sits inside the stored event as LINE sent it; its JSON text holds it in quotes.
    wanted = or_(*(cast(LineEvent.body, Text).contains(f'"{u.user_id}"') for u in line_users))
    return list(session.scalars(select(LineEvent).where(LineEvent.jurisdiction_id == jurisdiction_id, wanted)
                                .order_by(LineEvent.id)))


def _report(report: Report) -> dict[str, Any]:
    return {
        "id": report.public_id, "status": report.status, "created_at": iso_tokyo(report.created_at),
        "closed_at": iso_tokyo(report.closed_at), "description": report.description,
        **{f.name: getattr(report, f.name) for f in fields_of(Report)},
        "photos": [{"id": p.public_id, "original_kept": p.original_key is not None,
                    **{f.name: _plain(getattr(p, f.name)) for f in fields_of(p.__class__) if f.name != "original_key"}}
                   for p in report.photos],
    }


def _plain(value: Any) -> Any:
    return iso_tokyo(value) if hasattr(value, "tzinfo") else value


EXPORT_HEADER = ("section", "record", "field", "value")


def rows(holdings: Holdings) -> Iterator[tuple[str, str, str, Any]]:
    """The holdings as (section, record, field, value) rows, for a CSV file."""
    for section, records in holdings.body.items():
        if section == "identity":
            continue
        for number, record in enumerate(records, start=1):
            yield from _flatten(section, str(record.get("id") or record.get("report") or number), "", record)


def _flatten(section: str, record: str, prefix: str, value: Any) -> Iterator[tuple[str, str, str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(section, record, f"{prefix}{key}.", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _flatten(section, record, f"{prefix}{index}.", item)
    else:
        yield section, record, prefix.rstrip("."), value


def disclose(session: Session, actor: Actor, identity: Identity, action: str = "privacy.found") -> Holdings:
    """:func:`find`, audited as a disclosure (``privacy.found`` or ``privacy.exported``)."""
    holdings = find(session, actor.jurisdiction_id, identity)
    audit(session, actor, action, "person", identity.kind,
          after={"reports": [r.public_id for r in holdings.reports], "line_users": len(holdings.line_users)})
    session.flush()
    return holdings


def correct(session: Session, actor: Actor, identity: Identity, changes: dict[str, str | None]) -> Holdings:
    """Set the given contact fields on every report of the person.

    Raises :class:`RightsError` for other fields, :class:`NobodyFound` when no report is the person's.
    """
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown or not changes:
        raise RightsError(f"Only {', '.join(CORRECTABLE)} can be corrected" + (f", not {', '.join(unknown)}." if unknown else "."))
    holdings = find(session, actor.jurisdiction_id, identity)
    if not holdings.reports:
        raise NobodyFound("No report in your jurisdiction holds this person's data.")
    for report in holdings.reports:
        for name, value in changes.items():
            setattr(report, name, (value or "").strip() or None)
    audit(session, actor, "privacy.corrected", "person", identity.kind,
          after={"reports": [r.public_id for r in holdings.reports], "fields": sorted(changes)})
    session.flush()
    return holdings


def erase(session: Session, actor: Actor, identity: Identity) -> Removed:
    """Remove the person's personal data from every report and delete their LINE users; the caller commits,
    then deletes the originals (:meth:`Removed.delete_objects`)."""
    holdings = find(session, actor.jurisdiction_id, identity)
    line_events = _line_events(session, actor.jurisdiction_id, holdings.line_users)
    line_users_deleted = remove_line_users(session, [u.id for u in holdings.line_users], only_unlinked=False)
    # Other residents' follows of the person's reports are theirs, and stay.
    removed = remove_from_reports(session, holdings.reports, with_followers=False)
    removed.line_users_deleted += line_users_deleted
    removed.followers_deleted = remove_followers(session, [f.id for f in holdings.followers])
    for event in line_events:
        if event.state not in LINE_EVENTS_IN_HAND:
            session.delete(event)
    audit(session, actor, "privacy.erased", "person", identity.kind, after=removed.as_dict())
    session.flush()
    return removed
