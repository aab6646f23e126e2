"""The console's inbox, report page and map, beside the staff API's own list, over a database of generated reports.

Needs a PostgreSQL database filled by ``bench/generate_reports.py`` (by default
``machikoe_bench_console``); 1,000,000 reports is the bar, and the size used is
printed with the figures:

    DATABASE_URL=postgresql://postgres@127.0.0.1/machikoe_bench_console machikoe db upgrade
    DATABASE_URL=postgresql://postgres@127.0.0.1/machikoe_bench_console machikoe seed-demo
    python bench/generate_reports.py --count 1000000 --database postgresql://postgres@127.0.0.1/machikoe_bench_console
    python bench/console.py

It creates a department clerk with a login and password, signs in through the
sign-in form, starts the app under gunicorn on 127.0.0.1 and measures in one
run, taking turns so that every path sees the same machine load:

- the staff API's list, ``GET /api/v1/staff/reports?status=received,acknowledged,in_progress``
  (the clerk's department, newest first, 50 rows): the ceiling the pages are compared with;
- the inbox page with the same filter (``/staff/reports?status=...``), which adds the
  counts per status, the SLA standing and the duplicate counts of each row;
- the report page of the newest open report (``/staff/reports/{id}``);
- the map (``/staff/map``) of a jurisdiction-wide viewer in headless Chromium
  (Debian's, driven by Playwright): the time from asking for the page until
  its pins are clustered and the page answers (``data-state="ready"``), with
  the pins bounded at 100,000. ``--map-status`` narrows the pins (default: none,
  so that a database with fewer open reports still draws 100,000 pins); the
  pins drawn and the database's open reports are printed beside it.

Each is timed as the client sees it on loopback, p50 and p95 over
``--requests`` requests after a warm-up; the ratios to the API's p95 are
printed. The bars of the issue (inbox p95 under 100 ms, report page under
50 ms, map interactive under 2 s at its slowest of ``--map-loads``) are checked and a miss exits with status 1. The machine is shared while
these figures are taken, so the ratios matter more than the milliseconds.
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
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    HOST,
    ROOT,
    Processes,
    free_port,
    machikoe_command,
    machine_summary,
    percentile,
    run_with_processes,
    wait_until_ready,
)

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
    parser.add_argument("--database", default="machikoe_bench_console", help="database filled by generate_reports.py")
    parser.add_argument("--department", default="road", help="the clerk's department code")
    parser.add_argument("--requests", type=int, default=100, help="timed requests of each kind")
    parser.add_argument("--warmup", type=int, default=10, help="requests of each kind before timing")
    parser.add_argument("--inbox-p95", type=float, default=0.100, help="seconds; an inbox p95 at or above fails")
    parser.add_argument("--report-p95", type=float, default=0.050, help="seconds; a report page p95 at or above fails")
    parser.add_argument("--map-loads", type=int, default=5, help="timed loads of the map, after one warm-up")
    parser.add_argument("--map-status", default="", help="comma-separated statuses of the map's pins; empty for every status")
    parser.add_argument("--map-seconds", type=float, default=2.0, help="seconds; a map slower than this to be interactive fails")
    return parser.parse_args()


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


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


def map_loads(base_url: str, session: requests.Session, args: argparse.Namespace) -> tuple[list[float], int]:
    """Seconds from asking for the map until it is interactive, per timed load, and the pins it drew.

    The browser carries the session cookie of ``session`` (signed in through
    the form); each load is a fresh page of one Chromium.
    """
    from playwright.sync_api import sync_playwright

    query = f"?status={args.map_status}" if args.map_status else ""
    host = urlsplit(base_url).hostname or HOST
    cookies = [{"name": c.name, "value": c.value or "", "domain": host, "path": c.path or "/"} for c in session.cookies]
    seconds: list[float] = []
    pins = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        context.add_cookies(cookies)  # type: ignore[arg-type]
        for load in range(args.map_loads + 1):
            page = context.new_page()
            started = time.perf_counter()
            page.goto(f"{base_url}/staff/map{query}")
            page.wait_for_selector("#staff-map[data-state=ready]", timeout=120_000)
            # Interactive: the page answers a script call once the last chunk of pins is in.
            page.evaluate("() => document.getElementById('staff-map').dataset.count")
            elapsed = time.perf_counter() - started
            pins = int(page.get_attribute("#staff-map", "data-count") or 0)
            page.close()
            if load:
                seconds.append(elapsed)
        browser.close()
    return seconds, pins


def run(args: argparse.Namespace, workdir: Path, processes: Processes) -> int:
    print(f"machine: {machine_summary()}")
    database_url = urlunsplit(urlsplit(args.admin_url)._replace(path="/" + args.database))
    with psycopg.connect(database_url, autocommit=True) as connection:
        total = connection.execute("SELECT count(*) FROM report").fetchone()[0]
        open_reports = connection.execute("SELECT count(*) FROM report WHERE status = ANY(%s)", (list(OPEN),)).fetchone()[0]
        newest = connection.execute(
            "SELECT r.public_id FROM report r JOIN department d ON d.id = r.department_id WHERE d.code = %s "
            "AND r.status = ANY(%s) ORDER BY r.created_at DESC LIMIT 1", (args.department, list(OPEN))).fetchone()
    if newest is None:
        print("FAIL: no open report in the department; run bench/generate_reports.py first")
        return 1
    print(f"{total:,} reports in the database (1,000,000 is the bar)")

    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url,
           "MACHIKOE_DATA_DIR": str(workdir / "data"), "MACHIKOE_SECRET_KEY": secrets.token_hex(32),
           "MACHIKOE_RATE_LIMITS_ENABLED": "false"}
    login, key = create_clerk(env, args.department)
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    processes.start("gunicorn", [sys.executable, "-m", "gunicorn", "-b", f"{HOST}:{port}", "-w", "1",
                                 "--timeout", "600", "service:create_app()"], env)
    wait_until_ready(base_url, processes, timeout=60)

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    browser = signed_in(base_url, login)
    status = {"status": ",".join(OPEN)}
    paths = {
        "API list": checked(api, f"{base_url}/api/v1/staff/reports", params={**status, "page_size": "50"}),
        "inbox page": checked(browser, f"{base_url}/staff/reports", params={"status": list(OPEN)}),
        "report page": checked(browser, f"{base_url}/staff/reports/{newest[0]}"),
    }
    for call in paths.values():
        for _ in range(args.warmup):
            call()
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(args.requests):
        for name, call in paths.items():
            times[name].append(timed(call))

    viewer, _ = create_clerk(env, None, role="viewer")
    map_times, pins = map_loads(base_url, signed_in(base_url, viewer), args)

    ceiling = percentile(times["API list"], 0.95)
    for name, values in times.items():
        print(f"{name}: {summary(values)}; p95 ratio to the API list {percentile(values, 0.95) / ceiling:.2f}")
    slowest = max(map_times)
    print(f"map, {pins:,} pins ({open_reports:,} open reports in the database): interactive after "
          f"p50 {percentile(map_times, 0.5):.2f} s, slowest {slowest:.2f} s of {len(map_times)} loads; "
          f"{slowest / ceiling:.0f} × the API list's p95")
    failures = []
    if not slowest < args.map_seconds:
        failures.append(f"map slowest {slowest:.2f} s is not below {args.map_seconds:.1f} s")
    for name, limit in (("inbox page", args.inbox_p95), ("report page", args.report_p95)):
        p95 = percentile(times[name], 0.95)
        if not p95 < limit:
            failures.append(f"{name} p95 {p95 * 1000:.1f} ms is not below {limit * 1000:.0f} ms")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


def main() -> int:
    args = parse_arguments()
    return run_with_processes(lambda workdir, processes: run(args, workdir, processes), prefix="machikoe-bench-console-")


if __name__ == "__main__":
    sys.exit(main())
