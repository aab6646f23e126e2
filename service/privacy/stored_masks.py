"""Masked text stored beside the original, once per version of the text.

A public read shows a report's description and its public replies many times
for each time they are written, so the masking is done when a row is inserted
or its text changes, and the masked copy is kept in a column of its own. The
hook sits on the model, so every writer (intake, staff redaction, moderation,
a command) re-masks without knowing it: no path can leave a stale copy.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect

from service.privacy.masking import mask_personal_data


def masked(text: str | None) -> str | None:
    """The public form of ``text``: personal data replaced by placeholders."""
    if not text:
        return text
    return mask_personal_data(text).text


def keep_masked(model: type, original: str, public: str) -> None:
    """Keep ``model.<public>`` equal to the masked ``model.<original>`` on every insert and update."""

    def on_insert(mapper: Any, connection: Any, target: Any) -> None:
        setattr(target, public, masked(getattr(target, original)))

    def on_update(mapper: Any, connection: Any, target: Any) -> None:
        if inspect(target).attrs[original].history.has_changes():
            setattr(target, public, masked(getattr(target, original)))

    event.listen(model, "before_insert", on_insert)
    event.listen(model, "before_update", on_update)


def public_copy(original: str | None, stored: str | None) -> str | None:
    """The stored public copy; masked here only for a row written before the copy existed."""
    if stored is not None or not original:
        return stored if stored is not None else original
    return masked(original)
