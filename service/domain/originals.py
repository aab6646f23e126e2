"""Photo originals in the store: each photo's own object, and its deletion.

Each photo owns its original, so deleting one (retention, erasure, or the photo
step when originals are not kept) never races a new report that sends the same
picture. Originals stored before were named by their content alone and may be
shared by two photos; they are deleted only once no photo names them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Photo
from service.photos.inspect import PhotoInfo
from service.storage.base import PhotoStore

log = logging.getLogger(__name__)


def original_key(info: PhotoInfo, photo_id: str) -> str:
    """Where a photo's original is kept: an object of its own, named by its content and by the photo."""
    return f"originals/{info.sha256[:2]}/{info.sha256}-{photo_id}.{info.extension}"


def discard_originals(store: PhotoStore, keys: Sequence[str]) -> None:
    """Delete originals that no photo names: those of a request rolled back; a failure is only logged."""
    for key in keys:
        try:
            store.delete(key)
        except Exception as exc:  # noqa: BLE001  (an object left behind is harmless; the answer must not change)
            log.warning("could not delete an unused original: %s", type(exc).__name__)


def delete_unnamed(session: Session, store: PhotoStore, keys: Iterable[str]) -> None:
    """Delete these originals, after the commit that stopped naming them, except those a photo still names.

    Deleting an absent object is no error, so a run repeated after a crash is harmless.
    """
    wanted = set(keys)
    if not wanted:
        return
    still_named = set(session.scalars(select(Photo.original_key).where(Photo.original_key.in_(wanted))))
    for key in sorted(wanted - still_named):
        store.delete(key)
