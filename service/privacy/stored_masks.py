"""Masked text stored beside the original, once per version of the text and of the masking rules.

A public read shows a report's description and its public replies many times
for each time they are written, so the masking is done when a row is inserted
or its text changes, and the masked copy is kept in a column of its own. The
hook sits on the model, so every writer (intake, staff redaction, moderation,
a command) re-masks without knowing it: no path can leave a stale copy. Each
copy records the rules' version it was made under (``mask_version``), so a
change of the rules finds the copies to make again (service/privacy/remasking.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, event, inspect, or_

from service.privacy import masking


@dataclass(frozen=True)
class StoredMask:
    """A column holding the masked copy of another, and the column holding the rules' version of the copy."""

    model: type
    original: str
    public: str
    version: str
    # The column naming the report a row is part of, whose public view shows the copy.
    report: str

    @property
    def name(self) -> str:
        return f"{self.model.__tablename__}.{self.public}"  # type: ignore[attr-defined]

    def stale(self) -> ColumnElement[bool]:
        """True for a row whose copy was made under older rules, or before versions were recorded."""
        columns = self.model.__table__.c  # type: ignore[attr-defined]
        version = columns[self.version]
        return and_(columns[self.original].is_not(None),
                    or_(version.is_(None), version < masking.RULES_VERSION))


# Every stored mask, in the order the models declared them.
STORED: list[StoredMask] = []


def masked(text: str | None) -> str | None:
    """The public form of ``text``: personal data replaced by placeholders."""
    if not text:
        return text
    return masking.mask_personal_data(text).text


def keep_masked(model: type, original: str, public: str, *, report: str, version: str = "mask_version") -> None:
    """Keep ``model.<public>`` equal to the masked ``model.<original>`` on every insert and update.

    ``report`` is the column of ``model`` naming the report whose public view shows the copy.
    """
    STORED.append(StoredMask(model, original, public, version, report))

    def write(target: Any) -> None:
        setattr(target, public, masked(getattr(target, original)))
        setattr(target, version, masking.RULES_VERSION)

    def on_insert(mapper: Any, connection: Any, target: Any) -> None:
        write(target)

    def on_update(mapper: Any, connection: Any, target: Any) -> None:
        if inspect(target).attrs[original].history.has_changes():
            write(target)

    event.listen(model, "before_insert", on_insert)
    event.listen(model, "before_update", on_update)


def public_copy(original: str | None, stored: str | None) -> str | None:
    """The stored public copy; masked here only for a row written before the copy existed."""
    if stored is not None or not original:
        return stored if stored is not None else original
    return masked(original)
