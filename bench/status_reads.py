"""Status reads: server CPU of ``GET /api/v1/reports/{id}``, uncached and answered 304, against a bare Flask answer.

Apps poll a report's status and residents reload its page, so the public view
is the hottest read. This benchmark runs in one process, without sockets, so
that it measures the application's own CPU and nothing of the network or of
the machine's other load: each request goes through the app's WSGI stack with
Flask's test client, and the process CPU time (``time.process_time``) of a
run of requests is divided by their number. The ceiling is the GET of
``bench/bare_upload.py`` (a fixed JSON document shaped like the public view,
from a bare Flask app) through the same test client, measured in the same run
and taking turns with the API, so the ratios hold on a loaded machine.

The API runs on a fresh PostgreSQL database named after the run (dropped at the
end), migrated and seeded with the demo city; it gets ``--reports`` reports,
half of them acknowledged with a public reply by staff, and each run reads
them in turn:

1. bare: the ceiling;
2. uncached: the public view without If-None-Match (the full body), as the
   app answers it (the stamp kept for ``MACHIKOE_STATUS_STAMP_SECONDS``, the
   view kept rendered while the report is unchanged);
3. poll: the same with the ETag of the previous answer, answered 304;
4. cold: the uncached read with nothing kept (the stamp read on each request
   and the view rendered from its rows), what the first read of a changed
   report costs. It has no target; it shows what memory saves.

Targets: an uncached read at least 0.3 of the ceiling's rate, and a poll
under 0.5 ms of CPU. Exits with status 1 when one is missed.

With ``--served`` the same reads are then sent over HTTP to the API and to
the bare app, each under gunicorn as the deployment runs it (its
``config/gunicorn.conf.py``: JSON access lines, keep-alive; the threaded
worker) with one worker process on 127.0.0.1, one request at a time on a
kept-alive connection, and the CPU the server's process group spent
(``/proc``, 10 ms ticks) is divided by the requests: the figures then include
gunicorn's own handling of a request and its access line. The targets are
checked on these figures too. A served poll of a report whose stamp is older
than ``MACHIKOE_STATUS_STAMP_SECONDS`` (1 s) reads it from the database, so
the served poll is a mix whose share of stamp reads grows as the client
slows (on a loaded machine, with a client over HTTP, it is several times the
in-process share); the share is estimated from the runs' length and printed,
and the same polls are also sent to a second API process that keeps its
stamps for the whole run, which gives the CPU of a poll answered from memory
(no target: it shows the part that does not depend on the pace). A fifth
process serves ``bench.bare_upload:not_modified``, a bare WSGI callable that
answers 304, under the same gunicorn: the server's own CPU for a request,
which is the floor of every served figure (printed with what a poll costs
above it). Then, when wrk is installed, the ceiling, the polls and the floor
are sent again under load, as ``bench/intake_load.py`` sends its GETs:
closed-loop wrk (``bench/intake_load.lua``) on 4 connections for
``--loaded-seconds`` a run, so requests arrive back to back as when many
apps poll at once; the poll target is checked on these figures too.

In process, the CPU of one access line (``service.logs.log_access`` through
the JSON formatter to ``os.devnull``) is measured too: the served figures,
the ceiling's included, pay one a request.

    python bench/status_reads.py [--requests 2000] [--rounds 3] [--served [--loaded-seconds 5]]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask.testing import FlaskClient

from bench.common import (
    HOST,
    Processes,
    _group_cpu_seconds,
    database_url_for,
    ensure_database,
    free_port,
    gunicorn_command,
    load_average,
    machine_summary,
    run_with_processes,
    service_environment,
    verdict,
    wait_until_ready,
)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests in each measured run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each kind, taking turns; the median counts")
    parser.add_argument("--reports", type=int, default=50, help="reports read in turn")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL URL used to create the run's database")
    parser.add_argument("--min-ratio", type=float, default=0.3, help="uncached reads / ceiling below this fails")
    parser.add_argument("--poll-limit-ms", type=float, default=0.5, help="CPU of a 304 poll at or above this fails")
    parser.add_argument("--served", action="store_true", help="also measure under gunicorn, over HTTP")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13", help="Redis of the served API")
    parser.add_argument("--loaded-seconds", type=float, default=5.0, help="length of each wrk run of the served part under load")
    return parser.parse_args()


def printed_medians(runs: dict[str, list[float]], more: Callable[[str, float], str] | None = None) -> dict[str, float]:
    """The median of each kind's runs, each printed on a line with its ratio to the ceiling (``bare``) and its runs."""
    cpu = {kind: statistics.median(values) for kind, values in runs.items()}
    for kind, value in cpu.items():
        extra = more(kind, value) if more else ""
        print(f"  {kind:9} {value:.3f} ms CPU a request{extra}, ratio to the ceiling {cpu['bare'] / value:.2f}   "
              f"runs: {', '.join(f'{v:.3f}' for v in runs[kind])}")
    return cpu


