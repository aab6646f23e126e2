"""Which deliveries a staff member follows, and an admin's replay of a dead letter, audited.

The API's ``/deliveries`` and ``/replay`` and the console's deliveries page
call these; neither builds the query itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from service.domain import access, notifications
from service.domain.audit import audit
from service.models import Delivery, OutboxEvent, Report, Staff, Subscriber

STATES = ("pending", "delivered", "failed")


@dataclass(frozen=True)
class DeliveryPage:
    rows: list[tuple[Delivery, OutboxEvent, Subscriber | None]]
    total: int


def scoped(staff: Staff) -> Select:
    """Deliveries to the staff member's subscribers, and residents' mail about the reports they see."""
    resident = Delivery.subscriber_id.is_(None)
    query = (select(Delivery, OutboxEvent, Subscriber)
             .outerjoin(Subscriber, Delivery.subscriber_id == Subscriber.id)
             .join(OutboxEvent, Delivery.outbox_event_id == OutboxEvent.id)
             .outerjoin(Report, and_(resident, OutboxEvent.report_id == Report.id))
             .where(or_(Subscriber.jurisdiction_id == staff.jurisdiction_id,
                        and_(resident, Report.jurisdiction_id == staff.jurisdiction_id))))
    if access.department_scoped(staff):
        query = query.where(or_(Subscriber.department_id == staff.department_id,
                                and_(resident, Report.department_id == staff.department_id)))
    return query


def delivery_page(session: Session, staff: Staff, *, state: str | None, page: int, page_size: int,
                  failed_first: bool = False) -> DeliveryPage:
    """One page of the deliveries ``staff`` follows, newest first (dead letters before the rest with ``failed_first``)."""
    query = scoped(staff)
    if state is not None:
        query = query.where(Delivery.state == state)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order = [case((Delivery.state == "failed", 0), else_=1)] if failed_first else []
    rows = session.execute(query.order_by(*order, Delivery.id.desc()).limit(page_size).offset((page - 1) * page_size))
    return DeliveryPage(rows=[(d, e, s) for d, e, s in rows], total=total)


def find(session: Session, staff: Staff, uid: str) -> tuple[Delivery, OutboxEvent, Subscriber | None] | None:
    """The delivery of this id among those ``staff`` follows, or None."""
    row = session.execute(scoped(staff).where(Delivery.uid == uid)).first()
    return (row[0], row[1], row[2]) if row is not None else None


def replay(session: Session, admin: Staff, delivery: Delivery) -> None:
    """Give a dead letter a fresh set of attempts, audited, and commit; the caller then asks a worker to send it.

    Raises ValueError when the delivery is not failed (nothing is written).
    """
    before = {"state": delivery.state, "attempts": delivery.attempts}
    notifications.replay(session, delivery)
    audit(session, admin, "delivery.replay", "delivery", delivery.uid, before,
          {"state": delivery.state, "attempts": delivery.attempts})
    session.commit()
