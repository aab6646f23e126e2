"""The staff list and CSV export over a million reports, against their raw SQL ceilings.

Reads the database ``bench/console.py`` reads, ``machikoe_bench_console_1m``
for the default ``--count`` of 1,000,000 reports; the first run of either
makes and fills it (see ``filled_database`` in ``bench/generate_reports.py``),
later runs reuse it:

    python bench/staff_list.py [--count 1000000]

It creates a manager key for one department (``road`` by default), starts the
API under gunicorn on 127.0.0.1 and measures, in one run:

- the filtered list, ``GET /api/v1/staff/reports?status=received,acknowledged,in_progress&page_size=50``
  (the manager's department, newest first), p50 and p95 over ``--requests``
  sequential requests after a warm-up; its ceiling is the page query itself
  (the same rows, order and limit) run with psycopg, timed the same way;
- the CSV export of the department, ``GET /api/v1/staff/reports?format=csv``,
  in rows per second; its ceiling is ``COPY (SELECT ...) TO STDOUT (FORMAT csv)``
  of the same columns, order and rows.

Exits with status 1 when the list's p95 is 50 ms or more, when the export
streams fewer than 20,000 rows per second, or when the database holds fewer
reports than ``--min-reports``. Every process it starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

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

# The list's page query as the API runs it, with its joined category,
# department and jurisdiction, written by hand.
PAGE_SQL = """
SELECT r.*, c.*, d.*, j.id FROM report r
JOIN category c ON c.id = r.category_id
LEFT JOIN department d ON d.id = r.department_id
JOIN jurisdiction j ON j.id = r.jurisdiction_id
WHERE r.jurisdiction_id = %(jurisdiction)s AND r.department_id = %(department)s AND r.status = ANY(%(statuses)s)
ORDER BY r.created_at DESC, r.id DESC LIMIT 50
"""
CSV_SQL = """
COPY (SELECT r.public_id, r.created_at AT TIME ZONE 'Asia/Tokyo', r.updated_at AT TIME ZONE 'Asia/Tokyo', r.status,
             c.code, d.code, r.priority, r.ward, r.address, r.lat, r.lon, r.description
      FROM report r JOIN category c ON c.id = r.category_id LEFT JOIN department d ON d.id = r.department_id
      WHERE r.jurisdiction_id = {jurisdiction} AND r.department_id = {department}
      ORDER BY r.created_at DESC, r.id DESC) TO STDOUT (FORMAT csv)
