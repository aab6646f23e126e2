"""Japanese phone numbers as residents write them.

A number is found by its shape (groups of digits with hyphens, dots, spaces or
brackets, or a solid run) and kept only when its digits form a number that can
be dialled in Japan: ten digits for fixed lines (0 and a non-zero digit),
0120, 0570 and 0990; eleven for mobile, IP and M2M numbers (090, 080, 070,
060, 050, 020) and 0800. The country code +81 stands for the leading 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_ELEVEN_DIGIT_PREFIXES = ("090", "080", "070", "060", "050", "020", "0800")
_TEN_DIGIT_SERVICE_PREFIXES = ("0120", "0570", "0990")

# The text before a number may not be part of a longer token (a report id, a
# version, another number), unless that token is TEL or FAX (℡ becomes TEL);
# the text after it may not continue it.
_BEFORE = r"(?:(?<![0-9A-Za-z_+\-.])|(?<=TEL)|(?<=TEL[.:])|(?<=FAX)|(?<=FAX[.:]))"
_AFTER = r"(?![0-9A-Za-z_]|[-.][0-9])"
_SEP = r"(?:[ ]?[-.・][ ]?|[ ])"
_GROUPED = r"[0-9]{1,4}" + _SEP + r"[0-9]{1,4}" + _SEP + r"[0-9]{3,4}"

_FORMS = tuple(
    re.compile(_BEFORE + form + _AFTER, re.IGNORECASE)
    for form in (
        # 090-1234-5678, 0120 123 456, 03.1234.5678
        r"0" + _GROUPED,
        # (03)1234-5678
        r"\(0[0-9]{1,4}\)[ ]?[0-9]{1,4}" + _SEP + r"[0-9]{3,4}",
        # 03(1234)5678
        r"0[0-9]{1,4}[ ]?\([0-9]{1,4}\)[ ]?[0-9]{3,4}",
        # 03-12345678, 090-12345678
        r"0[0-9]{1,4}" + _SEP + r"[0-9]{5,8}",
        # 09012345678
        r"0[0-9]{9,10}",
        # +81 90 1234 5678, +81-3-1234-5678, +81 (0)3 1234 5678, +819012345678
        r"\+81[ -]?(?:\(0\)[ ]?)?(?:" + _GROUPED + r"|[0-9]{9,10})",
    )
)

_NON_DIGITS = re.compile(r"[^0-9]")
# Most texts hold no number that starts with 0 or +81; one search tells.
_WORTH_A_LOOK = re.compile(r"0[0-9]|\+81")


def is_dialable(digits: str) -> bool:
    """Tell whether a run of digits starting with 0 is a Japanese number one could dial."""
    if len(digits) == 11:
        return digits.startswith(_ELEVEN_DIGIT_PREFIXES)
    if len(digits) == 10:
        if digits.startswith(_TEN_DIGIT_SERVICE_PREFIXES):
            return True
        return digits[1] != "0" and not digits.startswith(_ELEVEN_DIGIT_PREFIXES)
    return False


def find_phone_numbers(text: str) -> Iterator[tuple[int, int]]:
    """Yield the spans of phone numbers in normalised ``text``; spans may overlap."""
    if not _WORTH_A_LOOK.search(text):
        return
    for form in _FORMS:
        for match in form.finditer(text):
            found = match.group()
            digits = _NON_DIGITS.sub("", found)
            if found.startswith("+81"):
                digits = "0" + digits[2:].removeprefix("0")
            if is_dialable(digits):
                yield match.span()
