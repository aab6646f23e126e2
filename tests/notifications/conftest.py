"""A webhook receiver and an SMTP server on 127.0.0.1, subscribers made over the admin API,
and the staff keys and reports of the staff tests."""

from __future__ import annotations

import json
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.domain import outbound
from tests.staff import conftest as staff_fixtures
from tests.staff.conftest import Keys

LOCAL_RECEIVERS = "127.0.0.1/32"
LOCAL = outbound.Policy.parse(LOCAL_RECEIVERS)

# The staff tests' keys for every role and their reports in each department.
keys, road_report, parks_report, other_report = (
    staff_fixtures.keys, staff_fixtures.road_report, staff_fixtures.parks_report, staff_fixtures.other_report)


@pytest.fixture(autouse=True)
def local_receivers_allowed(request: pytest.FixtureRequest) -> None:
    """The receivers here listen on 127.0.0.1, which the outbound policy refuses unless the operator names it."""
    if "app" in request.fixturenames:
        request.getfixturevalue("monkeypatch").setitem(request.getfixturevalue("app").config,
                                                       "OUTBOUND_ALLOW_PRIVATE", LOCAL_RECEIVERS)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; answers each path with its queued (status, delay, headers), 200 when none is left."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    answers: dict[str, list[tuple[int, float, dict[str, str]]]] = field(default_factory=dict)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str, *statuses: int, delay: float = 0.0, headers: dict[str, str] | None = None) -> None:
        self.answers.setdefault(path, []).extend((s, delay, headers or {}) for s in statuses)

    def at(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            queued = state.answers.get(self.path)
            status, delay, headers = queued.pop(0) if queued else (200, 0.0, {})
            time.sleep(delay)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class SmtpServer:
    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)


@pytest.fixture()
def smtp_server() -> Iterator[SmtpServer]:
    """The smallest SMTP server smtplib can hand a mail to: EHLO, MAIL, RCPT, DATA, QUIT."""
    state = SmtpServer()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 127.0.0.1 ESMTP test")
            while line := self.rfile.readline():
                command = line[:4].upper()
                if command == b"DATA":
                    self.reply("354 end with .")
                    lines = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(data[1:] if data.startswith(b"..") else data)
                    state.messages.append(message_from_bytes(b"".join(lines), policy=policy.default))
                    self.reply("250 queued")
                elif command == b"RCPT":
                    state.recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                    self.reply("250 ok")
                elif command == b"QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("250 ok")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def subscribe(client: FlaskClient, keys: Keys, who: str = "admin", **body: Any) -> dict[str, Any]:
    """Create a subscriber over the admin API; return the 201 body (with its secret)."""
    body = {"kind": "department_webhook", "name": "道路課システム", **body}
    response = client.post("/api/v1/staff/admin/subscribers", json=body, headers=keys.header(who))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def transition(client: FlaskClient, keys: Keys, report_id: str, to: str, who: str = "road_staff", **extra: Any) -> None:
    response = client.post(f"/api/v1/staff/reports/{report_id}/transitions", json={"to": to, **extra}, headers=keys.header(who))
    assert response.status_code == 201, response.get_json()
