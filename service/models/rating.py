"""Residents' ratings (住民評価) of how a report was handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import Model
from service.models.types import UTCDateTime, utcnow


class Rating(Model):
    """One rating; a later rating within the window replaces it, and the old row is kept."""

    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    fixed: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
