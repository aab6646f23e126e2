"""Stored masks made again when the masking rules change.

Each stored public copy records the rules' version it was made under
(service/privacy/stored_masks.py). After the rules change
(:data:`service.privacy.masking.RULES_VERSION` is raised), the copies made
under older rules are masked again from their originals, in batches of
:data:`BATCH` rows, each committed on its own, so a large table is never read
whole nor locked long. ``machikoe privacy remask`` runs it to the end; the
privacy job runs a bounded part of it each time, so the copies catch up by
themselves.

A row whose text is written while a batch is being masked is not overwritten:
the write made its own copy under the current rules, and the batch updates
only rows still stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from service.models import Report
from service.models.types import utcnow
from service.privacy import masking
from service.privacy.stored_masks import STORED, StoredMask, masked

BATCH = 500
# What the privacy job masks again per stored mask each time it runs.
ROWS_PER_RUN = 20 * BATCH


@dataclass
class Remasked:
    """One stored mask's part of a run: rows whose copy was stale, and those whose copy reads differently now."""

    column: str
    stale: int = 0
    changed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"column": self.column, "rules_version": masking.RULES_VERSION, "stale": self.stale,
                "changed": self.changed}


def remask(session: Session, *, dry_run: bool = False, max_rows: int | None = None, batch: int = BATCH) -> list[Remasked]:
    """Mask again every stale copy (at most ``max_rows`` per stored mask), committing each batch.

    With ``dry_run`` nothing is written: the result says what a run would do.
    """
    return [_remask(session, mask, dry_run, max_rows, batch) for mask in STORED]


def _remask(session: Session, mask: StoredMask, dry_run: bool, max_rows: int | None, batch: int) -> Remasked:
    columns = mask.model.__table__.c  # type: ignore[attr-defined]
    key, original, public = columns.id, columns[mask.original], columns[mask.public]
    result, last = Remasked(mask.name), 0
    while max_rows is None or result.stale < max_rows:
        size = batch if max_rows is None else min(batch, max_rows - result.stale)
        rows = session.execute(select(key, original, public).where(key > last, mask.stale()).order_by(key).limit(size)).all()
        if not rows:
            break
        last = rows[-1][0]
        fresh = [(row_id, masked(text)) for row_id, text, stored in rows]
        changed = [(row_id, copy) for (row_id, copy), (_, _, stored) in zip(fresh, rows, strict=True) if copy != stored]
        result.stale += len(rows)
        result.changed += len(changed)
        if not dry_run:
            _write(session, mask, [row_id for row_id, _ in fresh], changed)
            session.commit()
    if dry_run:
        session.rollback()
    return result


def _write(session: Session, mask: StoredMask, ids: list[int], changed: list[tuple[int, str | None]]) -> None:
    table = mask.model.__table__  # type: ignore[attr-defined]
    still_stale = mask.stale()
    if changed:
        # The public text changed, so the row's own update time (where it has one) moves with it.
        session.execute(update(table).where(table.c.id == bindparam("row_id"), still_stale)
                        .values({mask.public: bindparam("copy"), mask.version: masking.RULES_VERSION}),
                        [{"row_id": row_id, "copy": copy} for row_id, copy in changed])
        # Their reports' public views read differently now: each report's update time moves, so
        # its stamp (the ETag, the views kept in memory) changes, and, run through the ORM,
        # this process's caches hear of it at the commit.
        reports = select(table.c[mask.report]).where(table.c.id.in_([row_id for row_id, _ in changed]))
        session.execute(update(Report).where(Report.id.in_(reports)).values(updated_at=utcnow()))
    unchanged = sorted(set(ids) - {row_id for row_id, _ in changed})
    if unchanged:
        # Only the version is new: the row's update time, where it has one, stays.
        kept = {column.name: column for column in table.c if column.onupdate is not None}
        session.execute(update(table).where(table.c.id.in_(unchanged), still_stale)
                        .values({mask.version: masking.RULES_VERSION, **kept}))
