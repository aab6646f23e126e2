"""Every CSV file the service writes: one writer, safe to open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read by spreadsheets as a formula, so a resident's description could
run one on a staff member's machine (CSV injection). Such cells get a leading
single quote, the OWASP rule: spreadsheets show the text as written, and a
program reading the CSV sees the quote. Numbers are written as numbers, so
negative figures stay figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
# Rows are sent in pieces of about this many characters, so a long export
# starts at once and never sits whole in memory.
CHUNK_CHARACTERS = 64 * 1024


def cell(value: Any) -> Any:
    """A value as it goes into a CSV cell: None is empty, formula-like text is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = False) -> Iterator[str]:
    """The CSV (CRLF line ends, UTF-8 text) of ``header`` and ``rows``, in pieces."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(name) for name in header])
    yield (BOM if bom else "") + _drain(buffer)
    for row in rows:
        writer.writerow([cell(value) for value in row])
        if buffer.tell() >= CHUNK_CHARACTERS:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
