"""Intake under load: POST of a report with one 3 MB phone JPEG, and GET of a report, against a bare upload.

Starts, all on 127.0.0.1:

- the API under gunicorn (2 sync workers, ``service:create_app()``), on a
  fresh PostgreSQL database ``machikoe_bench_intake`` (dropped, created,
  migrated and seeded with the demo city) and Redis database 11, where the
  processing jobs queue up (no Celery worker runs; the database is flushed
  at the end), with ``MACHIKOE_RATE_LIMITS_ENABLED=false`` since all the load
  comes from one address;
- the ceiling, ``bench/bare_upload.py``: a bare Flask app under the same
  gunicorn command and worker count that parses the same multipart body and
  writes the photo with the API's own local store (file ``fsync``, rename,
  directory ``fsync``), and nothing else.

and measures, with wrk (``bench/intake_load.lua``) and a paced client:

1. saturation: requests per second of closed-loop wrk POSTs (4 connections)
   for the bare upload and the API, taking turns, ``--rounds`` times each;
   every POST carries a 12-MP 4032x3024 JPEG of 3.04 MB with EXIF (GPS, its
   own unique id so every photo is a new file) and its own Idempotency-Key;
2. latency at half of the API's saturation rate: an open-loop client that
   starts POSTs at a fixed pace (a slow answer never delays the next one) and
   times each from the moment it was due, p50/p95/p99;
3. ``GET /api/v1/reports/{id}`` of the reports made in 1, closed-loop against
   both, and paced at half of the API's rate.

Targets: API POST throughput at least 0.6 of the bare upload's, and POST p99
under 200 ms at half of the API's saturation. Exits with status 1 when one is
missed or when the API answers a POST with anything but 201. Needs wrk
(``apt-get install wrk`` on Debian and Ubuntu, ``brew install wrk`` on macOS).

    python bench/intake_load.py [--duration 20] [--rounds 3] [--api-workers 2]

Every process it starts is stopped at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import secrets
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import psycopg
import redis
from urllib3 import encode_multipart_formdata

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    CATEGORY,
    DESCRIPTIONS,
    HOST,
    Processes,
    add_deployment_arguments,
    database_url_for,
    describe,
    ensure_database,
    free_port,
    gunicorn_command,
    load_average,
    machine_busy_seconds,
    machine_summary,
    own_cpu_seconds,
    percentile,
    phone_photo_pixels,
    prepare_database,
    run_with_processes,
    send_at_rate,
    service_environment,
    verdict,
    wait_until_ready,
    with_exif,
)

LUA_SCRIPT = Path(__file__).resolve().parent / "intake_load.lua"
BARE_APP = "bench.bare_upload:create_app()"
# Stands in the photo's EXIF unique id; wrk and the paced client replace it
# in every request, so it must occur once in the body.
MARKER = "@@MACHIKOE-BENCH-UNIQUE-ID-00@@@"
BOUNDARY = "machikoe-bench-7f3a9c1e5d2b"
WRK_INSTALL = ("wrk is not installed: `apt-get install wrk` (Debian, Ubuntu), `brew install wrk` (macOS), "
               "or build it from https://github.com/wg/wrk")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of each saturation run")
    parser.add_argument("--rounds", type=int, default=3, help="saturation runs of each server, taking turns")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections in the saturation runs")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of wrk load on each server before measuring")
    parser.add_argument("--paced-duration", type=float, default=30.0, help="seconds of the paced POST run")
    parser.add_argument("--paced-fraction", type=float, default=0.5, help="paced rate as a fraction of the API's saturation")
    parser.add_argument("--paced-threads", type=int, default=8, help="threads of the paced client")
    parser.add_argument("--get-duration", type=float, default=10.0, help="seconds of each GET run")
    parser.add_argument("--min-ratio", type=float, default=0.6, help="API / bare upload throughput below this fails")
    parser.add_argument("--p99-limit", type=float, default=0.2, help="seconds; paced POST p99 at or above fails")
    add_deployment_arguments(parser, database="machikoe_bench_intake", redis_url="redis://127.0.0.1:6379/11")
    return parser.parse_args()


@dataclass(frozen=True)
class Server:
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@dataclass
class LoadResult:
    """One wrk run: requests per second, latency and answers, with the CPU the server used."""

    server: str
    requests: int
    seconds: float
    latency_ms: dict[str, float]
    statuses: dict[int, int]
    errors: dict[str, int]
    server_cpu: float
    client_cpu: float
    other_cpu: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def line(self) -> str:
        statuses = ", ".join(f"{code}: {count}" for code, count in sorted(self.statuses.items()))
        errors = ", ".join(f"{name} {count}" for name, count in self.errors.items() if count)
        return (f"{self.server:>4}: {self.rate:6.1f}/s ({self.requests} in {self.seconds:.1f} s), latency p50 "
                f"{self.latency_ms['p50']:.0f} ms, p99 {self.latency_ms['p99']:.0f} ms; CPU per request: server "
                f"{self.server_cpu / max(1, self.requests) * 1000:.1f} ms, wrk {self.client_cpu / max(1, self.requests) * 1000:.1f} ms, "
                f"everything else {self.other_cpu / max(1, self.requests) * 1000:.1f} ms; answers {statuses}"
                + (f"; errors {errors}" if errors else ""))


class Bench:
    """The two servers and the ways of loading them."""

    def __init__(self, processes: Processes, workdir: Path, api: Server, bare: Server) -> None:
        self.processes = processes
        self.workdir = workdir
        self.api = api
        self.bare = bare

    def wrk(self, server: Server, seconds: float, connections: int, script_args: list[str]) -> LoadResult:
        """One closed-loop wrk run. Raises RuntimeError when wrk fails or prints no result."""
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "-s", str(LUA_SCRIPT),
                   server.url, "--", *script_args]
        name = f"wrk-{server.name}"
        cpu_before = self.processes.cpu_seconds()
        children_before = _children_cpu_seconds()
        busy_before = machine_busy_seconds()
        process = self.processes.start(name, command, dict(os.environ))
        status = self.processes.wait(process, timeout=seconds + 60)
        busy = machine_busy_seconds() - busy_before
        client = _children_cpu_seconds() - children_before
        cpu_after = self.processes.cpu_seconds()
        output = (self.workdir / f"{name}.log").read_text(encoding="utf-8", errors="replace")
        result_lines = [line for line in output.splitlines() if line.startswith("WRK_RESULT ")]
        if status != 0 or not result_lines:
            raise RuntimeError(f"wrk exited with status {status}:\n{output[-2000:]}")
        result = json.loads(result_lines[-1].removeprefix("WRK_RESULT "))
        used = {key: cpu_after.get(key, 0.0) - cpu_before.get(key, 0.0) for key in cpu_after}
        return LoadResult(
            server=server.name,
            requests=result["requests"],
            seconds=result["duration_us"] / 1e6,
            latency_ms={key: value / 1000 for key, value in result["latency_us"].items()},
            statuses={int(code): count for code, count in result["statuses"].items()},
            errors=result["errors"],
            server_cpu=used.get(server.name, 0.0),
            client_cpu=client,
            other_cpu=max(0.0, busy - sum(used.values()) - client),
        )

    def post(self, server: Server, seconds: float, connections: int, body_file: Path) -> LoadResult:
        return self.wrk(server, seconds, connections, ["post", str(body_file), BOUNDARY, MARKER, secrets.token_hex(4)])

    def get(self, server: Server, seconds: float, connections: int, ids_file: Path) -> LoadResult:
        return self.wrk(server, seconds, connections, ["get", str(ids_file)])

    def forget_photos(self) -> None:
        """Remove the photos written so far, so the runs do not fill the disk; the reports stay."""
        for part in ("bare", "photos"):
            shutil.rmtree(self.workdir / "data" / part, ignore_errors=True)
        # The next run should not share the disk with the deletion's writes.
        os.sync()
        time.sleep(2)


@dataclass
class Answer:
    status: int
    latency: float
    error: str | None = None


@dataclass
class PacedClient:
    """Requests timed from the moment each was due (``send_at_rate`` sets the pace).

    Uses http.client directly, one connection per thread (opened again when
    gunicorn's sync workers close it after an answer), and builds each POST
    body by joining three byte strings, so the client's CPU stays small next
    to the server's.
    """

    port: int
    head: bytes = b""
    tail: bytes = b""
    ids: list[str] = field(default_factory=list)
    nonce: str = field(default_factory=lambda: secrets.token_hex(4))
    local: threading.local = field(default_factory=threading.local)

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        return connection

    def post(self, index: int, scheduled: float) -> Answer:
        unique = f"{self.nonce}p{index:023d}"[: len(MARKER)]
        body = b"".join((self.head, unique.encode("ascii"), self.tail))
        headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Idempotency-Key": unique}
        return self._request("POST", "/api/v1/reports", body, headers, scheduled, 201)

    def get(self, index: int, scheduled: float) -> Answer:
        return self._request("GET", f"/api/v1/reports/{self.ids[index * 7 % len(self.ids)]}", None, {}, scheduled, 200)

    def _request(self, method: str, path: str, body: bytes | None, headers: dict[str, str], scheduled: float,
                 expected: int) -> Answer:
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read()
            status = response.status
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            return Answer(0, time.time() - scheduled, f"{type(exc).__name__}: {exc}")
        answer = Answer(status, time.time() - scheduled)
        if status != expected:
            answer.error = text[:300].decode("utf-8", "replace")
        return answer


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def paced(label: str, call: Callable[[int, float], Answer], rate: float, seconds: float, threads: int) -> tuple[list[Answer], float]:
    """Run ``call`` at ``rate`` per second for ``seconds``; returns the answers and this client's CPU seconds."""
    count = max(1, round(rate * seconds))
    print(f"{label}: {count} requests at {rate:.1f}/s, open loop, {threads} threads", flush=True)
    cpu_before = own_cpu_seconds()
    answers = send_at_rate(call, count, rate, threads)
    return answers, own_cpu_seconds() - cpu_before


def report_paced(label: str, answers: list[Answer], client_cpu: float, expected: int) -> list[Answer]:
    """Print the latency of a paced run; returns the answers that were not ``expected``."""
    wrong = [a for a in answers if a.status != expected]
    latencies = [a.latency for a in answers if a.status == expected]
    print(describe(f"  {label}", latencies))
    print(f"  {len(answers) - len(wrong)} answered {expected}, {len(wrong)} otherwise; "
          f"client CPU {client_cpu / max(1, len(answers)) * 1000:.1f} ms per request")
    for answer in wrong[:5]:
        print(f"  answered {answer.status}: {answer.error}")
    return wrong


def multipart_body() -> tuple[bytes, bytes, int]:
    """The POST body as head and tail around the marker, and the photo's size."""
    pixels = phone_photo_pixels()
    photo = with_exif(pixels, orientation=6, lat=35.65, lon=139.80, unique_id=MARKER)
    fields: list[tuple[str, str | tuple[str, bytes, str]]] = [
        ("category", CATEGORY),
        ("description", DESCRIPTIONS[0]),
        ("lat", "35.650000"),
        ("lon", "139.800000"),
        ("accuracy_m", "8"),
        ("photos", ("IMG_0001.JPG", photo, "image/jpeg")),
    ]
    body, _ = encode_multipart_formdata(fields, boundary=BOUNDARY)
    head, found, tail = body.partition(MARKER.encode("ascii"))
    if not found or MARKER.encode("ascii") in tail:
        raise RuntimeError("the marker must occur once in the body")
    return head, tail, len(photo)


def run(args: argparse.Namespace, workdir: Path, processes: Processes) -> int:
    if shutil.which("wrk") is None:
        print(f"FAIL: {WRK_INSTALL}")
        return 1
    print(f"machine: {machine_summary()}")
    print(f"load average (1 min) at the start: {load_average():.2f}")
    head, tail, photo_size = multipart_body()
    body_file = workdir / "body.bin"
    body_file.write_bytes(head + MARKER.encode("ascii") + tail)
    print(f"photo: 4032x3024 JPEG with EXIF orientation 6 and GPS, {photo_size / 1e6:.2f} MB; "
          f"multipart body {body_file.stat().st_size / 1e6:.2f} MB")

    server_version = ensure_database(args.admin_url, args.database, fresh=True)
    redis_client = redis.Redis.from_url(args.redis_url)
    redis_client.flushdb()
    # redis-py types the synchronous client's answers as possibly awaitable; this one answers a dict.
    print(f"PostgreSQL {server_version}, Redis {cast(dict[str, Any], redis_client.info('server'))['redis_version']}")
    database = database_url_for(args.admin_url, args.database)
    env = service_environment(database, args.redis_url, workdir / "data")
    prepare_database(env)

    api = Server("api", free_port())
    bare = Server("bare", free_port())
    processes.start(api.name, gunicorn_command(api.port, args.api_workers), env)
    processes.start(bare.name, gunicorn_command(bare.port, args.api_workers, BARE_APP), env)
    wait_until_ready(api.url, processes, timeout=60)
    wait_until_ready(bare.url, processes, timeout=60)
    bench = Bench(processes, workdir, api, bare)
    try:
        return measure(args, bench, body_file, head, tail, database)
    finally:
        redis_client.flushdb()
        redis_client.close()


def measure(args: argparse.Namespace, bench: Bench, body_file: Path, head: bytes, tail: bytes, database: str) -> int:
    api, bare = bench.api, bench.bare
    print(f"servers: gunicorn with {args.api_workers} sync workers each; wrk -t1 -c{args.connections}, "
          f"{args.duration:g} s per run after {args.warmup:g} s of warm-up", flush=True)
    for server in (bare, api):
        bench.post(server, args.warmup, args.connections, body_file)
    bench.forget_photos()

    print("POST saturation (closed loop):")
    runs: dict[str, list[LoadResult]] = {"bare": [], "api": []}
    for _ in range(args.rounds):
        for server in (bare, api):
            result = bench.post(server, args.duration, args.connections, body_file)
            runs[server.name].append(result)
            print(f"  {result.line()}", flush=True)
            bench.forget_photos()
    bare_rate = statistics.mean(r.rate for r in runs["bare"])
    api_rate = statistics.mean(r.rate for r in runs["api"])
    ratio = api_rate / bare_rate
    print(f"POST saturation: API {api_rate:.1f}/s, bare upload (ceiling) {bare_rate:.1f}/s, "
          f"ratio {ratio:.2f} (target at least {args.min_ratio:g})")
    refused = [r for r in runs["api"] if set(r.statuses) != {201} or any(r.errors.values())]

    client = PacedClient(api.port, head=head, tail=tail)
    paced_rate = api_rate * args.paced_fraction
    answers, client_cpu = paced("POST at half of saturation", client.post, paced_rate, args.paced_duration,
                                args.paced_threads)
    wrong_posts = report_paced("POST answered, from the moment it was due", answers, client_cpu, 201)
    p99 = percentile([a.latency for a in answers if a.status == 201], 0.99)
    bench.forget_photos()

    with psycopg.connect(database) as connection:
        ids = [row[0] for row in connection.execute("SELECT public_id FROM report ORDER BY random() LIMIT 2000")]
    ids_file = bench.workdir / "ids.txt"
    ids_file.write_text("\n".join(ids) + "\n", encoding="ascii")
    print(f"GET /api/v1/reports/{{id}} of {len(ids)} reports (closed loop):")
    gets: dict[str, LoadResult] = {}
    for server in (bare, api):
        bench.get(server, min(args.warmup, args.get_duration), args.connections, ids_file)
        gets[server.name] = bench.get(server, args.get_duration, args.connections, ids_file)
        print(f"  {gets[server.name].line()}", flush=True)
    get_ratio = gets["api"].rate / gets["bare"].rate
    print(f"GET saturation: API {gets['api'].rate:.1f}/s, bare (ceiling) {gets['bare'].rate:.1f}/s, ratio {get_ratio:.2f}")
    get_client = PacedClient(api.port, ids=ids)
    get_answers, get_cpu = paced("GET at half of saturation", get_client.get, gets["api"].rate * args.paced_fraction,
                                 args.get_duration, args.paced_threads)
    wrong_gets = report_paced("GET answered, from the moment it was due", get_answers, get_cpu, 200)

    print(f"load average (1 min) at the end: {load_average():.2f}")
    failures = []
    if not ratio >= args.min_ratio:
        failures.append(f"POST throughput ratio {ratio:.2f} is below {args.min_ratio:g}")
    if not p99 < args.p99_limit:
        failures.append(f"POST p99 {p99 * 1000:.0f} ms at {paced_rate:.1f}/s is not below {args.p99_limit * 1000:.0f} ms")
    if refused or wrong_posts:
        failures.append("the API answered POSTs with something other than 201")
    if wrong_gets or set(gets["api"].statuses) != {200}:
        failures.append("the API answered GETs with something other than 200")
    return verdict(failures)


def main() -> int:
    args = parse_arguments()
    return run_with_processes(lambda workdir, processes: run(args, workdir, processes), prefix="machikoe-bench-intake-",
                              keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
