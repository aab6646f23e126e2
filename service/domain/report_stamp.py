"""What a report's public view depends on, read with one narrow query.

Apps poll a report's status and residents reload its page, so an unchanged
report must be answered without loading it: the stamp holds the columns that
change whenever the public view does (the report's version, bumped by every
staff write, and its update time, which processing moves), the category's
update time (its name is shown), and the primary report's for a duplicate (its
status is shown). A department renamed by an admin is not in the stamp; the
view's short cache lifetime and the next report change bound that staleness.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, aliased

from service.models import Category, Report


@dataclass(frozen=True)
class ReportStamp:
    hidden: bool
    tracking_token_hash: str
    fingerprint: str

    def etag(self, language: str) -> str:
        """A strong entity tag of the public view in ``language``."""
        return f'"{hashlib.sha256(f"{self.fingerprint}|{language}".encode()).hexdigest()[:24]}"'


def report_stamp(session: Session, public_id: str) -> ReportStamp | None:
    """The stamp of the report with this public id, or None when there is none."""
    # On the session's connection, not through Session.execute: the ORM's handling of
    # a statement (events, loading options, identity map) is most of a poll's CPU, and
    # a select of columns needs none of it.
    row = session.connection().execute(_stamp_query(), {"public_id": public_id}).one_or_none()
    if row is None:
        return None
    hidden, token_hash, *changes = row
    fingerprint = "|".join([public_id, *(str(value) for value in changes)])
    return ReportStamp(hidden=bool(hidden), tracking_token_hash=token_hash, fingerprint=fingerprint)


@cache
def _stamp_query() -> Select[bool, str, int, datetime, datetime, int, datetime]:
    # Built once: putting together a select of an aliased table costs more than running it.
    primary = aliased(Report)
    return (
        select(Report.hidden, Report.tracking_token_hash, Report.version, Report.updated_at, Category.updated_at,
               primary.version, primary.updated_at)
        .join(Category, Category.id == Report.category_id)
        .outerjoin(primary, primary.id == Report.duplicate_of_id)
        .where(Report.public_id == bindparam("public_id"))
    )
