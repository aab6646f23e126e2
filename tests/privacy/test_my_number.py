"""The check digit of マイナンバー (番号法施行令 第8条)."""

import pytest

from service.privacy.my_number import check_digit, is_valid


def statute_check_digit(first_eleven: str) -> int:
    # The statute's own wording: Pn is the n-th digit from the right, Qn is n + 1 up to 6, then n - 5.
    total = sum(int(first_eleven[-n]) * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


@pytest.mark.parametrize(
    "number",
    ["123456789018", "526018159084", "301661318600", "913909960300", "824628194826", "199351819090", "000000000000"],
)
def test_numbers_built_by_the_statute_are_valid(number):
    assert statute_check_digit(number[:11]) == int(number[11])
    assert is_valid(number)


@pytest.mark.parametrize(
    "number", ["123456789010", "526018159087", "12345678901", "1234567890180", "12345678901a", "１２３４５６７８９０１８", ""]
)
def test_wrong_numbers_are_invalid(number):
    assert not is_valid(number)


def test_remainders_zero_and_one_give_check_digit_zero():
    # 00000000006: 6 x 2 = 12, remainder 1. 00000000011: 1 x 3 + 1 x 2 = 5, remainder 5.
    assert check_digit("00000000006") == "0"
    assert check_digit("00000000000") == "0"
    assert check_digit("00000000011") == "6"


def test_check_digit_agrees_with_the_statute_on_every_remainder():
    seen = set()
    for seed in range(2000):
        first_eleven = f"{seed * 7919 % 10**11:011d}"
        assert check_digit(first_eleven) == str(statute_check_digit(first_eleven))
        seen.add(sum(int(d) * w for d, w in zip(first_eleven, (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11)
    assert seen == set(range(11))


def test_check_digit_refuses_anything_but_eleven_digits():
    with pytest.raises(ValueError, match="eleven digits"):
        check_digit("1234567890")
