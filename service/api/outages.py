"""A database outage answers 503 problem+json with Retry-After, not 500.

While PostgreSQL restarts or cannot be reached, a request fails with a driver
error that is no bug of ours: the client should simply try again a little
later, and the service must heal by itself once the database is back. The
session is rolled back so the scoped session holds no broken transaction,
and the pool (tested after idling, :mod:`service.db_pool`) replaces the dead connections on the
next checkout, so no restart is needed.
"""

from __future__ import annotations

import logging

import psycopg
from flask import Flask, Response
from sqlalchemy import exc as sa_exc

from service.api.problems import handle_unexpected, problem_response
from service.extensions import db

log = logging.getLogger(__name__)

# Seconds a client is asked to wait: about as long as a database restart or failover takes.
RETRY_AFTER_SECONDS = 5

# Errors that always mean the database could not be reached or reached us no more:
# a refused or broken connection, a server shutting down, or no pooled connection free.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` means the database is unreachable, rather than a fault in a query."""
    if isinstance(error, OUTAGE_ERRORS):
        return True
    return isinstance(error, sa_exc.DBAPIError) and bool(error.connection_invalidated)


def handle_database_error(error: Exception) -> Response:
    """Answer 503 with Retry-After for an outage; anything else is a bug and answers 500."""
    if not is_outage(error):
        return handle_unexpected(error)
    log.warning("database unreachable: %s; answered 503", type(error).__name__)
    try:
        db.session.rollback()
    except Exception as exc:  # noqa: BLE001  (the connection may be gone; the pool replaces it)
        log.warning("rollback after a database outage failed: %s", type(exc).__name__)
    response = problem_response(
        503,
        "Service Unavailable",
        "The database is unreachable for a moment. Please try again shortly.",
        detail_ja="ただいまデータベースに接続できません。しばらくしてから、もう一度お試しください。",
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_outage_handlers(app: Flask) -> None:
    """Register :func:`handle_database_error` for every driver and pool error class."""
    for error_class in (*OUTAGE_ERRORS, sa_exc.DBAPIError, psycopg.Error):
        app.register_error_handler(error_class, handle_database_error)
