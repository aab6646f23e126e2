"""Staff decide which regions of a photo its public derivatives blur.

Staff send the whole set of regions they want active: regions already on the
photo by id (found by the detector or drawn earlier, possibly moved) and new
boxes without one. Every active region left out is removed, with who removed
it and when, so a detector's region that staff judged wrong stays on record.
A photo awaiting review (its detector failed) is released by this change,
even one that leaves its regions as they are: staff have looked at it.
The public derivatives of the photo are made again at once, in the request:
it is the work of one photo, and until it is done the public would still see
what staff have just asked to hide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from service import clock
from service.domain import photo_step
from service.domain.audit import audit
from service.models import Photo, PhotoRegion, Staff
from service.photos.regions import Box
from service.storage.base import PhotoStore

KINDS = ("face", "plate", "other")
# Photos whose sharp derivatives exist, from which the public ones are made.
RENDERED_STATES = ("ready", photo_step.AWAITING_REVIEW)


@dataclass(frozen=True)
class WantedRegion:
    """One region staff want active: an existing one by ``id``, or a new box when ``id`` is None."""

    box: Box
    kind: str = "other"
    id: int | None = None


class RegionsRefused(ValueError):
    """The change cannot be made; ``conflict`` when the photo's state forbids it (409), else the input is wrong (422)."""

    def __init__(self, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.conflict = conflict


def replace_regions(session: Session, photo: Photo, staff: Staff, wanted: list[WantedRegion],
                    store: PhotoStore, settings: photo_step.PhotoSettings) -> list[str]:
    """Make ``wanted`` the photo's active regions, render its public derivatives and audit the change.

    Returns the store keys the change leaves unused, to delete once the
    caller has committed. Nothing changes (and nothing is rendered) when the
    regions are already as wanted. Raises :class:`RegionsRefused`, and what
    :func:`photo_step.render_public` raises; the caller then rolls back.
    """
    if photo.state not in RENDERED_STATES:
        raise RegionsRefused(f"The photo is {photo.state}: regions can be changed once its derivatives are made.",
                             conflict=True)
    before = described(photo)
    now = clock.now()
    by_id = {region.id: region for region in photo.regions}
    kept: set[int] = set()
    for item in wanted:
        if item.kind not in KINDS:
            raise RegionsRefused(f"Unknown kind {item.kind!r}.")
        if item.id is None:
            photo.regions.append(PhotoRegion(left=item.box.left, top=item.box.top, width=item.box.width,
                                             height=item.box.height, kind=item.kind, source="staff",
                                             created_by_id=staff.id, created_at=now))
            continue
        region = by_id.get(item.id)
        if region is None:
            raise RegionsRefused(f"The photo has no region {item.id}.")
        if item.id in kept:
            raise RegionsRefused(f"Region {item.id} is listed twice.")
        kept.add(item.id)
        region.left, region.top, region.width, region.height = item.box.left, item.box.top, item.box.width, item.box.height
        region.kind = item.kind
        region.removed_at, region.removed_by_id = None, None
    for region in photo.regions:
        if region.id is not None and region.id not in kept and region.removed_at is None:
            region.removed_at, region.removed_by_id = now, staff.id
    session.flush()
    after = described(photo)
    released = photo.state == photo_step.AWAITING_REVIEW
    if after == before and not released:
        return []
    old_keys = {photo.public_large_key, photo.public_thumb_key}
    photo.regions_version += 1
    photo.public_large_key, photo.public_thumb_key = photo_step.render_public(photo, store, settings)
    photo.state = "ready"
    # Public photo links carry the regions' version: the report's public view (and its ETag) changes with them.
    photo.report.updated_at = now
    audit(session, staff, "photo.regions", "photo", photo.public_id, {"regions": before},
          {"regions": after, **({"released": True} if released else {})})
    in_use = {photo.large_key, photo.thumb_key, photo.public_large_key, photo.public_thumb_key}
    return sorted(key for key in old_keys - in_use if key is not None)


def described(photo: Photo) -> list[dict[str, Any]]:
    """The photo's active regions as the audit log keeps them."""
    return [{"id": region.id, "kind": region.kind, "source": region.source,
             "box": [region.left, region.top, region.width, region.height]}
            for region in photo.active_regions()]
