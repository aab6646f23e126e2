"""A report as its public view reads it, loaded with three Core selects of columns.

The public view is the hottest read after the 304 poll. Loading it through the
ORM (entities, identity map, loader options and their cache keys) costs several
times the queries themselves, and the view only reads a few columns. So the
rows are selected as plain columns with statements built once, and given the
shape of the ORM objects the presenter reads (``report.category.code``,
``report.photos``...), so that one presenter and one disclosure policy serve
both: :func:`service.api.presenters.report_public` takes either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, aliased

from service.models import Category, Department, HistoryEntry, Jurisdiction, Photo, Report


@dataclass(frozen=True)
class Named:
    """A jurisdiction, category or department: what the public view shows of it."""

    code: str | None = None
    name_ja: str | None = None
    name_en: str | None = None
    translations: dict[str, dict[str, str]] | None = None


@dataclass(frozen=True)
class PrimaryReport:
    public_id: str
    status: str


@dataclass(frozen=True)
class PublicPhoto:
    public_id: str
    position: int
    state: str
    hidden: bool
    public_large_key: str | None
    public_thumb_key: str | None
    regions_version: int


@dataclass(frozen=True)
class PublicEntry:
    created_at: datetime
    kind: str
    to_status: str | None
    public_reply: str | None
    public_reply_public: str | None
    reply_translations: dict[str, str] | None


@dataclass(frozen=True)
class PublicReport:
    """The columns of a report its public view reads, with its related rows."""

    public_id: str
    description: str | None
    description_public: str | None
    status: str
    lat: float
    lon: float
    address_parts: dict[str, str] | None
    address_approximate: bool | None
    processing_state: str
    duplicate_of_id: int | None
    created_at: datetime
    updated_at: datetime
    jurisdiction: Named
    category: Named
    department: Named | None
    duplicate_of: PrimaryReport | None
    photos: list[PublicPhoto]
    history: list[PublicEntry]


REPORT_COLUMNS = (Report.public_id, Report.description, Report.description_public, Report.status, Report.lat, Report.lon,
                  Report.address_parts, Report.address_approximate, Report.processing_state, Report.duplicate_of_id,
                  Report.created_at, Report.updated_at)
PHOTO_COLUMNS = (Photo.public_id, Photo.position, Photo.state, Photo.hidden, Photo.public_large_key, Photo.public_thumb_key,
                 Photo.regions_version)
ENTRY_COLUMNS = (HistoryEntry.created_at, HistoryEntry.kind, HistoryEntry.to_status, HistoryEntry.public_reply,
                 HistoryEntry.public_reply_public, HistoryEntry.reply_translations)


def public_report(session: Session, public_id: str) -> PublicReport | None:
    """The report with this public id as its public view reads it; None when there is none."""
    connection = session.connection()
    row = connection.execute(_report_query(), {"public_id": public_id}).one_or_none()
    if row is None:
        return None
    report_id, fields = row[0], row[1:]
    own = dict(zip((column.key for column in REPORT_COLUMNS), fields[:len(REPORT_COLUMNS)], strict=True))
    (jurisdiction_code, category_code, category_ja, category_en, category_translations, department_id, department_ja,
     department_en, department_translations, primary_public_id, primary_status) = fields[len(REPORT_COLUMNS):]
    photos = [PublicPhoto(*photo) for photo in connection.execute(_photos_query(), {"report_id": report_id})]
    history = [PublicEntry(*entry) for entry in connection.execute(_history_query(), {"report_id": report_id})]
    return PublicReport(
        **own,
        jurisdiction=Named(code=jurisdiction_code),
        category=Named(code=category_code, name_ja=category_ja, name_en=category_en, translations=category_translations),
        department=(Named(name_ja=department_ja, name_en=department_en, translations=department_translations)
                    if department_id is not None else None),
        duplicate_of=PrimaryReport(primary_public_id, primary_status) if primary_public_id is not None else None,
        photos=photos,
        history=history,
    )


# Statements are built once: putting a select together costs more than running it.
@cache
def _report_query() -> Select[*tuple[Any, ...]]:
    primary = aliased(Report)
    return (
        select(Report.id, *REPORT_COLUMNS, Jurisdiction.code, Category.code, Category.name_ja, Category.name_en,
               Category.translations, Department.id, Department.name_ja, Department.name_en, Department.translations,
               primary.public_id,
               primary.status)
        .join(Jurisdiction, Jurisdiction.id == Report.jurisdiction_id)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(Department, Department.id == Report.department_id)
        .outerjoin(primary, primary.id == Report.duplicate_of_id)
        .where(Report.public_id == bindparam("public_id"))
    )


@cache
def _photos_query() -> Select[*tuple[Any, ...]]:
    return select(*PHOTO_COLUMNS).where(Photo.report_id == bindparam("report_id")).order_by(Photo.position)


@cache
def _history_query() -> Select[*tuple[Any, ...]]:
    return select(*ENTRY_COLUMNS).where(HistoryEntry.report_id == bindparam("report_id")).order_by(HistoryEntry.id)
