"""Notification delivery throughput of one worker process, against its ceiling.

A receiver on 127.0.0.1 (its own process) answers 200 to every POST. The
benchmark records N events for one department webhook in a PostgreSQL
database, dispatches them into deliveries, and runs the `machikoe.deliver`
task body on them in one process, one batch of `DELIVERY_BATCH` ids at a time
as `dispatch_events` sends them, the way one solo Celery worker runs it (claim,
load, sign, POST, commit), without the broker. The ceiling is the same number
of bare POSTs of the same size to the same receiver from the same process,
without the database, measured in the same run. Exits 1 when fewer than 200
deliveries per second are made.

    python bench/notification_delivery.py [--count 2000] [--database URL]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

TARGET_PER_SECOND = 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/machikoe_bench_notify")
    args = parser.parse_args()

    admin_url = args.database.rsplit("/", 1)[0] + "/postgres"
    name = args.database.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None  # stdout=PIPE
        port = int(receiver.stdout.readline())
        return run(args, f"http://127.0.0.1:{port}/hook")
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)


def run(args: argparse.Namespace, url: str) -> int:
    from flask_migrate import upgrade
    from sqlalchemy import event, func, select

    from service import create_app
    from service.domain import notifications
    from service.domain.events import record_event
    from service.extensions import db
    from service.models import Delivery, Department, Report, Subscriber
    from service.seed import seed_demo
    from workers.notifications import DELIVERY_BATCH, deliver

    os.environ.setdefault("MACHIKOE_LOG_LEVEL", "WARNING")
    app = create_app({"DATA_DIR": tempfile.mkdtemp(), "DATABASE_URL": args.database, "CELERY_BROKER_URL": "memory://localhost/",
                      "RATE_LIMITS_ENABLED": False, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        jurisdiction = seed_demo(db.session())
        road = db.session.scalar(select(Department).where(Department.code == "road"))
        assert road is not None  # seed_demo made it
        client = app.test_client()
        created = client.post("/api/v1/reports", json={"category": "road_damage", "description": "ベンチマーク",
                                                        "lat": 35.65, "lon": 139.78})
        report = db.session.scalar(select(Report).where(Report.public_id == created.get_json()["id"]))
        assert report is not None  # just created
        report.department_id = road.id
        db.session.add(Subscriber(jurisdiction_id=jurisdiction.id, kind="department_webhook", department_id=road.id,
                                  name="bench", url=url, secret="bench-secret", event_types=["report.status_changed"]))
        for index in range(args.count):
            record_event(db.session(), "report.status_changed", report, {"from": "received", "to": "acknowledged", "n": index})
        db.session.commit()
        while notifications.dispatch(db.session(), limit=1000).events:
            pass
        ids = list(db.session.scalars(select(Delivery.id).order_by(Delivery.id)))
        http = requests.Session()
        body = json.dumps({"id": "x" * 36, "type": "report.status_changed", "report": {"id": report.public_id},
                           "data": {"n": 0}}).encode()

        start = time.perf_counter()
        for _ in ids:
            http.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=5)
        ceiling = len(ids) / (time.perf_counter() - start)

        batches = [ids[i:i + DELIVERY_BATCH] for i in range(0, len(ids), DELIVERY_BATCH)]
        statements = commits = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        def count_commit(*_: object) -> None:
            nonlocal commits
            commits += 1

        event.listen(db.engine, "before_cursor_execute", count)
        event.listen(db.engine, "commit", count_commit)
        profiler = None
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        start = time.perf_counter()
        for batch in batches:
            deliver(*batch)
        rate = len(ids) / (time.perf_counter() - start)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(os.environ["BENCH_PROFILE"])
        event.remove(db.engine, "before_cursor_execute", count)
        event.remove(db.engine, "commit", count_commit)
        delivered = db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.state == "delivered"))

    print(f"deliveries: {len(ids)}, delivered: {delivered}")
    print(f"batches of {DELIVERY_BATCH}: {len(batches)}; per delivery: {statements / len(ids):.2f} statements, "
          f"{commits / len(ids):.2f} commits")
    print(f"deliver task in one process: {rate:,.0f} per second")
    print(f"ceiling, bare POSTs to the same receiver: {ceiling:,.0f} per second")
    print(f"ratio: {rate / ceiling:.2f}")
    ok = delivered == len(ids) and rate >= TARGET_PER_SECOND
    print(f"target {TARGET_PER_SECOND}/s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
