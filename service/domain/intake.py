"""Intake: a resident's report is checked and stored in one transaction.

Heavy work (derivatives, geocoding, routing) is left to the processing job;
intake only decodes photo headers, finds the jurisdiction and writes the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from service.domain import idempotency, resident_mail, tokens
from service.domain.attributes import AttributeRefused, checked_answers
from service.domain.business_days import due_at
from service.domain.coverage import coverage
from service.domain.events import record_event
from service.domain.idempotency import IdempotencyKey
from service.domain.originals import discard_originals, original_key
from service.domain.processing import report_geohash
from service.models import HistoryEntry, Photo, RemoteMedia, Report
from service.models.types import utcnow
from service.photos.inspect import PhotoInfo
from service.photos.metadata import read_private_metadata
from service.storage.base import PhotoStore


class IntakeError(Exception):
    """Base of the errors a resident can fix by changing the request."""


class OutsideCoverage(IntakeError):
    message_en = "This location is outside the areas served. Please contact the municipality directly."
    message_ja = "この場所は受付対象の区域外です。お手数ですが、該当する自治体へ直接ご連絡ください。"


class UnknownCategory(IntakeError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class MissingLocation(IntakeError):
    message_en = "Give lat and lon, a photo with its GPS position, or an address_hint we can place."
    message_ja = "位置情報（緯度・経度）、位置情報付きの写真、または場所がわかる住所を指定してください。"


class InvalidAttributes(IntakeError):
    """An answer to the category's extra questions is refused (see :mod:`service.domain.attributes`)."""

    def __init__(self, refused: AttributeRefused) -> None:
        super().__init__(refused.message)
        self.code = refused.code
        self.field = refused.field
        self.message = refused.message


class IdempotencyConflict(IntakeError):
    """The Idempotency-Key was used before, from the same device or client, for a different request."""


@dataclass(frozen=True)
class UploadedPhoto:
    data: bytes
    info: PhotoInfo


@dataclass(frozen=True)
class IntakeResult:
    report: Report
    tracking_token: str | None
    created: bool


