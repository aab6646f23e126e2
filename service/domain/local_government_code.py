"""全国地方公共団体コード: five digits and a check digit.

The check digit is computed by multiplying the five digits by 6, 5, 4, 3 and 2,
taking the sum modulo 11, and keeping the last digit of 11 minus that
remainder (千葉市 121002, 新宿区 131041, 渋谷区 131130).
"""

from __future__ import annotations

WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(first_five: str) -> str:
    """Return the check digit for five digits; raise ValueError otherwise."""
    if len(first_five) != 5 or not first_five.isascii() or not first_five.isdigit():
        raise ValueError("a local government code starts with five digits")
    remainder = sum(int(d) * w for d, w in zip(first_five, WEIGHTS, strict=True)) % 11
    return str((11 - remainder) % 10)


def is_valid(code: str) -> bool:
    """Tell whether ``code`` is six digits whose last digit checks the first five."""
    if not isinstance(code, str) or len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    return check_digit(code[:5]) == code[5]


def normalize(code: object) -> str | None:
    """The six-digit form of a local government code, or None when it is not one.

    国土数値情報 files write the five digits without the check digit (N03_007
    "12101"); everything else writes six ("121011"). Both name the same
    municipality, so both are accepted and the six-digit form is the one stored.
    Surrounding spaces are ignored; a six-digit code with a wrong check digit is
    refused rather than guessed at.
    """
    if not isinstance(code, str):
        return None
    text = code.strip()
    if len(text) == 5 and text.isascii() and text.isdigit():
        return text + check_digit(text)
    return text if is_valid(text) else None


def first_five(code: str) -> str:
    """The five digits of a valid code in either form (N03's form); raises ValueError otherwise."""
    six = normalize(code)
    if six is None:
        raise ValueError(f"{code!r} is not a local government code")
    return six[:5]
