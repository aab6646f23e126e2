"""gunicorn's settings for the API in the deployment shape, behind nginx.

Access lines are JSON like every other line of the service, with the values
of secret query parameters (API keys, URL signatures, tokens) redacted;
gunicorn's own format would print the raw request line. Bind address, worker
and thread counts come from the command line in docker-compose.yml.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from service.logs import JsonFormatter, log_access


class RedactingLogger(Logger):
    """gunicorn's logger with JSON lines whose secrets are redacted (see ``service.logs``)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        # gunicorn's own lines too: a refused request line quotes the URL it was sent.
        for handler in (*self.access_log.handlers, *self.error_log.handlers):
            handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        request_id = next((value for name, value in headers if name.lower() == "x-request-id"), None)
        log_access(method=environ.get("REQUEST_METHOD", "-"), target=environ.get("RAW_URI", ""), status=int(status),
                   duration_s=request_time.total_seconds(), request_id=request_id, remote=environ.get("REMOTE_ADDR"),
                   logger=self.access_log)


logger_class = RedactingLogger
accesslog = "-"
# nginx in front buffers slow uploads; a request that still takes this long is stuck.
timeout = 60
graceful_timeout = 20
# Behind nginx each connection is one request from the proxy, closed soon after.
keepalive = 5
