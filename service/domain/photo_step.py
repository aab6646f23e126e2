"""The photo step of processing: private metadata read, derivatives made and stored.

Every photo gets sharp derivatives, which staff see. Its public derivatives
are the same files while the photo has no active region, and blurred copies,
under keys of their own, once it has one (service.photos.blur).

With a detector, a photo is published in two moves. Processing makes the
sharp derivatives and routes the report; the photo then waits, unpublished,
``awaiting_detection``, until :func:`check` has looked for faces and plates
and made its public derivatives. The check is the costlier half of the work
and nothing waits for it but publication, so workers take it after the
reports still to be routed (workers.tasks): a burst of reports is routed at
the pace of the cheap half, and their photos follow.

The work on the pixels (decoding, resizing, encoding, writing to the store)
touches no database row, so it runs in a thread of its own while the other
steps of the same report query the database: Pillow and the store release
the GIL, and the report is finished in about the time of its photos alone.
What the work found is then written onto the photo rows by the caller's
thread, in the caller's transaction.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image

from service.models import Photo, PhotoRegion, Report
from service.photos import MAX_PIXELS
from service.photos.blur import blurred
from service.photos.derivatives import Derivative, PhotoRejected, encode_derivatives, upright_large
from service.photos.detection import Detection, Detector
from service.photos.metadata import PhotoMetadata, read_private_metadata
from service.photos.regions import Box
from service.storage.base import ObjectNotFound, PhotoStore

log = logging.getLogger(__name__)

# A photo whose detector failed: its sharp derivatives exist for staff, and
# nothing is public until staff have looked and released it.
AWAITING_REVIEW = "awaiting_review"
# A photo with its sharp derivatives, not yet looked at by the detector: nothing is public yet.
AWAITING_DETECTION = "awaiting_detection"


class StoreUnavailable(RuntimeError):
    """The photo store failed to read or write for a reason that may pass."""


@dataclass(frozen=True)
class PhotoSettings:
    """How derivatives are made: the output format, the same pixel limit as intake, and the detector.

    With no ``detector`` (the operator reviews every photo by hand) public
    derivatives blur only the regions staff draw.
    """

    image_format: str = "JPEG"
    max_pixels: int = MAX_PIXELS
    detector: Detector | None = None


@dataclass(frozen=True)
class PhotoJob:
    """What the work needs of a photo row, so that it never touches the row itself."""

    photo_id: int
    public_id: str
    original_key: str
    regions: tuple[Box, ...] = ()
    regions_version: int = 0


@dataclass(frozen=True)
class PhotoOutcome:
    photo_id: int
    state: str  # "ready", "awaiting_detection", "awaiting_review" or "rejected"
    reject_reason: str | None = None
    metadata: PhotoMetadata | None = None
    large_key: str | None = None
    thumb_key: str | None = None
    content_type: str | None = None
    public_large_key: str | None = None
    public_thumb_key: str | None = None


def photo_state(report: Report) -> str:
    """How far the report's photos have come, in one word that every view shows.

    ``none``: the report has no photo; ``pending``: at least one photo is still
    waiting for its derivatives, for the detector or for staff to review it;
    ``incomplete``: every photo has been worked on
    and at least one was rejected, so the report is shown with fewer photos
    than were sent; ``complete``: every photo has its derivatives.
    """
    states = [photo.state for photo in report.photos]
    if not states:
        return "none"
    if "stored" in states or AWAITING_DETECTION in states or AWAITING_REVIEW in states:
        return "pending"
    return "incomplete" if "rejected" in states else "complete"


def rejected_photos(report: Report) -> list[tuple[int, str]]:
    """The position (from 0, in the order sent) and reason of every photo that was rejected after intake."""
    return [(photo.position, photo.reject_reason or "rejected") for photo in report.photos if photo.state == "rejected"]


def jobs_for(report: Report) -> list[PhotoJob]:
    """The report's photos still waiting for their derivatives."""
    return [PhotoJob(photo.id, photo.public_id, photo.original_key, boxes(photo), photo.regions_version)
            for photo in report.photos if photo.state == "stored" and photo.original_key is not None]


def boxes(photo: Photo) -> tuple[Box, ...]:
    """The boxes of the photo's active regions, the ones its public derivatives blur."""
    return tuple(Box(region.left, region.top, region.width, region.height) for region in photo.active_regions())