def submit_report(
    session: Session,
    store: PhotoStore,
    *,
    fields: dict[str, Any],
    photos: list[UploadedPhoto],
    idempotency_key: IdempotencyKey | None,
    secret: str,
    locate: Callable[[str], tuple[float, float] | None] = lambda hint: None,
    year_end_break: bool = True,
    source: str = "app",
    api_client_id: int | None = None,
    reporter_account_id: str | None = None,
    media_urls: Sequence[str] = (),
    now: datetime | None = None,
    created_details: dict[str, Any] | None = None,
    language: str | None = None,
) -> IntakeResult:
    """Store a new report, or answer a retried one (see :mod:`service.domain.idempotency`).

    Without ``lat``/``lon`` the report is placed by the first photo's EXIF
    GPS position, else by ``locate(address_hint)``. ``media_urls`` (checked
    by the caller) are recorded for a worker to fetch, in the same transaction.
    ``created_details`` go into the staff-only details of the creation entry.

    Raises :class:`MissingLocation`, :class:`OutsideCoverage`,
    :class:`UnknownCategory`, :class:`InvalidAttributes` or
    :class:`IdempotencyConflict`; nothing is
    written when they are raised.
    """
    now = now or utcnow()
    request_fingerprint = tokens.fingerprint(fields, [p.info.sha256 for p in photos])
    stored = idempotency.stored_key(secret, idempotency_key, request_fingerprint) if idempotency_key else None
    # A retried request is rare: it is not looked for first, but found when
    # the unique Idempotency-Key refuses the new row, or when the request
    # is refused now although its first copy was accepted.
    try:
        lat, lon, location_source = _position(fields, photos, locate)
        jurisdiction_id = coverage.jurisdiction_at(session, lon, lat)
        if jurisdiction_id is None:
            raise OutsideCoverage()
        category = coverage.category(session, jurisdiction_id, fields["category"])
        if category is None:
            raise UnknownCategory(fields["category"])
        try:
            answers = checked_answers(category.attributes, fields.get("attributes") or {})
        except AttributeRefused as exc:
            raise InvalidAttributes(exc) from None
    except (MissingLocation, OutsideCoverage, UnknownCategory, InvalidAttributes):
        if (existing := _replay(session, idempotency_key, stored, request_fingerprint, secret, now)) is not None:
            return existing
        raise

    # Each photo's original is an object of its own, written before the report.
    # A request rolled back for its Idempotency-Key deletes them again; one
    # that fails otherwise may have committed, so they stay (unnamed, they are
    # only unused bytes).
    photo_ids = [tokens.new_public_id() for _ in photos]
    keys = [original_key(photo.info, photo_id) for photo, photo_id in zip(photos, photo_ids, strict=True)]
    for photo, key in zip(photos, keys, strict=True):
        store.put(key, photo.data, photo.info.content_type)

    reporter = fields.get("reporter") or {}
    # A second attempt is made only when the key was held by a report whose key has expired.
    for attempt in (1, 2):
        public_id = tokens.new_public_id()
        token = (
            tokens.derived_tracking_token(secret, public_id, idempotency_key.key) if idempotency_key else tokens.new_tracking_token()
        )
        report = Report(
            public_id=public_id,
            jurisdiction_id=jurisdiction_id,
            category_id=category.id,
            description=fields["description"],
            lat=lat,
            lon=lon,
            location_source=location_source,
            geohash=report_geohash(lat, lon),
            accuracy_m=fields.get("accuracy_m"),
            address_hint=fields.get("address_hint"),
            attributes=answers,
            reporter_name=reporter.get("name"),
            reporter_email=reporter.get("email"),
            reporter_phone=reporter.get("phone"),
            # Mail needs an address and the explicit opt-in.
            reporter_email_updates=bool(reporter.get("email") and reporter.get("email_updates")),
            reporter_language=language,
            device_id=fields.get("device_id"),
            tracking_token_hash=tokens.hash_token(token),
            idempotency_key=stored,
            request_fingerprint=request_fingerprint,
            status="received",
            processing_state="pending",
            created_at=now,
            first_response_due_at=due_at(now, category.first_response_days, year_end_break=year_end_break),
            resolution_due_at=due_at(now, category.resolution_days, year_end_break=year_end_break),
            source=source,
            api_client_id=api_client_id,
            reporter_account_id=reporter_account_id,
        )
        session.add(report)
        for position, photo in enumerate(photos):
            session.add(
                Photo(
                    public_id=photo_ids[position],
                    report=report,
                    position=position,
                    content_hash=photo.info.sha256,
                    content_type=photo.info.content_type,
                    byte_size=photo.info.byte_size,
                    width=photo.info.width,
                    height=photo.info.height,
                    original_key=keys[position],
                    state="stored",
                )
            )
        session.add(HistoryEntry(report=report, kind="created", actor_type="resident", to_status="received",
                                 details=created_details or {}))
        session.add_all(RemoteMedia(report=report, url=url, state="pending") for url in media_urls)
        received = record_event(session, "report.received", report, {"category": category.code})
        # The token is in hand only now: the confirmation's delivery is written with it, sealed.
        confirmation = resident_mail.confirmation(received, report, token, secret, now)
        if confirmation is not None:
            session.add(confirmation)
        try:
            session.flush()
            report_id = report.id
            session.commit()
            break
        except IntegrityError:
            session.rollback()
            # A copy of this request was accepted before (a retry, or a race the other one won).
            retrying = False
            try:
                if (existing := _replay(session, idempotency_key, stored, request_fingerprint, secret, now)) is not None:
                    return existing
                retrying = attempt == 1 and stored is not None and idempotency.release_expired(session, stored, now)
                if retrying:
                    continue
                raise
            finally:
                # Rolled back, and no attempt follows: no photo will name these originals.
                if not retrying:
                    discard_originals(store, keys)
    # The commit expired the report, and the answer reads only these columns,
    # whose values are known: putting them back spares reloading the report
    # with its joined category, department and jurisdiction (boundary and
    # all), its photos and its history. Any other column still loads on use.
    for name, value in (("id", report_id), ("public_id", public_id), ("status", "received"), ("created_at", now)):
        set_committed_value(report, name, value)
    return IntakeResult(report=report, tracking_token=token, created=True)


def _position(
    fields: dict[str, Any], photos: list[UploadedPhoto], locate: Callable[[str], tuple[float, float] | None]
) -> tuple[float, float, str]:
    if fields.get("lat") is not None and fields.get("lon") is not None:
        return fields["lat"], fields["lon"], "device"
    for photo in photos:
        metadata = read_private_metadata(photo.data)
        if metadata.lat is not None and metadata.lon is not None:
            return metadata.lat, metadata.lon, "photo"
    hint = fields.get("address_hint")
    if hint:
        placed = locate(hint)
        if placed is not None:
            return placed[0], placed[1], "address"
    raise MissingLocation()


def _replay(session: Session, key: IdempotencyKey | None, stored: str | None, request_fingerprint: str, secret: str,
            now: datetime) -> IntakeResult | None:
    """The answer of an accepted request with this key from this scope; None without one, or when it has expired.

    Raises :class:`IdempotencyConflict` when the key came with another request.
    """
    if key is None or stored is None:
        return None
    report = session.scalar(select(Report).where(Report.idempotency_key == stored))
    if report is None or idempotency.expired(report.created_at, now):
        return None
    if report.request_fingerprint != request_fingerprint:
        raise IdempotencyConflict()
    return IntakeResult(report=report, tracking_token=tokens.derived_tracking_token(secret, report.public_id, key.key),
                        created=False)
