"""SLA business-day arithmetic across weekends, Golden Week and the New Year break."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from service.domain.business_days import business_days_between, due_at, is_business_day
from service.timefmt import TOKYO


def tokyo(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=TOKYO)


@pytest.mark.parametrize("day,expected", [
    (date(2026, 5, 1), True),    # Friday before Golden Week
    (date(2026, 5, 4), False),   # みどりの日
    (date(2026, 5, 5), False),   # こどもの日
    (date(2026, 5, 6), False),   # 振替休日 for 憲法記念日 on Sunday
    (date(2026, 5, 7), True),
    (date(2026, 12, 28), True),  # last working day of the year
    (date(2026, 12, 29), False), # year-end break
    (date(2027, 1, 4), True),    # first working day
    (date(2026, 11, 23), False), # 勤労感謝の日
])
def test_business_days_follow_the_japanese_calendar(day, expected):
    assert is_business_day(day) is expected


def test_year_end_break_can_be_switched_off():
    assert is_business_day(date(2026, 12, 29), year_end_break=False)


def test_friday_report_with_two_days_is_due_at_the_end_of_tuesday():
    assert due_at(tokyo(2026, 11, 20), 2) == datetime(2026, 11, 26, 0, 0, tzinfo=TOKYO)  # 23 Nov is a holiday


def test_golden_week_is_skipped():
    # Received Thursday 30 April 2026: 1 May counts, then 2–6 May are not business days.
    assert due_at(tokyo(2026, 4, 30), 2) == datetime(2026, 5, 8, 0, 0, tzinfo=TOKYO)


def test_new_year_break_is_skipped():
    assert due_at(tokyo(2026, 12, 28, 17), 1) == datetime(2027, 1, 5, 0, 0, tzinfo=TOKYO)


def test_a_report_at_night_in_utc_counts_from_its_tokyo_day():
    from datetime import UTC

    # 16:00 UTC on Thursday is 01:00 on Friday in Tokyo.
    assert due_at(datetime(2026, 11, 19, 16, tzinfo=UTC), 1) == datetime(2026, 11, 25, 0, 0, tzinfo=TOKYO)


def test_business_days_between_counts_begun_days():
    assert business_days_between(tokyo(2026, 4, 30), tokyo(2026, 5, 7)) == 2
    assert business_days_between(tokyo(2026, 4, 30, 9), tokyo(2026, 4, 30, 18)) == 0


def test_negative_targets_and_naive_times_are_refused():
    with pytest.raises(ValueError):
        due_at(tokyo(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        due_at(datetime(2026, 1, 5), 1)