def render(job: PhotoJob, store: PhotoStore, settings: PhotoSettings) -> PhotoOutcome:
    """Read the original, keep its private metadata, make and store the derivatives.

    With a detector the photo comes back ``awaiting_detection``, with no
    public derivatives until :func:`check` has run; without one its public
    derivatives are made at once (blurred where staff drew regions). Raises
    :class:`StoreUnavailable` when the store fails; a photo that is not a
    decodable image comes back rejected with the reason.
    """
    try:
        original = store.get(job.original_key)
    except ObjectNotFound:
        return PhotoOutcome(job.photo_id, "rejected", "the original is missing from the store")
    except OSError as exc:
        raise StoreUnavailable(f"photo store: {type(exc).__name__}") from exc
    metadata = read_private_metadata(original)
    try:
        large = upright_large(original, image_format=settings.image_format, max_pixels=settings.max_pixels)
    except PhotoRejected as exc:
        return PhotoOutcome(job.photo_id, "rejected", exc.reason, metadata)
    sharp = encode_derivatives(large, image_format=settings.image_format)
    extension = _extension(sharp.large.content_type)
    # Keys depend only on the photo, so a repeated run overwrites rather than duplicates.
    large_key = f"derivatives/{job.public_id}/large.{extension}"
    thumb_key = f"derivatives/{job.public_id}/thumb.{extension}"
    items = [(large_key, sharp.large), (thumb_key, sharp.thumb)]
    state = "ready"
    public_large_key: str | None = large_key
    public_thumb_key: str | None = thumb_key
    if settings.detector is not None:
        state, public_large_key, public_thumb_key = AWAITING_DETECTION, None, None
    elif job.regions:
        public = encode_derivatives(blurred(large, job.regions), image_format=settings.image_format)
        public_large_key, public_thumb_key = _blurred_keys(job.public_id, job.regions_version, extension)
        items += [(public_large_key, public.large), (public_thumb_key, public.thumb)]
    _put_all(store, items)
    return PhotoOutcome(job.photo_id, state, None, metadata, large_key, thumb_key, sharp.large.content_type,
                        public_large_key, public_thumb_key)


def check(photo: Photo, store: PhotoStore, settings: PhotoSettings) -> None:
    """Let the detector look at a photo ``awaiting_detection``, then publish it.

    What the detector finds becomes the photo's regions, and the public
    derivatives are made with them blurred (:func:`render_public`). A photo
    whose detector failed goes to ``awaiting_review`` instead, unpublished.
    The detector sees the sharp large derivative: the picture it would have
    seen during processing, once more through the JPEG encoder. Raises
    :class:`StoreUnavailable` when the store fails.
    """
    if photo.state != AWAITING_DETECTION or photo.large_key is None:
        raise ValueError("the photo is not awaiting detection")
    try:
        sharp = store.get(photo.large_key)
    except OSError as exc:
        raise StoreUnavailable(f"photo store: {type(exc).__name__}") from exc
    image_format = "WEBP" if photo.large_content_type == "image/webp" else "JPEG"
    large = upright_large(sharp, image_format=image_format, max_pixels=settings.max_pixels)
    detections, state = _detect(photo.public_id, large, settings.detector)
    if state == AWAITING_REVIEW:
        photo.state = AWAITING_REVIEW
        return
    for found in detections:
        photo.regions.append(PhotoRegion(left=found.box.left, top=found.box.top, width=found.box.width,
                                         height=found.box.height, kind=found.kind, source="detector",
                                         score=found.score))
    photo.public_large_key, photo.public_thumb_key = render_public(photo, store, settings)
    photo.state = "ready"


def _detect(public_id: str, large: Image.Image, detector: Detector | None) -> tuple[tuple[Detection, ...], str]:
    """What the detector found in the large picture, and the photo's state: held back when it failed."""
    if detector is None:
        return (), "ready"
    try:
        return tuple(detector(large)), "ready"
    # Whatever went wrong (a missing model, a broken runtime, a bug), a photo
    # nobody has checked for faces must not be published sharp; it waits for staff.
    except Exception as exc:  # noqa: BLE001
        log.warning("photo %s awaits review: the detector failed (%s)", public_id, type(exc).__name__)
        return (), AWAITING_REVIEW


