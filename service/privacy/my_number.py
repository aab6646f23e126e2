"""マイナンバー (個人番号): eleven digits and a check digit.

番号法施行令 第8条: number the first eleven digits P1..P11 from the right, weigh
Pn by Qn = n + 1 for n ≤ 6 and n - 5 for n ≥ 7, and take the remainder of the
sum divided by 11. The check digit is 0 when the remainder is 0 or 1, and
11 minus the remainder otherwise. Read from the left, the weights are
6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 (123456789018 is valid).
"""

from __future__ import annotations

WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def check_digit(first_eleven: str) -> str:
    """Return the check digit for eleven ASCII digits; raise ValueError otherwise."""
    if len(first_eleven) != 11 or not first_eleven.isascii() or not first_eleven.isdigit():
        raise ValueError("a マイナンバー starts with eleven digits")
    remainder = sum(int(d) * w for d, w in zip(first_eleven, WEIGHTS, strict=True)) % 11
    return "0" if remainder <= 1 else str(11 - remainder)


def is_valid(number: str) -> bool:
    """Tell whether ``number`` is twelve ASCII digits whose last digit checks the rest."""
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return False
    return check_digit(number[:11]) == number[11]
