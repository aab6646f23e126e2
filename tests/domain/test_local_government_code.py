"""The check digit of 全国地方公共団体コード."""

import pytest

from service.domain.local_government_code import check_digit, is_valid


@pytest.mark.parametrize("code", ["121002", "131041", "131130", "990019", "011002"])
def test_real_and_demo_codes_are_valid(code):
    assert is_valid(code)


@pytest.mark.parametrize("code", ["121003", "13104", "1310410", "13104a", "", "１２１００２", None])
def test_wrong_codes_are_invalid(code):
    assert not is_valid(code)


def test_check_digit_of_chiba():
    assert check_digit("12100") == "2"
