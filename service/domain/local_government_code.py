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
