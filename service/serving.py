"""The embedded HTTP server behind `machikoe serve`: waitress, tuned so slow clients cannot starve it.

waitress reads every request, body included, on one asynchronous loop before a
worker thread sees it, so a slow client costs a connection, never a thread.
What remains to bound is how many connections there are and how long each may
take; and a body larger than the app accepts is refused while it arrives,
not after it has been read in full.
"""

from __future__ import annotations

import logging
import resource
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher
from werkzeug.wsgi import ClosingIterator

from service.logs import log_access

log = logging.getLogger(__name__)

# Descriptors beyond the connections: the database, the broker, photo files, logs.
SPARE_DESCRIPTORS = 256


class _TimedRequest(HTTPRequestParser):
    """A request being received, with the time its first byte arrived."""

    def __init__(self, adj: Adjustments) -> None:
        super().__init__(adj)
        self.started = time.monotonic()


class _Channel(HTTPChannel):
    parser_class = _TimedRequest


class _GuardedServer(TcpWSGIServer):
    """waitress's TCP server that also closes connections whose request headers take too long.

    waitress closes a connection only after ``channel_timeout`` seconds of
    silence; a client that sends one header byte every few seconds is never
    silent, so headers get a deadline of their own.
    """

    channel_class = _Channel
    header_timeout = 30.0

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # type: ignore[arg-type]  # types-waitress says int; waitress passes time.time()
        cutoff = time.monotonic() - self.header_timeout
        for channel in list(self.active_channels.values()):  # type: ignore[attr-defined]  # types-waitress: a channel, not the dict of them it is
            request = getattr(channel, "request", None)
            if isinstance(request, _TimedRequest) and not request.headers_finished and request.started < cutoff:
                channel.will_close = True


def create_server(app: Callable, *, host: str, port: int, threads: int, connection_limit: int, client_timeout: float,
                  max_body_bytes: int) -> BaseWSGIServer | MultiSocketServer:
    """Bind ``host:port`` and return the server, not yet running; raises OSError when the port is taken.

    ``client_timeout`` bounds both the time to send a request's headers and any
    silence on a connection; ``max_body_bytes`` is the largest body read, with a
    Content-Length or chunked, before the answer is 413.
    """
    _raise_descriptor_limit(connection_limit + SPARE_DESCRIPTORS)
    adj = Adjustments(
        host=host, port=port, threads=threads, ident="machikoe", clear_untrusted_proxy_headers=True,
        connection_limit=connection_limit, channel_timeout=client_timeout,
        # Timeouts are checked at this interval, so it is a fraction of the timeout.
        cleanup_interval=max(1, min(10, int(client_timeout // 4))),
        max_request_body_size=max_body_bytes, max_request_header_size=64 * 1024,
        # select() cannot watch descriptors above 1023; poll() has no such limit.
        asyncore_use_poll=True, backlog=2048,
    )
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    sockets: dict[int, Any] = {}
    servers = []
    for sockinfo in adj.listen:
        server = _GuardedServer(with_access_log(app), sockets, dispatcher=dispatcher, adj=adj,
                                sockinfo=sockinfo)  # type: ignore[arg-type]  # types-waitress: listen holds socket tuples, not strings
        server.header_timeout = client_timeout
        servers.append(server)
    if len(servers) == 1:
        return servers[0]
    return MultiSocketServer(sockets, adj, [(s.effective_host, s.effective_port)  # type: ignore[attr-defined]  # types-waitress lacks them; binding sets them
                                            for s in servers], dispatcher)


def with_access_log(app: Callable) -> Callable:
    """Wrap a WSGI app so that every request ends with one access line (see :func:`service.logs.log_access`)."""

    def logged(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        answer: dict[str, Any] = {"status": 500, "request_id": None}

        def recording_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            answer["status"] = int(status.split(" ", 1)[0])
            answer["request_id"] = next((v for k, v in headers if k.lower() == "x-request-id"), None)
            return start_response(status, headers, exc_info)

        def finished() -> None:
            log_access(method=environ.get("REQUEST_METHOD", "-"), target=_target(environ), status=answer["status"],
                       duration_s=time.perf_counter() - started, request_id=answer["request_id"],
                       remote=environ.get("REMOTE_ADDR"))

        try:
            body = app(environ, recording_start_response)
        except BaseException:
            finished()
            raise
        return ClosingIterator(body, [finished])

    return logged


def _target(environ: dict[str, Any]) -> str:
    target = environ.get("REQUEST_URI")
    if target:
        return target
    path = quote((environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1"), safe="/;=,:@")
    query = environ.get("QUERY_STRING")
    return f"{path}?{query}" if query else path


def _raise_descriptor_limit(wanted: int) -> None:
    """Raise the soft limit on open files towards ``wanted``, as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
        log.info("raised the open-file limit from %d to %d", soft, ceiling)
