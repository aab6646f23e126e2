"""Public photo derivatives, served with their real content type."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from service.api.contract import with_character_rule
from service.api.problems import abort
from service.extensions import db
from service.models import Photo, Report
from service.storage.base import ObjectNotFound

blp = Blueprint("photos", __name__, url_prefix="/api/v1/photos", description="Public photo derivatives")


VERSION = [{"in": "query", "name": "v", "schema": with_character_rule({"type": "string", "maxLength": 20}, line=True), "required": False,
            "description": "the version of the photo's blurred regions, as in the photo URLs of a report"}]


@blp.route("/<string:photo_id>/<any(large, thumb):size>", endpoint="photo_file")
class PhotoFile(MethodView):
    @blp.doc(parameters=VERSION,
             responses={200: {"description": "The image", "content": {"image/jpeg": {}, "image/webp": {}}},
                        304: {"description": "Not modified since the ETag sent"},
                        404: {"description": "No such public photo"}})
    def get(self, photo_id: str, size: str):
        """A photo's large or thumbnail derivative (metadata removed, faces and plates blurred). Originals are never public."""
        row = db.session.execute(
            select(Photo, Report.hidden).join(Report, Photo.report_id == Report.id).where(Photo.public_id == photo_id)
        ).first()
        if row is None:
            abort(404, "No photo has this id.")
        photo, report_hidden = row
        key = photo.public_large_key if size == "large" else photo.public_thumb_key
        if report_hidden or photo.hidden or photo.state != "ready" or key is None:
            abort(404, "No photo has this id.")
        try:
            data = current_app.extensions["photo_store"].get(key)
        except ObjectNotFound:
            abort(404, "No photo has this id.")
        response = current_app.response_class(data, mimetype=photo.large_content_type or "image/jpeg")
        version = str(photo.regions_version)
        # A URL with the current version always names the same pixels, so it
        # may be kept; any other URL of the photo (an old version, or none)
        # is checked again on every use, so a region blurred later reaches
        # every viewer at once instead of after a day in their caches.
        current = request.args.get("v") == version
        response.headers["Cache-Control"] = "public, max-age=86400, immutable" if current else "public, no-cache"
        response.set_etag(f"{photo.public_id}-{version}-{size}")
        return response.make_conditional(request)
