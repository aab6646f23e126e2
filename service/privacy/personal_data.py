"""The one declaration of the personal data Machikoe holds, and how each piece is removed.

The retention purge (service/domain/retention.py), the reporter's rights
(service/domain/rights.py) and the 個人情報ファイル簿 (service/privacy/register.py)
all read :data:`PERSONAL_FIELDS`, so a column added here is purged, found,
exported and listed at once, and none of the three can forget one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from service.domain.originals import delete_unnamed
from service.models import Delivery, Follower, HistoryEntry, LineReport, LineUser, OutboxEvent, Photo, Report
from service.privacy.stored_masks import masked
from service.storage.base import PhotoStore


class Removal(StrEnum):
    """What removing a piece of personal data does to its column."""

    CLEAR = "clear"  # set to NULL
    FILE = "file"  # the stored object is deleted, then the column set to NULL
    ROW = "row"  # the row is deleted (a LINE user, once no report links it)
    MASK = "mask"  # free text: the personal data written in it is masked in place, the rest stays


class Readers(StrEnum):
    """Who may read a field, in the terms of service/domain/access.py."""

    STAFF = "staff"  # every role that opens the staff report view, within its scope
    ADMIN = "admin"  # admins only
    NOBODY = "nobody"  # no view shows it; it is matched, never read


@dataclass(frozen=True)
class PersonalField:
    column: InstrumentedAttribute[Any]
    label_ja: str
    removal: Removal = Removal.CLEAR
    readers: Readers = Readers.STAFF
    # A person can be found by this field (the identity kinds of rights.find).
    identity: str | None = None
    # The person may have it corrected (訂正).
    correctable: bool = False
    collected_by: tuple[str, ...] = field(default=("app", "open311", "line"))

    @property
    def table(self) -> str:
        return self.column.class_.__tablename__

    @property
    def name(self) -> str:
        return self.column.key


PERSONAL_FIELDS: tuple[PersonalField, ...] = (
    PersonalField(Report.reporter_name, "通報者の氏名", correctable=True, collected_by=("app", "open311")),
    PersonalField(Report.reporter_email, "通報者のメールアドレス", identity="email", correctable=True,
                  collected_by=("app", "open311")),
    PersonalField(Report.reporter_phone, "通報者の電話番号", identity="phone", correctable=True,
                  collected_by=("app", "open311")),
    PersonalField(Report.device_id, "端末ID", identity="device_id", collected_by=("app", "open311")),
    PersonalField(Report.reporter_account_id, "外部システムの利用者アカウントID", collected_by=("open311",)),
    PersonalField(Report.idempotency_key, "再送識別キー（端末IDから導いたHMAC）", readers=Readers.NOBODY,
                  collected_by=("app",)),
    PersonalField(Report.description_original, "モデレーション前の説明文", readers=Readers.ADMIN),
    PersonalField(Report.description, "説明文に書かれた連絡先など（電話番号・メールアドレス・番地等）", removal=Removal.MASK),
    PersonalField(HistoryEntry.public_reply, "職員の回答に書かれた連絡先など", removal=Removal.MASK, collected_by=()),
    PersonalField(HistoryEntry.internal_note, "職員の内部メモに書かれた連絡先など", removal=Removal.MASK, collected_by=()),
    PersonalField(Photo.original_key, "写真の原本（メタデータ付き）", removal=Removal.FILE),
    PersonalField(Photo.exif_lat, "写真の撮影位置（緯度）"),
    PersonalField(Photo.exif_lon, "写真の撮影位置（経度）"),
    PersonalField(Photo.taken_at, "写真の撮影日時"),
    PersonalField(LineUser.user_id, "LINEユーザーID", identity="line_id", removal=Removal.ROW,
                  readers=Readers.NOBODY, collected_by=("line",)),
    # A LINE push names the user it went to and keeps what it said, for the person's export.
    PersonalField(Delivery.line_user_id, "LINEで送った通知の宛先（LINEユーザー）", readers=Readers.NOBODY,
                  collected_by=("line",)),
    PersonalField(Delivery.sent_text, "LINEで送った通知の文面", readers=Readers.ADMIN, collected_by=()),
    # A follow ("me too") is kept only to notify; staff see how many follow, never who.
    PersonalField(Follower.email, "通報をフォローした住民のメールアドレス", identity="email", removal=Removal.ROW,
                  readers=Readers.NOBODY, collected_by=("app",)),
    PersonalField(Follower.device_id, "通報をフォローした端末ID", identity="device_id", removal=Removal.ROW,
                  readers=Readers.NOBODY, collected_by=("app",)),
)

# LINE webhook events not yet handled: kept (they hold a resident's message on
# its way to a report); handled ones hold the sender's id and are removed.
LINE_EVENTS_IN_HAND = ("pending", "handling")
IDENTITIES = tuple(dict.fromkeys(f.identity for f in PERSONAL_FIELDS if f.identity))
CORRECTABLE = {f.name: f for f in PERSONAL_FIELDS if f.correctable}


def fields_of(model: type) -> tuple[PersonalField, ...]:
    """The fields of ``model`` that hold personal data as a whole (free text apart), removed outright."""
    return tuple(f for f in PERSONAL_FIELDS if f.column.class_ is model and f.removal is not Removal.MASK)


def text_fields_of(model: type) -> tuple[PersonalField, ...]:
    """The free-text fields of ``model`` that may hold personal data among other words."""
    return tuple(f for f in PERSONAL_FIELDS if f.column.class_ is model and f.removal is Removal.MASK)


def held(row: Any) -> list[str]:
    """The names of the personal fields still set on ``row`` (a report or a photo)."""
    return [f.name for f in fields_of(type(row)) if getattr(row, f.name) is not None]


def held_in_report(report: Report) -> list[str]:
    """The personal fields still set on a report and its photos, as ``table.column``."""
    names = [f"report.{name}" for name in held(report)]
    for photo in report.photos:
        names.extend(f"photo.{name}" for name in held(photo) if f"photo.{name}" not in names)
    return names


@dataclass
class Removed:
    """What one removal did, for its audit row and for the command's output."""

    reports: list[str] = field(default_factory=list)
    # Originals to delete from the photo store once the transaction has committed.
    object_keys: list[str] = field(default_factory=list)
    line_users_deleted: int = 0
    followers_deleted: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"reports": self.reports, "originals_deleted": len(self.object_keys),
                "line_users_deleted": self.line_users_deleted, "followers_deleted": self.followers_deleted}

    def add(self, other: Removed) -> None:
        self.reports += other.reports
        self.object_keys += other.object_keys
        self.line_users_deleted += other.line_users_deleted
        self.followers_deleted += other.followers_deleted

    def delete_objects(self, session: Session, store: PhotoStore) -> None:
        """Delete the originals, after the commit: a rolled-back removal never loses a file it still names."""
        delete_unnamed(session, store, self.object_keys)


