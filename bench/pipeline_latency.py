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

With the detector on (the default), a routed report's photos are published by
a check job of lower priority, which the worker takes when no report waits to
be routed; the time from the last POST until every photo is public, and the
worker's CPU per report with its check, are printed too.

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
import statistics
import sys
import time
from pathlib import Path
from typing import Any, cast

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    HOST,
    Processes,
    Sender,
    celery_worker_command,
    database_url_for,
    describe,
    ensure_database,
    free_port,
    gunicorn_command,
    machine_busy_seconds,
    machine_summary,
    own_cpu_seconds,
    percentile,
    phone_photo_pixels,
    prepare_database,
    public_ids,
    run_with_processes,
    send_at_rate,
    service_environment,
    wait_for_processing,
    wait_for_publication,
    wait_until_ready,
    with_exif,
)
from service.photos.derivatives import make_derivatives


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=10.0, help="reports per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--warmup", type=int, default=5, help="reports sent and processed before the measured load")
    parser.add_argument("--threads", type=int, default=8, help="client threads sending POSTs")
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-pool", choices=("solo", "threads"), default="solo",
                        help="the Celery worker's pool: solo (one report at a time) or threads")
    parser.add_argument("--worker-threads", type=int, default=2, help="threads of the worker's pool with --worker-pool threads")
    parser.add_argument("--port", type=int, default=0, help="API port (a free one when 0)")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL URL used to create the benchmark database")
    parser.add_argument("--database", default="machikoe_bench", help="benchmark database name")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="Redis database (flushed first)")
    parser.add_argument("--drain-timeout", type=float, default=60.0,
                        help="seconds after the last POST by which every report must be processed")
    parser.add_argument("--publish-timeout", type=float, default=180.0,
                        help="seconds after the drain timeout by which every photo must be public")
    parser.add_argument("--p95-limit", type=float, default=2.0, help="seconds; p95 at or above fails the run")
    parser.add_argument("--ceiling-repetitions", type=int, default=9, help="runs of the photo step alone")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (photos) and the logs")
    return parser.parse_args()


def photo_step_ceiling(photo: bytes, repetitions: int) -> float:
    """Median seconds of ``make_derivatives`` alone on ``photo``, after one warm-up run."""
    make_derivatives(photo)
    timings = []
    for _ in range(repetitions):
        started = time.perf_counter()
        make_derivatives(photo)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


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
    # redis-py types the synchronous client's answers as possibly awaitable; this one answers a dict.
    redis_version = cast(dict[str, Any], redis_client.info("server"))["redis_version"]
    redis_client.close()
    print(f"PostgreSQL {server_version}, Redis {redis_version}")

    database_url = database_url_for(args.admin_url, args.database)
    env = service_environment(database_url, args.redis_url, workdir / "data")
    prepare_database(env)

    port = args.port or free_port()
    base_url = f"http://{HOST}:{port}"
    processes.start("gunicorn", gunicorn_command(port, args.api_workers), env)
    concurrency = args.worker_threads if args.worker_pool == "threads" else 1
    processes.start("celery", celery_worker_command("bench", args.worker_pool, concurrency), env)
    wait_until_ready(base_url, processes, timeout=60)

    sender = Sender(base_url, pixels, seed=2024)
    if args.warmup:
        # The first reports load code, open connections and build the pipeline
        # in every process; they also prove the worker is consuming.
        warm = [s for s in send_at_rate(sender.send, args.warmup, args.rate, args.threads) if s.public_id]
        if len(warm) != args.warmup:
            raise RuntimeError("warm-up reports were refused")
        found = wait_for_processing(database_url, public_ids(warm), time.time() + 60, processes)
        if any(o.state != "done" for o in found.values()) or len(found) != len(warm):
            raise RuntimeError(f"warm-up reports were not processed; see {processes.log_dir}")

    count = round(args.rate * args.duration)
    pool = "solo" if args.worker_pool == "solo" else f"{args.worker_threads} threads"
    print(f"load: {count} reports at {args.rate:g}/s over {args.duration:g} s, one Celery worker process ({pool}), "
          f"gunicorn with {args.api_workers} workers")
    load_started = time.time()
    cpu_before = (processes.cpu_seconds(), own_cpu_seconds(), machine_busy_seconds())
    sent = send_at_rate(sender.send, count, args.rate, args.threads, first_index=args.warmup)
    last_post = max(s.finished for s in sent)
    accepted = [s for s in sent if s.public_id]
    refused = [s for s in sent if not s.public_id]
    found = wait_for_processing(database_url, public_ids(accepted), last_post + args.drain_timeout, processes)
    drained_after = max(0.0, time.time() - last_post)
    window = time.time() - load_started
    cpu_after = (processes.cpu_seconds(), own_cpu_seconds(), machine_busy_seconds())

    done = {pid: o for pid, o in found.items() if o.state == "done" and o.processed is not None}
    failed = [o for o in found.values() if o.state == "failed"]
    late = len(accepted) - len(done) - len(failed)
    processed = {pid: o.processed for pid, o in done.items() if o.processed is not None}  # all of done
    by_id = {s.public_id: s for s in accepted}
    routed = [(processed[pid] - o.created).total_seconds() for pid, o in done.items()]
    from_post = [processed[pid].timestamp() - by_id[pid].started for pid in done]
    queued = [(o.started - o.created).total_seconds() for o in done.values() if o.started is not None]
    working = [(processed[pid] - o.started).total_seconds() for pid, o in done.items() if o.started is not None]
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
    # The photos are public once the detector has looked, in the check jobs that
    # workers take after every report still to be routed.
    published = wait_for_publication(database_url, public_ids(accepted),
                                     last_post + args.drain_timeout + args.publish_timeout, processes)
    cpu_published = processes.cpu_seconds()
    if published is None:
        print(f"photos still unpublished {args.drain_timeout + args.publish_timeout:.0f} s after the last POST")
    else:
        print(f"every photo public {published - last_post:.1f} s after the last POST")
        if done and "celery" in used:
            print(f"worker CPU per report with its photo check {(cpu_published['celery'] - cpu_before[0]['celery']) / len(done) * 1000:.0f} ms")
    p95 = percentile(routed, 0.95)
    print(f"count {len(routed)}, p50 {percentile(routed, 0.5):.3f} s, p95 {p95:.3f} s, "
          f"p99 {percentile(routed, 0.99):.3f} s, max {max(routed, default=float('nan')):.3f} s")
    print(f"ceiling {ceiling:.3f} s; p95 / ceiling = {p95 / ceiling:.2f}")

    failures = []
    if not routed or not p95 < args.p95_limit:
        failures.append(f"p95 {p95:.3f} s is not below {args.p95_limit:g} s")
    if refused:
        failures.append(f"{len(refused)} POSTs were not accepted")
    if published is None:
        failures.append("photos were not all published in time")
    if failed or late:
        failures.append(f"{len(failed)} reports failed and {late} were not processed within {args.drain_timeout:g} s")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


def main() -> int:
    args = parse_arguments()
    return run_with_processes(lambda workdir, processes: run(args, workdir, processes), prefix="machikoe-bench-",
                              keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
