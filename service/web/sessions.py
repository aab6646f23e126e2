"""Server-side sessions for the pages, in the ``web_session`` table.

The cookie (``machikoe_session``: HttpOnly, SameSite=Lax, Secure over https or
when ``SESSION_COOKIE_SECURE`` says so) carries only a random id; the table
keeps its sha256 and the data (the CSRF token, the signed-in staff member,
flashed messages). A session ends when unused for ``STAFF_SESSION_IDLE_MINUTES``
or ``STAFF_SESSION_LIFETIME_HOURS`` after it began, whichever comes first, by
the app clock. :meth:`ServerSession.rotate` gives the session a new id at the
next answer (the old id opens nothing), which sign-in does against fixation.

Rows are read and written in a transaction of their own, so a view's
unfinished work is never committed with its session. The API, Open311 and
static files never open a session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete
from sqlalchemy.orm import Session
from werkzeug.datastructures import CallbackDict

from service import clock
from service.extensions import db
from service.models import WebSession

COOKIE = "machikoe_session"
# Paths that never use a session: the JSON API, Open311 and webhooks authenticate otherwise, static files need none.
SESSIONLESS_PREFIXES = ("/api/", "/channels/", "/static/", "/docs", "/openapi.yaml", "/healthz", "/readyz")
# A session's last use is written at most this often; the idle timeout is counted from it.
TOUCH_RESOLUTION = timedelta(minutes=1)


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(self, data: dict[str, Any] | None = None, sid: str | None = None,
                 created_at: datetime | None = None, last_seen_at: datetime | None = None) -> None:
        def on_update(session: CallbackDict[str, Any]) -> None:
            session.modified = True  # type: ignore[attr-defined]

        super().__init__(data or {}, on_update)
        self.sid = sid
        self.new = sid is None
        self.created_at = created_at
        self.last_seen_at = last_seen_at
        self.modified = False
        self.rotating = False

    def rotate(self) -> None:
        """Give this session a new id at the end of the request."""
        self.rotating = True
        self.modified = True


def hash_id(sid: str) -> str:
    return hashlib.sha256(sid.encode("ascii", "replace")).hexdigest()


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession | None:
        if request.path.startswith(SESSIONLESS_PREFIXES):
            return None
        sid = request.cookies.get(COOKIE)
        if not sid or len(sid) > 100:
            return ServerSession()
        now = clock.now()
        with Session(db.engine) as store:
            row = store.get(WebSession, hash_id(sid))
            if row is None:
                return ServerSession()
            if not _alive(app, row, now):
                store.delete(row)
                store.commit()
                return ServerSession()
            return ServerSession(dict(row.data), sid, row.created_at, row.last_seen_at)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            return
        response.vary.add("Cookie")
        now = clock.now()
        with Session(db.engine) as store:
            if not session:
                if session.sid:
                    store.execute(delete(WebSession).where(WebSession.id_hash == hash_id(session.sid)))
                    store.commit()
                    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="Lax")
                return
            if session.sid is None or session.rotating:
                if session.sid:
                    store.execute(delete(WebSession).where(WebSession.id_hash == hash_id(session.sid)))
                else:
                    _forget_idle_visitors(app, store, now)
                sid = secrets.token_urlsafe(32)
                store.add(WebSession(id_hash=hash_id(sid), staff_id=session.get("staff_id"), data=dict(session),
                                     created_at=now, last_seen_at=now))
                store.commit()
                response.set_cookie(COOKIE, sid, httponly=True, samesite="Lax", path="/",
                                    secure=_secure(app, response))
                return
            row = store.get(WebSession, hash_id(session.sid))
            if row is None:
                return
            if session.modified:
                row.data, row.staff_id = dict(session), session.get("staff_id")
            if session.modified or session.last_seen_at is None or now - session.last_seen_at >= TOUCH_RESOLUTION:
                row.last_seen_at = now
                store.commit()


def _alive(app: Flask, row: WebSession, now: datetime) -> bool:
    idle = timedelta(minutes=app.config["STAFF_SESSION_IDLE_MINUTES"])
    lifetime = timedelta(hours=app.config["STAFF_SESSION_LIFETIME_HOURS"])
    return now - row.last_seen_at <= idle and now - row.created_at <= lifetime


def _forget_idle_visitors(app: Flask, store: Session, now: datetime) -> None:
    """Delete sessions past their idle time: every visitor's form makes one, and most are never used again."""
    idle = timedelta(minutes=app.config["STAFF_SESSION_IDLE_MINUTES"])
    store.execute(delete(WebSession).where(WebSession.last_seen_at < now - idle))


def _secure(app: Flask, response: Response) -> bool:
    from flask import request

    setting = app.config.get("SESSION_COOKIE_SECURE")
    return bool(request.is_secure if setting is None else setting)


def init_sessions(app: Flask) -> None:
    app.session_interface = DatabaseSessionInterface()
