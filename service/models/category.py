"""Report categories with their SLA targets and extra (Open311) attributes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import Model
from service.models.types import UTCDateTime, utcnow


class Category(Model):
    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    name_ja: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    description_ja: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    # Shown before the category's form: what residents should know (urgent cases phone, what it does not cover).
    notice_ja: Mapped[str | None] = mapped_column(Text)
    notice_en: Mapped[str | None] = mapped_column(Text)
    # Urgent categories tell residents to phone the department the category goes to.
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # {language: {"name": ..., "description": ..., "notice": ...}} for the languages beyond name_ja/name_en (service.domain.languages).
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON, default=dict)
    group: Mapped[str | None] = mapped_column(String(100))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    first_response_days: Mapped[int] = mapped_column(Integer, default=3)
    resolution_days: Mapped[int] = mapped_column(Integer, default=20)
    duplicate_radius_m: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
