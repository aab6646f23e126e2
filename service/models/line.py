"""LINE: each jurisdiction's channel, the residents who talk to it, and the events it sends.

The LINE user id is private data like a device id: it lives only in these
tables, and no public view, open data, Open311 answer, webhook body or log
line carries it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import Model
from service.models.types import UTCDateTime, utcnow


class LineChannel(Model):
    """A jurisdiction's LINE official account: its secret and token, never shown once set."""

    __tablename__ = "line_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), unique=True)
    channel_secret: Mapped[str] = mapped_column(String(200))
    access_token: Mapped[str] = mapped_column(Text)
    # LINE charges per push: at most this many a month (None: no limit).
    monthly_push_quota: Mapped[int | None] = mapped_column(Integer)
    push_month: Mapped[str | None] = mapped_column(String(7))
    pushes_this_month: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:  # Never the secret or the token.
        return f"<LineChannel jurisdiction={self.jurisdiction_id}>"


class LineUser(Model):
    """A resident on one jurisdiction's channel, with the conversation in progress."""

    __tablename__ = "line_user"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(10), default="ja")
    conversation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    conversation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:  # Never the user id.
        return f"<LineUser {self.id}>"


class LineEvent(Model):
    """A webhook event as LINE sent it, kept until a job has handled it; a redelivery finds its row."""

    __tablename__ = "line_event"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "webhook_event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LineReport(Model):
    """Which LINE user sent a report, so its status changes and the rating reach the same chat."""

    __tablename__ = "line_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), unique=True)
    line_user_id: Mapped[int] = mapped_column(ForeignKey("line_user.id"), index=True)
    line_user: Mapped[LineUser] = relationship()
