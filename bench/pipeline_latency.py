"""Latency from a resident's POST to a routed report, under a steady load.

Starts the deployment shape on this machine, all on 127.0.0.1:

- the API under gunicorn (2 sync workers),
- one Celery worker (solo pool, concurrency 1),
- PostgreSQL (database ``machikoe_bench``, created if missing, migrated and
  seeded with the demo city) and Redis (database 13, flushed first),

then sends 10 reports per second for 30 seconds. Each report is a multipart
POST with one 12-MP phone JPEG of about 3 MB (EXIF orientation 6, GPS, a
unique id so every file is distinct), a random position inside the demo city
and the category ``road_damage``. A report is routed when the worker has run
every step and set ``processed_at``; the latency of a report is
``processed_at - created_at`` from the database. The time from the moment the
client started sending the POST is printed too.

The ceiling, measured in the same run before the load starts, is the photo
step alone: ``make_derivatives`` on the same JPEG, median of several runs in
this process. No report can be routed faster than that.

Run from the repository root:

    python bench/pipeline_latency.py [--rate 10] [--duration 30]

Exits with status 1 when the p95 latency is 2 s or more, when a POST is not
accepted, or when an accepted report is not processed within 60 s after the
last POST. Every process it starts is stopped at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
import requests
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import machine_summary, percentile, phone_photo_pixels, with_exif

from service.photos.derivatives import make_derivatives

HOST = "127.0.0.1"
# The demo city's box; its boundary covers all of it.
LAT_RANGE = (35.62, 35.68)
LON_RANGE = (139.76, 139.84)
CATEGORY = "road_damage"
DESCRIPTIONS = ("歩道に大きな穴があります", "車道のアスファルトがひび割れています", "マンホールの周りが陥没しています")


@dataclass
class Sent:
    """One POST as the client saw it; wall-clock times in seconds since the epoch."""

    index: int
    started: float
    finished: float = 0.0
    status: int = 0
    public_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the database says about one accepted report."""

    public_id: str
    state: str
    created: datetime
    started: datetime | None
    processed: datetime | None


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=10.0, help="reports per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--warmup", type=int, default=5, help="reports sent and processed before the measured load")
    parser.add_argument("--threads", type=int, default=8, help="client threads sending POSTs")
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=0, help="API port (a free one when 0)")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL URL used to create the benchmark database")
    parser.add_argument("--database", default="machikoe_bench", help="benchmark database name")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="Redis database (flushed first)")
    parser.add_argument("--drain-timeout", type=float, default=60.0,
                        help="seconds after the last POST by which every report must be processed")
    parser.add_argument("--p95-limit", type=float, default=2.0, help="seconds; p95 at or above fails the run")
    parser.add_argument("--ceiling-repetitions", type=int, default=9, help="runs of the photo step alone")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (photos) and the logs")
    return parser.parse_args()


class Processes:
    """Processes started by this benchmark, each in its own session so it can be stopped as a group."""

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

    def stop_all(self) -> None:
        # A started process leads its own process group, so its pid is the
        # group id: gunicorn's forked workers stop with their master.
        for _, process in reversed(self.started):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 15
        for _, process in reversed(self.started):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        self.started.clear()


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


def _machine_busy_seconds() -> float:
    """CPU time all cores have spent not idle since boot."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def ensure_database(admin_url: str, name: str) -> str:
    """Create the benchmark database when missing; returns the server's version."""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        server_version = connection.execute("SHOW server_version").fetchone()[0]
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


