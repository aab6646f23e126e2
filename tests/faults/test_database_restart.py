"""Drill: PostgreSQL restarted while residents send reports."""

from __future__ import annotations

import time

import requests

from service.api.outages import RETRY_AFTER_SECONDS
from tests.faults.drills import ReportStream
from tests.pipeline.support import phone_photo

DOWN_SECONDS = 3.0


def test_database_restart_answers_503_problems_keeps_accepted_reports_and_heals_without_restart(drill):
    worker = drill.start()
    gunicorn = drill.gunicorn
    stream = ReportStream(gunicorn.base, count=30, interval=0.3, photos=[phone_photo((1200, 900))])

    stream.start()
    time.sleep(2.0)
    drill.cluster.stop()
    readiness_while_down = requests.get(f"{gunicorn.base}/readyz", timeout=10)
    time.sleep(DOWN_SECONDS)
    drill.cluster.start()
    result = stream.finish()

    assert readiness_while_down.status_code == 503
    assert readiness_while_down.headers["Content-Type"] == "application/problem+json"
    # Clients saw the outage as 503 problems with Retry-After, never as a 500, and
    # each of them got its report accepted by retrying with its Idempotency-Key.
    assert set(result.statuses) == {201, 503}, result.statuses
    assert result.refused == {}
    assert len(result.accepted) == 30
    assert set(result.problems) == {(503, "application/problem+json", str(RETRY_AFTER_SECONDS))}
    # The same gunicorn workers serve again: nothing was restarted.
    assert requests.get(f"{gunicorn.base}/readyz", timeout=10).status_code == 200
    assert gunicorn.process.running and gunicorn.process.log(tail=100_000).count("Booting worker") == 2
    drill.database.wait_until_processed(list(result.accepted.values()), [worker, gunicorn.process])
    drill.database.assert_each_accepted_report_processed_once(result, photos_per_report=1, photo_root=drill.photo_root)
