"""Who is told about report events, and each delivery of an event to one of them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import Model
from service.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from service.models.outbox import OutboxEvent

SUBSCRIBER_KINDS = ("department_webhook", "push_gateway", "email")


class Subscriber(Model):
    """A receiver of events: a department's webhook or e-mail, or the app's push gateway."""

    __tablename__ = "subscriber"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    # A department's subscriber hears only that department's reports; None hears the whole jurisdiction.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    email: Mapped[str | None] = mapped_column(String(254))
    secret: Mapped[str | None] = mapped_column(String(200))
    event_types: Mapped[list[str] | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


RESIDENT_RECIPIENTS = ("reporter", "follower")


class Delivery(Model):
    """One outbox event on its way to one subscriber, or by mail to a resident: retried with backoff, then dead-lettered.

    A resident's delivery has no subscriber: its ``recipient`` is the report's
    reporter, or the follower ``follower_id`` names.
    """

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("outbox_event_id", "subscriber_id"),
        UniqueConstraint("outbox_event_id", "follower_id", name="uq_delivery_event_follower"),
        Index("uq_delivery_event_reporter", "outbox_event_id", unique=True,
              sqlite_where=text("recipient = 'reporter'"), postgresql_where=text("recipient = 'reporter'")),
        Index("ix_delivery_state_next_attempt", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    outbox_event_id: Mapped[int] = mapped_column(ForeignKey("outbox_event.id", ondelete="CASCADE"), index=True)
    # Set instead of outbox_event_id for an event not flushed yet (intake's confirmation).
    outbox_event: Mapped[OutboxEvent] = relationship()
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str | None] = mapped_column(String(20))
    # Unsubscribing forgets the follower's pending mail with it.
    follower_id: Mapped[int | None] = mapped_column(ForeignKey("report_follower.id", ondelete="CASCADE",
                                                              name="fk_delivery_follower"))
    # The confirmation's tracking token, encrypted, until that one mail is sent (service.domain.resident_mail).
    sealed: Mapped[str | None] = mapped_column(Text)
    # A LINE push: the LINE user it is for and the text it carries, so the person's
    # export shows what was pushed to them; both go with their personal data.
    line_user_id: Mapped[int | None] = mapped_column(ForeignKey("line_user.id", ondelete="SET NULL",
                                                                name="fk_delivery_line_user"), index=True)
    sent_text: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
