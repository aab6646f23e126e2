"""What a worker does with a report, for tests that stand in for it: process it, then check its photos."""

from __future__ import annotations

from service.domain import photo_step, processing
from service.models import Photo
from service.storage.base import PhotoStore


def processed_by_worker(session, report_id: int, pipeline: processing.Pipeline) -> bool:
    """Process the report as the process job does, then run the photo check that job sends; True when processing finished it."""
    finished = processing.process(session, report_id, pipeline)
    if finished and pipeline.settings.photo_detection:
        processing.check_photos(session, report_id, pipeline)
    return finished


def checked_photo(job: photo_step.PhotoJob, store: PhotoStore, settings: photo_step.PhotoSettings) -> Photo:
    """A photo row (never stored) rendered from ``job`` and then checked, as processing and the photo check leave it."""
    outcome = photo_step.render(job, store, settings)
    photo = Photo(public_id=job.public_id, original_key=job.original_key, state=outcome.state,
                  large_key=outcome.large_key, thumb_key=outcome.thumb_key, large_content_type=outcome.content_type,
                  public_large_key=outcome.public_large_key, public_thumb_key=outcome.public_thumb_key,
                  regions_version=job.regions_version)
    if photo.state == photo_step.AWAITING_DETECTION:
        photo_step.check(photo, store, settings)
    return photo
