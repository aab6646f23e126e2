"""Business days of Japanese municipal offices, for SLA clocks.

Saturdays, Sundays, Japanese public holidays (jpholiday, substitute holidays
included) and, by setting, the year-end break from 29 December to 3 January
are not business days. Days are counted in Asia/Tokyo.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import jpholiday

from service.timefmt import TOKYO


def is_business_day(day: date, *, year_end_break: bool = True) -> bool:
    if day.weekday() >= 5 or jpholiday.is_holiday(day):
        return False
    return not (year_end_break and ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)))


def due_at(start: datetime, business_days: int, *, year_end_break: bool = True) -> datetime:
    """The end of the ``business_days``-th business day after the day of ``start``.

    A report received on Friday with a target of 2 business days is due at the
    end of Tuesday (Monday and Tuesday count), that is, at 00:00 on Wednesday in
    Tokyo. Raises ValueError for a negative target or a naive ``start``.
    """
    if business_days < 0:
        raise ValueError("a target is zero or more business days")
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    day = start.astimezone(TOKYO).date()
    counted = 0
    while counted < business_days:
        day += timedelta(days=1)
        if is_business_day(day, year_end_break=year_end_break):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=TOKYO)


def business_days_between(start: datetime, end: datetime, *, year_end_break: bool = True) -> int:
    """How many business days after the day of ``start`` have begun by ``end`` (0 on the same day)."""
    first, last = start.astimezone(TOKYO).date(), end.astimezone(TOKYO).date()
    count, day = 0, first
    while day < last:
        day += timedelta(days=1)
        if is_business_day(day, year_end_break=year_end_break):
            count += 1
    return count