def cpu_per_request(send: Callable[[int], None], count: int) -> float:
    """Milliseconds of this process's CPU per call of ``send``."""
    started = time.process_time()
    for index in range(count):
        send(index)
    return (time.process_time() - started) * 1000 / count


def access_line_cpu_us(count: int) -> float:
    """Microseconds of CPU of one access line as gunicorn's logger writes it, with the JSON formatter."""
    import logging

    from service.logs import JsonFormatter, log_access

    logger = logging.getLogger("machikoe.bench.access")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    with open(os.devnull, "w", encoding="utf-8") as sink:
        handler = logging.StreamHandler(sink)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        try:
            def line(index: int) -> None:
                log_access(method="GET", target=f"/api/v1/reports/R-{index % 50}", status=304, duration_s=0.0004,
                           request_id="0123456789abcdef0123456789abcdef", remote="127.0.0.1", logger=logger)
            cpu_per_request(line, min(1000, count))
            return cpu_per_request(line, count) * 1000
        finally:
            logger.removeHandler(handler)


def seeded_reports(client: FlaskClient, count: int) -> list[str]:
    from service.domain.staff_keys import create_staff
    from service.extensions import db

    _, key = create_staff(db.session(), name="bench", role="admin", jurisdiction_code="990019", department_code=None)
    ids = []
    for index in range(count):
        response = client.post("/api/v1/reports", json={"category": "road_damage", "description": f"歩道に穴があります {index}",
                                                        "lat": 35.65 + index * 1e-4, "lon": 139.78})
        assert response.status_code == 201, response.get_data(as_text=True)
        ids.append(response.get_json()["id"])
        if index % 2:
            moved = client.post(f"/api/v1/staff/reports/{ids[-1]}/transitions", headers={"Authorization": f"Bearer {key}"},
                                json={"to": "acknowledged", "public_reply": "確認しました。"})
            assert moved.status_code == 201, moved.get_data(as_text=True)
    return ids


