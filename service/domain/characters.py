"""Which characters the service refuses in what people send it.

PostgreSQL cannot store NUL; XML 1.0 (the Open311 feeds) cannot carry the other C0
controls, lone surrogates, U+FFFE or U+FFFF; DEL and the C1 controls (U+0080–U+009F) only
ever arrive by mistake or by malice. Text (a description, a reply, a name in a form) may
hold tab, line feed and carriage return; names, codes, query parameters and path segments
are single lines and may not.
"""

from __future__ import annotations

import re
from typing import Any

# Code point ranges, first and last included: refused everywhere, and refused in a single line too.
SURROGATES = (0xD800, 0xDFFF)
CONTROLS = ((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F), (0xFFFE, 0xFFFF))
NEVER = (*CONTROLS, SURROGATES)
LINE_BREAKS = ((0x09, 0x0A), (0x0D, 0x0D))


def _escaped_class(ranges: tuple[tuple[int, int], ...]) -> str:
    """A regular-expression class body of ``ranges``, written in escapes that Python's re and
    ECMA-262 (JSON Schema's ``pattern``) read alike, so the class also goes into the contract."""
    return "".join(f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges)


_NEVER = _escaped_class(NEVER)
_NEVER_IN_LINE = _escaped_class(LINE_BREAKS + NEVER)
_IN_TEXT = re.compile(f"[{_NEVER}]")
_IN_LINE = re.compile(f"[{_NEVER_IN_LINE}]")
# The same policy as a JSON Schema ``pattern`` for the contract: text that holds no refused character.
# A lone surrogate is left out there: no Unicode string holds one (so validators refuse a pattern
# that names them), and only a JSON escape can send one, which the server refuses all the same.
TEXT_PATTERN = f"^[^{_escaped_class(CONTROLS)}]*$"
LINE_PATTERN = f"^[^{_escaped_class(tuple(sorted(LINE_BREAKS + CONTROLS)))}]*$"


def refused_character(value: str, *, text: bool) -> str | None:
    """The first character ``value`` may not hold, or None; ``text`` allows tab and line breaks."""
    match = (_IN_TEXT if text else _IN_LINE).search(value)
    return match.group() if match else None


def explain(character: str) -> str:
    return f"Must not contain the control character U+{ord(character):04X}."


# In JSON text, a refused character is either written as itself (JSON forbids raw C0
# controls in strings, but not DEL, C1 or U+FFFE) or as an escape; tab and line breaks
# are included because a key may not hold them.
_IN_JSON_TEXT = re.compile(r"[\x7f-\x9f\ufffe\uffff]|\\[tnr]|\\u(?:00[01]|007[fF]|00[89]|[dD][89a-fA-F]|[fF]{3}[eEfF])")


def json_text_may_refuse(text: str) -> bool:
    """False when the JSON ``text`` surely holds no refused character (one fast scan of the
    text); True when :func:`refused_in` of the parsed value has to look closer."""
    return _IN_JSON_TEXT.search(text) is not None


def refused_in(value: Any, path: str = "") -> dict[str, str]:
    """Field path → message for every refused character in a JSON-like value.

    Object keys are single lines; string values are text. Paths are dotted
    (``reporter.name``, ``keywords.2``); the top-level value itself is ``_``.
    """
    found: dict[str, str] = {}
    stack: list[tuple[tuple[str | int, ...], Any]] = [((path,) if path else (), value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            bad = refused_character(item, text=True)
            if bad:
                found[_dotted(where)] = explain(bad)
        elif isinstance(item, dict):
            for key, member in item.items():
                bad = refused_character(str(key), text=False)
                if bad:
                    found[_dotted(where)] = explain(bad)
                elif isinstance(member, (str, dict, list)):
                    stack.append(((*where, key), member))
        elif isinstance(item, list):
            stack.extend(((*where, index), member) for index, member in enumerate(item)
                         if isinstance(member, (str, dict, list)))
    return found


def _dotted(where: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in where) or "_"
