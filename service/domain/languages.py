"""The languages residents read, and how a text is chosen among its translations.

日本語 is the default and the fallback of every text; やさしい日本語 (easy
Japanese) has the private-use tag ``ja-x-easy``. Translations are data: status
labels in ``config/translations/statuses.json``, a category's name,
description and notice in its ``translations`` column, a department's name, a
jurisdiction's "not taken" text and a response template's body in theirs, an
attribute question's and its choices' words in the attribute's own
``translations``; each maps a language to its text, and a text missing in a
language falls back to Japanese.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT = "ja"
LANGUAGES = ("ja", "ja-x-easy", "en", "zh-Hans", "ko", "vi", "pt")
NAMES = {"ja": "日本語", "ja-x-easy": "やさしい日本語", "en": "English", "zh-Hans": "中文（简体）", "ko": "한국어",
         "vi": "Tiếng Việt", "pt": "Português"}
# Tags browsers and apps send for a supported language under another name.
ALIASES = {"zh": "zh-Hans", "zh-cn": "zh-Hans", "zh-sg": "zh-Hans", "zh-hans-cn": "zh-Hans", "pt-br": "pt", "pt-pt": "pt",
           "vi-vn": "vi", "ko-kr": "ko", "en-us": "en", "en-gb": "en", "ja-jp": "ja"}
_BY_LOWER = {code.lower(): code for code in LANGUAGES}

STATUS_FILE = Path(__file__).resolve().parent.parent.parent / "config" / "translations" / "statuses.json"


def supported(tag: str | None) -> str | None:
    """The supported language a tag names (case aside, ``zh-CN`` as ``zh-Hans``, ``pt-BR`` as ``pt``), or None."""
    if not tag:
        return None
    lower = tag.strip().lower()
    return _BY_LOWER.get(lower) or ALIASES.get(lower) or _BY_LOWER.get(lower.split("-")[0])


def choose(asked: str | None, accepted: list[tuple[str, float]]) -> str:
    """The language of an answer: ``asked`` (``?lang=``) when supported, else the best of Accept-Language, else Japanese.

    ``accepted`` is Accept-Language as (tag, quality) pairs, best first.
    """
    if (language := supported(asked)) is not None:
        return language
    for tag, quality in accepted:
        if quality > 0 and (language := supported(tag)) is not None:
            return language
    return DEFAULT


def pick(texts: Mapping[str, Any] | None, language: str) -> str | None:
    """The text in ``language`` from a language → text mapping, else the Japanese one."""
    if not texts:
        return None
    return texts.get(language) or texts.get(DEFAULT)


def translated(translations: Mapping[str, Mapping[str, Any]] | None, field: str, language: str) -> str | None:
    """``translations[language][field]`` when present (``translations`` maps a language to its fields)."""
    return ((translations or {}).get(language) or {}).get(field) or None


@cache
def status_labels() -> dict[str, dict[str, str]]:
    labels = json.loads(STATUS_FILE.read_text(encoding="utf-8"))
    return {code: texts for code, texts in labels.items() if not code.startswith("_")}
