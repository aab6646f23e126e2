"""Photos of a report: the private original and its public derivatives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.extensions import Model
from service.models.types import UTCDateTime, utcnow


class Photo(Model):
    __tablename__ = "photo"
    __table_args__ = (UniqueConstraint("report_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(50))
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    original_key: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="stored")
    reject_reason: Mapped[str | None] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(default=False)
    large_key: Mapped[str | None] = mapped_column(String(200))
    large_content_type: Mapped[str | None] = mapped_column(String(50))
    thumb_key: Mapped[str | None] = mapped_column(String(200))
    # The derivatives shown in public: the sharp ones above when the photo
    # has no active region, blurred copies (keyed by regions_version) when it has.
    public_large_key: Mapped[str | None] = mapped_column(String(200))
    public_thumb_key: Mapped[str | None] = mapped_column(String(200))
    # Counts the changes to the photo's regions; public URLs carry it, so a
    # change gives the blurred derivatives a new URL that no cache holds.
    regions_version: Mapped[int] = mapped_column(Integer, default=0)
    # Private metadata read from the original before it is stripped.
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report = relationship("Report", back_populates="photos")
    regions = relationship("PhotoRegion", back_populates="photo", order_by="PhotoRegion.id",
                           cascade="all, delete-orphan", passive_deletes=True)

    def active_regions(self) -> list[PhotoRegion]:
        return [region for region in self.regions if region.removed_at is None]


class PhotoRegion(Model):
    """A box of a photo that public derivatives blur: found by a detector or drawn by staff.

    The box is in fractions of the upright photo (see service.photos.regions).
    A region staff remove keeps its row, with who removed it and when, so the
    decision is on record and a detector's run does not bring it back.
    """

    __tablename__ = "photo_region"

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photo.id", ondelete="CASCADE"), index=True)
    left: Mapped[float] = mapped_column(Float)
    top: Mapped[float] = mapped_column(Float)
    width: Mapped[float] = mapped_column(Float)
    height: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(20))  # face, plate or other
    source: Mapped[str] = mapped_column(String(20))  # detector or staff
    score: Mapped[float | None] = mapped_column(Float)  # the detector's confidence
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    photo = relationship("Photo", back_populates="regions")
