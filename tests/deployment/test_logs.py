"""What an operator reads: one JSON access line per request under `machikoe serve`, gunicorn and
nginx, no secret from a URL in any line, no colour codes, and no idle heartbeat at INFO."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from werkzeug.serving import make_server

from service.logs import JsonFormatter, QuietHeartbeat, log_access
from tests.deployment.servers import DIRECT, log_lines
from tests.faults.stack import wait_for

# Secrets as clients put them in URLs: an Open311 api_key, our signatures, S3's presigned query, a token.
SECRETS = {"api_key": "SEKRET-API-KEY-1", "sig": "SEKRET-SIG-2", "X-Amz-Signature": "SEKRET-AMZ-3",
           "X-Amz-Credential": "SEKRET-AMZ-CRED-4", "token": "SEKRET-TOKEN-5", "signature": "SEKRET-SIG-6"}
QUERY = "&".join(f"{name}={value}" for name, value in SECRETS.items()) + "&page=2"


def get(base: str, target: str, **headers: str) -> int:
    request = urllib.request.Request(base + target, headers=headers)
    try:
        with DIRECT.open(request, timeout=5) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        with error:
            return error.code


def access_line(process, request_id: str) -> dict:
    lines = []

    def found() -> bool:
        lines[:] = [line for line in log_lines(process) if line.get("request_id") == request_id and "status" in line]
        return bool(lines)

    wait_for(found, what=f"the access line of {request_id}", timeout=10, logs=[process])
    return lines[-1]


def assert_no_secret(text: str) -> None:
    leaked = [value for value in SECRETS.values() if value in text]
    assert leaked == [], f"secrets in the log: {leaked}"


def test_serve_writes_an_access_line_with_method_path_status_duration_and_request_id(embedded):
    status = get(embedded.base, "/api/v1/categories?lang=ja", **{"X-Request-Id": "access-line-1"})

    line = access_line(embedded.process, "access-line-1")
    assert status == 200
    assert (line["logger"], line["method"], line["path"], line["status"]) == ("machikoe.access", "GET", "/api/v1/categories?lang=ja", 200)
    assert isinstance(line["duration_ms"], float) and 0 <= line["duration_ms"] < 5000


def test_serve_access_lines_redact_secrets_in_the_query(embedded):
    get(embedded.base, f"/api/v1/reports?{QUERY}", **{"X-Request-Id": "access-line-2"})

    line = access_line(embedded.process, "access-line-2")
    assert line["path"] == "/api/v1/reports?" + "&".join(f"{name}=REDACTED" for name in SECRETS) + "&page=2"
    assert_no_secret(embedded.process.log_path.read_text(encoding="utf-8"))


def test_gunicorn_access_lines_are_json_with_secrets_redacted(gunicorn):
    status = get(gunicorn.base, f"/open311/v2/requests.json?{QUERY}", **{"X-Request-Id": "access-line-3"})

    line = access_line(gunicorn.process, "access-line-3")
    assert (line["method"], line["status"]) == ("GET", status)
    assert line["path"].startswith("/open311/v2/requests.json?api_key=REDACTED&sig=REDACTED")
    assert_no_secret(gunicorn.process.log_path.read_text(encoding="utf-8"))


def test_nginx_access_lines_are_json_without_the_query(nginx, gunicorn):
    get(nginx.base, f"/api/v1/reports?{QUERY}")

    def written() -> list[dict]:
        return [json.loads(raw) for raw in nginx.access_log.read_text(encoding="utf-8").splitlines() if "/api/v1/reports" in raw]

    wait_for(lambda: bool(nginx.access_log.exists() and written()), what="nginx's access line", timeout=10)
    line = written()[-1]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/v1/reports", 200)
    # gunicorn's line for the same request carries nginx's request id, with the query redacted.
    upstream = access_line(gunicorn.process, line["request_id"])
    assert upstream["path"].startswith("/api/v1/reports?api_key=REDACTED")
    assert_no_secret(nginx.access_log.read_text(encoding="utf-8"))


def test_idle_event_dispatch_runs_stay_out_of_the_log_at_info(embedded):
    # The embedded server dispatches events twice a second; wait for several idle runs.
    time.sleep(3)

    lines = log_lines(embedded.process)
    heartbeat = [line for line in lines if "dispatch_events" in line["message"]]
    assert heartbeat == []
    assert any(line.get("logger") == "machikoe.access" for line in lines)


def _celery_record(logger: str, task: str, return_value: str) -> logging.LogRecord:
    # Built as celery.app.trace builds its success line: the context as the argument and as ``data``.
    context = {"id": "7d4c", "name": task, "return_value": return_value, "runtime": 0.01, "args": "()", "kwargs": "{}"}
    record = logging.LogRecord(logger, logging.INFO, __file__, 1, "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
                               (context,), None)
    record.data = context
    return record


@pytest.mark.parametrize(("returned", "kept"), [("0", False), ("3", True)])
def test_a_dispatch_run_is_logged_at_info_only_when_it_dispatched_something(returned, kept):
    quiet = QuietHeartbeat(frozenset({"machikoe.dispatch_events"}))
    record = _celery_record("celery.app.trace", "machikoe.dispatch_events", returned)

    assert quiet.filter(record) is kept
    assert record.levelname == ("INFO" if kept else "DEBUG")


def test_other_tasks_keep_their_info_lines():
    record = _celery_record("celery.app.trace", "machikoe.process_report", "None")

    assert QuietHeartbeat(frozenset({"machikoe.dispatch_events"})).filter(record) is True
    assert record.levelname == "INFO"


def test_werkzeug_request_lines_carry_no_colour_codes_and_no_secrets(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_log.addHandler(handler)
    before = werkzeug_log.level
    werkzeug_log.setLevel(logging.INFO)
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        # A 404 and a 200: werkzeug colours each status class differently.
        get(f"http://127.0.0.1:{server.port}", f"/healthz?{QUERY}")
        get(f"http://127.0.0.1:{server.port}", "/no-such-page")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        werkzeug_log.removeHandler(handler)
        werkzeug_log.setLevel(before)

    lines = [json.loads(raw) for raw in stream.getvalue().splitlines()]
    requests = [line["message"] for line in lines if "HTTP/1.1" in line["message"]]
    assert len(requests) == 2
    assert not any("\x1b" in message or "[0m" in message for message in requests), requests
    assert_no_secret(stream.getvalue())


def test_line_times_are_utc_to_the_millisecond_across_seconds():
    formatter = JsonFormatter()
    # One formatter, lines in the same second and in the next ones, and back to an earlier second.
    for created in (1764619200.0, 1764619200.5, 1764619200.999, 1764619201.001, 1764619201.9999996, 1764705599.25, 1764619200.75):
        record = logging.LogRecord("machikoe.test", logging.INFO, __file__, 1, "a line", (), None)
        record.created = created

        line = json.loads(formatter.format(record))

        assert line["time"] == datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


def _access_lines(level: int, **fields) -> list[dict]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("machikoe.test.access")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(level)
    try:
        log_access(logger=logger, **fields)
    finally:
        logger.removeHandler(handler)
    return [json.loads(raw) for raw in stream.getvalue().splitlines()]


@pytest.mark.parametrize(("target", "logged"), [
    ("/api/v1/reports/R-1", "/api/v1/reports/R-1"),
    (f"/api/v1/reports?{QUERY}", "/api/v1/reports?" + "&".join(f"{name}=REDACTED" for name in SECRETS) + "&page=2"),
    (f"/photos/a.jpg;sig={SECRETS['sig']}", "/photos/a.jpg;sig=REDACTED"),
])
def test_an_access_line_has_its_fields_and_no_secret_in_path_or_message(target, logged):
    lines = _access_lines(logging.INFO, method="GET", target=target, status=304, duration_s=0.00042,
                          request_id="rid-1", remote="10.0.0.7")

    assert lines == [{"time": lines[0]["time"], "level": "INFO", "logger": "machikoe.test.access",
                      "message": f"GET {logged} 304", "method": "GET", "path": logged, "status": 304,
                      "duration_ms": 0.4, "remote": "10.0.0.7", "request_id": "rid-1"}]


def test_no_access_line_above_info():
    assert _access_lines(logging.WARNING, method="GET", target="/healthz", status=200, duration_s=0.001, request_id=None) == []
