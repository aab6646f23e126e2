"""Drill: Redis, the broker, stopped for ten seconds while residents send reports."""

from __future__ import annotations

import time

from tests.faults.drills import ReportStream, accepted_between
from tests.pipeline.support import phone_photo

OUTAGE_SECONDS = 10.0
# Publishing to a stopped Redis gives up after a few quick retries; a report is
# stored and answered well within this time whatever the broker does.
QUICK_ANSWER_SECONDS = 3.0


def test_reports_sent_while_redis_is_stopped_are_answered_201_quickly_and_all_processed_once(drill):
    worker = drill.start()
    stream = ReportStream(drill.gunicorn.base, count=30, interval=0.4, photos=[phone_photo((1200, 900))])

    stream.start()
    time.sleep(1.0)
    drill.redis.stop()
    stopped = time.monotonic()
    time.sleep(OUTAGE_SECONDS)
    restarted = time.monotonic()
    drill.redis.start()
    result = stream.finish()

    assert result.statuses == {201: 30}, result.problems
    assert accepted_between(result, stopped, restarted) >= 15
    assert max(result.created_seconds) < QUICK_ANSWER_SECONDS
    drill.database.wait_until_processed(list(result.accepted.values()), [worker, drill.gunicorn.process])
    drill.database.assert_each_accepted_report_processed_once(result, photos_per_report=1, photo_root=drill.photo_root)
