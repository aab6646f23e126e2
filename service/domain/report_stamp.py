"""What a report's public view depends on, read with one narrow query.

Apps poll a report's status and residents reload its page, so an unchanged
report must be answered without loading it: the stamp holds the columns that
change whenever the public view does (the report's version, bumped by every
staff write, and its update time, which processing moves), the category's
update time (its name is shown), and the primary report's for a duplicate (its
status is shown). A department renamed by an admin is not in the stamp; the
view's short cache lifetime and the next report change bound that staleness.

:class:`RecentStamps` keeps the stamps this process read in the last second
or so, so that the polls of one report in that time read no row at all: the
public view may be cached for seconds by any proxy anyway (``max-age``), and
a change this process commits drops them at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from itertools import chain

from sqlalchemy import Select, bindparam, event, select
from sqlalchemy.orm import ORMExecuteState, Session, aliased

from service.models import Category, HistoryEntry, Photo, Report


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


class RecentStamps:
    """The stamps this process read in the last ``seconds``, by database and public id; the oldest go beyond ``size``."""

    def __init__(self, size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._size, self._clock = size, clock
        self._stamps: OrderedDict[tuple[str, str], tuple[float, ReportStamp | None]] = OrderedDict()

    def get(self, session: Session, public_id: str, seconds: float) -> ReportStamp | None:
        """The report's stamp as read at most ``seconds`` ago (0: read now); None when there is no such report."""
        if seconds <= 0:
            return report_stamp(session, public_id)
        key = (str(session.get_bind().engine.url), public_id)
        now = self._clock()
        kept = self._stamps.get(key)
        if kept is not None and now - kept[0] < seconds:
            return kept[1]
        stamp = report_stamp(session, public_id)
        with self._lock:
            self._stamps[key] = (now, stamp)
            self._stamps.move_to_end(key)
            while len(self._stamps) > self._size:
                self._stamps.popitem(last=False)
        return stamp

    def forget(self) -> None:
        with self._lock:
            self._stamps.clear()


recent_stamps = RecentStamps()

# What the stamp or the view it stands for is read from, and the session mark that one of them changed.
_VIEW_ROWS = (Report, Category, Photo, HistoryEntry)
_CHANGED_KEY = "machikoe.public_view_changed"


@event.listens_for(Session, "before_flush")
def _note_view_changes(session: Session, flush_context: object, instances: object) -> None:
    if any(isinstance(o, _VIEW_ROWS) for o in chain(session.new, session.dirty, session.deleted)):
        session.info[_CHANGED_KEY] = True


@event.listens_for(Session, "do_orm_execute")
def _note_view_statements(state: ORMExecuteState) -> None:
    # An UPDATE, INSERT or DELETE statement run through the session changes rows without a flush.
    if (state.is_update or state.is_insert or state.is_delete) and state.bind_mapper is not None \
            and issubclass(state.bind_mapper.class_, _VIEW_ROWS):
        state.session.info[_CHANGED_KEY] = True


@event.listens_for(Session, "after_commit")
def _forget_stamps_after_view_changes(session: Session) -> None:
    if session.info.pop(_CHANGED_KEY, False):
        recent_stamps.forget()


@event.listens_for(Session, "after_rollback")
def _forget_view_changes(session: Session) -> None:
    session.info.pop(_CHANGED_KEY, None)
