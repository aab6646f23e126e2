"""Processing of an accepted report: photos, address, routing, duplicates, events.

Each step is idempotent and recorded in ``report.processing_steps`` with its
time, so a job that is delivered twice, or resumed after a worker died, does
each step once in effect. A claim on the report row (an atomic state change)
keeps two workers from processing one report at the same time.

The photo step works on pixels in a thread of its own (``photo_step``) while
the other steps, a few cheap queries each, run in the worker's thread. They
all commit together with the end of processing, in one transaction, so a
report is either routed with its photos, duplicate candidates and event or
not at all. With a remote geocoder the photo step, the expensive one, is
committed first, before the geocoder is waited for, so that a worker lost
while waiting does not make it run again.

With the detector on, a routed report's photos still wait for it:
:func:`check_photos` looks for faces and plates and publishes them, as a job
of its own that workers take after the reports still to be routed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, lazyload

from service.domain import photo_step, rows
from service.domain.coverage import coverage
from service.domain.events import record_event
from service.domain.nearby import GEOHASH_PRECISION, open_reports_near
from service.domain.originals import delete_unnamed
from service.domain.route_explanation import decide
from service.domain.routing import RoutingDecision
from service.geo.grid import geohash_encode
from service.geocoding import Geocoder, GeocodeResult, GeocoderUnavailable, Place
from service.models import Department, DuplicateCandidate, HistoryEntry, Photo, Report
from service.models.types import utcnow
from service.photos import MAX_PIXELS
from service.photos.detection import detect_faces_and_plates
from service.storage.base import PhotoStore

log = logging.getLogger(__name__)

STEPS = ("photos", "address", "routing", "duplicates", "events")
# The steps that run in the worker's own thread while the photo step runs in another.
LATER_STEPS = STEPS[1:]


class TemporaryFailure(RuntimeError):
    """A step failed for a reason that may pass (a database or store outage); retry later."""


@dataclass(frozen=True)
class PipelineSettings:
    photo_format: str = "JPEG"
    max_pixels: int = MAX_PIXELS
    keep_originals: bool = True
    duplicate_radius_m: float = 50.0
    duplicate_window_days: int = 30
    stale_after_seconds: int = 120
    # Faces found in each photo are blurred in public; off for operators who review every photo by hand.
    photo_detection: bool = True


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
    return rows.changed(result) == 1


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
    done = report.processing_steps or {}
    # The photos are worked on in their own thread while the other steps query the database.
    rendering = photo_step.Rendering(photo_step.jobs_for(report), pipeline.store, _photo_settings(pipeline)) \
        if "photos" not in done else None
    try:
        for step in LATER_STEPS:
            if step in done:
                continue
            if step == "address" and pipeline.geocoder is not pipeline.offline and rendering is not None:
                # A remote geocoder is waited for with no transaction open, and the
                # photo step, the expensive one, is committed before it so that it
                # is never redone after a crash while waiting.
                _commit(session, pipeline, _record_photos(report, rendering, pipeline))
                rendering = None
            STEP_FUNCTIONS[step](session, report, pipeline)
            _mark_done(report, step)
        obsolete = _record_photos(report, rendering, pipeline) if rendering is not None else []
        report.processing_state = "done"
        report.processed_at = utcnow()
        report.processing_error = None
        _commit(session, pipeline, obsolete)
        return True
    except TemporaryFailure as exc:
        _abandon(session, rendering)
        release(session, report_id, str(exc))
        raise
    except (OperationalError, InterfaceError) as exc:
        # The database went away mid-step; the claim goes stale and the sweep
        # or the task's retry picks the report up again.
        _abandon(session, rendering)
        raise TemporaryFailure(f"database: {type(exc).__name__}") from exc
    except Exception as exc:
        _abandon(session, rendering)
        mark_failed(session, report_id, f"{type(exc).__name__}: {exc}")
        raise


def derive_photos(session: Session, report_id: int, pipeline: Pipeline) -> None:
    """Run the photo step for a report's photos still waiting for it (one fetched later), check them, and commit.

    A photo fetched later is checked at once: its report has been routed
    already, so nothing waits behind it.
    """
    report = session.get(Report, report_id)
    if report is None:
        return
    try:
        outcomes = [photo_step.render(job, pipeline.store, _photo_settings(pipeline))
                    for job in photo_step.jobs_for(report)]
    except photo_step.StoreUnavailable as exc:
        raise TemporaryFailure(str(exc)) from exc
    _commit(session, pipeline, photo_step.record(report, outcomes, keep_originals=pipeline.settings.keep_originals))
    check_photos(session, report_id, pipeline)


def check_photos(session: Session, report_id: int, pipeline: Pipeline) -> int:
    """Let the detector look at the report's photos awaiting it and publish them, and commit; how many it checked.

    A photo another worker is checking at the same moment (a job sent twice)
    is skipped, locked by that worker until it commits. Raises
    :class:`TemporaryFailure` when the store fails; the photos then stay
    awaiting detection, for a retry or the sweep.
    """
    photos = session.scalars(
        select(Photo).where(Photo.report_id == report_id, Photo.state == photo_step.AWAITING_DETECTION)
        .order_by(Photo.position).with_for_update(skip_locked=True)
    ).all()
    settings = _photo_settings(pipeline)
    try:
        for photo in photos:
            photo_step.check(photo, pipeline.store, settings)
        if photos:
            # The public view now shows the photos: its stamp (the ETag polls send back) must move.
            session.execute(update(Report).where(Report.id == report_id).values(updated_at=utcnow())
                            .execution_options(synchronize_session=False))
    except photo_step.StoreUnavailable as exc:
        session.rollback()
        raise TemporaryFailure(str(exc)) from exc
    except (OperationalError, InterfaceError) as exc:
        session.rollback()
        raise TemporaryFailure(f"database: {type(exc).__name__}") from exc
    session.commit()
    return len(photos)


def unchecked_photos(session: Session, *, older_than_seconds: int, limit: int = 500) -> list[int]:
    """Ids of processed reports with photos still awaiting the detector, processed longer ago than the timeout."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    return list(session.scalars(
        select(Report.id).where(Report.processing_state == "done", Report.processed_at < cutoff,
                                Report.photos.any(Photo.state == photo_step.AWAITING_DETECTION))
        .order_by(Report.processed_at).limit(limit)
    ))