"""


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL URL of the server (any database)")
    parser.add_argument("--count", type=int, default=1_000_000, help="reports in the database (generated once)")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed, for a database made anew")
    parser.add_argument("--database", default="", help="database name (default: machikoe_bench_console_<count>)")
    parser.add_argument("--department", default="road", help="the manager's department code")
    parser.add_argument("--requests", type=int, default=200, help="timed list requests")
    parser.add_argument("--warmup", type=int, default=20, help="list requests before timing")
    parser.add_argument("--skip-csv", action="store_true", help="measure the list only")
    parser.add_argument("--csv-runs", type=int, default=2, help="timed CSV exports (and as many COPY runs); best counts")
    parser.add_argument("--api-workers", type=int, default=1, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=0, help="API port (a free one when 0)")
    parser.add_argument("--min-reports", type=int, default=1_000_000, help="fewer reports in the database fail the run")
    parser.add_argument("--p95-limit", type=float, default=0.050, help="seconds; a list p95 at or above fails")
    parser.add_argument("--csv-rows-per-second", type=float, default=20_000, help="an export slower than this fails")
    return parser.parse_args()


def timed(call: Callable[[], object], repetitions: int) -> list[float]:
    timings = []
    for _ in range(repetitions):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return timings


def summary(values: list[float]) -> str:
    return f"p50 {percentile(values, 0.5) * 1000:.1f} ms, p95 {percentile(values, 0.95) * 1000:.1f} ms"


def create_manager(env: dict[str, str], department: str) -> str:
    """A new manager key for ``department``; raises RuntimeError with the command's output on failure."""
    created = subprocess.run([*machikoe_command(), "staff", "create", "--name", "一覧 計測", "--role", "manager",
                              "--jurisdiction", DEMO_CODE, "--department", department, "--json"],
                             cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if created.returncode != 0:
        raise RuntimeError(f"machikoe staff create failed:\n{created.stdout}{created.stderr}")
    return json.loads(created.stdout.strip().splitlines()[-1])["api_key"]


def export_rows(url: str, key: str) -> int:
    """Stream the CSV export and count its data rows; raises RuntimeError on a non-200 answer."""
    with requests.get(url, params={"format": "csv"}, headers={"Authorization": f"Bearer {key}"}, stream=True,
                      timeout=600) as response:
        if response.status_code != 200:
            raise RuntimeError(f"CSV export answered {response.status_code}: {response.text[:300]}")
        newlines = sum(chunk.count(b"\n") for chunk in response.iter_content(chunk_size=256 * 1024))
    # The header line is not a report; quoted descriptions hold no newline in generated data.
    return newlines - 1


def copy_rows(connection: psycopg.Connection, statement: str) -> int:
    rows = 0
    with connection.cursor().copy(statement) as copy:
        for data in copy:
            rows += bytes(data).count(b"\n")
    return rows


def run(args: argparse.Namespace, workdir: Path, processes: Processes) -> int:
    print(f"machine: {machine_summary()}; load " + " ".join(f"{value:.1f}" for value in os.getloadavg()))
    name = args.database or database_name("machikoe_bench_console", args.count)
    database_url = filled_database(args.admin_url, name, args.count, args.seed,
                                   {**os.environ, "PYTHONPATH": str(ROOT), "MACHIKOE_SECRET_KEY": secrets.token_hex(32)})
    with psycopg.connect(database_url, autocommit=True) as connection:
        total = scalar(connection, "SELECT count(*) FROM report")
        jurisdiction = scalar(connection, "SELECT id FROM jurisdiction WHERE code = %s", (DEMO_CODE,))
        department = scalar(connection, "SELECT id FROM department WHERE jurisdiction_id = %s AND code = %s",
                            (jurisdiction, args.department))
        in_department = scalar(connection, "SELECT count(*) FROM report WHERE department_id = %s", (department,))
        open_rows = scalar(connection, "SELECT count(*) FROM report WHERE department_id = %s AND status = ANY(%s)",
                           (department, list(OPEN)))
        version = scalar(connection, "SHOW server_version")
    print(f"PostgreSQL {version}; {total:,} reports, {in_department:,} of department {args.department}, "
          f"{open_rows:,} of them open")
    if total < args.min_reports:
        print(f"FAIL: the database holds {total:,} reports, fewer than {args.min_reports:,}; "
              "run bench/generate_reports.py first")
        return 1

    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url,
           "MACHIKOE_DATA_DIR": str(workdir / "data"), "MACHIKOE_SECRET_KEY": secrets.token_hex(32),
           "MACHIKOE_RATE_LIMITS_ENABLED": "false"}
    key = create_manager(env, args.department)
    port = args.port or free_port()
    base_url = f"http://{HOST}:{port}"
    processes.start("gunicorn", [sys.executable, "-m", "gunicorn", "-b", f"{HOST}:{port}", "-w", str(args.api_workers),
                                 "--timeout", "600", "service:create_app()"], env)
    wait_until_ready(base_url, processes, timeout=60)

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    list_url = f"{base_url}/api/v1/staff/reports"
    params = {"status": ",".join(OPEN), "page_size": "50"}

    def api_page() -> None:
        response = session.get(list_url, params=params, timeout=30)
        if response.status_code != 200 or len(response.json()["items"]) != min(50, open_rows):
            raise RuntimeError(f"list answered {response.status_code}: {response.text[:300]}")

    with psycopg.connect(database_url, autocommit=True) as connection:
        values = {"jurisdiction": jurisdiction, "department": department, "statuses": list(OPEN)}

        def raw_page() -> None:
            connection.execute(PAGE_SQL, values).fetchall()

        def raw_count() -> None:
            connection.execute("SELECT count(*) FROM report WHERE jurisdiction_id = %(jurisdiction)s AND department_id ="
                               " %(department)s AND status = ANY(%(statuses)s)", values).fetchone()

        timed(api_page, args.warmup)
        timed(raw_page, args.warmup)
        api_times, raw_times, count_times = [], [], []
        # Taking turns gives both paths the same machine load.
        for _ in range(args.requests):
            api_times += timed(api_page, 1)
            raw_times += timed(raw_page, 1)
            count_times += timed(raw_count, 1)

        api_p95, raw_p95 = percentile(api_times, 0.95), percentile(raw_times, 0.95)
        print(f"list, {args.requests} requests: API {summary(api_times)}; raw page query (ceiling) {summary(raw_times)}; "
              f"ratio of p95 {api_p95 / raw_p95:.1f}; load " + " ".join(f"{value:.1f}" for value in os.getloadavg()))
        print(f"  for reference, count(*) of the filter alone: {summary(count_times)}", flush=True)

        csv_rates, copy_rates = [], []
        statement = CSV_SQL.format(jurisdiction=int(jurisdiction), department=int(department))
        for _ in range(0 if args.skip_csv else args.csv_runs):
            started = time.perf_counter()
            rows = export_rows(list_url, key)
            csv_rates.append(rows / (time.perf_counter() - started))
            if rows != in_department:
                raise RuntimeError(f"the export has {rows:,} rows, the department {in_department:,}")
            started = time.perf_counter()
            copied = copy_rows(connection, statement)
            copy_rates.append(copied / (time.perf_counter() - started))

    failures = []
    if not api_p95 < args.p95_limit:
        failures.append(f"list p95 {api_p95 * 1000:.1f} ms is not below {args.p95_limit * 1000:.0f} ms")
    best_csv = max(csv_rates, default=math.inf)
    if csv_rates:
        best_copy = max(copy_rates)
        print(f"CSV export of {in_department:,} rows: API {best_csv:,.0f} rows/s; COPY (ceiling) {best_copy:,.0f} rows/s; "
              f"ratio {best_csv / best_copy:.2f} (best of {args.csv_runs}); load " + " ".join(f"{value:.1f}" for value in os.getloadavg()))
    if best_csv < args.csv_rows_per_second:
        failures.append(f"CSV export {best_csv:,.0f} rows/s is below {args.csv_rows_per_second:,.0f}")
    for failure in failures:
        print(f"FAIL: {failure}")
    return 1 if failures else 0


def main() -> int:
    args = parse_arguments()
    return run_with_processes(lambda workdir, processes: run(args, workdir, processes), prefix="machikoe-bench-list-")


if __name__ == "__main__":
    sys.exit(main())
