"""Drill: the geocoder answering 5xx, then taking longer than its time limit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from service.models import Report
from tests.faults.drills import ReportStream
from tests.faults.stack import serving
from tests.pipeline.support import answer_json, phone_photo

TIMEOUT_SECONDS = 0.5
# Requests answered with a server error before the stand-in starts stalling.
ERROR_ANSWERS = 8
# Past the geocoder's time limit, but short, so the stand-in stops promptly.
STALL_SECONDS = TIMEOUT_SECONDS + 1.0


class FailingNominatim(ThreadingHTTPServer):
    """A Nominatim stand-in on 127.0.0.1: 500, 502 and 503 answers, then answers that come too late."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _FailingHandler)
        self.lock = threading.Lock()
        self.answered: list[int | str] = []

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _FailingHandler(BaseHTTPRequestHandler):
    server: FailingNominatim

    def do_GET(self) -> None:
        with self.server.lock:
            number = len(self.server.answered)
            status = (500, 502, 503)[number % 3] if number < ERROR_ANSWERS else "stalled"
            self.server.answered.append(status)
        if status == "stalled":
            threading.Event().wait(STALL_SECONDS)
            status = 200
        # The worker may have given up waiting and closed the connection.
        answer_json(self, status, {"error": "Unable to geocode"})

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def failing_nominatim() -> Iterator[FailingNominatim]:
    with serving(FailingNominatim()) as server:
        yield server


def test_reports_are_all_done_with_approximate_addresses_while_geocoder_fails_and_stalls(drill, failing_nominatim):
    worker = drill.start(
        MACHIKOE_GEOCODER="nominatim", MACHIKOE_NOMINATIM_DOMAIN=failing_nominatim.domain, MACHIKOE_NOMINATIM_SCHEME="http",
        MACHIKOE_NOMINATIM_MIN_DELAY="0", MACHIKOE_NOMINATIM_TIMEOUT=str(TIMEOUT_SECONDS), MACHIKOE_NOMINATIM_MAX_RETRIES="1",
    )
    stream = ReportStream(drill.gunicorn.base, count=10, interval=0.3, photos=[phone_photo((1200, 900))])

    stream.start()
    result = stream.finish()
    drill.database.wait_until_processed(list(result.accepted.values()), [worker])

    assert result.statuses == {201: 10}, result.problems
    reports = drill.database.assert_each_accepted_report_processed_once(result, photos_per_report=1, photo_root=drill.photo_root)
    assert {(r.address, r.address_approximate) for r in reports} == {("みなと市中央区", True)}
    assert drill.database.scalar(select(Report.ward).limit(1)) == "中央区"
    # Every report asked Nominatim twice (a try and one retry); both kinds of failure were met.
    assert len(failing_nominatim.answered) == 2 * len(reports)
    assert {500, 502, 503, "stalled"} <= set(failing_nominatim.answered)
