"""Query parameters of the GeoReport v2 calls: lists, dates, statuses and pages.

Every function raises :class:`~service.open311.Open311Error` (400) with a
description naming the parameter when a value cannot be used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from service.domain import dates
from service.open311 import Open311Error
from service.timefmt import TOKYO

MAX_RANGE = timedelta(days=90)
DEFAULT_LIMIT = 1000
MAX_IDS = 100
WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def comma_list(values: Sequence[str], name: str, limit: int = MAX_IDS) -> list[str]:
    """The distinct non-empty items of a parameter (at most ``limit``).

    GeoReport v2 lists values both ways, so ``values`` are all the times the
    parameter was given, and each may be a comma-separated list.
    """
    if not values:
        return []
    items = list(dict.fromkeys(item.strip() for value in values for item in value.split(",") if item.strip()))
    if not items:
        raise Open311Error(400, f"{name} is empty")
    if len(items) > limit:
        raise Open311Error(400, f"{name} lists more than {limit} values")
    return items


def single(values: Sequence[str], name: str) -> str | None:
    """The one value of a parameter that takes one; None when it is absent."""
    if len(values) > 1:
        raise Open311Error(400, f"{name} is given more than once")
    return values[0] if values else None


def parse_datetime(value: str, name: str) -> datetime:
    """A W3C/ISO 8601 datetime (a date alone is its midnight); one without offset is Japan time."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} is not a W3C datetime such as 2024-04-01T09:00:00+09:00") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=TOKYO)


def window(start: str | None, end: str | None, now: datetime) -> Window:
    """The requested range: at most 90 days; the most recent 90 days by default.

    Each date given is within the service's range (service/domain/dates.py), before any
    arithmetic on it could overflow.
    """
    end_at = parse_datetime(end, "end_date") if end else None
    start_at = parse_datetime(start, "start_date") if start else None
    for name, given in (("start_date", start_at), ("end_date", end_at)):
        if given is not None and not dates.within(given):
            raise Open311Error(400, f"{name} must be a day {dates.RANGE}")
    if end_at is None:
        end_at = now if start_at is None else min(now, start_at + MAX_RANGE)
        end_at = max(end_at, start_at) if start_at is not None else end_at
    if start_at is None:
        start_at = end_at - MAX_RANGE
    if start_at > end_at:
        raise Open311Error(400, "start_date is after end_date")
    if end_at - start_at > MAX_RANGE:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return Window(start_at, end_at)


def open_closed(values: Sequence[str]) -> list[str]:
    """The wanted Open311 statuses among open and closed; all when the parameter is absent."""
    wanted = comma_list(values, "status", limit=2)
    if any(s not in ("open", "closed") for s in wanted):
        raise Open311Error(400, "status must be open or closed")
    return wanted


def positive(value: str | None, name: str, default: int, maximum: int) -> int:
    """A whole number from 1 to ``maximum``; ``default`` when absent."""
    if value is None:
        return default
    # str.isdigit() also takes superscripts and other scripts' digits, which int() refuses.
    if not WHOLE_NUMBER.fullmatch(value) or not 1 <= int(value) <= maximum:
        raise Open311Error(400, f"{name} must be a whole number from 1 to {maximum}")
    return int(value)
