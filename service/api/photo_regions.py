"""Staff: the regions of a photo that its public derivatives blur."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from schemas.common import ProblemSchema
from schemas.regions import RegionsInSchema, RegionsSchema
from service.api.auth import SECURITY, current_staff, require
from service.api.problems import abort
from service.api.staff import PROBLEMS, visible_photo
from service.domain import access, photo_regions, photo_step
from service.domain.photo_regions import WantedRegion
from service.extensions import db
from service.models import Photo, Staff
from service.photos.regions import Box
from service.storage.base import ObjectNotFound
from service.timefmt import iso_tokyo

blp = Blueprint("photo_regions", __name__, url_prefix="/api/v1/staff/photos",
                description="Staff: regions blurred in a photo's public derivatives")

WRITE_PROBLEMS = {**PROBLEMS, **{code: {"description": text, "content": {"application/problem+json": {"schema": ProblemSchema}}}
                                 for code, text in {409: "The photo has no derivatives to blur (yet)",
                                                    412: "The regions changed since you read them (stale If-Match)",
                                                    422: "Invalid regions",
                                                    503: "The photo store is unavailable; nothing was changed"}.items()}}
IF_MATCH = [{"in": "header", "name": "If-Match", "schema": {"type": "string", "minLength": 1, "pattern": "\\S"}, "required": False,
             "description": "the ETag of the regions as last read"}]


@blp.route("/<string:photo_id>/regions")
class PhotoRegions(MethodView):
    @blp.response(200, RegionsSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.doc(security=SECURITY, responses=PROBLEMS)
    def get(self, photo_id: str):
        """The photo's regions, active and removed, with who drew or removed them."""
        photo = visible_photo(photo_id, current_staff())
        return _regions(photo), 200, {"ETag": _etag(photo)}

    @blp.arguments(RegionsInSchema)
    @blp.response(200, RegionsSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.doc(security=SECURITY, responses=WRITE_PROBLEMS, parameters=IF_MATCH)
    def put(self, body: dict[str, Any], photo_id: str):
        """Set the regions to blur (managers and admins), releasing a photo awaiting review; public derivatives are made before the answer."""
        staff = current_staff()
        require(access.can_moderate(staff), "Only managers and admins moderate photos.")
        photo = visible_photo(photo_id, staff)
        wanted = request.headers.get("If-Match")
        if wanted is not None and wanted.strip() not in ("*", _etag(photo)):
            abort(412, "Someone else changed this photo's regions since you read them; read them again.", etag=_etag(photo))
        regions = [WantedRegion(Box(item["left"], item["top"], item["width"], item["height"]), item["kind"], item.get("id"))
                   for item in body["regions"]]
        store = current_app.extensions["photo_store"]
        try:
            obsolete = photo_regions.replace_regions(db.session(), photo, staff, regions, store,
                                                     photo_step.PhotoSettings(max_pixels=current_app.config["MAX_IMAGE_PIXELS"]))
        except photo_regions.RegionsRefused as exc:
            db.session.rollback()
            abort(409 if exc.conflict else 422, str(exc), errors={"regions": [str(exc)]})
        except ObjectNotFound:
            db.session.rollback()
            abort(409, "The photo's derivative is missing from the store, so it cannot be blurred.")
        except photo_step.StoreUnavailable:
            db.session.rollback()
            abort(503, "The photo store is unavailable; the regions were not changed. Try again.")
        db.session.commit()
        for key in obsolete:
            store.delete(key)
        db.session.refresh(photo)
        return _regions(photo), 200, {"ETag": _etag(photo)}


def _etag(photo: Photo) -> str:
    return f'"regions-{photo.regions_version}"'


def _regions(photo: Photo) -> dict[str, Any]:
    names = _staff_names(photo)
    ordered = sorted(photo.regions, key=lambda region: (region.removed_at is not None, region.id))
    return {"photo": photo.public_id, "version": photo.regions_version, "regions": [
        {"id": region.id, "left": region.left, "top": region.top, "width": region.width, "height": region.height,
         "kind": region.kind, "source": region.source, "score": region.score,
         "created_by": names.get(region.created_by_id), "created_at": iso_tokyo(region.created_at),
         "removed": region.removed_at is not None, "removed_by": names.get(region.removed_by_id),
         "removed_at": iso_tokyo(region.removed_at)}
        for region in ordered]}


def _staff_names(photo: Photo) -> dict[int | None, str]:
    ids = {region.created_by_id for region in photo.regions} | {region.removed_by_id for region in photo.regions}
    ids.discard(None)
    if not ids:
        return {}
    return {staff.id: staff.name for staff in db.session.scalars(select(Staff).where(Staff.id.in_(ids)))}
