"""The console's inbox, report page and map, beside the staff API's own list, over a million generated reports.

    python bench/console.py [--count 1000000]

The first run makes the database it needs, ``machikoe_bench_console_1m`` for
the default ``--count`` (created, migrated, seeded with the demo city, then
filled by ``bench/generate_reports.py``'s generator with COPY, printing its
progress); later runs reuse it, only migrating it (so new indexes are built)
and adding reports if it holds fewer than ``--count``. ``bench/staff_list.py``
reads the same database.

It creates a department clerk with a login and password, signs in through the
sign-in form, starts the app under gunicorn (one sync worker) on 127.0.0.1 and
measures in one run, taking turns so that every path sees the same machine load:

- the staff API's list, ``GET /api/v1/staff/reports?status=received,acknowledged,in_progress``
  (the clerk's department, newest first, 50 rows): the reference the pages are compared with;
- the inbox page with the same filter (``/staff/reports?status=...``), which adds the
  counts per status, the SLA standing and the duplicate counts of each row;
- the report page of the newest open report (``/staff/reports/{id}``);
- the map (``/staff/map``) of a jurisdiction-wide viewer in headless Chromium
  (Debian's, driven by Playwright): the time from asking for the page until
  its pins are clustered and drawn and the page answers (``data-state="ready"``),
  with the pins bounded at 100,000, and the page's own marks of where that time
  went (the points' fetch and parse, the clustering, the drawing), beside
  gunicorn's time for the pins' answer. Its ceiling, measured in the same
  rounds: the same page when no report matches its filter (the page, its
  scripts and outlines, an empty payload) plus the bare fetch and
  ``JSON.parse`` of the same pins in an open page; the ratio of the two is
  printed per load. ``--map-status`` narrows the pins (default: none, so that
  a database with fewer open reports still draws 100,000 pins).

The machine is shared, so each request is measured three ways: as the client
sees it on loopback, as the server spent it (gunicorn's own request time from
its access log), and as CPU time (the gunicorn worker's and the database
backends' time on a core, from /proc/<pid>/schedstat), which waiting for a
busy core does not inflate. p50 and p95 over ``--requests`` rounds after a
warm-up, the load average beside each. The bars are checked on
CPU time (inbox p95 under 100 ms, report page under 50 ms) and on the map's
slowest of ``--map-loads`` (under 2 s); a miss exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    HOST,
    ROOT,
    Processes,
    free_port,
    machikoe_command,
    machine_summary,
    percentile,
    run_with_processes,
    scalar,
    wait_until_ready,
)
from bench.generate_reports import database_name, filled_database

OPEN = ("received", "acknowledged", "in_progress")
DEMO_CODE = "990019"
PASSWORD = "bench-console-" + secrets.token_hex(8)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL URL of the server (any database)")
    parser.add_argument("--count", type=int, default=1_000_000, help="reports in the database (generated once)")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed, for a database made anew")
    parser.add_argument("--database", default="", help="database name (default: machikoe_bench_console_<count>)")
    parser.add_argument("--department", default="road", help="the clerk's department code")
    parser.add_argument("--requests", type=int, default=100, help="timed requests of each kind")
    parser.add_argument("--warmup", type=int, default=10, help="requests of each kind before timing")
    parser.add_argument("--inbox-p95", type=float, default=0.100, help="seconds; an inbox p95 at or above fails")
    parser.add_argument("--report-p95", type=float, default=0.050, help="seconds; a report page p95 at or above fails")
    parser.add_argument("--map-loads", type=int, default=5, help="timed loads of the map, after one warm-up")
    parser.add_argument("--map-status", default="", help="comma-separated statuses of the map's pins; empty for every status")
    parser.add_argument("--map-seconds", type=float, default=2.0, help="seconds; a map slower than this to be interactive fails")
    return parser.parse_args()


def cpu_seconds(pids: list[int]) -> float:
    """Time the processes have spent on a core, in seconds (the first field of /proc/<pid>/schedstat, nanoseconds)."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1e9


