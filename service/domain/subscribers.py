"""An admin managing who is told about the reports of their jurisdiction, every change audited."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from service.domain import outbound
from service.domain.audit import Actor, audit
from service.domain.notifications import new_secret
from service.domain.report_lists import paged
from service.models import Delivery, Department, Subscriber
from service.timefmt import iso_tokyo

FIELDS = ("name", "url", "email", "event_types", "active")


class SubscriberError(ValueError):
    """A change the admin can fix; ``field`` names the offending field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def snapshot(session: Session, s: Subscriber) -> dict[str, Any]:
    """What admins see of a subscriber: everything but its secret."""
    department = session.get(Department, s.department_id) if s.department_id is not None else None
    return {"id": s.id, "kind": s.kind, "name": s.name, "department": department.code if department else None,
            "url": s.url, "email": s.email, "event_types": s.event_types, "active": s.active,
            "created_at": iso_tokyo(s.created_at)}


def create_subscriber(session: Session, admin: Actor, *, department: str | None, secret: str | None,
                      policy: outbound.Policy | None = None, **fields: Any) -> tuple[Subscriber, str | None]:
    """Add a subscriber and commit; return it with its secret (generated when not given; none for e-mail).

    Raises SubscriberError for a department that is not in the admin's jurisdiction,
    or a url that the outbound ``policy`` refuses.
    """
    _check_url(fields.get("url"), policy)
    if fields["kind"] != "email":
        secret = secret or new_secret()
    subscriber = Subscriber(jurisdiction_id=admin.jurisdiction_id, department_id=_department_id(session, admin, department),
                            secret=secret, **fields)
    session.add(subscriber)
    session.flush()
    audit(session, admin, "subscriber.create", "subscriber", subscriber.id, None, snapshot(session, subscriber))
    session.commit()
    return subscriber, secret


def update_subscriber(session: Session, admin: Actor, subscriber: Subscriber, changes: dict[str, Any],
                      policy: outbound.Policy | None = None) -> Subscriber:
    """Change a subscriber and commit.

    Raises SubscriberError for an unknown department, a missing address, or a
    url that the outbound ``policy`` refuses.
    """
    if "url" in changes:
        _check_url(changes["url"], policy)
    before = snapshot(session, subscriber)
    if "department" in changes:
        subscriber.department_id = _department_id(session, admin, changes["department"])
    for name in FIELDS:
        if name in changes:
            setattr(subscriber, name, changes[name])
    if subscriber.kind == "email" and not subscriber.email:
        raise SubscriberError("An e-mail subscriber needs an email address.", "email")
    if subscriber.kind != "email" and not subscriber.url:
        raise SubscriberError("A webhook or push gateway needs a url.", "url")
    audit(session, admin, "subscriber.update", "subscriber", subscriber.id, before, snapshot(session, subscriber))
    session.commit()
    return subscriber


def delete_subscriber(session: Session, admin: Actor, subscriber: Subscriber) -> None:
    """Delete a subscriber with its deliveries, and commit."""
    audit(session, admin, "subscriber.delete", "subscriber", subscriber.id, snapshot(session, subscriber), None)
    session.execute(delete(Delivery).where(Delivery.subscriber_id == subscriber.id))
    session.delete(subscriber)
    session.commit()


def _department_id(session: Session, admin: Actor, code: str | None) -> int | None:
    if code is None:
        return None
    department_id = session.scalar(select(Department.id).where(Department.jurisdiction_id == admin.jurisdiction_id,
                                                               Department.code == code))
    if department_id is None:
        raise SubscriberError(f"No department {code!r} in your jurisdiction.", "department")
    return department_id


def _check_url(url: str | None, policy: outbound.Policy | None) -> None:
    """Refuse a url whose host the outbound policy refuses before any lookup; delivery checks every address again."""
    if not url:
        return
    try:
        outbound.check_url(url, policy or outbound.Policy())
    except outbound.Refused as exc:
        raise SubscriberError(
            f"The url must lead to a public address ({exc.reason}); an operator may allow a private host "
            "with MACHIKOE_OUTBOUND_ALLOW_PRIVATE.", "url") from None


def subscriber_page(session: Session, jurisdiction_id: int, *, page: int, page_size: int) -> tuple[list[Subscriber], int]:
    """One page of a jurisdiction's subscribers, paused ones last."""
    query = (select(Subscriber).where(Subscriber.jurisdiction_id == jurisdiction_id)
             .order_by(Subscriber.active.desc(), Subscriber.id))
    found = paged(session, query, page=page, page_size=page_size)
    # paged() is typed for reports; this query's rows are Subscriber rows.
    return cast(list[Subscriber], found.rows), found.total


def find(session: Session, jurisdiction_id: int, subscriber_id: int) -> Subscriber | None:
    """The jurisdiction's subscriber of this id, or None."""
    return session.scalar(select(Subscriber).where(Subscriber.id == subscriber_id, Subscriber.jurisdiction_id == jurisdiction_id))
