"""Personal data the hostile corpus sends, and a scan of log records for it.

Any test (the hostile corpus, the contract run) can send :data:`PII` in its requests,
capture logs at DEBUG with pytest's ``caplog``, and assert ``leaks(caplog.records, …) == []``.
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
        texts = (line, json.dumps(json.loads(line), ensure_ascii=False), repr(record.args), record.getMessage())
        if any(secret in text for text in texts for secret in wanted):
            found.append(line)
    return found
