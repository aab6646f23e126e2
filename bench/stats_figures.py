"""Figures per department and month over a million reports in PostgreSQL, within a second.

Run from the repository root against a migrated, demo-seeded database:

    python bench/stats_figures.py --database postgresql://postgres@127.0.0.1/machikoe_bench_stats [--count 1000000]

When the database holds fewer than ``--count`` reports of the demo city,
``bench/generate_reports.py`` adds the rest. That generator writes no outbox
events, so this benchmark adds the ``report.rating_requested`` event the
workflow writes when it first asks for a rating (``rating_requested_at``), and
the ``report.received`` event of every report, so the outbox has its
realistic size.

It times :func:`service.domain.stats.figures` grouped by department and month
over every report (the period is the last 25 months), and, as a ceiling, a
bare ``count(*)`` grouped the same way over the same rows: no statement that
reads those rows can be much faster than the count. It prints the median of
the runs, the ceiling and their ratio, and exits with status 1 when the
median is over one second (or status 2 when the data cannot be prepared).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_summary  # noqa: E402
from service.domain import stats  # noqa: E402

LIMIT_SECONDS = 1.0
CEILING = text("""
    SELECT department_id, to_char(created_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM') AS month, count(*)
    FROM report WHERE jurisdiction_id = :j AND created_at >= :start AND created_at < :end
    GROUP BY 1, 2""")


def prepare(url: str, count: int) -> int:
    """Make sure the demo city has ``count`` reports and their outbox events; return its jurisdiction id."""
    engine = create_engine(url)
    with engine.connect() as conn:
        jurisdiction = conn.scalar(text("SELECT id FROM jurisdiction WHERE code = '990019'"))
        if jurisdiction is None:
            sys.exit("no demo jurisdiction: run `machikoe db upgrade` and `machikoe seed-demo` on this database first")
        have = conn.scalar(text("SELECT count(*) FROM report WHERE jurisdiction_id = :j"), {"j": jurisdiction})
    if have < count:
        print(f"generating {count - have:,} reports ...", flush=True)
        plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
        subprocess.run([sys.executable, str(ROOT / "bench" / "generate_reports.py"), "--count", str(count - have),
                        "--database", plain], check=True)
    with engine.begin() as conn:
        if not conn.scalar(text("SELECT EXISTS (SELECT 1 FROM outbox_event WHERE event_type = 'report.rating_requested')")):
            print("adding outbox events (received, rating_requested) ...", flush=True)
            conn.execute(text("""
                INSERT INTO outbox_event (event_type, report_id, payload, state, created_at)
                SELECT 'report.received', id, '{}'::json, 'delivered', created_at FROM report
                UNION ALL
                SELECT 'report.rating_requested', id, '{}'::json, 'delivered', rating_requested_at FROM report
                WHERE rating_requested_at IS NOT NULL"""))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return jurisdiction


def timed(run, runs: int) -> list[float]:
    run()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="PostgreSQL URL of a migrated, demo-seeded database")
    parser.add_argument("--count", type=int, default=1_000_000, help="reports the demo city should hold")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = args.database.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        jurisdiction = prepare(url, args.count)
    except subprocess.CalledProcessError as exc:
        print(f"the generator failed: {exc}", file=sys.stderr)
        return 2

    now = datetime.now(UTC)
    today = now.date()
    within = stats.Period(date(today.year - 2, today.month, 1) - timedelta(days=31), today + timedelta(days=1))
    engine = create_engine(url)
    with Session(engine) as session:
        scope = stats.Scope(jurisdiction)
        rows: list[dict] = []

        def figures() -> None:
            rows[:] = stats.figures(session, scope, within, ["department", "month"], now)

        def ceiling() -> None:
            session.execute(CEILING, {"j": jurisdiction, "start": within.start_at, "end": within.end_at}).all()

        figure_seconds = timed(figures, args.runs)
        ceiling_seconds = timed(ceiling, args.runs)
        counted = session.scalar(text("SELECT count(*) FROM report WHERE jurisdiction_id = :j AND created_at >= :s AND created_at < :e"),
                                 {"j": jurisdiction, "s": within.start_at, "e": within.end_at})
    engine.dispose()

    median, bare = statistics.median(figure_seconds), statistics.median(ceiling_seconds)
    print(f"machine: {machine_summary()}")
    print(f"reports in the period: {counted:,}; groups (department x month): {len(rows)}; "
          f"received {sum(r['received'] for r in rows):,}, resolved {sum(r['resolved'] for r in rows):,}, "
          f"ratings {sum(r['ratings'] for r in rows):,}, rating requests {sum(r['rating_requests'] for r in rows):,}, "
          f"reopened {sum(r['reopened'] for r in rows):,}")
    print(f"figures:  median {median:.3f} s, best {min(figure_seconds):.3f} s over {args.runs} runs")
    print(f"ceiling:  median {bare:.3f} s (count(*) grouped by department, month)")
    print(f"ratio:    {median / bare:.1f}x the ceiling; limit {LIMIT_SECONDS:.1f} s: {'ok' if median <= LIMIT_SECONDS else 'OVER'}")
    return 0 if median <= LIMIT_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
