"""The language of an answer: ``?lang=``, else Accept-Language, else Japanese (service.domain.languages)."""

from typing import Any

from flask import request

from service.domain import languages


def preferred_language() -> str:
    return languages.choose(request.args.get("lang"), list(request.accept_languages))


def localised(obj: object, field: str, language: str) -> Any:
    """A record's text in ``language``: its ``translations``, else its ``<field>_<language>`` column, else Japanese."""
    return (languages.translated(getattr(obj, "translations", None), field, language)
            or getattr(obj, f"{field}_{language.replace('-', '_')}", None) or getattr(obj, f"{field}_ja", None))
