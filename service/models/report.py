"""Reports (通報) and their history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, SmallInteger, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import Model
from service.models.types import UTCDateTime, utcnow
from service.privacy import stored_masks

OPEN_CONDITION = "status IN ('received', 'acknowledged', 'in_progress')"
FIGURE_COLUMNS = ("department_id", "category_id", "ward", "status", "first_response_at", "resolved_at",
                  "first_response_due_at", "resolution_due_at", "reopen_count", "rating_requested_at", "rating_score",
                  "rating_fixed")


class Report(Model):
    __tablename__ = "report"
    __table_args__ = (
        Index("ix_report_jurisdiction_status_created", "jurisdiction_id", "status", "created_at"),
        Index("ix_report_department_status_created", "department_id", "status", "created_at"),
        # The inbox's counts per status of a department, from the index alone (migration 0027).
        Index("ix_report_scope_status", "jurisdiction_id", "department_id", "status"),
        Index("ix_report_processing", "processing_state", "updated_at"),
        Index("ix_report_lat_lon", "lat", "lon"),
        # The staff list's common question, "open reports of my department, newest
        # first", reads only open rows through these partial indexes (scanned
        # backwards for newest first).
        Index("ix_report_open_department_created", "jurisdiction_id", "department_id", "created_at", "id",
              postgresql_where=text(OPEN_CONDITION), sqlite_where=text(OPEN_CONDITION)),
        Index("ix_report_open_jurisdiction_created", "jurisdiction_id", "created_at", "id",
              postgresql_where=text(OPEN_CONDITION), sqlite_where=text(OPEN_CONDITION)),
        # The department figures read these columns of every report in a period;
        # PostgreSQL answers them from this index alone, a seventh of the table's size.
        Index("ix_report_figures", "jurisdiction_id", "created_at", postgresql_include=list(FIGURE_COLUMNS)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    routing_rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rule.id", ondelete="SET NULL"))
    routing_reason: Mapped[str | None] = mapped_column(Text)

    description: Mapped[str] = mapped_column(Text)
    # The description as the public reads it, masked once per version of the
    # text when it is written (service/privacy/stored_masks.py), so a public
    # read costs nothing extra. Staff and the reporter read ``description``.
    description_public: Mapped[str | None] = mapped_column(Text)
    # The masking rules' version the stored copy was made under (service.privacy.masking.RULES_VERSION);
    # a copy made under older rules is made again (service/privacy/remasking.py).
    mask_version: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    # Where the position came from: the device ("device"), a photo's EXIF GPS
    # ("photo") or the resident's address hint ("address").
    location_source: Mapped[str] = mapped_column(String(20), default="device", server_default="device")
    address_hint: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(500))
    address_parts: Mapped[dict[str, str] | None] = mapped_column(JSON)
    address_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    geohash: Mapped[str | None] = mapped_column(String(12), index=True)

    status: Mapped[str] = mapped_column(String(20), default="received")
    # Bumped on every staff write; the ETag staff send back in If-Match.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Indexed: list rows count the duplicates merged into each report.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"), index=True)
    ward: Mapped[str | None] = mapped_column(String(100), index=True)
    # The resident's words before moderation redacted them; admins only.
    description_original: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)

    # Private: never in a public response, open data or a log line.
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    reporter_phone: Mapped[str | None] = mapped_column(String(50))
    # Mail goes to the reporter only with this explicit opt-in, in this language.
    reporter_email_updates: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reporter_language: Mapped[str | None] = mapped_column(String(10))
    device_id: Mapped[str | None] = mapped_column(String(200))
    tracking_token_hash: Mapped[str] = mapped_column(String(64))
    # An HMAC of the sender's scope and the Idempotency-Key (service/domain/idempotency.py), never the key itself.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))

    processing_state: Mapped[str] = mapped_column(String(20), default="pending")
    processing_attempts: Mapped[int] = mapped_column(Integer, default=0)
    processing_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processing_error: Mapped[str | None] = mapped_column(Text)
    processing_steps: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SLA clocks, from the category's targets in business days.
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When each overdue event and the rating reminder went out, so each goes out once.
    first_response_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Kept on the row by the code that changes them, so the figures read one table:
    # how often the report went from resolved back to in progress, when the
    # resident was first asked to rate it, and the current rating.
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating_score: Mapped[int | None] = mapped_column(Integer)
    rating_fixed: Mapped[bool | None] = mapped_column(Boolean)
    # Where the report came from: the resident API ("app") or an Open311 client ("open311").
    source: Mapped[str] = mapped_column(String(20), default="app", server_default="app")
    api_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_client.id", ondelete="SET NULL"))
    reporter_account_id: Mapped[str | None] = mapped_column(String(200))

    category = relationship("Category", lazy="joined")
    department = relationship("Department", lazy="joined")
    jurisdiction = relationship("Jurisdiction", lazy="joined")
    duplicate_of = relationship("Report", remote_side=[id], lazy="select")
    photos = relationship("Photo", order_by="Photo.position", back_populates="report", lazy="selectin")
    history = relationship("HistoryEntry", order_by="HistoryEntry.id", back_populates="report", lazy="selectin")
    # The staff member working on the report, within its department; none until one takes it.
    assignment = relationship("Assignment", uselist=False, lazy="select", cascade="all, delete-orphan", passive_deletes=True)

    @property
    def assignee_id(self) -> int | None:
        return self.assignment.staff_id if self.assignment is not None else None


class HistoryEntry(Model):
    """One thing that happened to a report: its creation, a status change, a reply, a routing."""

    __tablename__ = "history_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    public_reply: Mapped[str | None] = mapped_column(Text)
    # The reply as the public reads it, masked once when it is written.
    public_reply_public: Mapped[str | None] = mapped_column(Text)
    mask_version: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    # A reply sent as a response template wrote it: the template's texts by language at that time
    # (service.domain.response_templates), so residents read it in their language.
    reply_translations: Mapped[dict[str, str] | None] = mapped_column(JSON)
    internal_note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    report = relationship("Report", back_populates="history")


stored_masks.keep_masked(Report, "description", "description_public", report="id")
stored_masks.keep_masked(HistoryEntry, "public_reply", "public_reply_public", report="report_id")
