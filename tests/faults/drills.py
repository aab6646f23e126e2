"""What every drill does: send a bounded stream of reports as the mobile app does, then
prove from the database that each accepted one is there and processed once in effect."""

from __future__ import annotations

import collections
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from service.models import HistoryEntry, OutboxEvent, Photo, Report

# A resident's phone retries a refused report this long before giving up on it.
CLIENT_PATIENCE_SECONDS = 45.0
# The drills retry sooner than the Retry-After they are given, so they stay short.
CLIENT_RETRY_SECONDS = 0.5
# The worker must finish every accepted report within this long after the fault is over.
SETTLE_SECONDS = 90.0


@dataclass
class StreamResult:
    """What the clients saw: every answer's status, the accepted reports and how long each 201 took."""

    statuses: collections.Counter[int | str] = field(default_factory=collections.Counter)
    accepted: dict[str, str] = field(default_factory=dict)
    refused: dict[str, list[int | str]] = field(default_factory=dict)
    created_seconds: list[float] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)
    problems: list[tuple[int, str, str | None]] = field(default_factory=list)


class ReportStream(threading.Thread):
    """Sends ``count`` reports to ``base``, one every ``interval`` seconds, each with its own Idempotency-Key.

    A 503 or a refused connection is retried with the same key, as the app does
    on a flaky network, until a 201 or ``CLIENT_PATIENCE_SECONDS``; any other
    answer ends that report's attempts.
    """

    def __init__(self, base: str, count: int, interval: float, photos: Sequence[bytes]) -> None:
        super().__init__(name="report-stream", daemon=True)
        self.base, self.count, self.interval, self.photos = base, count, interval, photos
        self.result = StreamResult()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with requests.Session() as http:
                started = time.monotonic()
                for number in range(self.count):
                    time.sleep(max(0.0, started + number * self.interval - time.monotonic()))
                    self._send(http, f"drill-{number:03d}-{uuid.uuid4()}")
        except BaseException as exc:  # noqa: BLE001  (handed to the test by finish())
            self.error = exc

    def finish(self, timeout: float = 180.0) -> StreamResult:
        self.join(timeout)
        assert not self.is_alive(), "the report stream did not end"
        if self.error is not None:
            raise self.error
        return self.result

    def _send(self, http: requests.Session, key: str) -> None:
        deadline = time.monotonic() + CLIENT_PATIENCE_SECONDS
        seen: list[int | str] = []
        while time.monotonic() < deadline:
            status, public_id, seconds = self._post(http, key)
            seen.append(status)
            self.result.statuses[status] += 1
            if status == 201:
                self.result.accepted[key] = public_id
                self.result.created_seconds.append(seconds)
                self.result.accepted_at.append(time.monotonic())
                return
            if status not in (503, "refused"):
                break
            time.sleep(CLIENT_RETRY_SECONDS)
        self.result.refused[key] = seen

    def _post(self, http: requests.Session, key: str) -> tuple[int | str, str | None, float]:
        files = [("photos", (f"IMG_{i:04d}.JPG", photo, "image/jpeg")) for i, photo in enumerate(self.photos, start=1)]
        data = {"category": "road_damage", "description": "歩道に大きな穴があります", "lat": "35.650", "lon": "139.780",
                "reporter": '{"email": "resident@example.jp"}'}
        started = time.monotonic()
        try:
            response = http.post(f"{self.base}/api/v1/reports", data=data, files=files,
                                 headers={"Idempotency-Key": key}, timeout=30)
        except requests.ConnectionError:
            return "refused", None, time.monotonic() - started
        seconds = time.monotonic() - started
        if response.status_code >= 400:
            self.result.problems.append((response.status_code, response.headers.get("Content-Type", ""),
                                         response.headers.get("Retry-After")))
        body = response.json() if response.status_code == 201 else {}
        return response.status_code, body.get("id"), seconds


class DrillDatabase:
    """The drill's database as the test reads it: fresh reads on one small engine."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), pool_pre_ping=True)

    def close(self) -> None:
        self.engine.dispose()

    def scalar(self, statement: Any) -> Any:
        with Session(self.engine) as session:
            return session.scalar(statement)

    def processed_count(self, public_ids: Sequence[str]) -> int:
        """How many of the reports have finished processing, with every photo through the detector's check."""
        waiting = select(Photo.id).where(Photo.report_id == Report.id, Photo.state.in_(("stored", "awaiting_detection")))
        return self.scalar(select(func.count()).select_from(Report).where(
            Report.public_id.in_(public_ids), Report.processing_state == "done", ~waiting.exists()))

    def wait_until_processed(self, public_ids: Sequence[str], processes: Sequence[Any],
                             timeout: float = SETTLE_SECONDS) -> float:
        """Wait until every report is done; return the seconds it took. Fails showing the processes' logs."""
        started = time.monotonic()
        done = 0
        while time.monotonic() < started + timeout:
            done = self.processed_count(public_ids)
            if done == len(public_ids):
                return time.monotonic() - started
            time.sleep(0.3)
        logs = "".join(f"\n--- {process.name} ---\n{process.log()[-3000:]}" for process in processes)
        pytest.fail(f"{done} of {len(public_ids)} accepted reports were processed within {timeout:g} s{logs}")

    def assert_each_accepted_report_processed_once(self, result: StreamResult, *, photos_per_report: int,
                                                   photo_root: Path) -> list[Report]:
        """Every 201 is one report in the database, done, routed once, with one event of each kind and clean photos.

        Nothing else is there either: a retried request made no second report.
        """
        public_ids = sorted(result.accepted.values())
        assert len(set(public_ids)) == len(result.accepted), "two keys were answered with one report"
        with Session(self.engine) as session:
            reports = list(session.scalars(select(Report).order_by(Report.id)))
            assert sorted(r.public_id for r in reports) == public_ids
            for report in reports:
                assert report.processing_state == "done", (report.public_id, report.processing_state, report.processing_error)
                assert report.department_id is not None and report.status == "received"
                assert _count(session, HistoryEntry, HistoryEntry.report_id == report.id, HistoryEntry.kind == "routed") == 1
                assert _count(session, HistoryEntry, HistoryEntry.report_id == report.id, HistoryEntry.kind == "created") == 1
                for event_type in ("report.received", "report.routed"):
                    assert _count(session, OutboxEvent, OutboxEvent.report_id == report.id,
                                  OutboxEvent.event_type == event_type) == 1, (report.public_id, event_type)
                photos = list(session.scalars(select(Photo).where(Photo.report_id == report.id)))
                assert len(photos) == photos_per_report
                for photo in photos:
                    assert photo.state == "ready", (report.public_id, photo.state)
                    assert (photo_root / photo.large_key).is_file() and (photo_root / photo.thumb_key).is_file()
            session.expunge_all()
            return reports


def _count(session: Session, model: type, *conditions: object) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions))


def accepted_between(result: StreamResult, start: float, end: float) -> int:
    """How many reports were answered 201 between two ``time.monotonic()`` readings."""
    return sum(1 for moment in result.accepted_at if start <= moment <= end)
