"""Texts residents read in every language, set the same way by every operator command.

A record's text (a category's name or notice, a department's name, a response
template's body) lives in ``<field>_ja`` and ``<field>_en`` columns and, for the
other languages, in ``translations[language][field]``
(:mod:`service.domain.languages`). Commands take it as a repeatable
``--<field> LANG=TEXT`` (:func:`texts_option`), for each of the seven
languages; :func:`text_changes` turns what was given into the record's
changes, and :func:`texts_of` shows a record's texts by language for ``--json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import click

from service.domain.languages import LANGUAGES

COLUMN_LANGUAGES = ("ja", "en")
# A category or a department always has a name in both columns.
NAMES_REQUIRED = ("name_ja", "name_en")
_BY_LOWER = {code.lower(): code for code in LANGUAGES}
LANGUAGE_LIST = ", ".join(LANGUAGES)


def texts_option(field: str, what: str, *, removable: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--<field> LANG=TEXT``, repeatable; the command gets ``<field>_texts``, a dict of language to text."""
    removing = "; LANG= with no text removes it" if removable else ""
    return click.option(f"--{field}", f"{field}_texts", multiple=True, metavar="LANG=TEXT", callback=_parsed,
                        help=f"{what} in one language ({LANGUAGE_LIST}); repeat for each{removing}")


def _parsed(ctx: click.Context, param: click.Parameter, values: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        tag, equals, text = value.partition("=")
        language = _BY_LOWER.get(tag.strip().lower()) if equals else None
        if language is None:
            raise click.BadParameter(f"{value!r}: give LANG=TEXT, LANG one of {LANGUAGE_LIST}", ctx, param)
        if language in found:
            raise click.BadParameter(f"{language} is given twice", ctx, param)
        found[language] = text.strip()
    return found


def with_column_options(texts: dict[str, str], field: str, **columns: str | None) -> dict[str, str]:
    """``texts`` with the older ``--<field>-ja``/``--<field>-en`` options merged in (``ja=...``, ``en=...``)."""
    merged = dict(texts)
    for language, text in columns.items():
        if text is not None:
            if language in merged and merged[language] != text.strip():
                raise click.UsageError(f"--{field} {language}= and --{field}-{language} say different things")
            merged[language] = text.strip()
    return merged


def text_changes(translations: Mapping[str, Mapping[str, str]] | None, given: Mapping[str, Mapping[str, str]],
                 required: Iterable[str] = ()) -> dict[str, Any]:
    """The changes that set ``given`` (field → language → text): Japanese and English in their columns, the rest in
    ``translations``. An empty text removes the language's text, except from a column in ``required``
    (``name_ja``...), which every record has (raises click.UsageError).
    """
    changes: dict[str, Any] = {}
    kept = {language: dict(fields) for language, fields in (translations or {}).items()}
    for field, texts in given.items():
        for language, text in texts.items():
            if language in COLUMN_LANGUAGES:
                if not text and f"{field}_{language}" in required:
                    raise click.UsageError(f"--{field} {language}= cannot be empty: every record has one")
                changes[f"{field}_{language}"] = text or None
            elif text:
                kept.setdefault(language, {})[field] = text
            elif field in kept.get(language, {}):
                del kept[language][field]
                if not kept[language]:
                    del kept[language]
    if kept != {language: dict(fields) for language, fields in (translations or {}).items()}:
        changes["translations"] = kept
    return changes


def texts_of(record: object, field: str) -> dict[str, str]:
    """The record's ``field`` by language, in the order of :data:`LANGUAGES`, the languages it has a text in."""
    translations = getattr(record, "translations", None) or {}
    found = {}
    for language in LANGUAGES:
        text = (getattr(record, f"{field}_{language}", None) if language in COLUMN_LANGUAGES
                else (translations.get(language) or {}).get(field))
        if text:
            found[language] = text
    return found
