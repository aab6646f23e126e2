"""A category's extra questions (Open311 attributes) and the answers a report gives them.

Every intake path (the resident API, Open311, LINE, the web form) stores a
report through :func:`service.domain.intake.submit_report`, which checks the
answers here against the category's definitions, so no path can store an
answer the category did not ask for or a value outside its type or list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
MAX_TEXT = 4000


class AttributeRefused(Exception):
    """An answer the category does not accept; ``field`` names it (``attributes.<code>``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def field(self) -> str:
        return f"attributes.{self.code}"


def checked_answers(definitions: Sequence[dict[str, Any]], given: Mapping[str, Any]) -> dict[str, Any]:
    """The answers as stored: numbers as numbers, multiple choices as a list without repeats.

    An empty answer (``None``, ``""``, ``[]``) counts as no answer. Raises
    :class:`AttributeRefused` for a code the category does not define, a value
    of the wrong type or outside the list, or a missing required answer.
    """
    known = {a["code"]: a for a in definitions}
    for code in given:
        if code not in known:
            raise AttributeRefused(str(code), "This category does not ask this question.")
    answers: dict[str, Any] = {}
    for code, definition in known.items():
        value = given.get(code)
        if value is None or value == "" or value == []:
            if definition.get("required") and definition.get("variable", True):
                raise AttributeRefused(code, "An answer is required.")
            continue
        answers[code] = _value(code, definition, value)
    return answers


def _value(code: str, definition: dict[str, Any], value: Any) -> Any:
    datatype = definition.get("datatype", "string")
    keys = {str(v["key"]) for v in definition.get("values", [])}
    if datatype == "multivaluelist":
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) and v in keys for v in items):
            raise AttributeRefused(code, f"Choose among: {', '.join(sorted(keys))}.")
        return list(dict.fromkeys(items))
    if datatype == "number":
        return _number(code, value)
    if not isinstance(value, str):
        raise AttributeRefused(code, "The answer must be text.")
    if len(value) > MAX_TEXT:
        raise AttributeRefused(code, f"At most {MAX_TEXT} characters.")
    if datatype == "singlevaluelist" and value not in keys:
        raise AttributeRefused(code, f"Choose one of: {', '.join(sorted(keys))}.")
    if datatype == "datetime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise AttributeRefused(code, "The answer must be an ISO 8601 date and time.") from None
    return value


def _number(code: str, value: Any) -> float | int:
    # Forms (Open311, the web form without JavaScript) send numbers as text.
    if isinstance(value, bool):
        raise AttributeRefused(code, "The answer must be a number.")
    if isinstance(value, int | float):
        number: float | int = value
    elif isinstance(value, str) and len(value) <= 100:
        try:
            number = float(value)
        except ValueError:
            raise AttributeRefused(code, "The answer must be a number.") from None
    else:
        raise AttributeRefused(code, "The answer must be a number.")
    if not math.isfinite(number):
        raise AttributeRefused(code, "The answer must be a number.")
    return number


def question(definition: Mapping[str, Any], language: str) -> tuple[str, list[dict[str, str]]]:
    """An attribute's question and its choices ({key, name}) in ``language``, falling back to Japanese.

    Words come from the attribute's ``translations`` ({language: {"description",
    "values": {key: name}}}), else its ``description_<language>`` and choices'
    ``name_<language>`` fields, else their Japanese ones.
    """
    words = (definition.get("translations") or {}).get(language) or {}
    names = words.get("values") or {}
    description = (words.get("description") or definition.get(f"description_{language}") or definition.get("description_ja")
                   or definition.get("description") or "")
    choices = [{"key": v["key"], "name": names.get(v["key"]) or v.get(f"name_{language}") or v.get("name_ja") or v["key"]}
               for v in definition.get("values", [])]
    return description, choices