def _photo_settings(pipeline: Pipeline) -> photo_step.PhotoSettings:
    return photo_step.PhotoSettings(image_format=pipeline.settings.photo_format, max_pixels=pipeline.settings.max_pixels,
                                    detector=detect_faces_and_plates if pipeline.settings.photo_detection else None)


def _record_photos(report: Report, rendering: photo_step.Rendering, pipeline: Pipeline) -> list[str]:
    try:
        outcomes = rendering.outcomes()
    except photo_step.StoreUnavailable as exc:
        raise TemporaryFailure(str(exc)) from exc
    obsolete = photo_step.record(report, outcomes, keep_originals=pipeline.settings.keep_originals)
    _mark_done(report, "photos")
    return obsolete


def _mark_done(report: Report, step: str) -> None:
    report.processing_steps = {**(report.processing_steps or {}), step: utcnow().isoformat()}


def _commit(session: Session, pipeline: Pipeline, obsolete_originals: list[str]) -> None:
    """Commit, then delete the originals the commit no longer refers to."""
    session.commit()
    delete_unnamed(session, pipeline.store, obsolete_originals)


def _abandon(session: Session, rendering: photo_step.Rendering | None) -> None:
    """Roll back, once the photo work is over: a retry must not find it still writing."""
    if rendering is not None:
        rendering.wait()
    session.rollback()


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


