"""What a report's public view depends on, read with one narrow query.

Apps poll a report's status and residents reload its page, so an unchanged
report must be answered without loading it: the stamp holds the columns that
change whenever the public view does (the report's version, bumped by every
staff write, and its update time, which processing moves), the category's
update time (its name is shown), the department's names (shown; a department
has no update time), and the primary report's version and update time for a
duplicate (its status is shown).

:class:`RecentStamps` keeps the stamps this process read in the last second
or so, so that the polls of one report in that time read no row at all: the
public view may be cached for seconds by any proxy anyway (``max-age``), and
a change this process commits drops them at once.

:class:`RenderedViews` keeps the public views this process rendered, by the
stamp they were rendered at, so that a read of an unchanged report costs a
stamp and a lookup. A view is kept under everything it was made from (the
stamp's fingerprint, the language, the base of its links), so a kept view is
never one that the rows would now render differently; it holds only what the
public view shows.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Engine, Select, String, bindparam, cast, select
from sqlalchemy.orm import Session, aliased

from service.domain.committed_changes import after_commit_of
from service.models import Category, Department, HistoryEntry, Jurisdiction, Photo, Report


@dataclass(frozen=True)
class ReportStamp:
    hidden: bool
    tracking_token_hash: str
    fingerprint: str
    # The code of the report's jurisdiction: its site (branding, whether reports are public) is known before the report is read.
    jurisdiction: str

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
    hidden, token_hash, jurisdiction, *changes = row
    fingerprint = "|".join([public_id, *(str(value) for value in changes)])
    return ReportStamp(hidden=bool(hidden), tracking_token_hash=token_hash, fingerprint=fingerprint, jurisdiction=jurisdiction)


@cache
def _stamp_query() -> Select[bool, str, str, int, datetime, datetime, str, str, str, int, datetime]:
    # Built once: putting together a select of an aliased table costs more than running it.
    primary = aliased(Report)
    return (
        select(Report.hidden, Report.tracking_token_hash, Jurisdiction.code, Report.version, Report.updated_at,
               Category.updated_at, Department.name_ja, Department.name_en, cast(Department.translations, String),
               primary.version, primary.updated_at)
        .join(Category, Category.id == Report.category_id)
        .join(Jurisdiction, Jurisdiction.id == Report.jurisdiction_id)
        .outerjoin(Department, Department.id == Report.department_id)
        .outerjoin(primary, primary.id == Report.duplicate_of_id)
        .where(Report.public_id == bindparam("public_id"))
    )


class RecentStamps:
    """The stamps this process read in the last ``seconds``, by database and public id; the oldest go beyond ``size``."""

    def __init__(self, size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._size, self._clock = size, clock
        self._stamps: OrderedDict[tuple[str, str], tuple[float, ReportStamp | None]] = OrderedDict()

    def kept(self, engine: Engine, public_id: str, seconds: float) -> Kept | None:
        """The report's stamp as read at most ``seconds`` ago, without reading; None when it was not read since."""
        return self.kept_in(database_key(engine), public_id, seconds)

    def kept_in(self, database: str, public_id: str, seconds: float) -> Kept | None:
        """:meth:`kept` by the :func:`database_key` of the engine."""
        if seconds <= 0:
            return None
        kept = self._stamps.get((database, public_id))
        if kept is not None and self._clock() - kept[0] < seconds:
            return Kept(kept[1])
        return None

    def get(self, session: Session, public_id: str, seconds: float) -> ReportStamp | None:
        """The report's stamp as read at most ``seconds`` ago (0: read now); None when there is no such report."""
        if seconds <= 0:
            return report_stamp(session, public_id)
        engine = session.get_bind().engine
        kept = self.kept(engine, public_id, seconds)
        if kept is not None:
            return kept.stamp
        key = (database_key(engine), public_id)
        now = self._clock()
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


@dataclass(frozen=True)
class Kept:
    """A stamp kept by :class:`RecentStamps`; ``stamp`` None says there was no such report."""

    stamp: ReportStamp | None


class RenderedViews:
    """Public views rendered by this process, by what they were rendered from; the least recently used go beyond ``size``."""

    def __init__(self, size: int = 2_000) -> None:
        self._lock = threading.Lock()
        self._size = size
        self._views: OrderedDict[tuple[str, ...], bytes] = OrderedDict()

    def get(self, key: tuple[str, ...]) -> bytes | None:
        view = self._views.get(key)
        if view is not None:
            with self._lock:
                if key in self._views:
                    self._views.move_to_end(key)
        return view

    def keep(self, key: tuple[str, ...], view: bytes) -> None:
        with self._lock:
            self._views[key] = view
            self._views.move_to_end(key)
            while len(self._views) > self._size:
                self._views.popitem(last=False)

    def forget(self) -> None:
        with self._lock:
            self._views.clear()


def view_key(engine: Engine, stamp: ReportStamp, *parts: str) -> tuple[str, ...]:
    """The key of a view rendered at ``stamp`` from ``engine``'s rows, with what else it was made from."""
    return (database_key(engine), stamp.fingerprint, *parts)


def database_key(engine: Engine) -> str:
    """Which database ``engine`` reads, as the kept stamps and views are filed by it."""
    # Rendering an engine's URL costs more than a kept poll's own work, and an engine's URL never changes.
    key = _database_keys.get(engine)
    if key is None:
        key = _database_keys[engine] = str(engine.url)
    return key


_database_keys: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()

recent_stamps = RecentStamps()
rendered_views = RenderedViews()

# A change this process commits to what the stamp or the view it stands for is read from drops the stamps at
# once. Rendered views are kept by fingerprint, so a changed report's are never served again; they go too, to
# hand their memory back.
def _forget_what_changed() -> None:
    # The module's caches as they are when the commit comes (a test may put fresh ones in their place).
    recent_stamps.forget()
    rendered_views.forget()


after_commit_of((Report, Category, Department, Photo, HistoryEntry), _forget_what_changed)
