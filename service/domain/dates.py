"""The dates the service takes in a query: 2000-01-01 to 2099-12-31.

No report predates the service and none is made after 2099, and a bounded range keeps
date arithmetic (a day added, a time zone applied, a period cut into months) from
overflowing or running for seconds.
"""

from __future__ import annotations

from datetime import date, datetime

EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
RANGE = f"from {EARLIEST.isoformat()} to {LATEST.isoformat()}"
# For the contract: a year from 2000 to 2099 at the start of an ISO 8601 date or datetime.
YEAR_PATTERN = r"^20[0-9]{2}-"


def within(value: date | datetime) -> bool:
    """True when the calendar day of ``value`` (in its own offset, for a datetime) is in range."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST
