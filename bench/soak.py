"""Soak: reports at a steady 20 per second for 10 minutes, two workers, and not one lost or processed twice.

Starts the deployment shape on this machine, all on 127.0.0.1:

- the API under gunicorn (2 sync workers),
- two Celery worker processes (solo pool each, ``soak1`` and ``soak2``),
- PostgreSQL (database ``machikoe_bench_soak``, dropped and made anew,
  migrated and seeded with the demo city) and Redis (database 12, flushed
  first and last), ``MACHIKOE_RATE_LIMITS_ENABLED=false`` since all the load
  comes from one address;

then sends reports at a fixed pace (open loop: a slow answer never delays
the next POST) for ``--duration`` seconds, each a multipart POST with one
phone JPEG, a random position inside the demo city and an Idempotency-Key.
The photo is what a phone app sends after scaling it to 1600 px on the long
side (1600x1200, about 0.5 MB, EXIF orientation 6, GPS and a unique id), and
every 20th (``--large-every``) is a camera original instead (12-MP
4032x3024, about 3 MB). While it runs
it samples the queue (Redis) and the reports' processing states (PostgreSQL)
and prints, each minute, how far the workers are behind. After the last POST
it waits, at most ``--drain-timeout`` seconds, until every accepted report is
processed, and then checks that:

- every POST was answered 201 (no 5xx, no refusal, no client error);
- every report id answered exists, is ``done``, was claimed once, and no
  other report was stored;
- every photo has one set of derivatives (large and thumbnail keys, exactly
  these two files in its directory of the store);
- every report has one ``created`` and one ``routed`` history entry and one
  ``report.received`` and one ``report.routed`` outbox event.

The soak's reference is its own input: processed / accepted must be 1.0.

    python bench/soak.py [--rate 20] [--duration 600]

Exits with status 1 when any check fails. Every process it starts is stopped
at the end, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    HOST,
    Processes,
    Sender,
    Sent,
    add_deployment_arguments,
    celery_worker_command,
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
    public_ids,
    run_with_processes,
    scalar,
    send_at_rate,
    service_environment,
    verdict,
    wait_for_processing,
    wait_until_ready,
    with_exif,
)

WORKERS = ("soak1", "soak2")
QUEUE = "celery"


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="reports per second")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    parser.add_argument("--photo", default="1600x1200", help="size of the usual photo, WIDTHxHEIGHT")
    parser.add_argument("--large-every", type=int, default=20,
                        help="every Nth report carries a 12-MP 4032x3024 photo instead (0: none)")
    parser.add_argument("--threads", type=int, default=8, help="client threads sending POSTs")
    parser.add_argument("--drain-timeout", type=float, default=300.0,
                        help="seconds after the last POST by which every report must be processed")
    parser.add_argument("--sample-interval", type=float, default=5.0, help="seconds between samples of the backlog")
    add_deployment_arguments(parser, database="machikoe_bench_soak", redis_url="redis://127.0.0.1:6379/12")
    return parser.parse_args()


@dataclass(frozen=True)
class Sample:
    """The backlog at one moment (wall clock)."""

    at: float
    queued: int
    pending: int
    processing: int
    done: int
    failed: int
    oldest_unfinished: float


class Monitor:
    """Samples the queue and the reports' processing states in a thread until stopped."""

    def __init__(self, database: str, redis_url: str, interval: float, started: float) -> None:
        self.database = database
        self.redis_url = redis_url
        self.interval = interval
        self.started = started
        self.samples: list[Sample] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="monitor", daemon=True)
        self.error: str | None = None

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        client = redis.Redis.from_url(self.redis_url)
        try:
            with psycopg.connect(self.database, autocommit=True) as connection:
                printed_minute = 0
                while not self.stopping.wait(self.interval):
                    self.samples.append(self._sample(client, connection))
                    minute = int((time.time() - self.started) // 60)
                    if minute > printed_minute:
                        self._print_minute(printed_minute)
                        printed_minute = minute
        except (psycopg.Error, redis.RedisError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            client.close()

    @staticmethod
    def _sample(client: redis.Redis, connection: psycopg.Connection) -> Sample:
        states: dict[str, int] = dict(connection.execute("SELECT processing_state, count(*) FROM report GROUP BY 1").fetchall())
        oldest = scalar(
            connection,
            "SELECT extract(epoch FROM now() - min(created_at)) FROM report WHERE processing_state IN ('pending', 'processing')",
        )
        # redis-py types the synchronous client's answers as possibly awaitable; this one answers an int.
        return Sample(at=time.time(), queued=cast(int, client.llen(QUEUE)), pending=states.get("pending", 0),
                      processing=states.get("processing", 0), done=states.get("done", 0), failed=states.get("failed", 0),
                      oldest_unfinished=float(oldest or 0.0))

    def _print_minute(self, minute: int) -> None:
        window = self.in_minute(minute)
        if not window:
            return
        last = window[-1]
        print(f"  minute {minute + 1:2d}: done {last.done:6d}, failed {last.failed}; queue max "
              f"{max(s.queued for s in window):4d}; unfinished max {max(s.pending + s.processing for s in window):4d}; "
              f"oldest unfinished max {max(s.oldest_unfinished for s in window):6.1f} s", flush=True)

    def in_minute(self, minute: int) -> list[Sample]:
        return [s for s in self.samples if int((s.at - self.started) // 60) == minute]


@dataclass(frozen=True)
class Check:
    """One row of the exactly-once check, for one report."""

    public_id: str
    state: str
    attempts: int
    created_entries: int
    routed_entries: int
    received_events: int
    routed_events: int
    photos: int
    photos_with_derivatives: int


CHECK_SQL = """
SELECT r.public_id, r.processing_state, r.processing_attempts,
       (SELECT count(*) FROM history_entry h WHERE h.report_id = r.id AND h.kind = 'created'),
       (SELECT count(*) FROM history_entry h WHERE h.report_id = r.id AND h.kind = 'routed'),
       (SELECT count(*) FROM outbox_event e WHERE e.report_id = r.id AND e.event_type = 'report.received'),
       (SELECT count(*) FROM outbox_event e WHERE e.report_id = r.id AND e.event_type = 'report.routed'),
       (SELECT count(*) FROM photo p WHERE p.report_id = r.id),
       (SELECT count(*) FROM photo p WHERE p.report_id = r.id AND p.large_key IS NOT NULL AND p.thumb_key IS NOT NULL)
FROM report r
"""


def exactly_once(database: str, data_dir: Path, accepted: set[str]) -> list[str]:
    """Check every report of the run; returns the problems found (empty when none)."""
    with psycopg.connect(database) as connection:
        checks = [Check(*row) for row in connection.execute(CHECK_SQL)]
        photos = connection.execute("SELECT public_id, large_key, thumb_key FROM photo").fetchall()
    problems = []
    stored = {c.public_id for c in checks}
    missing = accepted - stored
    if missing:
        problems.append(f"{len(missing)} accepted reports are not in the database, e.g. {sorted(missing)[:3]}")
    extra = stored - accepted
    if extra:
        problems.append(f"{len(extra)} reports in the database were never answered 201, e.g. {sorted(extra)[:3]}")
    rules = (
        ("not done", lambda c: c.state != "done"),
        ("claimed more than once", lambda c: c.attempts != 1),
        ("without exactly one 'created' history entry", lambda c: c.created_entries != 1),
        ("without exactly one 'routed' history entry", lambda c: c.routed_entries != 1),
        ("without exactly one report.received event", lambda c: c.received_events != 1),
        ("without exactly one report.routed event", lambda c: c.routed_events != 1),
        ("without a photo", lambda c: c.photos < 1),
        ("with a photo lacking derivatives", lambda c: c.photos_with_derivatives != c.photos),
    )
    for label, broken in rules:
        found = [c.public_id for c in checks if broken(c)]
        if found:
            problems.append(f"{len(found)} reports {label}, e.g. {found[:3]}")
    files: dict[str, set[str]] = {}
    root = data_dir / "photos" / "derivatives"
    if root.is_dir():
        for directory in root.iterdir():
            files[directory.name] = {entry.name for entry in directory.iterdir()}
    wrong = []
    for public_id, large_key, thumb_key in photos:
        expected = {key.rsplit("/", 1)[1] for key in (large_key, thumb_key) if key}
        if len(expected) != 2 or files.get(public_id) != expected:
            wrong.append(public_id)
    if wrong:
        problems.append(f"{len(wrong)} photos do not have exactly their two derivative files, e.g. {wrong[:3]}")
    strays = set(files) - {p[0] for p in photos}
    if strays:
        problems.append(f"{len(strays)} derivative directories belong to no photo")
    print(f"checked {len(checks)} reports and {len(photos)} photos ({sum(len(f) for f in files.values())} derivative files); "
          f"claims per report: {dict(sorted(Counter(c.attempts for c in checks).items()))}")
    return problems


def tasks_run(log_dir: Path) -> dict[str, int]:
    """How many process_report tasks each worker finished, from its log."""
    pattern = re.compile(r"machikoe\.process_report\[[^\]]+\] succeeded")
    counts = {}
    for name in WORKERS:
        log = log_dir / f"{name}.log"
        text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
        counts[name] = len(pattern.findall(text))
    return counts


class MixedSender:
    """Sends the usual photo, and a 12-MP one every ``large_every``th report."""

    def __init__(self, base_url: str, usual: bytes, large: bytes | None, large_every: int) -> None:
        self.usual = Sender(base_url, usual, seed=2024)
        self.large = Sender(base_url, large, seed=2025) if large is not None else None
        self.large_every = large_every

    def send(self, index: int, scheduled: float) -> Sent:
        if self.large is not None and index % self.large_every == self.large_every - 1:
            return self.large.send(index, scheduled)
        return self.usual.send(index, scheduled)


def minute_table(sent: list[Sent], processed: dict[str, float], monitor: Monitor, started: float) -> None:
    print("minute | POSTs | 201 | POST p50 | POST p99 | POST→processed p50 | p95 | max | queue max | oldest unfinished max")
    minutes = int((max(s.started for s in sent) - started) // 60) + 1
    for minute in range(minutes):
        posts = [s for s in sent if int((s.started - started) // 60) == minute]
        accepted = [s for s in posts if s.status == 201]
        answers = [s.finished - s.started for s in accepted]
        through = [processed[s.public_id] - s.started for s in accepted if s.public_id in processed]
        window = monitor.in_minute(minute)
        print(f"{minute + 1:6d} | {len(posts):5d} | {len(accepted):5d} | {percentile(answers, 0.5) * 1000:5.0f} ms | "
              f"{percentile(answers, 0.99) * 1000:5.0f} ms | {percentile(through, 0.5):7.2f} s | "
              f"{percentile(through, 0.95):6.2f} s | {max(through, default=float('nan')):6.2f} s | "
              f"{max((s.queued for s in window), default=0):5d} | "
              f"{max((s.oldest_unfinished for s in window), default=0.0):6.1f} s")


def run(args: argparse.Namespace, workdir: Path, processes: Processes) -> int:
    print(f"machine: {machine_summary()}")
    print(f"load average (1 min) at the start: {load_average():.2f}")
    width, height = (int(v) for v in args.photo.lower().split("x"))
    usual = phone_photo_pixels(size=(width, height))
    large = phone_photo_pixels() if args.large_every > 0 else None
    sample = with_exif(usual, orientation=6, lat=35.65, lon=139.80, unique_id="0" * 32)
    print(f"photo: {width}x{height} JPEG with EXIF orientation 6 and GPS, {len(sample) / 1e6:.2f} MB"
          + (f"; every {args.large_every}th a 4032x3024 one of {len(large) / 1e6:.2f} MB" if large else ""))

    server_version = ensure_database(args.admin_url, args.database, fresh=True)
    redis_client = redis.Redis.from_url(args.redis_url)
    redis_client.flushdb()
    # redis-py types the synchronous client's answers as possibly awaitable; this one answers a dict.
    print(f"PostgreSQL {server_version}, Redis {cast(dict[str, Any], redis_client.info('server'))['redis_version']}")
    database = database_url_for(args.admin_url, args.database)
    data_dir = workdir / "data"
    env = service_environment(database, args.redis_url, data_dir)
    prepare_database(env)
    try:
        return soak(args, processes, env, database, data_dir, usual, large)
    finally:
        redis_client.flushdb()
        redis_client.close()


def soak(args: argparse.Namespace, processes: Processes, env: dict[str, str], database: str, data_dir: Path,
         usual: bytes, large: bytes | None) -> int:
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    processes.start("gunicorn", gunicorn_command(port, args.api_workers), env)
    for name in WORKERS:
        processes.start(name, celery_worker_command(name), env)
    wait_until_ready(base_url, processes, timeout=60)
    sender = MixedSender(base_url, usual, large, args.large_every)

    # The warm-up reports load code and open connections in every process,
    # and prove the workers consume; they are part of the checks at the end.
    warm = send_at_rate(sender.send, 10, args.rate, args.threads, first_index=10**6)
    if any(s.status != 201 for s in warm):
        raise RuntimeError(f"warm-up reports were refused: {[(s.status, s.error) for s in warm if s.status != 201][:3]}")
    found = wait_for_processing(database, public_ids(warm), time.time() + 60, processes)
    if len(found) != len(warm) or any(o.state != "done" for o in found.values()):
        raise RuntimeError(f"warm-up reports were not processed; see {processes.log_dir}")

    count = round(args.rate * args.duration)
    print(f"load: {count} reports at {args.rate:g}/s over {args.duration:g} s; gunicorn with {args.api_workers} "
          f"workers, {len(WORKERS)} Celery workers (solo)", flush=True)
    started = time.time()
    cpu_before = (processes.cpu_seconds(), own_cpu_seconds(), machine_busy_seconds())
    monitor = Monitor(database, args.redis_url, args.sample_interval, started)
    monitor.start()
    try:
        sent = send_at_rate(sender.send, count, args.rate, args.threads)
        last_post = max(s.finished for s in sent)
        print(f"sent {len(sent)} in {last_post - started:.1f} s; waiting for the workers", flush=True)
        accepted = [s for s in sent if s.status == 201 and s.public_id]
        outcomes = wait_for_processing(database, public_ids(accepted), last_post + args.drain_timeout,
                                       processes)
        finished_at = time.time()
    finally:
        monitor.stop()
    cpu_after = (processes.cpu_seconds(), own_cpu_seconds(), machine_busy_seconds())

    statuses = Counter(s.status for s in sent)
    server_errors = [s for s in sent if s.status >= 500]
    not_accepted = [s for s in sent if s.status != 201 or not s.public_id]
    done = {pid: o for pid, o in outcomes.items() if o.state == "done" and o.processed is not None}
    unfinished = len(accepted) - len(done)
    processed_at = {pid: o.processed.timestamp() for pid, o in done.items() if o.processed is not None}  # all of done
    drained = max(processed_at.values(), default=last_post) - last_post
    print(f"answers: {dict(sorted(statuses.items()))}" + (f"; e.g. {not_accepted[0].status} {not_accepted[0].error}"
                                                          if not_accepted else ""))
    print(f"accepted {len(accepted)}, processed {len(done)}, not processed {unfinished}; "
          f"processed / accepted = {len(done) / max(1, len(accepted)):.4f}; "
          f"the last one {drained:.1f} s after the last POST")

    minute_table(sent, processed_at, monitor, started)
    answers = [s.finished - s.started for s in accepted]
    by_id = {s.public_id: s for s in accepted}
    through = [processed_at[pid] - by_id[pid].started for pid in processed_at if pid in by_id]
    print(describe("POST answered (client)         ", answers))
    print(describe("POST start -> processed_at     ", through))
    window = finished_at - started
    used = {name: cpu_after[0][name] - cpu_before[0].get(name, 0.0) for name in cpu_after[0]}
    client = cpu_after[1] - cpu_before[1]
    others = (cpu_after[2] - cpu_before[2]) - sum(used.values()) - client
    print(f"CPU seconds over {window:.0f} s ({window * (os.cpu_count() or 1):.0f} s available): "
          + ", ".join(f"{name} {seconds:.0f}" for name, seconds in used.items())
          + f", this client {client:.0f}, everything else (PostgreSQL, Redis, system) {max(0.0, others):.0f}")
    workers_cpu = sum(used.get(name, 0.0) for name in WORKERS)
    if done:
        print(f"per report: worker CPU {workers_cpu / len(done) * 1000:.0f} ms, "
              f"gunicorn CPU {used.get('gunicorn', 0.0) / len(sent) * 1000:.0f} ms; "
              f"the workers processed {len(done) / window:.1f} reports/s over that time")
    print(f"process_report tasks finished, from the workers' logs: {tasks_run(processes.log_dir)}")
    if monitor.error:
        print(f"the backlog monitor stopped early: {monitor.error}")
    print(f"load average (1 min) at the end: {load_average():.2f}")

    failures = exactly_once(database, data_dir, set(public_ids([*warm, *accepted])))
    if server_errors:
        failures.append(f"{len(server_errors)} POSTs were answered with a 5xx")
    if len(not_accepted) > len(server_errors):
        failures.append(f"{len(not_accepted) - len(server_errors)} POSTs were not accepted otherwise")
    if unfinished:
        failures.append(f"{unfinished} reports were not processed within {args.drain_timeout:g} s after the last POST")
    if not failures:
        print(f"no report lost: all {len(accepted)} accepted reports processed exactly once")
    return verdict(failures)


def main() -> int:
    args = parse_arguments()
    return run_with_processes(lambda workdir, processes: run(args, workdir, processes), prefix="machikoe-bench-soak-",
                              keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
