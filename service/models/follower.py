"""Residents who follow a report ("me too") to hear how it goes.

Follower contact is private data, kept in this table alone and only as much as
it takes to notify: an e-mail address with its opt-in, or the device id of an
app (the push gateway's address). It never appears in a public response, open
data or a log line.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import Model
from service.models.types import UTCDateTime, utcnow


class Follower(Model):
    __tablename__ = "report_follower"
    __table_args__ = (UniqueConstraint("report_id", "email", name="uq_report_follower_email"),
                      UniqueConstraint("report_id", "device_id", name="uq_report_follower_device"))

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    # Private: exactly one of the two is set.
    email: Mapped[str | None] = mapped_column(String(254))
    device_id: Mapped[str | None] = mapped_column(String(200))
    # Mail is sent only with the resident's explicit consent.
    email_updates: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(10), default="ja")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
