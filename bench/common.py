"""Helpers shared by the benchmarks: a phone-like photo, percentiles, the machine,
and the deployment shape (PostgreSQL, Redis, gunicorn, Celery) started on 127.0.0.1.

Functions that start or wait for something raise ``RuntimeError`` with the
reason when it fails; :func:`with_exif` raises ``ValueError`` when the bytes it
is given are not a JPEG.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
import requests
from PIL import Image, ImageDraw, ImageFilter
from psycopg import sql
from psycopg.abc import Params, QueryNoTemplate

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# The demo city's box; its boundary covers all of it.
LAT_RANGE = (35.62, 35.68)
LON_RANGE = (139.76, 139.84)
CATEGORY = "road_damage"
DESCRIPTIONS = ("歩道に大きな穴があります", "車道のアスファルトがひび割れています", "マンホールの周りが陥没しています")

PHOTO_WIDTH, PHOTO_HEIGHT = 4032, 3024
PHOTO_QUALITY = 90

# EXIF tags by number, as the camera writes them.
_MAKE, _MODEL, _ORIENTATION, _SOFTWARE, _DATETIME = 0x010F, 0x0110, 0x0112, 0x0131, 0x0132
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _IMAGE_UNIQUE_ID = 0x9003, 0x9011, 0xA420
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4


def phone_photo_pixels(seed: int = 7, size: tuple[int, int] = (PHOTO_WIDTH, PHOTO_HEIGHT)) -> bytes:
    """A 12-MP (4032x3024) JPEG at quality 90 that compresses like a phone photo (about 3 MB).

    A smaller ``size`` gives the same kind of picture with fewer pixels (its
    shapes, grain and noise keep their size in pixels).

    It carries no metadata; :func:`with_exif` adds what a phone writes. The
    picture is a smooth colour field with blurred shapes, an asphalt-like
    medium-grain texture and faint sensor noise: enough detail that the JPEG
    is as large and as slow to decode as a real street photo.
    """
    width, height = size
    rng = np.random.default_rng(seed)
    field = rng.integers(40, 220, (12, 16, 3), dtype=np.uint8)
    picture = Image.fromarray(field, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(picture)
    for _ in range(120):
        x, y = (int(v) for v in rng.integers(0, (width, height)))
        shape_width, shape_height = (int(v) for v in rng.integers(20, 600, 2))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        shape = draw.rectangle if rng.random() < 0.5 else draw.ellipse
        shape([x, y, x + shape_width, y + shape_height], fill=colour)
    picture = picture.filter(ImageFilter.GaussianBlur(1.5))
    grain = rng.normal(0, 1, (height // 3, width // 3)).clip(-3, 3) * 15 + 128
    grain_image = Image.fromarray(grain.astype(np.uint8)).resize((width, height), Image.Resampling.BICUBIC)
    pixels = np.asarray(picture).astype(np.int16)
    pixels += np.asarray(grain_image).astype(np.int16)[..., None] - 128
    pixels += rng.normal(0, 3, pixels.shape).astype(np.int16)
    buffer = io.BytesIO()
    Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB").save(buffer, format="JPEG", quality=PHOTO_QUALITY)
    return buffer.getvalue()


def with_exif(
    jpeg: bytes,
    *,
    orientation: int,
    lat: float | None = None,
    lon: float | None = None,
    taken_at: datetime | None = None,
    unique_id: str | None = None,
) -> bytes:
    """The same JPEG with a phone's EXIF block (camera, orientation, time, GPS) in front.

    The pixels are not re-encoded: the EXIF segment is spliced in after the
    start-of-image marker, replacing a JFIF header if there is one, so making
    hundreds of distinct photos costs a byte copy each. A ``unique_id`` makes
    the file's content hash differ from every other copy, as real photos do.

    Raises ValueError when ``jpeg`` does not start with a JPEG marker.
    """
    if not jpeg.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG")
    exif = Image.Exif()
    exif[_MAKE] = "Machikoe"
    exif[_MODEL] = "Street Phone 12"
    exif[_SOFTWARE] = "17.4"
    exif[_ORIENTATION] = orientation
    moment = (taken_at or datetime(2024, 5, 1, 10, 20, 30)).strftime("%Y:%m:%d %H:%M:%S")
    exif[_DATETIME] = moment
    details = exif.get_ifd(_EXIF_IFD)
    details[_DATETIME_ORIGINAL] = moment
    details[_OFFSET_TIME_ORIGINAL] = "+09:00"
    if unique_id is not None:
        details[_IMAGE_UNIQUE_ID] = unique_id
    if lat is not None and lon is not None:
        gps = exif.get_ifd(_GPS_IFD)
        gps[_GPS_LAT_REF] = "N" if lat >= 0 else "S"
        gps[_GPS_LAT] = _degrees_minutes_seconds(abs(lat))
        gps[_GPS_LON_REF] = "E" if lon >= 0 else "W"
        gps[_GPS_LON] = _degrees_minutes_seconds(abs(lon))
    payload = exif.tobytes()
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    rest = jpeg[2:]
    if rest.startswith(b"\xff\xe0"):
        (length,) = struct.unpack(">H", rest[2:4])
        rest = rest[2 + length:]
    return b"\xff\xd8" + segment + rest


def _degrees_minutes_seconds(value: float) -> tuple[float, float, float]:
    degrees = math.floor(value)
    minutes = math.floor((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return float(degrees), float(minutes), seconds


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie, interpolated linearly.

    Returns NaN for an empty sequence.
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def machine_summary() -> str:
    """One line naming the CPU, the core count and the versions that matter to the figures."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    packages = ", ".join(f"{name} {_version(name)}" for name in ("Pillow", "shapely", "numpy"))
    return f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}; {packages}"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def describe(label: str, values: Sequence[float]) -> str:
    """``label: p50 …, p95 …, p99 …, max …`` in milliseconds."""
    if not values:
        return f"{label}: no values"
    figures = ", ".join(
        f"{name} {percentile(values, fraction) * 1000:7.0f} ms"
        for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    )
    return f"{label}: {figures}, max {max(values) * 1000:7.0f} ms"