def remove_from_reports(session: Session, reports: Sequence[Report], *, with_followers: bool = True) -> Removed:
    """Clear every personal field of ``reports`` and their photos and LINE pushes, unlink and delete their LINE users.

    The reports' follows are deleted unless ``with_followers`` is false (an
    erasure for one person leaves other residents' follows of their reports). Contact and phone numbers written into the description, the public
    replies and the internal notes are masked in place, as the public sees
    them. What the figures read (status, dates, department, category,
    ratings) is left as it was, so the figures come out the same after
    removal. Removing twice changes nothing the second time. The kept
    originals are listed in the result for :meth:`Removed.delete_objects`.
    """
    removed = Removed()
    for report in reports:
        _clear(report)
        _mask(report)
        for entry in report.history:
            _mask(entry)
        for photo in report.photos:
            for f in fields_of(Photo):
                if f.removal is Removal.FILE and getattr(photo, f.name) is not None:
                    removed.object_keys.append(getattr(photo, f.name))
            _clear(photo)
        removed.reports.append(report.public_id)
    ids = [report.id for report in reports]
    if ids:
        linked = set(session.scalars(select(LineReport.line_user_id).where(LineReport.report_id.in_(ids))))
        session.execute(delete(LineReport).where(LineReport.report_id.in_(ids)))
        clear_line_pushes(session, Delivery.outbox_event_id.in_(select(OutboxEvent.id).where(OutboxEvent.report_id.in_(ids))))
        removed.line_users_deleted = remove_line_users(session, linked, only_unlinked=True)
        if with_followers:
            removed.followers_deleted = remove_followers(session, select(Follower.id).where(Follower.report_id.in_(ids)))
    session.flush()
    return removed


def remove_followers(session: Session, follower_ids: Any) -> int:
    """Delete follows (``follower_ids``: ids, or a select of them); how many went."""
    result = session.execute(delete(Follower).where(Follower.id.in_(follower_ids)).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def remove_line_users(session: Session, line_user_ids: Iterable[int], *, only_unlinked: bool) -> int:
    """Delete LINE users (their id, language and conversation); with ``only_unlinked``, those no report links."""
    wanted = set(line_user_ids)
    if not wanted:
        return 0
    if only_unlinked:
        wanted -= set(session.scalars(select(LineReport.line_user_id).where(LineReport.line_user_id.in_(wanted))))
    else:
        session.execute(delete(LineReport).where(LineReport.line_user_id.in_(wanted)))
    if not wanted:
        return 0
    clear_line_pushes(session, Delivery.line_user_id.in_(wanted))
    session.execute(delete(LineUser).where(LineUser.id.in_(wanted)))
    return len(wanted)


def clear_line_pushes(session: Session, condition: ColumnElement[bool]) -> None:
    """Clear whom the LINE pushes ``condition`` selects went to and what they said; the delivery's state stays."""
    pushed = fields_of(Delivery)
    session.execute(update(Delivery).where(condition, or_(*(f.column.is_not(None) for f in pushed)))
                    .values({f.name: None for f in pushed}).execution_options(synchronize_session=False))


def _mask(row: Any) -> None:
    # Only a changed text is written, so a second removal leaves the row untouched.
    for f in text_fields_of(type(row)):
        text = getattr(row, f.name)
        public = masked(text)
        if public != text:
            setattr(row, f.name, public)


def _clear(row: Any) -> None:
    for f in fields_of(type(row)):
        if f.removal in (Removal.CLEAR, Removal.FILE):
            setattr(row, f.name, None)

