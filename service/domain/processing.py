"""Processing of an accepted report: photos, address, routing, duplicates, events.

Each step is idempotent and recorded in ``report.processing_steps`` with its
time, so a job that is delivered twice, or resumed after a worker died, does
each step once in effect. A claim on the report row (an atomic state change)
keeps two workers from processing one report at the same time.

The photo step commits on its own, because it is the expensive one and must
not be redone. The steps after it are a few cheap queries each; they commit
together with the end of processing, in one transaction, so a report is
either routed with its duplicate candidates and its event or not at all.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, lazyload

from service.domain.coverage import coverage
from service.domain.events import record_event
from service.domain.routing import RoutingDecision, RuleView, choose_department
from service.domain.status import OPEN_STATUSES
from service.geo.grid import cells_covering, geohash_encode, haversine_m
from service.geocoding import Geocoder, GeocoderUnavailable
from service.models import Category, Department, DuplicateCandidate, HistoryEntry, Report, RoutingRule
from service.models.types import utcnow
from service.photos.derivatives import Derivative, PhotoRejected, make_derivatives
from service.photos.metadata import read_private_metadata
from service.storage.base import ObjectNotFound, PhotoStore

log = logging.getLogger(__name__)

GEOHASH_PRECISION = 7
STEPS = ("photos", "address", "routing", "duplicates", "events")
# Steps whose work is committed as soon as they finish; the others commit
# together when processing ends.
COMMITTED_ALONE = frozenset({"photos"})


class TemporaryFailure(RuntimeError):
    """A step failed for a reason that may pass (a database or store outage); retry later."""


@dataclass(frozen=True)
class PipelineSettings:
    photo_format: str = "JPEG"
    keep_originals: bool = True
    duplicate_radius_m: float = 50.0
    duplicate_window_days: int = 30
    stale_after_seconds: int = 120


@dataclass
class Pipeline:
    store: PhotoStore
    geocoder: Geocoder
    offline: Geocoder
    settings: PipelineSettings

    def locate(self, address_hint: str) -> tuple[float, float] | None:
        """Place an address hint without the network (it runs during intake)."""
        place = self.offline.forward(address_hint)
        return (place.lat, place.lon) if place is not None else None


def claim(session: Session, report_id: int, stale_after_seconds: int) -> bool:
    """Mark the report as being processed; False when another worker has it or it is done."""
    now = utcnow()
    stale = now - timedelta(seconds=stale_after_seconds)
    result = session.execute(
        update(Report)
        .where(
            Report.id == report_id,
            or_(
                Report.processing_state == "pending",
                (Report.processing_state == "processing") & (Report.processing_started_at < stale),
            ),
        )
        .values(processing_state="processing", processing_started_at=now,
                processing_attempts=Report.processing_attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def process(session: Session, report_id: int, pipeline: Pipeline) -> bool:
    """Run every step that has not run yet; True when this call finished the report.

    Raises :class:`TemporaryFailure` (after releasing the claim) when a step may
    succeed later. Any other error marks the report failed with the reason.
    """
    if not claim(session, report_id, pipeline.settings.stale_after_seconds):
        return False
    # Processing adds to the history but never reads it, and it uses the
    # jurisdiction's id but not its boundary (a large polygon), so neither is loaded.
    report = session.get(Report, report_id, options=[lazyload(Report.history), lazyload(Report.jurisdiction)])
    if report is None:
        return False
    try:
        for step in STEPS:
            if step in (report.processing_steps or {}):
                continue
            STEP_FUNCTIONS[step](session, report, pipeline)
            report.processing_steps = {**(report.processing_steps or {}), step: utcnow().isoformat()}
            if step in COMMITTED_ALONE:
                session.commit()
        report.processing_state = "done"
        report.processed_at = utcnow()
        report.processing_error = None
        session.commit()
        return True
    except TemporaryFailure as exc:
        session.rollback()
        release(session, report_id, str(exc))
        raise
    except (OperationalError, InterfaceError) as exc:
        # The database went away mid-step; the claim goes stale and the sweep
        # or the task's retry picks the report up again.
        session.rollback()
        raise TemporaryFailure(f"database: {type(exc).__name__}") from exc
    except Exception as exc:
        session.rollback()
        mark_failed(session, report_id, f"{type(exc).__name__}: {exc}")
        raise


def release(session: Session, report_id: int, reason: str) -> None:
    session.execute(
        update(Report).where(Report.id == report_id)
        .values(processing_state="pending", processing_error=reason[:2000])
        .execution_options(synchronize_session=False)
    )
    session.commit()


def mark_failed(session: Session, report_id: int, reason: str) -> None:
    """Record that processing failed for good; the report stays visible to admins."""
    session.execute(
        update(Report).where(Report.id == report_id)
        .values(processing_state="failed", processing_error=reason[:2000])
        .execution_options(synchronize_session=False)
    )
    session.commit()
    log.error("report %s: processing failed: %s", report_id, reason[:200])


def _photos(session: Session, report: Report, pipeline: Pipeline) -> None:
    for photo in report.photos:
        if photo.state != "stored" or photo.original_key is None:
            continue
        try:
            original = pipeline.store.get(photo.original_key)
        except ObjectNotFound:
            photo.state, photo.reject_reason = "rejected", "the original is missing from the store"
            continue
        metadata = read_private_metadata(original)
        photo.exif_lat, photo.exif_lon, photo.taken_at = metadata.lat, metadata.lon, metadata.taken_at
        try:
            derivatives = make_derivatives(original, image_format=pipeline.settings.photo_format)
        except PhotoRejected as exc:
            photo.state, photo.reject_reason = "rejected", exc.reason
            continue
        extension = "webp" if derivatives.large.content_type == "image/webp" else "jpg"
        # Keys depend only on the photo, so a repeated run overwrites rather than duplicates.
        large_key = f"derivatives/{photo.public_id}/large.{extension}"
        thumb_key = f"derivatives/{photo.public_id}/thumb.{extension}"
        try:
            _put_all(pipeline.store, [(large_key, derivatives.large), (thumb_key, derivatives.thumb)])
        except OSError as exc:
            raise TemporaryFailure(f"photo store: {type(exc).__name__}") from exc
        photo.large_key, photo.thumb_key = large_key, thumb_key
        photo.large_content_type = derivatives.large.content_type
        photo.state = "ready"
        if not pipeline.settings.keep_originals:
            pipeline.store.delete(photo.original_key)
            photo.original_key = None


def _put_all(store: PhotoStore, items: list[tuple[str, Derivative]]) -> None:
    """Write the derivatives side by side; raises what the first failing write raised (OSError).

    A store mostly waits (for the disk to confirm a write, or for S3), so
    the writes of one photo overlap instead of queueing behind each other.
    """
    with ThreadPoolExecutor(max_workers=len(items), thread_name_prefix="photo-put") as pool:
        writes = [pool.submit(store.put, key, derivative.data, derivative.content_type) for key, derivative in items]
    for write in writes:
        write.result()


def _address(session: Session, report: Report, pipeline: Pipeline) -> None:
    lat, lon = report.lat, report.lon
    if pipeline.geocoder is not pipeline.offline:
        # End the transaction so no database connection is held open while a
        # remote geocoder is waited for; the offline one answers from memory.
        session.commit()
    try:
        result = pipeline.geocoder.reverse(lat, lon)
    except GeocoderUnavailable:
        result = None
    if result is None:
        report.address_approximate = True
        return
    report.address = result.address
    report.address_parts = result.parts
    report.address_approximate = result.approximate


def _routing(session: Session, report: Report, pipeline: Pipeline) -> None:
    route(session, report)


def route(session: Session, report: Report) -> RoutingDecision:
    """Choose the report's department by its jurisdiction's rules, and record why."""
    area_hits = coverage.areas_at(session, report.lon, report.lat, report.jurisdiction_id)
    rules = [
        RuleView(id=r.id, priority=r.priority, category_code=code, area_id=r.area_id, department_id=r.department_id)
        for r, code in session.execute(
            select(RoutingRule, Category.code)
            .outerjoin(Category, RoutingRule.category_id == Category.id)
            .where(RoutingRule.jurisdiction_id == report.jurisdiction_id)
        )
    ]
    fallback = session.scalar(
        select(Department.id).where(Department.jurisdiction_id == report.jurisdiction_id, Department.is_fallback.is_(True))
        .order_by(Department.id).limit(1)
    )
    if fallback is None:
        fallback = session.scalar(select(Department.id).where(Department.jurisdiction_id == report.jurisdiction_id).order_by(Department.id).limit(1))
    decision = choose_department(rules, category_code=report.category.code, area_ids={a.id for a in area_hits},
                                 fallback_department_id=fallback)
    report.department_id = decision.department_id
    report.routing_rule_id = decision.rule_id
    report.routing_reason = decision.reason
    ward = next((a for a in area_hits if a.layer == "ward"), None)
    if ward is not None and not (report.address_parts or {}).get("ward"):
        report.address_parts = {**(report.address_parts or {}), "ward": ward.name_ja}
    report.ward = (report.address_parts or {}).get("ward")
    session.add(HistoryEntry(report=report, kind="routed", actor_type="system",
                             details={"department_id": decision.department_id, "rule_id": decision.rule_id,
                                      "reason": decision.reason}))
    return decision


def _duplicates(session: Session, report: Report, pipeline: Pipeline) -> None:
    radius = report.category.duplicate_radius_m or pipeline.settings.duplicate_radius_m
    since = report.created_at - timedelta(days=pipeline.settings.duplicate_window_days)
    precision = GEOHASH_PRECISION if radius <= 150 else 6
    cells = cells_covering(report.lat, report.lon, radius, precision)
    cell_column = Report.geohash if precision == GEOHASH_PRECISION else func.substr(Report.geohash, 1, precision)
    rows = session.execute(
        select(Report.id, Report.lat, Report.lon).where(
            cell_column.in_(cells),
            Report.id != report.id,
            Report.category_id == report.category_id,
            Report.jurisdiction_id == report.jurisdiction_id,
            Report.status.in_(OPEN_STATUSES),
            Report.created_at >= since,
            Report.created_at <= report.created_at,
        )
    ).all()
    nearby = sorted(
        (d, rid) for rid, lat, lon in rows if (d := haversine_m(report.lat, report.lon, lat, lon)) <= radius
    )
    session.execute(delete(DuplicateCandidate).where(DuplicateCandidate.report_id == report.id))
    for distance, candidate_id in nearby[:20]:
        session.add(DuplicateCandidate(report_id=report.id, candidate_id=candidate_id, distance_m=round(distance, 1)))


def _events(session: Session, report: Report, pipeline: Pipeline) -> None:
    code = session.scalar(select(Department.code).where(Department.id == report.department_id)) if report.department_id else None
    payload: dict[str, Any] = {"department": code, "reason": report.routing_reason}
    record_event(session, "report.routed", report, payload)


STEP_FUNCTIONS = {
    "photos": _photos,
    "address": _address,
    "routing": _routing,
    "duplicates": _duplicates,
    "events": _events,
}


def sweep(session: Session, *, older_than_seconds: int, limit: int = 500) -> list[int]:
    """Ids of reports whose processing was lost: pending or stuck in processing past the timeout."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(
        session.scalars(
            select(Report.id)
            .where(
                or_(
                    (Report.processing_state == "pending") & (Report.created_at < cutoff),
                    (Report.processing_state == "processing") & (Report.processing_started_at < cutoff),
                )
            )
            .order_by(Report.id)
            .limit(limit)
        )
    )