def render_public(photo: Photo, store: PhotoStore, settings: PhotoSettings) -> tuple[str, str]:
    """Make and store the public derivatives of a photo that has its sharp ones; return their keys.

    They are made from the original when it is kept, so that outside the
    regions they are the very pixels of the sharp derivatives, and otherwise
    from the sharp large derivative (one JPEG generation more), always in the
    format of the sharp ones. With no active region the public derivatives
    are the sharp files themselves. Raises :class:`StoreUnavailable` when the
    store fails, and :class:`ObjectNotFound` when the file to make them from
    is missing from it.
    """
    if photo.large_key is None or photo.thumb_key is None:
        raise ValueError("the photo has no derivatives yet")
    regions = boxes(photo)
    if not regions:
        return photo.large_key, photo.thumb_key
    image_format = "WEBP" if photo.large_content_type == "image/webp" else "JPEG"
    try:
        source = store.get(photo.original_key or photo.large_key)
    except OSError as exc:
        raise StoreUnavailable(f"photo store: {type(exc).__name__}") from exc
    large = upright_large(source, image_format=image_format, max_pixels=settings.max_pixels)
    public = encode_derivatives(blurred(large, regions), image_format=image_format)
    large_key, thumb_key = _blurred_keys(photo.public_id, photo.regions_version, _extension(public.large.content_type))
    _put_all(store, [(large_key, public.large), (thumb_key, public.thumb)])
    return large_key, thumb_key


def _blurred_keys(public_id: str, version: int, extension: str) -> tuple[str, str]:
    # The version is in the key so that a new set of regions never overwrites
    # the files the database still points at until the change is committed.
    return (f"derivatives/{public_id}/blurred-{version}/large.{extension}",
            f"derivatives/{public_id}/blurred-{version}/thumb.{extension}")


def _extension(content_type: str) -> str:
    return "webp" if content_type == "image/webp" else "jpg"


def _put_all(store: PhotoStore, items: list[tuple[str, Derivative]]) -> None:
    """Write the derivatives side by side; raises StoreUnavailable when a write fails.

    A store mostly waits (for the disk to confirm a write, or for S3), so
    the writes of one photo overlap instead of queueing behind each other.
    """
    with ThreadPoolExecutor(max_workers=len(items), thread_name_prefix="photo-put") as pool:
        writes = [pool.submit(store.put, key, derivative.data, derivative.content_type) for key, derivative in items]
    for write in writes:
        try:
            write.result()
        except OSError as exc:
            raise StoreUnavailable(f"photo store: {type(exc).__name__}") from exc


def record(report: Report, outcomes: list[PhotoOutcome], *, keep_originals: bool) -> list[str]:
    """Write the outcomes onto the report's photo rows; return the originals to delete after the commit."""
    by_id = {outcome.photo_id: outcome for outcome in outcomes}
    obsolete = []
    for photo in report.photos:
        outcome = by_id.get(photo.id)
        if outcome is None:
            continue
        if outcome.metadata is not None:
            photo.exif_lat, photo.exif_lon, photo.taken_at = outcome.metadata.lat, outcome.metadata.lon, outcome.metadata.taken_at
        photo.state, photo.reject_reason = outcome.state, outcome.reject_reason
        if outcome.state == "rejected":
            continue
        photo.large_key, photo.thumb_key = outcome.large_key, outcome.thumb_key
        photo.large_content_type = outcome.content_type
        photo.public_large_key, photo.public_thumb_key = outcome.public_large_key, outcome.public_thumb_key
        if not keep_originals:
            obsolete.append(photo.original_key)
            photo.original_key = None
    return obsolete


class Rendering:
    """The photo work of one report, under way in a thread of its own."""

    def __init__(self, jobs: list[PhotoJob], store: PhotoStore, settings: PhotoSettings) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="photo-step")
        self._future: Future[list[PhotoOutcome]] = self._pool.submit(
            lambda: [render(job, store, settings) for job in jobs])
        self._pool.shutdown(wait=False)

    def outcomes(self) -> list[PhotoOutcome]:
        """Wait for the work; raises what it raised."""
        return self._future.result()

    def wait(self) -> None:
        """Wait for the work without caring how it ended (the report's processing failed anyway)."""
        self._future.exception()
