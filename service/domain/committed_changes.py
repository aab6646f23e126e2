"""Tell a per-process cache when a session of this process commits a change to the rows it was built from.

Caches kept in memory (the coverage snapshot, the recent report stamps and
public views) must drop what they hold as soon as this process commits a
change to their rows; another process's change is for each of them to notice
in its own time. :func:`after_commit_of` names the row classes and what to call;
one set of session events serves every cache:

- a flush holding a new, changed or deleted row of those classes, or an UPDATE,
  INSERT or DELETE statement on one of them run through the session, marks the
  session;
- the commit of a marked session calls the cache, once, after the rows are in;
- a rollback drops the mark, since nothing of it reached the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

_MARKS_KEY = "machikoe.committed_changes"


@dataclass(frozen=True, eq=False)
class _Watch:
    rows: tuple[type, ...]
    call: Callable[[], None]


_watches: list[_Watch] = []


def after_commit_of(rows: tuple[type, ...], call: Callable[[], None]) -> Callable[[], None]:
    """Call ``call`` after each commit of a session of this process that changed a row of one of ``rows``.

    Returns what stops it (the caches of this package watch for the process's lifetime).
    """
    watch = _Watch(rows, call)
    _watches.append(watch)
    return lambda: _watches.remove(watch)


def _mark(session: Session, found: list[_Watch]) -> None:
    if found:
        marks: set[int] = session.info.setdefault(_MARKS_KEY, set())
        marks.update(id(watch) for watch in found)


@event.listens_for(Session, "before_flush")
def _note_flushed_changes(session: Session, flush_context: object, instances: object) -> None:
    changed = {type(o) for o in chain(session.new, session.dirty, session.deleted)}
    if changed:
        _mark(session, [w for w in _watches if any(issubclass(kind, w.rows) for kind in changed)])


@event.listens_for(Session, "do_orm_execute")
def _note_statements(state: ORMExecuteState) -> None:
    # An UPDATE, INSERT or DELETE statement run through the session changes rows without a flush.
    if (state.is_update or state.is_insert or state.is_delete) and state.bind_mapper is not None:
        kind = state.bind_mapper.class_
        _mark(state.session, [w for w in _watches if issubclass(kind, w.rows)])


@event.listens_for(Session, "after_commit")
def _tell_after_commit(session: Session) -> None:
    marks = session.info.pop(_MARKS_KEY, None)
    if marks:
        for watch in _watches:
            if id(watch) in marks:
                watch.call()


@event.listens_for(Session, "after_rollback")
def _drop_marks(session: Session) -> None:
    session.info.pop(_MARKS_KEY, None)
