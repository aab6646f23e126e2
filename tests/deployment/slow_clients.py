"""Clients that try to starve a server: slow uploads that never end, and a huge chunked body.

Everything is bounded: connections in number, drills in seconds, sockets in timeouts.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import math
import select
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

from PIL import Image

# A socket operation that takes longer than this counts as this long.
REQUEST_TIMEOUT = 5.0


@dataclass
class DrillResult:
    healthz_seconds: list[float] = field(default_factory=list)
    report_status: int | None = None
    report_body: str = ""
    slow_connections_open: int = 0

    @property
    def p99(self) -> float:
        ordered = sorted(self.healthz_seconds)
        return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def slow_upload_drill(port: int, *, connections: int = 300, seconds: float = 20.0, drip_every: float = 3.0) -> DrillResult:
    """Hold ``connections`` uploads open that announce a large body and send one byte every ``drip_every`` s.

    Meanwhile ``/healthz`` is asked in a loop and one normal report is posted
    halfway through. Every slow socket is closed at the end.
    """
    result = DrillResult()
    sockets: list[socket.socket] = []
    stop = threading.Event()
    try:
        for _ in range(connections):
            sock = socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT)
            sock.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000000\r\n\r\n{")
            sockets.append(sock)

        def drip() -> None:
            while not stop.wait(drip_every):
                for sock in sockets:
                    try:
                        sock.send(b" ")
                    except OSError:
                        continue

        dripper = threading.Thread(target=drip, name="slow-clients", daemon=True)
        dripper.start()
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            result.healthz_seconds.append(_timed_healthz(port))
            if result.report_status is None and time.monotonic() - started > seconds / 2:
                result.report_status, result.report_body = post_normal_report(port)
            time.sleep(0.2)
        result.slow_connections_open = sum(1 for sock in sockets if _still_open(sock))
    finally:
        stop.set()
        for sock in sockets:
            sock.close()
    return result


def _timed_healthz(port: int) -> float:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            return REQUEST_TIMEOUT
    except OSError:
        return REQUEST_TIMEOUT
    finally:
        connection.close()
    return time.monotonic() - started


def _still_open(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return True
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except OSError:
        return False


def post_normal_report(port: int) -> tuple[int | None, str]:
    """A phone's multipart report with one photo; return the status and body (None and why, without an answer)."""
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), (90, 120, 150)).save(buffer, "JPEG", quality=85)
    boundary = uuid.uuid4().hex
    fields = {"category": "road_damage", "description": "歩道に大きな穴があります", "lat": "35.650", "lon": "139.780"}
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="IMG_0001.JPG"\r\n'
             f"Content-Type: image/jpeg\r\n\r\n").encode() + buffer.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT * 2)
    try:
        connection.request("POST", "/api/v1/reports", body=body,
                           headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except OSError as exc:
        return None, f"no answer: {exc!r}"
    finally:
        connection.close()


@dataclass
class ChunkedOutcome:
    status: int | None
    bytes_sent: int
    seconds: float


def send_huge_chunked_body(port: int, *, total: int = 100 * 1024 * 1024, chunk: int = 256 * 1024,
                           seconds: float = 30.0) -> ChunkedOutcome:
    """Send a chunked body of ``total`` bytes as fast as the server takes it; stop at the server's first answer."""
    piece = b"x" * chunk
    frame = f"{chunk:x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        while sent < total and time.monotonic() - started < seconds:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(frame)
            except OSError:
                break
            sent += chunk
        if sent >= total:
            with contextlib.suppress(OSError):
                sock.sendall(b"0\r\n\r\n")
        status = _read_status(sock)
    return ChunkedOutcome(status, sent, time.monotonic() - started)


def _read_status(sock: socket.socket) -> int | None:
    sock.settimeout(REQUEST_TIMEOUT)
    data = b""
    try:
        while b"\r\n" not in data:
            more = sock.recv(4096)
            if not more:
                break
            data += more
    except OSError:
        pass
    if not data.startswith(b"HTTP/1."):
        return None
    return int(data.split(b" ", 2)[1])
