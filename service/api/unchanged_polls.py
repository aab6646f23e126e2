"""Polls of an unchanged report answered 304 before the request reaches Flask.

Apps poll a report's public view with the ETag of their last answer, and most
polls find it unchanged. When this process read the report's stamp within
``STATUS_STAMP_SECONDS`` (:class:`service.domain.report_stamp.RecentStamps`),
the answer is known without a session, a query or a view: only the ETag of
the asked language has to be compared. Building Flask's request, running its
hooks and its routing cost more than that comparison, so this WSGI layer
answers such a poll itself, with the headers the view and the hooks would have
given it (the same functions make them), and hands every other request to the
app unchanged.

A poll is answered here only when it is a plain public read: ``GET`` of
``/api/v1/reports/<id>`` with ``If-None-Match``, no tracking token and no
staff key, no query but ``lang``, a host the service serves, and a stamp kept
for a report that is shown. Anything else (a miss, a changed report, a hidden
or unknown one) goes to the app, which answers as it always has.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from flask import Flask
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_accept_header, parse_etags
from werkzeug.sansio.utils import get_host

from service.api.caching import public_view_headers
from service.domain import languages, report_stamp
from service.extensions import db
from service.logs import answer_headers, given_request_id

PREFIX = "/api/v1/reports/"
# A report's public id as the view's path takes it; anything else is the app's to answer.
REPORT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
LANG_QUERY = re.compile(r"lang=([A-Za-z-]{1,16})\Z")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class UnchangedPolls:
    """Wraps the app's WSGI callable; ``wrapped`` is the app's own."""

    def __init__(self, app: Flask, wrapped: WsgiApp) -> None:
        self.app, self.wrapped = app, wrapped
        self._database: str | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if (environ.get("REQUEST_METHOD") == "GET" and "HTTP_IF_NONE_MATCH" in environ
                and environ.get("PATH_INFO", "").startswith(PREFIX)):
            headers = self._not_modified(environ)
            if headers is not None:
                start_response("304 NOT MODIFIED", headers)
                return []
        return self.wrapped(environ, start_response)

    def _not_modified(self, environ: dict[str, Any]) -> list[tuple[str, str]] | None:
        """The headers of a 304 for this poll, or None when the app must answer it."""
        if "HTTP_X_TRACKING_TOKEN" in environ or "HTTP_AUTHORIZATION" in environ:
            return None
        report_id = environ["PATH_INFO"][len(PREFIX):]
        if REPORT_ID.match(report_id) is None:
            return None
        query = environ.get("QUERY_STRING", "")
        asked = None
        if query:
            match = LANG_QUERY.match(query)
            if match is None:
                return None
            asked = match.group(1)
        config = self.app.config
        trusted = config.get("TRUSTED_HOSTS")
        if trusted:
            try:
                get_host(environ.get("wsgi.url_scheme", "http"), environ.get("HTTP_HOST"),
                         (environ.get("SERVER_NAME", ""), environ.get("SERVER_PORT")), trusted)
            except SecurityError:
                return None
        kept = report_stamp.recent_stamps.kept_in(self._database_key(), report_id, config["STATUS_STAMP_SECONDS"])
        if kept is None or kept.stamp is None or kept.stamp.hidden:
            return None
        etag = kept.stamp.etag(_language(asked, environ.get("HTTP_ACCEPT_LANGUAGE", "")))
        if not parse_etags(environ["HTTP_IF_NONE_MATCH"]).contains(etag.strip('"')):
            return None
        return [*public_view_headers(etag).items(), *answer_headers(given_request_id(environ) or os.urandom(16).hex())]

    def _database_key(self) -> str:
        if self._database is None:
            with self.app.app_context():
                self._database = report_stamp.database_key(db.engine)
        return self._database


@lru_cache(maxsize=256)
def _language(asked: str | None, accept_language: str) -> str:
    # The same choice as service.api.language.preferred_language, from the raw header.
    return languages.choose(asked, list(parse_accept_header(accept_language, LanguageAccept)))
