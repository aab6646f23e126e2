"""Helpers for the pipeline tests: worker processes, posting reports, waiting for rows."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask.testing import FlaskClient
from PIL import ExifTags, Image
from sqlalchemy import func, select

from service.extensions import db
from service.models import HistoryEntry, OutboxEvent, Photo, Report
from tests.photos.factories import camera_exif

REPO_ROOT = Path(__file__).resolve().parents[2]

# Every wait in these tests is bounded; a report that takes longer than this
# to go through a worker on a test machine is a failure, not slowness.
WAIT_SECONDS = 30.0
# A worker's start imports the photo detectors (onnxruntime, OpenCV): seconds on a
# quiet machine, and more than half a minute on one as loaded as a parallel run makes it.
READY_SECONDS = 90.0

# Settings that must not leak from the shell running the tests into a worker.
_APP_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")

T = TypeVar("T")


class WorkerProcess:
    """One ``celery -A workers worker`` process with its own log file; solo pool, or ``threads`` threads;
    every queue, or only ``queues``.

    The worker is configured only through its environment, as in a deployment.
    """

    def __init__(self, name: str, environment: Mapping[str, str], log_path: Path, *, threads: int = 0,
                 queues: tuple[str, ...] = ()) -> None:
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "workers", "worker",
                *(("--pool=threads", f"--concurrency={threads}") if threads else ("--pool=solo", "--concurrency=1")),
                # Every queue unless told, as a worker started without -Q.
                *(("-Q", ",".join(queues)) if queues else ()),
                "--loglevel=INFO",
                # The test workers need not discover each other; mingling alone
                # would add a second to every start.
                "--without-mingle", "--without-gossip",
                "-n", f"{name}@%h",
            ],
            cwd=REPO_ROOT,
            env=dict(environment),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        """Wait until the worker consumes from the broker; fail with its log if it dies or stalls."""
        deadline = time.monotonic() + timeout
        while " ready." not in self.log():
            if self.process.poll() is not None:
                pytest.fail(f"worker {self.name} exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"worker {self.name} was not ready within {timeout} s:\n{self.log()[-4000:]}")
            time.sleep(0.05)

    def succeeded(self, task_name: str) -> int:
        """How many runs of ``task_name`` this worker reports as finished."""
        return sum(1 for line in self.log().splitlines() if f"Task {task_name}[" in line and " succeeded in " in line)

    def kill(self) -> None:
        """End the worker at once, as the kernel's OOM killer or a lost machine would."""
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()

    def ask_to_stop(self) -> None:
        """Send SIGTERM, which asks for a warm shutdown: finish the current task, then leave."""
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)

    def stop(self) -> None:
        """Warm shutdown by SIGTERM; SIGKILL when the worker does not leave in time."""
        self.ask_to_stop()
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


def worker_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """The process environment without the shell's Machikoe settings, plus ``settings``."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MACHIKOE_") and key not in _APP_VARIABLES
    }
    environment["PYTHONPATH"] = str(REPO_ROOT)
    environment.update(settings)
    return environment


def wait_until(
    check: Callable[[], T],
    *,
    what: str,
    timeout: float = WAIT_SECONDS,
    interval: float = 0.1,
    workers: Iterable[WorkerProcess] = (),
) -> T:
    """Call ``check`` on fresh database reads until it returns something true.

    Fails after ``timeout`` seconds, showing the end of each worker's log.
    """
    deadline = time.monotonic() + timeout
    while True:
        # A rollback ends the read transaction and expires loaded rows, so each
        # check sees what the worker has committed since.
        db.session.rollback()
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            logs = "".join(f"\n--- {w.name} ---\n{w.log()[-3000:]}" for w in workers)
            pytest.fail(f"{what} did not happen within {timeout} s (last value {value!r}){logs}")
        time.sleep(interval)


def phone_photo(
    size: tuple[int, int] = (2400, 1800),
    *,
    orientation: int = 6,
    top: tuple[int, int, int] = (220, 30, 30),
    bottom: tuple[int, int, int] = (30, 30, 220),
    gps: tuple[float, float] | None = (35.650, 139.780),
) -> bytes:
    """A JPEG as a phone held upright writes it: pixels stored sideways and an EXIF
    orientation tag, with camera details and the GPS position.

    Shown upright, the picture's top half is ``top`` and its bottom half ``bottom``.
    For orientation 6 the camera stores the upright picture turned a quarter
    turn anticlockwise, so the stored left half is the upright top.
    """
    if orientation not in (1, 6):
        raise ValueError("phone_photo draws orientations 1 and 6 only")
    width, height = size
    stored = Image.new("RGB", size, bottom)
    if orientation == 6:
        stored.paste(top, (0, 0, width // 2, height))
    else:
        stored.paste(top, (0, 0, width, height // 2))
    exif = Image.Exif()
    exif.load(camera_exif(lat=gps[0], lon=gps[1]) if gps else camera_exif())
    exif[ExifTags.Base.Orientation] = orientation
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def post_report(
    client: FlaskClient,
    *,
    category: str = "road_damage",
    lat: float = 35.650,
    lon: float = 139.780,
    photos: Iterable[bytes] = (),
    description: str = "歩道に大きな穴があります",
) -> dict[str, Any]:
    """Send a multipart report as the mobile app does; return the 201 body."""
    data: dict[str, Any] = {
        "category": category,
        "description": description,
        "lat": str(lat),
        "lon": str(lon),
        "reporter": json.dumps({"email": "resident@example.jp"}),
        "photos": [(io.BytesIO(photo), f"IMG_{i:04d}.JPG") for i, photo in enumerate(photos, start=1)],
    }
    response = client.post("/api/v1/reports", data=data, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def report_row(public_id: str) -> Report:
    report = db.session.scalar(select(Report).where(Report.public_id == public_id))
    assert report is not None, f"no report {public_id}"
    return report


def processing_state(public_id: str) -> str | None:
    return db.session.scalar(select(Report.processing_state).where(Report.public_id == public_id))


def routed_entries(report: Report) -> list[HistoryEntry]:
    return list(db.session.scalars(
        select(HistoryEntry).where(HistoryEntry.report_id == report.id, HistoryEntry.kind == "routed").order_by(HistoryEntry.id)
    ))


def event_count(report: Report, event_type: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxEvent)
        .where(OutboxEvent.report_id == report.id, OutboxEvent.event_type == event_type)
    )


def photos_of(report: Report) -> list[Photo]:
    return list(db.session.scalars(select(Photo).where(Photo.report_id == report.id).order_by(Photo.position)))


def files_under(root: Path) -> set[str]:
    """Relative paths of every file below ``root`` (empty when it does not exist)."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def answer_json(handler: BaseHTTPRequestHandler, status: int, document: object) -> None:
    """Answer a stand-in server's request with JSON; a client that already left is no error."""
    body = json.dumps(document).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except OSError:
        pass


def published(public_id: str) -> bool:
    """Routed, and no photo still waiting for its derivatives or the detector: the report as residents will see it."""
    if processing_state(public_id) != "done":
        return False
    waiting = db.session.scalar(
        select(func.count()).select_from(Photo).join(Report, Photo.report_id == Report.id)
        .where(Report.public_id == public_id, Photo.state.in_(("stored", "awaiting_detection")))
    )
    return waiting == 0
