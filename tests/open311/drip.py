"""A media server on 127.0.0.1 that answers one byte a second, in its headers or in its body.

Each connection is recorded with the moment it was accepted and the moment the
client closed it, so a test can tell how long a fetch held on. A connection
ends on the server's side after ``longest`` seconds, which bounds every test
that uses it, even against a fetcher without a deadline.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n"


@dataclass
class Connection:
    path: str
    accepted: float
    closed: float | None = None

    @property
    def held(self) -> float | None:
        """Seconds from accept to the client's close; None while it is open."""
        return None if self.closed is None else self.closed - self.accepted


@dataclass
class DripServer:
    port: int = 0
    interval: float = 1.0
    longest: float = 12.0
    connections: list[Connection] = field(default_factory=list)

    def url(self, path: str) -> str:
        """``/headers/...`` drips the status line and headers; any other path drips the body after whole headers."""
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, client: socket.socket) -> None:
        with client:
            accepted = time.monotonic()
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65536:
                data = client.recv(4096)
                if not data:
                    return
                request += data
            connection = Connection(request.split(b" ", 2)[1].decode(), accepted)
            self.connections.append(connection)
            dripped = HEADERS if connection.path.startswith("/headers/") else b""
            if not dripped:
                client.sendall(HEADERS)
            sent = 0
            while time.monotonic() - accepted < self.longest:
                try:
                    client.sendall((dripped[sent:sent + 1] if dripped else b"\xff") or b"\xff")
                except OSError:
                    break
                sent += 1
                # Wait for the next byte's turn, noticing at once when the client closes.
                readable, _, _ = select.select([client], [], [], self.interval)
                if readable:
                    try:
                        if not client.recv(1):
                            break
                    except OSError:
                        break
            connection.closed = time.monotonic()


@contextmanager
def drip_server(interval: float = 1.0, longest: float = 12.0) -> Iterator[DripServer]:
    state = DripServer(interval=interval, longest=longest)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    state.port = listener.getsockname()[1]
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=state.serve, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join(2)
        listener.close()