class Processes:
    """Processes started by a benchmark, each in its own session so it can be stopped as a group."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115  (closed when the child exits)
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.started.append((name, process))
        return process

    def check_alive(self) -> None:
        """Raises RuntimeError naming a process that has exited."""
        for name, process in self.started:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with status {process.returncode}; see {self.log_dir / (name + '.log')}")

    def wait(self, process: subprocess.Popen[bytes], timeout: float) -> int:
        """Wait for a started process to end by itself and forget it; returns its exit status.

        Stops it (and its group) when it is still running after ``timeout`` seconds.
        """
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal(process, signal.SIGKILL)
            process.wait()
        self.started = [(name, p) for name, p in self.started if p is not process]
        return process.returncode

    def stop_all(self) -> None:
        # A started process leads its own process group, so its pid is the
        # group id: gunicorn's forked workers stop with their master.
        for _, process in reversed(self.started):
            if process.poll() is None:
                self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, process in reversed(self.started):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL)
                process.wait()
        self.started.clear()

    @staticmethod
    def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each started process group, by name."""
        return {name: _group_cpu_seconds(process.pid) for name, process in self.started}


def _group_cpu_seconds(group: int) -> float:
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, ... utime is field 14 and
        # stime field 15 of the whole line, so 11 and 12 here.
        if int(fields[2]) == group:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all cores have spent not idle since boot."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU time of this process (all its threads) so far."""
    times = os.times()
    return times.user + times.system


def load_average() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def add_deployment_arguments(parser: argparse.ArgumentParser, *, database: str, redis_url: str) -> None:
    """The flags of a benchmark that starts the API on its own database and Redis database."""
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL URL used to create the benchmark database")
    parser.add_argument("--database", default=database, help="benchmark database (dropped and made anew)")
    parser.add_argument("--redis-url", default=redis_url, help="Redis database (flushed first and last)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (photos) and the logs")


def database_url_for(admin_url: str, name: str) -> str:
    """``admin_url`` with its database replaced by ``name``."""
    return urlunsplit(urlsplit(admin_url)._replace(path="/" + name))


def scalar(connection: psycopg.Connection[Any], query: QueryNoTemplate, params: Params | None = None) -> Any:
    """The first column of the first row ``query`` answers: an aggregate's, or a row known to exist."""
    row = connection.execute(query, params).fetchone()
    assert row is not None, f"no row for {query!r}"
    return row[0]


