"""Jurisdictions (自治体), their departments (課), areas and routing rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import Model
from service.models.types import UTCDateTime, utcnow


class Jurisdiction(Model):
    __tablename__ = "jurisdiction"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name_ja: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    prefecture_ja: Mapped[str | None] = mapped_column(String(20))
    county_ja: Mapped[str | None] = mapped_column(String(20))
    boundary: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What the jurisdiction does not take through Machikoe (snow, private land), shown before the categories.
    not_taken_ja: Mapped[str | None] = mapped_column(Text)
    not_taken_en: Mapped[str | None] = mapped_column(Text)
    # {language: {"not_taken": ...}} for the languages beyond Japanese and English (service.domain.languages).
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON, default=dict)
    # Days after a report is closed until its personal data is removed
    # (service/privacy/retention.py); None follows the RETENTION_DAYS setting.
    retention_days: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    departments: Mapped[list[Department]] = relationship(back_populates="jurisdiction", order_by="Department.id")


class Department(Model):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    name_ja: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    # The number residents phone for an urgent case of a category the department takes.
    phone: Mapped[str | None] = mapped_column(String(30))
    # {language: {"name": ...}} for the languages beyond Japanese and English.
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON, default=dict)
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    is_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="departments")


class Area(Model):
    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "layer", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    layer: Mapped[str] = mapped_column(String(50))
    code: Mapped[str] = mapped_column(String(100))
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RoutingRule(Model):
    __tablename__ = "routing_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    description: Mapped[str | None] = mapped_column(Text)
