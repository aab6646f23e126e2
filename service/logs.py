"""Structured JSON logs on stdout, each line with the request id or task id.

A log line never carries personal data: statement parameters are hidden by the engine,
SQL is never echoed (not even at DEBUG, where SQLAlchemy would print parameters and rows),
and an exception is written as its stack and type, with the message only where it cannot
quote a value: a database driver's message quotes the values it refused (``Key
(email)=(…)``), so only its class and SQLSTATE are kept.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, request

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# The logger of access lines, under `machikoe serve` and under gunicorn alike.
ACCESS_LOGGER = "machikoe.access"
REDACTED = "REDACTED"

# Query parameters that carry a credential: API keys, URL signatures (ours and
# S3's X-Amz-* family) and tokens. Their values never reach a log line, in
# whichever line a URL appears: access lines, werkzeug's request lines, errors.
_SECRET_PARAMETER = re.compile(
    r"(?P<name>(?:^|(?<=[?&;]))(?:api_?key|key|sig|signature|token|access_token|password|secret"
    r"|x-amz-[\w-]+|[\w.-]*(?:_key|_token|_signature|_secret))=)[^&\s\"'#<>]*",
    re.IGNORECASE,
)

# Colour codes that werkzeug's development server puts around its request lines.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def redact_secrets(target: str) -> str:
    """Return a request target (path and query), a URL or any log text with its secret query values replaced.

    Other parameters are left exactly as sent.
    """
    return _SECRET_PARAMETER.sub(rf"\g<name>{REDACTED}", target)


def log_access(*, method: str, target: str, status: int, duration_s: float, request_id: str | None,
               remote: str | None = None, logger: logging.Logger | None = None) -> None:
    """Write one access line: method, target with secrets redacted, status, duration and request id.

    The fields travel in the record's ``access`` attribute, which
    :class:`JsonFormatter` turns into keys of the line.
    """
    logger = logger or _access_logger
    if not logger.isEnabledFor(logging.INFO):
        return
    # A secret is always the value of a ``name=``; most targets have none, and the scan costs more than the rest.
    path = redact_secrets(target) if "=" in target else target
    access = {"method": method, "path": path, "status": status, "duration_ms": round(duration_s * 1000, 1),
              "request_id": request_id}
    if remote:
        access["remote"] = remote
    # Made and handled directly rather than through ``logger.info``: that would look up the calling frame and
    # its file for every request, and the line shows neither. Levels, filters and handlers apply as for any line.
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 0, f"{method} {path} {status}", (), None,
                               extra={"access": access})
    logger.handle(record)


_access_logger = logging.getLogger(ACCESS_LOGGER)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, milliseconds), level, logger, message and the record's context."""

    def __init__(self) -> None:
        super().__init__()
        # The time's text up to the second, for the second it was last made for: most lines share it.
        self._second: tuple[int, str] = (-1, "")

    def format(self, record: logging.LogRecord) -> str:
        access = getattr(record, "access", None)
        # An access line's message is made from its fields, whose target is already redacted.
        message = record.getMessage() if access else redact_secrets(_ANSI_ESCAPE.sub("", record.getMessage()))
        line = {"time": self._time(record), "level": record.levelname, "logger": record.name, "message": message}
        if access:
            line.update(access)
        rid = line.pop("request_id", None) or request_id.get()
        if rid:
            line["request_id"] = rid
        task_id = getattr(record, "task_id", None)
        if task_id:
            line["task_id"] = task_id
        if record.exc_info and record.exc_info[1] is not None:
            line["exception"] = redact_secrets(exception_text(record.exc_info[1]))
        return json.dumps(line, ensure_ascii=False)

    def _time(self, record: logging.LogRecord) -> str:
        """The record's time as ISO 8601 in UTC to the millisecond, as ``datetime.isoformat`` writes it."""
        # Rounded to the microsecond first, as datetime does, so the line says what ``isoformat`` would.
        second = int(record.created)
        micro = round((record.created - second) * 1_000_000)
        if micro >= 1_000_000:
            second, micro = second + 1, micro - 1_000_000
        cached = self._second
        if cached[0] != second:
            cached = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S"))
            self._second = cached
        return f"{cached[1]}.{micro // 1000:03d}+00:00"


class QuietHeartbeat(logging.Filter):
    """Lowers to DEBUG Celery's lines about runs of periodic ``tasks`` that did nothing.

    The event dispatch runs every few seconds and the sweeps every minute or
    so; at INFO their idle runs would be most of an operator's log.

    A run did something when it returned a count above zero; that run's
    success line stays at INFO. The "received" and "sending due task" lines
    come before anyone knows, so they are always DEBUG.
    """

    def __init__(self, tasks: frozenset[str]) -> None:
        super().__init__()
        self.tasks = tasks

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not self._is_idle_heartbeat(record):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)

    def _is_idle_heartbeat(self, record: logging.LogRecord) -> bool:
        data = getattr(record, "data", None)
        if isinstance(data, dict) and data.get("name") in self.tasks:
            if record.name == "celery.worker.strategy":
                return True
            return record.name == "celery.app.trace" and str(data.get("return_value")) in {"0", "None"}
        if record.name == "celery.beat" and isinstance(record.args, tuple):
            return any(arg in self.tasks for arg in record.args)
        return False


def exception_text(error: BaseException) -> str:
    """The stack and type of ``error`` and of the exceptions that caused it, without values."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        stack = "".join(traceback.format_tb(current.__traceback__))
        parts.append(f"{stack}{type(current).__module__}.{type(current).__qualname__}: {_safe_message(current)}")
        current = current.__cause__ or current.__context__
    return "\n\nwhich was caused by:\n\n".join(parts)


def _safe_message(error: BaseException) -> str:
    from sqlalchemy.exc import StatementError

    if isinstance(error, StatementError):
        # The statement has placeholders only; its parameters and the driver's text stay out.
        return f"{type(error.orig).__name__ if error.orig else 'error'} in: {str(error.statement)[:500]}"
    if _from_driver(error):
        return f"(driver error, SQLSTATE {getattr(error, 'sqlstate', None) or 'unknown'})"
    return str(error)[:500]


def _from_driver(error: BaseException) -> bool:
    module = type(error).__module__
    return module.split(".")[0] in ("psycopg", "psycopg2", "sqlite3") or module == "_sqlite3"


def configure_logging(level: str) -> None:
    from service.jobs import DISPATCH_EVENTS, NOTIFICATION_SWEEPS, SWEEP

    # Echoed SQL carries parameters and result rows: never log it, whatever the level.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    root = logging.getLogger()
    if any(getattr(h, "_machikoe", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(QuietHeartbeat(frozenset({DISPATCH_EVENTS, SWEEP, *NOTIFICATION_SWEEPS})))
    handler._machikoe = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())


def given_request_id(environ: dict[str, Any]) -> str | None:
    """The client's X-Request-Id when it is one to keep (printable ASCII, at most 64 characters)."""
    # Read from the environ directly: building the headers view costs more than the rest.
    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if 0 < len(given) <= 64 and given.isascii() and given.isprintable() else None


def answer_headers(rid: str | None) -> list[tuple[str, str]]:
    """What every answer of the service carries: its request id (when it has one) and no type sniffing."""
    return [*((("X-Request-Id", rid),) if rid else ()), ("X-Content-Type-Options", "nosniff")]


def init_request_ids(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        rid = given_request_id(request.environ) or os.urandom(16).hex()
        g.request_id = rid
        request_id.set(rid)

    @app.after_request
    def _finish(response: Response) -> Response:
        for name, value in answer_headers(g.get("request_id")):
            response.headers[name] = value
        return response
