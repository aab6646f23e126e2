"""Nothing accepted is lost: the broker away at intake, a worker killed mid-task."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from service.jobs import SWEEP, jobs
from service.models.types import utcnow
from tests.pipeline.support import (
    answer_json,
    event_count,
    files_under,
    phone_photo,
    photos_of,
    post_report,
    processing_state,
    published,
    report_row,
    routed_entries,
    wait_until,
)

# Longer than any test waits for the worker to reach the stalled request.
STALL_SECONDS = 20.0


class StallingNominatim(ThreadingHTTPServer):
    """A Nominatim stand-in on 127.0.0.1 that holds every request until released."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _StallingHandler)
        self.asked = threading.Event()
        self.release = threading.Event()

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _StallingHandler(BaseHTTPRequestHandler):
    server: StallingNominatim

    def do_GET(self) -> None:
        self.server.asked.set()
        self.server.release.wait(STALL_SECONDS)
        # The worker that asked may have been killed; nobody is then left to answer.
        answer_json(self, 200, {"error": "Unable to geocode"})

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def stalling_nominatim() -> Iterator[StallingNominatim]:
    server = StallingNominatim()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_report_accepted_while_broker_is_down_is_processed_by_the_sweep(worker_app, broker_down_app, start_worker):
    client = broker_down_app.test_client()
    started = time.monotonic()
    created = post_report(client, photos=[phone_photo()])
    assert time.monotonic() - started < 5, "intake waited for the missing broker"
    assert created["status"] == "received" and created["status_label"] == "受付"
    assert client.get(f"/api/v1/reports/{created['id']}").get_json()["processing"] == "pending"

    worker = start_worker(MACHIKOE_SWEEP_AFTER_SECONDS="1")
    # The sweep takes reports left pending for longer than a second.
    time.sleep(max(0.0, 1.2 - (time.monotonic() - started)))
    assert jobs.sweep()
    wait_until(lambda: published(created["id"]), what="processing and the photo check after the sweep", workers=[worker])

    assert worker.succeeded(SWEEP) == 1
    public = worker_app.test_client().get(f"/api/v1/reports/{created['id']}").get_json()
    assert public["department"] == "道路課" and len(public["photos"]) == 1
    report = report_row(created["id"])
    assert len(routed_entries(report)) == 1 and event_count(report, "report.routed") == 1


def test_report_of_worker_killed_mid_task_is_finished_once_after_the_sweep(worker_app, start_worker, stalling_nominatim):
    doomed = start_worker(
        "doomed",
        MACHIKOE_GEOCODER="nominatim",
        MACHIKOE_NOMINATIM_DOMAIN=stalling_nominatim.domain,
        MACHIKOE_NOMINATIM_SCHEME="http",
        MACHIKOE_NOMINATIM_TIMEOUT=str(STALL_SECONDS + 10),
        MACHIKOE_NOMINATIM_MIN_DELAY="0",
        MACHIKOE_NOMINATIM_MAX_RETRIES="0",
    )
    created = post_report(worker_app.test_client(), photos=[phone_photo()])
    wait_until(
        lambda: processing_state(created["id"]) == "processing" and stalling_nominatim.asked.is_set(),
        what="the worker reaching the address step",
        workers=[doomed],
    )
    doomed.kill()

    stuck = report_row(created["id"])
    assert stuck.processing_state == "processing"
    assert set(stuck.processing_steps) == {"photos"}
    photos_done_at = stuck.processing_steps["photos"]
    derivatives = Path(worker_app.config["PHOTO_DIR"]) / "derivatives"
    files_before = files_under(derivatives)

    rescuer = start_worker("rescuer", MACHIKOE_SWEEP_AFTER_SECONDS="1")
    # The sweep takes a claim only once it is older than MACHIKOE_SWEEP_AFTER_SECONDS.
    wait_until(
        lambda: report_row(created["id"]).processing_started_at < utcnow() - timedelta(seconds=1.2),
        what="the dead worker's claim going stale",
    )
    assert jobs.sweep()
    wait_until(lambda: published(created["id"]), what="processing and the photo check after the sweep", workers=[rescuer])

    report = report_row(created["id"])
    assert report.processing_attempts == 2
    assert report.processing_steps["photos"] == photos_done_at
    assert report.address == "みなと市中央区"
    assert files_under(derivatives) == files_before
    [photo] = photos_of(report)
    assert photo.state == "ready"
    assert len(routed_entries(report)) == 1
    assert event_count(report, "report.routed") == 1
    public = worker_app.test_client().get(f"/api/v1/reports/{created['id']}").get_json()
    assert public["processing"] == "done" and public["department"] == "道路課"
