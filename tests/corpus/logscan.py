"""Personal data the hostile corpus sends, and a scan of log records for it.

Any test (the hostile corpus, the contract run) can send :data:`PII` in its requests,
capture logs at DEBUG with pytest's ``caplog``, and assert ``leaks(caplog.records, …) == []``;
a test that runs a server process scans its output with :func:`leaking_lines`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from service.logs import JsonFormatter

PII = {
    "reporter_name": "山田ピイアイ太郎",
    "reporter_email": "pii.taro.7f3a@example.jp",
    "reporter_phone": "090-7733-1199",
    "device_id": "device-pii-5c2e9b1d",
}


def reporter_fields() -> dict[str, object]:
    """The private fields of a report body, holding :data:`PII`."""
    return {"reporter": {"name": PII["reporter_name"], "email": PII["reporter_email"], "phone": PII["reporter_phone"]},
            "device_id": PII["device_id"]}


def leaks(records: Iterable[logging.LogRecord], secrets: Iterable[str]) -> list[str]:
    """Every log line (as the service writes it, exceptions included) that holds one of ``secrets``.

    A line is searched as written and JSON-decoded, so escaped forms of a value are found too.
    """
    formatter = JsonFormatter()
    wanted = [s for s in secrets if s]
    found = []
    for record in records:
        line = formatter.format(record)
        if _holds((*_readings(line), repr(record.args), record.getMessage()), wanted):
            found.append(line)
    return found


def leaking_lines(lines: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """Every line of a server's output (a log file) that holds one of ``secrets``, as written or JSON-decoded."""
    wanted = [s for s in secrets if s]
    return [line for line in lines if _holds(_readings(line), wanted)]


def _readings(line: str) -> tuple[str, ...]:
    """A line as written and, when it is JSON, decoded, so that ``\\u`` escapes hide nothing."""
    try:
        return line, json.dumps(json.loads(line), ensure_ascii=False)
    except ValueError:
        return (line,)


def _holds(texts: Iterable[str], wanted: list[str]) -> bool:
    return any(secret in text for text in texts for secret in wanted)
