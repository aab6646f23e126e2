"""How many rows a data-changing statement touched."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def changed(result: Result[Any]) -> int:
    """The number of rows an UPDATE, INSERT or DELETE run through ``Session.execute`` matched."""
    # Session.execute is typed to answer a plain Result for every statement; for
    # these statements it is a CursorResult, which is the one that counts rows.
    return cast(CursorResult[Any], result).rowcount
