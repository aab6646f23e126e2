"""Outbox events: written in the transaction of the change that causes them,
delivered later by workers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import Model
from service.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from service.models.report import Report


class OutboxEvent(Model):
    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_state_created", "state", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(50))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    # Set instead of report_id for a report not flushed yet: one flush then writes both.
    report: Mapped[Report | None] = relationship()
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