def main() -> int:
    args = parse_arguments()
    name = f"machikoe_bench_status_{secrets.token_hex(4)}"
    ensure_database(args.admin_url, name, fresh=True)
    os.environ.setdefault("MACHIKOE_LOG_LEVEL", "WARNING")
    try:
        return measure(args, database_url_for(args.admin_url, name).replace("postgresql://", "postgresql+psycopg://"))
    finally:
        import psycopg
        from psycopg import sql

        with psycopg.connect(args.admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def measure(args: argparse.Namespace, database_url: str) -> int:
    from flask_migrate import upgrade

    from bench import bare_upload
    from service import create_app
    from service.domain.report_stamp import rendered_views
    from service.extensions import db
    from service.seed import seed_demo

    data_dir = tempfile.mkdtemp(prefix="machikoe-bench-status-")
    os.environ["MACHIKOE_DATA_DIR"] = data_dir
    app = create_app({"DATA_DIR": data_dir, "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_hex(16),
                      "CELERY_BROKER_URL": "memory://localhost/", "LOG_LEVEL": "WARNING", "RATE_LIMITS_ENABLED": False})
    bare = bare_upload.create_app().test_client()
    with app.app_context():
        upgrade()
        seed_demo(db.session())
        db.session.commit()
        ids = seeded_reports(app.test_client(), args.reports)
    # Measured outside any app context of its own, as under gunicorn: each request
    # opens its own, with its own session and pooled connection.
    client = app.test_client()
    etags = {i: client.get(f"/api/v1/reports/{i}").headers["ETag"] for i in ids}
    print(machine_summary())
    print(f"{len(ids)} reports; {args.requests} requests a run, {args.rounds} rounds, taking turns; "
          "CPU of this process per request (the machine is shared: only the ratios compare)")

    def bare_get(index: int) -> None:
        bare.get(f"/api/v1/reports/{ids[index % len(ids)]}").close()

    def uncached(index: int) -> None:
        response = client.get(f"/api/v1/reports/{ids[index % len(ids)]}")
        assert response.status_code == 200
        response.close()

    def poll(index: int) -> None:
        report_id = ids[index % len(ids)]
        response = client.get(f"/api/v1/reports/{report_id}", headers={"If-None-Match": etags[report_id]})
        assert response.status_code == 304
        response.close()

    def cold(index: int) -> None:
        rendered_views.forget()
        response = client.get(f"/api/v1/reports/{ids[index % len(ids)]}")
        assert response.status_code == 200
        response.close()

    def with_nothing_kept(send: Callable[[int], None]) -> Callable[[int], None]:
        def run(index: int) -> None:
            app.config["STATUS_STAMP_SECONDS"] = 0
            try:
                send(index)
            finally:
                app.config["STATUS_STAMP_SECONDS"] = seconds
        return run

    seconds = app.config["STATUS_STAMP_SECONDS"]
    runs: dict[str, list[float]] = {"bare": [], "uncached": [], "poll": [], "cold": []}
    kinds = (("bare", bare_get), ("uncached", uncached), ("poll", poll), ("cold", with_nothing_kept(cold)))
    for _, send in kinds:
        cpu_per_request(send, min(200, args.requests))
    for _ in range(args.rounds):
        for kind, send in kinds:
            runs[kind].append(cpu_per_request(send, args.requests))
    cpu = printed_medians(runs, lambda kind, value: f" ({1000 / value:,.0f}/s of one core)")
    print(f"  access line {access_line_cpu_us(args.requests * 5):.1f} µs CPU each (log_access, JSON, to os.devnull)")
    failures = missed(args, cpu, "in process")
    if args.served:
        served = run_with_processes(lambda workdir, processes: measure_served(args, database_url, ids, workdir, processes),
                                    prefix="machikoe-bench-status-served-")
        if served != 0:
            failures.append("served: see above")
    return verdict(failures)


def missed(args: argparse.Namespace, cpu: dict[str, float], where: str) -> list[str]:
    failures = []
    if cpu["bare"] / cpu["uncached"] < args.min_ratio:
        failures.append(f"{where}: an uncached read reaches {cpu['bare'] / cpu['uncached']:.2f} of the ceiling "
                        f"(target {args.min_ratio:g})")
    if cpu["poll"] >= args.poll_limit_ms:
        failures.append(f"{where}: a 304 poll costs {cpu['poll']:.3f} ms CPU (target under {args.poll_limit_ms:g} ms)")
    return failures


def served_command(base_url: str, app: str) -> list[str]:
    """The deployment's gunicorn command (config/gunicorn.conf.py, threads), with one worker process."""
    port = int(base_url.rsplit(":", 1)[1])
    return [*gunicorn_command(port, 1, app)[:3], "--config", "config/gunicorn.conf.py", *gunicorn_command(port, 1, app)[3:],
            "--threads", "4"]


def measure_served(args: argparse.Namespace, database_url: str, ids: list[str], workdir: Path, processes: Processes) -> int:
    """The reads over HTTP against one gunicorn worker each; server CPU per request."""
    import requests

    env = {**service_environment(database_url.replace("postgresql+psycopg://", "postgresql://"), args.redis_url,
                                 workdir / "data"), "MACHIKOE_LOG_LEVEL": "INFO"}
    api = f"http://{HOST}:{free_port()}"
    kept_api = f"http://{HOST}:{free_port()}"
    bare = f"http://{HOST}:{free_port()}"
    api_process = processes.start("api", served_command(api, "service:create_app()"), env)
    # The same API keeping each stamp for longer than the run: its polls are all answered from memory.
    kept_process = processes.start("api-kept", served_command(kept_api, "service:create_app()"),
                                   {**env, "MACHIKOE_STATUS_STAMP_SECONDS": "86400"})
    bare_process = processes.start("bare", served_command(bare, "bench.bare_upload:create_app()"), env)
    floor = f"http://{HOST}:{free_port()}"
    floor_process = processes.start("floor", served_command(floor, "bench.bare_upload:not_modified"), env)
    for base in (api, kept_api, bare, floor):
        wait_until_ready(base, processes, timeout=60)
    http = requests.Session()
    etags = {i: http.get(f"{api}/api/v1/reports/{i}", timeout=10).headers["ETag"] for i in ids}

    def get(base: str, index: int, status: int, etag: bool = False) -> None:
        report_id = ids[index % len(ids)]
        headers = {"If-None-Match": etags[report_id]} if etag else {}
        response = http.get(f"{base}/api/v1/reports/{report_id}", headers=headers, timeout=10)
        assert response.status_code == status, response.status_code

    kinds = {"bare": (bare_process.pid, lambda i: get(bare, i, 200)),
             "uncached": (api_process.pid, lambda i: get(api, i, 200)),
             "poll": (api_process.pid, lambda i: get(api, i, 304, etag=True)),
             "poll kept": (kept_process.pid, lambda i: get(kept_api, i, 304, etag=True)),
             "floor": (floor_process.pid, lambda i: get(floor, i, 304, etag=True))}
    walls: dict[str, list[float]] = {kind: [] for kind in kinds}

    def server_cpu(kind: str, group: int, send: Callable[[int], None], count: int) -> float:
        started, wall = _group_cpu_seconds(group), time.monotonic()
        for index in range(count):
            send(index)
        walls[kind].append(time.monotonic() - wall)
        return (_group_cpu_seconds(group) - started) * 1000 / count

    for kind, (group, send) in kinds.items():
        server_cpu(kind, group, send, min(200, args.requests))
    runs: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(args.rounds):
        for kind, (group, send) in kinds.items():
            runs[kind].append(server_cpu(kind, group, send, args.requests))
    print(f"served: gunicorn as deployed, one worker each, over HTTP; server CPU per request; "
          f"load average {load_average():.2f}")
    cpu = printed_medians(runs)
    # Each report's stamp is read again at most once a stamp lifetime, when it is polled after that.
    seconds = float(env.get("MACHIKOE_STATUS_STAMP_SECONDS", "1"))
    wall = statistics.median(walls["poll"][1:])
    share = min(1.0, len(ids) * max(1.0, wall / seconds) / args.requests)
    print(f"  a poll run took {wall:.1f} s: about {share:.0%} of its polls read the stamp ({len(ids)} reports, "
          f"each kept {seconds:g} s); 'poll kept' reads none")
    print(f"  the server's own floor (a bare WSGI 304) is {cpu['floor']:.3f} ms: a poll costs {cpu['poll'] - cpu['floor']:.3f} ms "
          f"above it, a poll kept {cpu['poll kept'] - cpu['floor']:.3f} ms")
    failures = missed(args, cpu, "served")
    if shutil.which("wrk") is not None:
        loaded = measure_loaded(args, {"bare": (bare, bare_process.pid, False), "poll": (api, api_process.pid, True),
                                       "floor": (floor, floor_process.pid, True)}, etags, workdir, processes)
        if loaded["poll"] >= args.poll_limit_ms:
            failures.append(f"served under load: a 304 poll costs {loaded['poll']:.3f} ms CPU (target under {args.poll_limit_ms:g} ms)")
    else:
        print("  (wrk is not installed: the served run under load is left out; `apt-get install wrk`)")
    return verdict(failures)


def measure_loaded(args: argparse.Namespace, servers: dict[str, tuple[str, int, bool]], etags: dict[str, str], workdir: Path,
                   processes: Processes) -> dict[str, float]:
    """Closed-loop wrk (``bench/intake_load.lua``, 4 connections) against each server in turn; server CPU per request.

    This is how the figures of the issue were taken (``bench/intake_load.py``'s GET part): the
    polls arrive back to back, as they do when many apps poll at once, so the server is never
    idle between them and each report's stamp is read again at most once a second.
    """
    lua = Path(__file__).resolve().parent / "intake_load.lua"
    polls, reads = workdir / "polls.txt", workdir / "ids.txt"
    polls.write_text("".join(f"{i} {etag}\n" for i, etag in etags.items()), encoding="ascii")
    reads.write_text("".join(f"{i}\n" for i in etags), encoding="ascii")
    runs: dict[str, list[float]] = {kind: [] for kind in servers}
    rates: dict[str, list[float]] = {kind: [] for kind in servers}
    for round_number in range(args.rounds + 1):
        for kind, (base, group, poll) in servers.items():
            command = ["wrk", "-t1", "-c4", f"-d{args.loaded_seconds:g}s", "-s", str(lua), base, "--", "get",
                       str(polls if poll else reads)]
            started = _group_cpu_seconds(group)
            process = processes.start(f"wrk-{kind.replace(' ', '-')}", command, dict(os.environ))
            if processes.wait(process, timeout=args.loaded_seconds + 30) != 0:
                raise RuntimeError(f"wrk failed against {kind}")
            used = _group_cpu_seconds(group) - started
            output = (workdir / f"wrk-{kind.replace(' ', '-')}.log").read_text(encoding="utf-8", errors="replace")
            result = json.loads([line for line in output.splitlines() if line.startswith("WRK_RESULT ")][-1].split(" ", 1)[1])
            expected = "304" if poll else "200"
            if set(result["statuses"]) != {expected}:
                raise RuntimeError(f"{kind}: answers {result['statuses']}, expected only {expected}")
            if round_number:  # the first round warms every server up
                runs[kind].append(used * 1000 / result["requests"])
                rates[kind].append(result["requests"] / (result["duration_us"] / 1e6))
    print(f"served under load: wrk -c4 closed loop, {args.loaded_seconds:g} s a run, {args.rounds} rounds; "
          f"load average {load_average():.2f}")
    return printed_medians(runs, lambda kind, value: f", {statistics.median(rates[kind]):,.0f}/s")


if __name__ == "__main__":
    sys.exit(main())