def children(pid: int) -> list[int]:
    """The ids of the processes whose parent is ``pid`` (gunicorn's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def load_average() -> str:
    return "load " + " ".join(f"{value:.1f}" for value in os.getloadavg())


@dataclass
class Measured:
    """One kind of request and what each of its timed requests cost."""

    call: Callable[[], None]
    client: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)


def summary(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5) * 1000:.1f} ms, p95 {percentile(values, 0.95) * 1000:.1f} ms"


def create_clerk(env: dict[str, str], department: str | None, role: str = "staff") -> tuple[str, str]:
    """A staff member of ``department`` (of the whole jurisdiction for None) with a login and password: (login, API key)."""
    login = "bench-" + secrets.token_hex(4)
    where = ["--department", department] if department else []
    created = subprocess.run([*machikoe_command(), "staff", "create", "--name", "受信箱 計測", "--role", role,
                              "--jurisdiction", DEMO_CODE, *where, "--login", login, "--password-stdin", "--json"],
                             input=PASSWORD + "\n", cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if created.returncode != 0:
        raise RuntimeError(f"machikoe staff create failed:\n{created.stdout}{created.stderr}")
    return login, json.loads(created.stdout.strip().splitlines()[-1])["api_key"]


def signed_in(base_url: str, login: str) -> requests.Session:
    """A browser-like session signed in through the sign-in form."""
    session = requests.Session()
    form = session.get(f"{base_url}/staff/login", timeout=30).text
    token = CSRF.search(form)
    if token is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    answer = session.post(f"{base_url}/staff/login", timeout=30,
                          data={"csrf_token": token.group(1), "login": login, "password": PASSWORD})
    if "/staff/login" in answer.url:
        raise RuntimeError(f"sign-in failed: {answer.status_code} {answer.url}")
    return session


def checked(session: requests.Session, url: str, **kwargs: object) -> Callable[[], None]:
    def call() -> None:
        response = session.get(url, timeout=30, **kwargs)  # type: ignore[arg-type]
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")

    return call


# A filter no report matches (the generator's reports are recent): the same page with an empty payload.
EMPTY_FILTER = "created_from=2000-01-01&created_to=2000-01-01"


@dataclass
class MapLoads:
    """Seconds per timed load of the map, of its ceilings, the pins drawn and the page's own marks."""

    interactive: list[float] = field(default_factory=list)
    # The same page when no pin matches, and the bare fetch and JSON.parse of the same pins in an open page.
    empty_page: list[float] = field(default_factory=list)
    bare_fetch: list[float] = field(default_factory=list)
    pins: int = 0
    marks: dict[str, list[float]] = field(default_factory=dict)

    @property
    def ceiling(self) -> list[float]:
        """Per load: the page and its data with no work of the map's own (the page shell + the bare fetch)."""
        return [page + data for page, data in zip(self.empty_page, self.bare_fetch, strict=True)]


def map_loads(base_url: str, session: requests.Session, args: argparse.Namespace) -> MapLoads:
    """Each timed load of the map from asking for it until it is interactive, with its ceilings measured in turn.

    The browser carries the session cookie of ``session`` (signed in through
    the form); each load is a fresh page of one Chromium. The marks are the
    page's own ``map:`` performance measures (fetch, parse, clustering,
    drawing), in seconds per timed load. Each round also loads the same page
    with a filter no report matches, and fetches and parses the pins' JSON in
    an open page, so that the ceiling sees the same machine load.
    """
    from playwright.sync_api import sync_playwright

    query = f"?status={args.map_status}" if args.map_status else ""
    host = urlsplit(base_url).hostname or HOST
    cookies = [{"name": c.name, "value": c.value or "", "domain": host, "path": c.path or "/"} for c in session.cookies]
    measured = MapLoads()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        context.add_cookies(cookies)  # type: ignore[arg-type]

        def interactive(address: str) -> tuple[float, Any]:
            page = context.new_page()
            started = time.perf_counter()
            # Interactive is the pins drawn, not the load event (which waits for tiles that may never come).
            page.goto(address, wait_until="commit")
            page.wait_for_selector("#staff-map[data-state=ready]", timeout=120_000)
            # Interactive: the page answers a script call once the pins are drawn.
            page.evaluate("() => document.getElementById('staff-map').dataset.count")
            return time.perf_counter() - started, page

        for load in range(args.map_loads + 1):
            elapsed, page = interactive(f"{base_url}/staff/map{query}")
            pins = int(page.get_attribute("#staff-map", "data-count") or 0)
            measures = page.evaluate("() => performance.getEntriesByType('measure')"
                                     ".filter(m => m.name.startsWith('map:')).map(m => [m.name, m.duration])")
            points = page.get_attribute("#staff-map", "data-points-url")
            bare = page.evaluate("async (url) => { const started = performance.now();"
                                 " const answer = await (await fetch(url, {credentials: 'same-origin'})).json();"
                                 " return [performance.now() - started, answer.points.length]; }", points)
            page.close()
            empty, page = interactive(f"{base_url}/staff/map{query}{'&' if query else '?'}{EMPTY_FILTER}")
            if page.get_attribute("#staff-map", "data-count") != "0":
                raise RuntimeError("the empty filter matched reports")
            page.close()
            if bare[1] != pins:
                raise RuntimeError(f"the bare fetch read {bare[1]} pins, the map drew {pins}")
            if load:
                measured.interactive.append(elapsed)
                measured.empty_page.append(empty)
                measured.bare_fetch.append(bare[0] / 1000)
                measured.pins = pins
                for mark, duration in measures:
                    measured.marks.setdefault(mark, []).append(duration / 1000)
        browser.close()
    return measured


