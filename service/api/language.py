"""The language of an answer, from Accept-Language: Japanese unless English is preferred."""

from flask import request

LANGUAGES = ("ja", "en")


def preferred_language() -> str:
    return request.accept_languages.best_match(LANGUAGES, default="ja") or "ja"


def localised(obj: object, field: str, language: str) -> str | None:
    return getattr(obj, f"{field}_{language}", None) or getattr(obj, f"{field}_ja", None)
