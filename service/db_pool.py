"""Pooled database connections are tested before use only after they sat idle.

``pool_pre_ping`` sends a ``SELECT 1`` at every checkout, which is a round trip
and about a tenth of the server CPU of a status poll. A connection handed back
a moment ago by the previous request is as alive as that request found it, so
the test runs only for a connection that sat in the pool longer than
:data:`IDLE_SECONDS`, which is when a database restart or failover may have
closed it. A connection found dead is replaced before the request sees it, as
with ``pool_pre_ping``. A database that restarts within less than that idle
time fails the one request that meets the dead connection: it answers 503
with Retry-After (:mod:`service.api.outages`), and SQLAlchemy then replaces
every connection of the pool. ``pool_recycle`` replaces connections that are
old, before a firewall or server idle timeout closes them unseen.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_SECONDS = 1.0
RECYCLE_SECONDS = 1800
_RETURNED_AT = "machikoe_returned_at"


def init_pool_checks(engine: Engine) -> None:
    """Test a connection of ``engine``'s pool at checkout when it sat idle longer than :data:`IDLE_SECONDS`."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get(_RETURNED_AT)
        # A connection opened for this checkout has not been in the pool at all.
        if returned is None or time.monotonic() - returned <= IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out a fresh one.
            raise exc.DisconnectionError() from error
