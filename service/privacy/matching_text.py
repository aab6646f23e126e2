"""A copy of a text for matching: NFKC-normalised, with a map back to the original.

Residents type digits, letters and dashes in full width as often as in half
width. Patterns are written once, for the half-width forms, and run over this
copy; every span found in the copy maps back to the original characters, so
masking replaces exactly what was typed and leaves the rest as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Dashes that NFKC keeps as they are, but that people type between the groups
# of a phone number or a house number: hyphen, non-breaking hyphen, figure
# dash, en and em dashes, horizontal bar, minus sign and box-drawing line.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2500"
# The long-vowel mark is a dash only between digits (090ー1234ー5678); in
# マイナンバー it is part of the word.
_LONG_VOWEL_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])ー(?=[0-9])")


def _one_to_one_folds() -> dict[int, str]:
    # Full-width forms, the ideographic space, circled digits and the like
    # normalise to one character each; folding them with str.translate keeps
    # every offset, which spares the character-by-character walk.
    table = dict.fromkeys(map(ord, _DASHES), "-")
    for block in (range(0x00A0, 0x0100), range(0x2100, 0x2500), range(0x3000, 0x3001), range(0xFF00, 0xFFF0)):
        for code in block:
            normal = unicodedata.normalize("NFKC", chr(code))
            if len(normal) == 1 and normal != chr(code):
                table.setdefault(code, "-" if normal in _DASHES else normal)
    return table


_FOLDS = _one_to_one_folds()


@dataclass(frozen=True, slots=True)
class MatchingText:
    """The normalised copy and, for each of its characters, the original index (None: the same index)."""

    text: str
    origin: tuple[int, ...] | None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``[start, end)`` in the copy to the smallest span of whole original characters."""
        if self.origin is None:
            return start, end
        return self.origin[start], self.origin[end - 1] + 1


def matching_text(text: str) -> MatchingText:
    """Normalise ``text`` for matching, keeping the way back to the original."""
    folded = text.translate(_FOLDS)
    if folded.isascii() or unicodedata.is_normalized("NFKC", folded):
        return MatchingText(_long_vowels_as_hyphens(folded), None)
    # Character by character, so that each normalised character knows where it came from.
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(folded):
        normal = unicodedata.normalize("NFKC", char) if not char.isascii() else char
        pieces.append(normal)
        origin.extend([index] * len(normal))
    return MatchingText(_long_vowels_as_hyphens("".join(pieces).translate(_FOLDS)), tuple(origin))


def _long_vowels_as_hyphens(text: str) -> str:
    return _LONG_VOWEL_BETWEEN_DIGITS.sub("-", text) if "ー" in text else text