def approximate_addresses(session: Session, *, older_than_seconds: int, limit: int = 100) -> list[int]:
    """Ids of processed reports whose address came from the offline fallback, oldest first."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.scalars(
        select(Report.id)
        .where(Report.processing_state == "done", Report.address_approximate.is_(True), Report.processed_at < cutoff)
        .order_by(Report.processed_at)
        .limit(limit)
    ))


def enrich_address(session: Session, report_id: int, pipeline: Pipeline) -> bool:
    """Ask the geocoder again for a report whose address is approximate; True when it got an exact one.

    Raises nothing for an unreachable geocoder: the report keeps its
    approximate address and a later sweep tries again.
    """
    report = session.get(Report, report_id)
    if report is None or not report.address_approximate:
        return False
    lat, lon = report.lat, report.lon
    session.commit()
    try:
        result = pipeline.geocoder.reverse(lat, lon)
    except GeocoderUnavailable:
        return False
    if result is None or result.approximate:
        return False
    report = session.get(Report, report_id)
    ward = (report.address_parts or {}).get("ward")
    report.address, report.address_approximate = result.address, False
    report.address_parts = {**result.parts, **({"ward": ward} if ward and "ward" not in result.parts else {})}
    session.commit()
    return True


def report_geohash(lat: float, lon: float) -> str:
    return geohash_encode(lat, lon, GEOHASH_PRECISION)
