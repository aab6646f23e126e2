"""Mask personal data in text that is about to be shown in public.

Each kind of personal data is found on a normalised copy of the text and
replaced, in the original, by a placeholder that says what was there. The
placeholders hold no digits and no @, so masking masked text changes nothing.

:data:`RULES_VERSION` names the rules as they stand here and in the modules
they use (patterns, phone numbers, マイナンバー, plate regions, the matching
copy). Raise it with any change that masks a text differently: the stored
public copies made under an older version are then made again
(service/privacy/remasking.py).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from service.privacy import patterns
from service.privacy.matching_text import matching_text
from service.privacy.phone_numbers import find_phone_numbers

RULES_VERSION = 1


class Kind(StrEnum):
    """A kind of personal data, in the order in which overlapping finds are preferred."""

    EMAIL = "email"
    MY_NUMBER = "my_number"
    PLATE = "plate"
    PHONE = "phone"
    HOUSE_NUMBER = "house_number"


PLACEHOLDERS: dict[Kind, str] = {
    Kind.EMAIL: "［メールアドレス］",
    Kind.MY_NUMBER: "［個人番号］",
    Kind.PLATE: "［ナンバー］",
    Kind.PHONE: "［電話番号］",
    Kind.HOUSE_NUMBER: "［番地］",
}

_PRIORITY = {kind: rank for rank, kind in enumerate(Kind)}
# Every kind needs a digit, except e-mail addresses, which need an @, and
# house numbers in kanji numerals (二番八号), which need a 番.
_WORTH_A_LOOK = re.compile(r"[0-9@番]")


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data: its kind and its span in the original text."""

    kind: Kind
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class MaskResult:
    """The masked text and what was found in the original."""

    text: str
    findings: tuple[Finding, ...]

    @property
    def kinds(self) -> frozenset[Kind]:
        return frozenset(finding.kind for finding in self.findings)


def find_personal_data(text: str) -> tuple[Finding, ...]:
    """Return the personal data in ``text``, in order and without overlaps."""
    copy = matching_text(text)
    if not _WORTH_A_LOOK.search(copy.text):
        return ()
    candidates: list[tuple[Kind, tuple[int, int]]] = []
    if "@" in copy.text:
        candidates.extend((Kind.EMAIL, match.span()) for match in patterns.EMAIL.finditer(copy.text))
    candidates.extend((Kind.MY_NUMBER, span) for span in patterns.find_my_numbers(copy.text))
    if patterns.PLATE_HINT.search(copy.text):
        candidates.extend((Kind.PLATE, match.span()) for match in patterns.PLATE.finditer(copy.text))
    candidates.extend((Kind.PHONE, span) for span in find_phone_numbers(copy.text))
    candidates.extend((Kind.HOUSE_NUMBER, span) for span in patterns.find_house_numbers(copy.text))
    return tuple(
        Finding(kind, *copy.original_span(start, end)) for kind, (start, end) in _without_overlaps(candidates)
    )


def _without_overlaps(candidates: Iterable[tuple[Kind, tuple[int, int]]]) -> list[tuple[Kind, tuple[int, int]]]:
    # The longest find wins; between finds of one length, the kind listed first.
    ranked = sorted(candidates, key=lambda c: (c[1][0] - c[1][1], _PRIORITY[c[0]], c[1][0]))
    # Kept spans never overlap, so sorted by start they are sorted by end too;
    # a new span need only be checked against its two neighbours.
    starts: list[int] = []
    kept: list[tuple[Kind, tuple[int, int]]] = []
    for kind, (start, end) in ranked:
        place = bisect.bisect_right(starts, start)
        if place > 0 and kept[place - 1][1][1] > start:
            continue
        if place < len(kept) and kept[place][1][0] < end:
            continue
        starts.insert(place, start)
        kept.insert(place, (kind, (start, end)))
    return kept


def mask_personal_data(text: str) -> MaskResult:
    """Replace each piece of personal data in ``text`` by the placeholder of its kind."""
    findings = find_personal_data(text)
    if not findings:
        return MaskResult(text, ())
    pieces: list[str] = []
    position = 0
    for finding in findings:
        pieces.append(text[position : finding.start])
        pieces.append(PLACEHOLDERS[finding.kind])
        position = finding.end
    pieces.append(text[position:])
    return MaskResult("".join(pieces), findings)