def ensure_database(admin_url: str, name: str, *, fresh: bool = False) -> str:
    """Create the benchmark database when missing (dropped first when ``fresh``); returns the server's version."""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if fresh:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        server_version = scalar(connection, "SHOW server_version")
    return server_version


def machikoe_command() -> list[str]:
    script = Path(sys.executable).parent / "machikoe"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from service.cli import main; main()"]


def prepare_database(env: dict[str, str]) -> None:
    """Migrate and seed the demo city; a seed that exists already is fine.

    Raises RuntimeError with the command's output when either step fails otherwise.
    """
    upgrade = subprocess.run([*machikoe_command(), "db", "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=False)
    if upgrade.returncode != 0:
        raise RuntimeError(f"machikoe db upgrade failed:\n{upgrade.stdout}{upgrade.stderr}")
    seed = subprocess.run([*machikoe_command(), "seed-demo"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if seed.returncode != 0 and "exists already" not in seed.stdout + seed.stderr:
        raise RuntimeError(f"machikoe seed-demo failed:\n{seed.stdout}{seed.stderr}")


def service_environment(database: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    """The environment of the API and the workers for a benchmark run."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "MACHIKOE_DATA_DIR": str(data_dir),
        "MACHIKOE_SECRET_KEY": secrets.token_hex(32),
        # Every report comes from one address and one client: the intake rate
        # limits would refuse the load itself.
        "MACHIKOE_RATE_LIMITS_ENABLED": "false",
    }


def gunicorn_command(port: int, workers: int, app: str = "service:create_app()") -> list[str]:
    """The deployment's API command: gunicorn with sync workers on 127.0.0.1."""
    return [sys.executable, "-m", "gunicorn", "-b", f"{HOST}:{port}", "-w", str(workers), app]


def celery_worker_command(name: str, pool: str = "solo", concurrency: int = 1) -> list[str]:
    """One Celery worker process consuming every queue (solo pool unless told otherwise)."""
    return [sys.executable, "-m", "celery", "-A", "workers", "worker", f"--pool={pool}", f"--concurrency={concurrency}",
            "--loglevel=INFO", f"--hostname={name}@%h"]


def wait_until_ready(base_url: str, processes: Processes, timeout: float, path: str = "/readyz") -> None:
    """Raises RuntimeError when ``path`` does not answer 200 in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        try:
            if requests.get(f"{base_url}{path}", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base_url} did not become ready within {timeout:.0f} s")


@dataclass
class Sent:
    """One POST as the client saw it; wall-clock times in seconds since the epoch."""

    index: int
    started: float
    finished: float = 0.0
    status: int = 0
    public_id: str | None = None
    error: str | None = None


def public_ids(sent: Iterable[Sent]) -> list[str]:
    """The ids the service gave, of the POSTs it accepted."""
    return [s.public_id for s in sent if s.public_id]


class Sender:
    """Sends reports of the demo city with one phone photo each, one requests session per thread.

    Every photo gets its own EXIF unique id (so its content hash differs), a
    random position inside the demo city and its own Idempotency-Key.
    """

    def __init__(self, base_url: str, pixels: bytes, seed: int) -> None:
        self.url = f"{base_url}/api/v1/reports"
        self.pixels = pixels
        self.local = threading.local()
        self.random = random.Random(seed)
        self.lock = threading.Lock()

    def _position(self) -> tuple[float, float]:
        with self.lock:
            return self.random.uniform(*LAT_RANGE), self.random.uniform(*LON_RANGE)

    def send(self, index: int, scheduled: float | None = None) -> Sent:
        """POST one report; ``started`` is when the request began, not ``scheduled``."""
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        lat, lon = self._position()
        key = str(uuid.uuid4())
        photo = with_exif(self.pixels, orientation=6, lat=lat, lon=lon, unique_id=key.replace("-", ""))
        fields = {
            "category": CATEGORY,
            "description": DESCRIPTIONS[index % len(DESCRIPTIONS)],
            "lat": f"{lat:.6f}",
            "lon": f"{lon:.6f}",
            "accuracy_m": "8",
        }
        sent = Sent(index=index, started=time.time())
        try:
            response = session.post(self.url, data=fields, files={"photos": (f"IMG_{index:04d}.JPG", photo, "image/jpeg")},
                                    headers={"Idempotency-Key": key}, timeout=30)
            sent.status = response.status_code
            if response.status_code == 201:
                sent.public_id = response.json()["id"]
            else:
                sent.error = response.text[:300]
        except requests.RequestException as exc:
            sent.error = f"{type(exc).__name__}: {exc}"
        sent.finished = time.time()
        return sent


Result = TypeVar("Result")


def send_at_rate(send: Callable[[int, float], Result], count: int, rate: float, threads: int,
                 first_index: int = 0) -> list[Result]:
    """Call ``send(index, scheduled)`` ``count`` times at a fixed pace from a thread pool.

    ``scheduled`` is the wall-clock time the call was due. A slow answer never
    delays the next start (the load is open-loop); when every thread is busy
    the call waits for one, and that wait counts from ``scheduled``.
    """
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="send")
    try:
        futures = []
        start = time.monotonic()
        for offset in range(count):
            delay = start + offset / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(send, first_index + offset, time.time()))
        return [future.result() for future in futures]
    finally:
        # On Ctrl-C, calls not yet started are dropped rather than made.
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class Outcome:
    """What the database says about one accepted report."""

    public_id: str
    state: str
    created: datetime
    started: datetime | None
    processed: datetime | None


def outcomes(database_url: str, public_ids: list[str]) -> dict[str, Outcome]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT public_id, processing_state, created_at, processing_started_at, processed_at"
            " FROM report WHERE public_id = ANY(%s)",
            (public_ids,),
        ).fetchall()
    return {row[0]: Outcome(*row) for row in rows}


def wait_for_processing(database_url: str, public_ids: list[str], deadline: float,
                        processes: Processes) -> dict[str, Outcome]:
    """Poll until every report is done or failed, or until ``deadline`` (wall clock)."""
    while True:
        found = outcomes(database_url, public_ids)
        finished = sum(1 for o in found.values() if o.state in ("done", "failed"))
        if finished == len(public_ids) or time.time() >= deadline:
            return found
        processes.check_alive()
        time.sleep(0.5)


def wait_for_publication(database_url: str, public_ids: list[str], deadline: float,
                         processes: Processes) -> float | None:
    """Poll until no photo of these reports waits for its derivatives or the detector; the time then, or None at ``deadline``."""
    while time.time() < deadline:
        with psycopg.connect(database_url) as connection:
            waiting = connection.execute(
                "SELECT count(*) FROM photo JOIN report ON report.id = photo.report_id"
                " WHERE report.public_id = ANY(%s) AND photo.state IN ('stored', 'awaiting_detection')",
                (public_ids,),
            ).fetchone()
        if waiting is not None and waiting[0] == 0:
            return time.time()
        processes.check_alive()
        time.sleep(0.5)
    return None


def verdict(failures: Sequence[str]) -> int:
    """Print each failure; the exit status: 1 when there is one, else 0."""
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_with_processes(run_benchmark: Callable[[Path, Processes], int], *, prefix: str, keep: bool = False) -> int:
    """Run a benchmark in a fresh temporary directory and stop every process it started.

    Returns the benchmark's exit status: 130 when interrupted, 1 when it
    raised. The directory is removed after a success; after a failure the
    logs stay (``keep`` keeps the data too) and their place is printed.
    """
    # Ctrl-C and a plain kill both end the run through the same clean-up;
    # SIGINT is set explicitly because a shell starting this in the
    # background leaves it ignored.
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGINT, _stop_on_signal)
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    processes = Processes(workdir)
    status = 1
    try:
        status = run_benchmark(workdir, processes)
    except KeyboardInterrupt:
        print("interrupted")
        status = 130
    except Exception as exc:  # noqa: BLE001  (any setup failure ends the run with its reason)
        print(f"FAIL: {type(exc).__name__}: {exc}")
        status = 1
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        processes.stop_all()
        if keep:
            print(f"logs and data kept in {workdir}")
        elif status not in (0, 130):
            # The photos take gigabytes per run; the logs are what explains a failure.
            shutil.rmtree(workdir / "data", ignore_errors=True)
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return status