def wait_until_ready(base_url: str, processes: Processes, timeout: float) -> None:
    """Raises RuntimeError when /readyz does not answer 200 in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        try:
            if requests.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the API did not become ready within {timeout:.0f} s")


class Sender:
    """Sends reports from a small thread pool, one requests session per thread."""

    def __init__(self, base_url: str, pixels: bytes, seed: int) -> None:
        self.url = f"{base_url}/api/v1/reports"
        self.pixels = pixels
        self.local = threading.local()
        self.random = random.Random(seed)
        self.lock = threading.Lock()

    def _position(self) -> tuple[float, float]:
        with self.lock:
            return self.random.uniform(*LAT_RANGE), self.random.uniform(*LON_RANGE)

    def send(self, index: int) -> Sent:
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


def send_at_rate(sender: Sender, count: int, rate: float, threads: int, first_index: int = 0) -> list[Sent]:
    """Start ``count`` POSTs at a fixed pace; a slow answer never delays the next start."""
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="post")
    try:
        futures = []
        start = time.monotonic()
        for offset in range(count):
            delay = start + offset / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(sender.send, first_index + offset))
        return [future.result() for future in futures]
    finally:
        # On Ctrl-C, POSTs not yet started are dropped rather than sent.
        pool.shutdown(wait=True, cancel_futures=True)


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


def photo_step_ceiling(photo: bytes, repetitions: int) -> float:
    """Median seconds of ``make_derivatives`` alone on ``photo``, after one warm-up run."""
    make_derivatives(photo)
    timings = []
    for _ in range(repetitions):
        started = time.perf_counter()
        make_derivatives(photo)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def describe(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: no values"
    figures = ", ".join(
        f"{name} {percentile(values, fraction) * 1000:7.0f} ms"
        for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    )
    return f"{label}: {figures}, max {max(values) * 1000:7.0f} ms"


def run(args: argparse.Namespace, workdir: Path, processes: Processes) -> int:
    print(f"machine: {machine_summary()}")
    pixels = phone_photo_pixels()
    sample = with_exif(pixels, orientation=6, lat=35.65, lon=139.80, unique_id="0" * 32)
    print(f"photo: 4032x3024 JPEG with EXIF orientation 6 and GPS, {len(sample) / 1e6:.2f} MB")
    ceiling = photo_step_ceiling(sample, args.ceiling_repetitions)
    print(f"ceiling: make_derivatives alone, median of {args.ceiling_repetitions}: {ceiling * 1000:.0f} ms")

    server_version = ensure_database(args.admin_url, args.database)
    redis_client = redis.Redis.from_url(args.redis_url)
    redis_client.flushdb()
    redis_version = redis_client.info("server")["redis_version"]
    redis_client.close()
    print(f"PostgreSQL {server_version}, Redis {redis_version}")

    database_url = urlunsplit(urlsplit(args.admin_url)._replace(path="/" + args.database))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "REDIS_URL": args.redis_url,
        "MACHIKOE_DATA_DIR": str(workdir / "data"),
        "MACHIKOE_SECRET_KEY": secrets.token_hex(32),
        # Every report comes from one address and one client: the intake rate
        # limits would refuse the load itself.
        "MACHIKOE_RATE_LIMITS_ENABLED": "false",
    }
    prepare_database(env)

    port = args.port or free_port()
    base_url = f"http://{HOST}:{port}"
    processes.start("gunicorn", [sys.executable, "-m", "gunicorn", "-b", f"{HOST}:{port}", "-w", str(args.api_workers),
                                 "service:create_app()"], env)
    processes.start("celery", [sys.executable, "-m", "celery", "-A", "workers", "worker", "--pool=solo",
                               "--concurrency=1", "--loglevel=INFO", "--hostname=bench@%h"], env)
    wait_until_ready(base_url, processes, timeout=60)

    sender = Sender(base_url, pixels, seed=2024)
    if args.warmup:
        # The first reports load code, open connections and build the pipeline
        # in every process; they also prove the worker is consuming.
        warm = [s for s in send_at_rate(sender, args.warmup, args.rate, args.threads) if s.public_id]
        if len(warm) != args.warmup:
            raise RuntimeError("warm-up reports were refused")
        found = wait_for_processing(database_url, [s.public_id for s in warm], time.time() + 60, processes)
        if any(o.state != "done" for o in found.values()) or len(found) != len(warm):
            raise RuntimeError(f"warm-up reports were not processed; see {processes.log_dir}")

    count = round(args.rate * args.duration)
    print(f"load: {count} reports at {args.rate:g}/s over {args.duration:g} s, one Celery worker (solo), "
          f"gunicorn with {args.api_workers} workers")
    load_started = time.time()
    cpu_before = (processes.cpu_seconds(), _own_cpu_seconds(), _machine_busy_seconds())
    sent = send_at_rate(sender, count, args.rate, args.threads, first_index=args.warmup)
    last_post = max(s.finished for s in sent)
    accepted = [s for s in sent if s.public_id]
    refused = [s for s in sent if not s.public_id]
    found = wait_for_processing(database_url, [s.public_id for s in accepted], last_post + args.drain_timeout, processes)
    drained_after = max(0.0, time.time() - last_post)
    window = time.time() - load_started
    cpu_after = (processes.cpu_seconds(), _own_cpu_seconds(), _machine_busy_seconds())

    done = {pid: o for pid, o in found.items() if o.state == "done" and o.processed is not None}
    failed = [o for o in found.values() if o.state == "failed"]
    late = len(accepted) - len(done) - len(failed)
    by_id = {s.public_id: s for s in accepted}
    routed = [(o.processed - o.created).total_seconds() for o in done.values()]
    from_post = [o.processed.timestamp() - by_id[pid].started for pid, o in done.items()]
    queued = [(o.started - o.created).total_seconds() for o in done.values() if o.started is not None]
    working = [(o.processed - o.started).total_seconds() for o in done.values() if o.started is not None]
    answers = [s.finished - s.started for s in accepted]

    print(f"sent {len(sent)} in {last_post - load_started:.1f} s; accepted {len(accepted)}, refused {len(refused)}; "
          f"processed {len(done)}, failed {len(failed)}, not processed in time {late}")
    for s in refused[:5]:
        print(f"  refused #{s.index}: {s.status} {s.error}")
    print(describe("POST answered (client)             ", answers))
    print(describe("created_at -> processed_at (routed)", routed))
    print(describe("POST start -> processed_at         ", from_post))
    print(describe("  of which waiting in the queue    ", queued))
    print(describe("  of which processing              ", working))
    print(f"all processed {drained_after:.1f} s after the last POST" if not late else
          f"{late} reports still unprocessed {args.drain_timeout:.0f} s after the last POST")
    used = {name: cpu_after[0][name] - cpu_before[0][name] for name in cpu_after[0]}
    client = cpu_after[1] - cpu_before[1]
    others = (cpu_after[2] - cpu_before[2]) - sum(used.values()) - client
    print(f"CPU seconds from the first POST until all were processed ({window:.1f} s wall, "
          f"{window * (os.cpu_count() or 1):.1f} s available): "
          + ", ".join(f"{name} {seconds:.1f}" for name, seconds in used.items())
          + f", this client {client:.1f}, everything else (PostgreSQL, Redis, system) {max(0.0, others):.1f}")
    if done and "celery" in used:
        print(f"worker CPU per report {used['celery'] / len(done) * 1000:.0f} ms; "
              f"routed {len(done) / window:.1f} reports/s over that time")
    if sent and "gunicorn" in used:
        print(f"gunicorn CPU per POST {used['gunicorn'] / len(sent) * 1000:.0f} ms")
    p95 = percentile(routed, 0.95)
    print(f"count {len(routed)}, p50 {percentile(routed, 0.5):.3f} s, p95 {p95:.3f} s, "
          f"p99 {percentile(routed, 0.99):.3f} s, max {max(routed, default=float('nan')):.3f} s")
    print(f"ceiling {ceiling:.3f} s; p95 / ceiling = {p95 / ceiling:.2f}")

    failures = []
    if not routed or not p95 < args.p95_limit:
        failures.append(f"p95 {p95:.3f} s is not below {args.p95_limit:g} s")
    if refused:
        failures.append(f"{len(refused)} POSTs were not accepted")
    if failed or late:
        failures.append(f"{len(failed)} reports failed and {late} were not processed within {args.drain_timeout:g} s")
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
        processes.stop_all()
        if keep:
            print(f"logs and data kept in {workdir}")
        elif status not in (0, 130):
            # The photos take about 1 GB per run; the logs are what explains a failure.
            shutil.rmtree(workdir / "data", ignore_errors=True)
            print(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return status


def main() -> int:
    args = parse_arguments()
    return run_with_processes(lambda workdir, processes: run(args, workdir, processes), prefix="machikoe-bench-",
                              keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
