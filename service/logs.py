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
import sys
import traceback
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, Response, g, request

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            line["request_id"] = rid
        task_id = getattr(record, "task_id", None)
        if task_id:
            line["task_id"] = task_id
        if record.exc_info and record.exc_info[1] is not None:
            line["exception"] = exception_text(record.exc_info[1])
        return json.dumps(line, ensure_ascii=False)


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
    # Echoed SQL carries parameters and result rows: never log it, whatever the level.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    root = logging.getLogger()
    if any(getattr(h, "_machikoe", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler._machikoe = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())


def init_request_ids(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-Id", "")
        rid = given if 0 < len(given) <= 64 and given.isascii() and given.isprintable() else uuid.uuid4().hex
        g.request_id = rid
        request_id.set(rid)

    @app.after_request
    def _finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-Id"] = rid
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