def _address(session: Session, report: Report, pipeline: Pipeline) -> None:
    lat, lon = report.lat, report.lon
    # A report placed by its address hint at intake stands at the middle of the
    # area the hint names; a remote geocoder may find the address itself.
    hint = report.address_hint if report.location_source == "address" else None
    if pipeline.geocoder is not pipeline.offline:
        # End the transaction so no database connection is held open while a
        # remote geocoder is waited for; the offline one answers from memory.
        session.commit()
    if hint is not None:
        place = _place_of(hint, pipeline)
        if place is not None and coverage.jurisdiction_at(session, place.lon, place.lat) == report.jurisdiction_id:
            report.lat, report.lon, report.geohash = place.lat, place.lon, report_geohash(place.lat, place.lon)
            _describe(report, place.result)
            return
        # The middle of an area has no street address of its own: only the area's name is true.
        _describe(report, pipeline.offline.reverse(lat, lon), approximate=True)
        return
    try:
        result = pipeline.geocoder.reverse(lat, lon)
    except GeocoderUnavailable:
        result = None
    _describe(report, result)


def _place_of(hint: str, pipeline: Pipeline) -> Place | None:
    """Where a remote geocoder puts an address hint exactly; None when it cannot say."""
    if pipeline.geocoder is pipeline.offline:
        return None
    try:
        place = pipeline.geocoder.forward(hint)
    except GeocoderUnavailable:
        return None
    return place if place is not None and not place.result.approximate else None


def _describe(report: Report, result: GeocodeResult | None, *, approximate: bool = False) -> None:
    if result is None:
        report.address_approximate = True
        return
    report.address = result.address
    report.address_parts = result.parts
    report.address_approximate = result.approximate or approximate


def _routing(session: Session, report: Report, pipeline: Pipeline) -> None:
    route(session, report)


def route(session: Session, report: Report) -> RoutingDecision:
    """Choose the report's department by its jurisdiction's rules, and record why."""
    area_hits = coverage.areas_at(session, report.lon, report.lat, report.jurisdiction_id)
    decision = decide(session, report.jurisdiction_id, report.category.code, area_hits)
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
    nearby = open_reports_near(
        session, category_id=report.category_id, jurisdiction_id=report.jurisdiction_id, lat=report.lat, lon=report.lon,
        radius_m=report.category.duplicate_radius_m or pipeline.settings.duplicate_radius_m,
        since=report.created_at - timedelta(days=pipeline.settings.duplicate_window_days), until=report.created_at,
        exclude_id=report.id,
    )
    session.execute(delete(DuplicateCandidate).where(DuplicateCandidate.report_id == report.id))
    for distance, candidate_id in nearby:
        session.add(DuplicateCandidate(report_id=report.id, candidate_id=candidate_id, distance_m=round(distance, 1)))


def _events(session: Session, report: Report, pipeline: Pipeline) -> None:
    code = session.scalar(select(Department.code).where(Department.id == report.department_id)) if report.department_id else None
    payload: dict[str, Any] = {"department": code, "reason": report.routing_reason}
    record_event(session, "report.routed", report, payload)


STEP_FUNCTIONS = {
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
        # A report placed by its address hint was routed where it stands; its
        # position, and so its address, stays as processing left it.
        .where(Report.processing_state == "done", Report.address_approximate.is_(True), Report.processed_at < cutoff,
               Report.location_source != "address")
        .order_by(Report.processed_at)
        .limit(limit)
    ))


def enrich_address(session: Session, report_id: int, pipeline: Pipeline) -> bool:
    """Ask the geocoder again for a report whose address is approximate; True when it got an exact one.

    Raises nothing for an unreachable geocoder: the report keeps its
    approximate address and a later sweep tries again.
    """
    report = session.get(Report, report_id)
    if report is None or not report.address_approximate or report.location_source == "address":
        return False
    lat, lon = report.lat, report.lon
    session.commit()
    try:
        result = pipeline.geocoder.reverse(lat, lon)
    except GeocoderUnavailable:
        return False
    if result is None or result.approximate:
        return False
    # The service never deletes a report, so the one read above is still there.
    report = session.get_one(Report, report_id)
    ward = (report.address_parts or {}).get("ward")
    report.address, report.address_approximate = result.address, False
    report.address_parts = {**result.parts, **({"ward": ward} if ward and "ward" not in result.parts else {})}
    session.commit()
    return True


def report_geohash(lat: float, lon: float) -> str:
    return geohash_encode(lat, lon, GEOHASH_PRECISION)
