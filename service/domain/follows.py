"""Following a report ("me too"): a resident asks to hear how a report goes instead of sending it again.

A follow keeps only what it takes to notify (see :class:`service.models.Follower`),
and one contact follows a report once: following again updates the opt-in and
language. A report merged into another (a duplicate) passes its followers on:
they hear about the primary report too. Unfollowing needs no sign-in, only the
signed link given with the follow and in every mail.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.domain import tokens
from service.models import Follower, Report

UNFOLLOW = "unfollow"


@dataclass(frozen=True)
class Contact:
    """How a follower is reached: an e-mail address (with the opt-in) or an app's device id."""

    email: str | None = None
    device_id: str | None = None
    email_updates: bool = False

    def __post_init__(self) -> None:
        if (self.email is None) == (self.device_id is None):
            raise ValueError("a follower is reached by an e-mail address or by a device, exactly one")


def follow(session: Session, report: Report, contact: Contact, language: str) -> tuple[Follower, bool]:
    """The follow of ``report`` by ``contact``, and whether it is new; the caller commits.

    Following again with the same contact changes the opt-in and language of the existing follow.
    """
    email = contact.email.strip().lower() if contact.email else None
    for attempt in (1, 2):
        existing = _existing(session, report.id, email, contact.device_id)
        if existing is not None:
            existing.email_updates, existing.language = contact.email_updates and email is not None, language
            return existing, False
        follower = Follower(report_id=report.id, email=email, device_id=contact.device_id,
                            email_updates=contact.email_updates and email is not None, language=language)
        try:
            with session.begin_nested():
                session.add(follower)
            return follower, True
        except IntegrityError:
            # The same contact followed at the same moment from another request.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _existing(session: Session, report_id: int, email: str | None, device_id: str | None) -> Follower | None:
    same = Follower.email == email if email is not None else Follower.device_id == device_id
    return session.scalar(select(Follower).where(Follower.report_id == report_id, same))


def unfollow_token(secret: str, follower: Follower) -> str:
    return tokens.signed_reference(secret, UNFOLLOW, follower.id)


def unfollow(session: Session, secret: str, token: str) -> bool:
    """Forget the follow the token names; False when the token is not valid. Forgetting twice is not an error.

    The caller commits.
    """
    follower_id = tokens.read_signed_reference(secret, UNFOLLOW, token)
    if follower_id is None:
        return False
    follower = session.get(Follower, follower_id)
    if follower is not None:
        session.delete(follower)
    return True


def _following(report_id: int) -> ColumnElement[bool]:
    """Followers of the report and of the reports merged into it."""
    merged = select(Report.id).where(Report.duplicate_of_id == report_id)
    return or_(Follower.report_id == report_id, Follower.report_id.in_(merged))


def follower_count(session: Session, report_id: int) -> int:
    """How many residents follow the report, counting those of reports merged into it once per contact."""
    contacts = select(func.coalesce(Follower.email, Follower.device_id)).where(_following(report_id)).distinct()
    return session.scalar(select(func.count()).select_from(contacts.subquery())) or 0


def followers_to_notify(session: Session, report_id: int) -> list[Follower]:
    """The followers told about the report's events, one per contact (the earliest follow wins)."""
    seen: set[str] = set()
    chosen = []
    for follower in session.scalars(select(Follower).where(_following(report_id)).order_by(Follower.id)):
        contact = follower.email or follower.device_id or ""
        if contact not in seen:
            seen.add(contact)
            chosen.append(follower)
    return chosen


def device_followed(session: Session, report_ids: Collection[int]) -> set[int]:
    """Those of ``report_ids`` that an app's device follows, itself or through a report merged into it."""
    if not report_ids:
        return set()
    direct = select(Follower.report_id).where(Follower.device_id.is_not(None), Follower.report_id.in_(report_ids))
    merged = (select(Report.duplicate_of_id).join(Follower, Follower.report_id == Report.id)
              .where(Follower.device_id.is_not(None), Report.duplicate_of_id.in_(report_ids)))
    return {report_id for report_id in session.scalars(direct.union(merged)) if report_id is not None}


def follower_devices(session: Session, report: Report) -> list[str]:
    """The devices to push the report's events to besides the reporter's own, one each."""
    return [f.device_id for f in followers_to_notify(session, report.id) if f.device_id and f.device_id != report.device_id]
