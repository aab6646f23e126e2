"""The deployment shape on 127.0.0.1, made of processes a drill may stop: its own PostgreSQL
cluster and Redis server on free ports, gunicorn, Celery beat (workers come from the
pipeline tests' ``WorkerProcess``).

Every process is started here and ended here by its own pid; the machine's own
PostgreSQL and Redis are never touched.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import psycopg
import pytest
import redis

from tests import services
from tests.pipeline.support import REPO_ROOT

# Starting any one of these processes takes a few seconds on a quiet machine, and several
# times that while the parallel suite loads both cores; a minute without an answer is a failure.
START_SECONDS = 60.0


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], bool], *, what: str, timeout: float = START_SECONDS, logs: Sequence[Process] = ()) -> None:
    """Call ``check`` until it returns True; fail after ``timeout`` seconds, showing the processes' logs."""
    deadline = time.monotonic() + timeout
    while not check():
        for process in logs:
            if not process.running:
                pytest.fail(f"{process.name} exited with {process.popen.returncode} while waiting for {what}:\n{process.log()}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:g} s" + "".join(f"\n--- {p.name} ---\n{p.log()}" for p in logs))
        time.sleep(0.1)


class Process:
    """One child process with its own log file, ended by its pid."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, *, env: Mapping[str, str] | None = None,
                 user: str | None = None, stop_signal: signal.Signals = signal.SIGTERM) -> None:
        self.name = name
        self.log_path = log_path
        self.stop_signal = stop_signal
        with log_path.open("ab") as log:
            self.popen = subprocess.Popen(list(argv), cwd=REPO_ROOT, env=dict(env) if env is not None else None,
                                          stdout=log, stderr=subprocess.STDOUT, user=user)

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def log(self, tail: int = 3000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]

    def wait_until(self, check: Callable[[], bool], *, what: str, timeout: float = START_SECONDS) -> None:
        """:func:`wait_for` with this process's log; a process not ready in time is stopped, not left behind."""
        try:
            wait_for(check, what=what, timeout=timeout, logs=[self])
        except BaseException:
            self.stop()
            raise

    def ask_to_stop(self) -> None:
        """Send the stop signal without waiting, so several processes can stop side by side."""
        if self.running:
            os.kill(self.pid, self.stop_signal)

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the process to stop with its stop signal; SIGKILL when it does not leave in time."""
        if self.running:
            self.ask_to_stop()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=timeout)


class RedisServer:
    """A private ``redis-server`` without persistence, as a broker that loses its queues when stopped."""

    def __init__(self, root: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            services.unavailable("redis-server", FileNotFoundError("redis-server is not on PATH"))
        self.root = root
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: Process | None = None

    def start(self) -> None:
        self.process = Process(
            "redis-server",
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.root)],
            self.root / "redis.log",
        )
        self.process.wait_until(self._answers, what="redis-server to answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def _answers(self) -> bool:
        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=0.5) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary directory, owned by the ``postgres`` user when run as root.

    ``stop`` is PostgreSQL's fast shutdown (SIGINT): sessions are ended and
    everything committed is kept, as in a restart by an operator or a failover.
    """

    def __init__(self, root: Path) -> None:
        self.bindir = _postgres_bindir()
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # initdb and postgres refuse to run as root.
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user is not None:
            account = pwd.getpwnam(self.user)
            os.chown(root, account.pw_uid, account.pw_gid)
        self.process: Process | None = None

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        subprocess.run(
            [str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
             "--locale=C", "--no-sync"],
            user=self.user, check=True, capture_output=True, timeout=60,
        )

    def start(self) -> None:
        self.process = Process(
            "postgres",
            # fsync is off: the drills restart the server process, not the machine, and a
            # fast shutdown writes every committed transaction to disk anyway.
            [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.root),
             "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=100"],
            self.root / "postgres.log", user=self.user, stop_signal=signal.SIGINT,
        )
        self.process.wait_until(self.accepts_connections, what="PostgreSQL to accept connections")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(timeout=30)

    def accepts_connections(self) -> bool:
        try:
            with psycopg.connect(self.admin_url, connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def create_database(self, name: str, template: str = "template1") -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)


def _postgres_bindir() -> Path:
    """Where initdb and postgres are: the newest Debian cluster version, else PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    initdb = candidates[-1] if candidates else shutil.which("initdb")
    if initdb is None:
        services.unavailable("PostgreSQL's initdb", FileNotFoundError("no /usr/lib/postgresql/*/bin/initdb and none on PATH"))
    return Path(initdb).parent


class Gunicorn:
    """The API as deployed: gunicorn with two sync workers running ``service:create_app()``."""

    def __init__(self, environment: Mapping[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = Process(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{self.port}", "-w", "2", "--graceful-timeout", "5",
             "service:create_app()"],
            log_path, env=environment,
        )
        self.process.wait_until(self._answers, what="gunicorn to answer /healthz")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        self.process.stop()


def start_beat(environment: Mapping[str, str], root: Path) -> Process:
    """``celery beat``, sending the sweeps and the event dispatch on the drill's short intervals."""
    return Process(
        "beat",
        [sys.executable, "-m", "celery", "-A", "workers", "beat", "--loglevel=INFO", "-s", str(root / "beat-schedule"),
         "--pidfile", str(root / "beat.pid")],
        root / "beat.log", env=environment,
    )


@contextlib.contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[socketserver.BaseServer]:
    """Run a stand-in HTTP server on a thread of this process; shut it down and close its port afterwards."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
