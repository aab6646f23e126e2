"""Drill: the Celery worker killed with SIGKILL in the middle of a report, then started again."""

from __future__ import annotations

import time

from sqlalchemy import select

from service.models import Report
from tests.faults.drills import ReportStream
from tests.pipeline.support import phone_photo

# Longer than any report takes to reach a worker while the stream is running.
CATCH_SECONDS = 30.0


def test_report_of_worker_killed_mid_task_and_all_others_are_processed_once_after_restart(drill):
    worker = drill.start()
    # Two large photos per report keep each job long enough to be caught in the middle.
    photos = [phone_photo((2400, 1800)), phone_photo((2400, 1800), top=(30, 200, 30))]
    stream = ReportStream(drill.gunicorn.base, count=16, interval=0.3, photos=photos)

    stream.start()
    time.sleep(1.5)
    deadline = time.monotonic() + CATCH_SECONDS
    caught = None
    while caught is None and time.monotonic() < deadline:
        caught = drill.database.scalar(select(Report.public_id).where(Report.processing_state == "processing"))
    assert caught is not None, "no report was seen in the middle of processing"
    worker.kill()
    # The kill ended the job half-done: the report is still claimed by the dead worker.
    assert drill.database.scalar(select(Report.processing_state).where(Report.public_id == caught)) == "processing"
    time.sleep(1.0)
    restarted = drill.start_worker()
    result = stream.finish()

    assert result.statuses == {201: 16}, result.problems
    drill.database.wait_until_processed(list(result.accepted.values()), [worker, restarted])
    reports = drill.database.assert_each_accepted_report_processed_once(result, photos_per_report=2, photo_root=drill.photo_root)
    killed = next(r for r in reports if r.public_id == caught)
    # Claimed by the killed worker, then again after the sweep found it stale.
    assert killed.processing_attempts == 2
