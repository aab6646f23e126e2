"""The two ways the API meets the network, as processes on 127.0.0.1: `machikoe serve`
(waitress) and nginx in front of gunicorn, each with the project's own configuration.

Every process is started here and ended by its pid, through ``tests.faults.stack.Process``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path

from tests import services
from tests.faults.stack import Process, free_port
from tests.pipeline.support import REPO_ROOT, worker_environment

MACHIKOE = str(Path(sys.executable).with_name("machikoe"))
NGINX_CONF = REPO_ROOT / "config" / "nginx.conf"
GUNICORN_CONF = REPO_ROOT / "config" / "gunicorn.conf.py"

# Tests talk to 127.0.0.1 only, so no proxy from the environment may intervene.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def app_environment(data_dir: Path, **settings: str) -> dict[str, str]:
    """The embedded shape (SQLite in ``data_dir``, in-memory broker) without rate limits."""
    return worker_environment({"MACHIKOE_DATA_DIR": str(data_dir), "MACHIKOE_SECRET_KEY": "deployment-test-secret",
                               "MACHIKOE_RATE_LIMITS_ENABLED": "false", "MACHIKOE_LOG_LEVEL": "INFO", **settings})


def answers(base: str, path: str = "/healthz") -> bool:
    try:
        with DIRECT.open(base + path, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def log_lines(process: Process) -> list[dict]:
    """The process's log lines that are JSON objects."""
    lines = []
    for raw in process.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict):
            lines.append(line)
    return lines


class EmbeddedServer:
    """``machikoe serve`` on a free port, with the demo city seeded into a fresh SQLite database."""

    def __init__(self, root: Path, **settings: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = Process("machikoe serve", [MACHIKOE, "serve", "--port", str(self.port)], root / "serve.log",
                               env=app_environment(root / "data", **settings))
        self.process.wait_until(lambda: answers(self.base), what="machikoe serve to answer /healthz", timeout=90)

    def stop(self) -> None:
        self.process.stop()


class GunicornServer:
    """gunicorn with ``config/gunicorn.conf.py`` and two sync workers, on a migrated SQLite database."""

    def __init__(self, root: Path, **settings: str) -> None:
        environment = app_environment(root / "data", **settings)
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run([MACHIKOE, *command], env=environment, cwd=REPO_ROOT, check=True, capture_output=True, timeout=120)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = Process(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF), "--bind", f"127.0.0.1:{self.port}",
             "--workers", "2", "service:create_app()"],
            root / "gunicorn.log", env=environment,
        )
        self.process.wait_until(lambda: answers(self.base), what="gunicorn to answer /healthz", timeout=60)

    def stop(self) -> None:
        self.process.stop()


def nginx_config(upstream_port: int, port: int, root: Path) -> str:
    """``config/nginx.conf`` inside a main configuration of its own: this port, this upstream, files under ``root``.

    The main part mirrors the nginx image's (one worker process, 1024
    connections); only addresses and paths differ from the deployment.
    """
    server = NGINX_CONF.read_text(encoding="utf-8")
    server, listens = re.subn(r"^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{port};", server, flags=re.M)
    server, upstreams = re.subn(r"server api:8000;", f"server 127.0.0.1:{upstream_port};", server)
    server, logs = re.subn(r"access_log \S+ machikoe;", f"access_log {root / 'access.log'} machikoe;", server)
    assert (listens, upstreams, logs) == (1, 1, 1), "config/nginx.conf no longer has the lines this test replaces"
    temp = "\n".join(f"    {kind}_temp_path {root / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""worker_processes 1;
pid {root / 'nginx.pid'};
error_log {root / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
{temp}
{server}
}}
"""


class NginxProxy:
    """Debian's nginx with ``config/nginx.conf`` in front of ``upstream_port``, as a process of this test."""

    def __init__(self, upstream_port: int) -> None:
        binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if binary is None:
            services.unavailable("nginx", FileNotFoundError("nginx is not installed (apt-get install nginx)"))
        # Not below pytest's private temporary directory: nginx's workers run
        # as an unprivileged user when the tests run as root.
        self.root = Path(tempfile.mkdtemp(prefix=f"machikoe-nginx-{uuid.uuid4().hex[:6]}-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = self.root / "access.log"
        conf = self.root / "nginx.conf"
        conf.write_text(nginx_config(upstream_port, self.port, self.root), encoding="utf-8")
        check = subprocess.run([binary, "-t", "-p", str(self.root), "-c", str(conf)], check=False, capture_output=True, text=True,
                               timeout=30)
        assert check.returncode == 0, check.stderr
        self.process = Process("nginx", [binary, "-p", str(self.root), "-c", str(conf), "-g", "daemon off;"],
                               self.root / "nginx.out")
        self.process.wait_until(lambda: answers(self.base), what="nginx to answer /healthz")

    def stop(self) -> None:
        self.process.stop()
        shutil.rmtree(self.root, ignore_errors=True)
