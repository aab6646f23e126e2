"""Times in the API: ISO 8601 with the Asia/Tokyo offset."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


def iso_tokyo(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(TOKYO).isoformat(timespec="seconds")
