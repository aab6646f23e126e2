"""Duplicate candidates: open reports of the same category close by, for staff to judge."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.extensions import Model


class DuplicateCandidate(Model):
    __tablename__ = "duplicate_candidate"
    __table_args__ = (UniqueConstraint("report_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    distance_m: Mapped[float] = mapped_column(Float)