def server_times(log: Path, skip: int) -> dict[str, list[float]]:
    """Seconds per request path, as gunicorn's access log gives them, after the first ``skip`` lines."""
    times: dict[str, list[float]] = {}
    for path, _query, seconds in logged_requests(log, skip):
        times.setdefault(path, []).append(seconds)
    return times


def logged_requests(log: Path, skip: int) -> Iterator[tuple[str, str, float]]:
    """(path, query string, seconds) of each request in gunicorn's access log after the first ``skip`` lines."""
    for line in log.read_text().splitlines()[skip:]:
        # A query string has no space: it is percent-encoded; an empty one leaves two spaces.
        path, query, micros = line.rsplit(" ", 2)
        yield path, query, int(micros) / 1e6


def run(args: argparse.Namespace, workdir: Path, processes: Processes) -> int:
    print(f"machine: {machine_summary()}; {load_average()}")
    name = args.database or database_name("machikoe_bench_console", args.count)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MACHIKOE_DATA_DIR": str(workdir / "data"),
           "MACHIKOE_SECRET_KEY": secrets.token_hex(32), "MACHIKOE_RATE_LIMITS_ENABLED": "false"}
    database_url = filled_database(args.admin_url, name, args.count, args.seed, env)
    env["DATABASE_URL"] = database_url
    # Tiles from a loopback port where nothing listens: no request leaves the machine, and the map must
    # be interactive with its tiles down.
    env["MACHIKOE_MAP_TILE_URL"] = f"http://{HOST}:{free_port()}/{{z}}/{{x}}/{{y}}.png"
    with psycopg.connect(database_url, autocommit=True) as connection:
        total = scalar(connection, "SELECT count(*) FROM report")
        open_reports = scalar(connection, "SELECT count(*) FROM report WHERE status = ANY(%s)", (list(OPEN),))
        newest = connection.execute(
            "SELECT r.public_id FROM report r JOIN department d ON d.id = r.department_id WHERE d.code = %s "
            "AND r.status = ANY(%s) ORDER BY r.created_at DESC LIMIT 1", (args.department, list(OPEN))).fetchone()
    if newest is None:
        print("FAIL: no open report in the department")
        return 1
    print(f"{total:,} reports in {name} ({open_reports:,} open)")

    login, key = create_clerk(env, args.department)
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    access_log = workdir / "access.log"
    gunicorn = processes.start("gunicorn", [
        sys.executable, "-m", "gunicorn", "-b", f"{HOST}:{port}", "-w", "1", "--timeout", "600",
        "--access-logfile", str(access_log), "--access-logformat", "%(U)s %(q)s %(D)s", "service:create_app()"], env)
    wait_until_ready(base_url, processes, timeout=60)

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    browser = signed_in(base_url, login)
    status = {"status": ",".join(OPEN)}
    report_path = f"/staff/reports/{newest[0]}"
    paths = {
        "API list": ("/api/v1/staff/reports", Measured(checked(api, f"{base_url}/api/v1/staff/reports",
                                                                params={**status, "page_size": "50"}))),
        "inbox page": ("/staff/reports", Measured(checked(browser, f"{base_url}/staff/reports", params={"status": list(OPEN)}))),
        "report page": (report_path, Measured(checked(browser, f"{base_url}{report_path}"))),
    }
    for _, measured in paths.values():
        for _ in range(args.warmup):
            measured.call()
    worker = children(gunicorn.pid)[0]
    with psycopg.connect(database_url, autocommit=True) as connection:
        backends = [pid for (pid,) in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    logged = len(access_log.read_text().splitlines())
    for _ in range(args.requests):
        for _, measured in paths.values():
            cpu_before, started = cpu_seconds([worker, *backends]), time.perf_counter()
            measured.call()
            measured.client.append(time.perf_counter() - started)
            measured.cpu.append(cpu_seconds([worker, *backends]) - cpu_before)
            measured.loads.append(os.getloadavg()[0])
    served = server_times(access_log, logged)

    viewer, _ = create_clerk(env, None, role="viewer")
    map_load = os.getloadavg()[0]
    logged = len(access_log.read_text().splitlines())
    loads = map_loads(base_url, signed_in(base_url, viewer), args)
    # The pins' answers of the map's loads and of the bare fetches (not those of the page with no pin), warm-up included.
    points_served = [seconds for path, query, seconds in logged_requests(access_log, logged)
                     if path == "/staff/map/points" and "created_from" not in query]

    reference = percentile(paths["API list"][1].cpu, 0.95)
    print(f"{args.requests} rounds after {args.warmup} warm-up rounds; one gunicorn sync worker, "
          f"{len(backends)} database backend(s) counted")
    for label, (path, measured) in paths.items():
        cpu_p95 = percentile(measured.cpu, 0.95)
        print(f"{label}: CPU (app + database) {summary(measured.cpu)}, {cpu_p95 / reference:.2f} × the API list's; "
              f"server {summary(served.get(path, [0.0]))}; client {summary(measured.client)}; "
              f"load {min(measured.loads):.1f}-{max(measured.loads):.1f}")
    slowest = max(loads.interactive)
    print(f"map, {loads.pins:,} pins ({open_reports:,} open reports in the database): interactive after "
          f"p50 {percentile(loads.interactive, 0.5):.2f} s, slowest {slowest:.2f} s of {len(loads.interactive)} loads; "
          f"load {map_load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    for label, values in (("the same page with no pin", loads.empty_page), ("bare fetch + JSON.parse", loads.bare_fetch),
                          ("ceiling (the two added)", loads.ceiling)):
        print(f"  {label}: p50 {percentile(values, 0.5):.2f} s, slowest {max(values):.2f} s")
    print(f"  the pins' answer, gunicorn's time: p50 {percentile(points_served, 0.5):.2f} s, "
          f"slowest {max(points_served):.2f} s of {len(points_served)}")
    ratios = [full / ceiling for full, ceiling in zip(loads.interactive, loads.ceiling, strict=True)]
    print(f"  interactive ÷ ceiling, per load: p50 {percentile(ratios, 0.5):.2f}, highest {max(ratios):.2f}")
    for mark, values in loads.marks.items():
        print(f"  {mark}: p50 {percentile(values, 0.5) * 1000:.0f} ms, slowest {max(values) * 1000:.0f} ms")
    failures = []
    if not slowest < args.map_seconds:
        failures.append(f"map slowest {slowest:.2f} s is not below {args.map_seconds:.1f} s")
    for label, limit in (("inbox page", args.inbox_p95), ("report page", args.report_p95)):
        p95 = percentile(paths[label][1].cpu, 0.95)
        if not p95 < limit:
            failures.append(f"{label} CPU p95 {p95 * 1000:.1f} ms is not below {limit * 1000:.0f} ms")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


def main() -> int:
    args = parse_arguments()
    return run_with_processes(lambda workdir, processes: run(args, workdir, processes), prefix="machikoe-bench-console-")


if __name__ == "__main__":
    sys.exit(main())
