"""Public photo derivatives, served with their real content type."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from service.api.problems import abort
from service.extensions import db
from service.models import Photo, Report
from service.storage.base import ObjectNotFound

blp = Blueprint("photos", __name__, url_prefix="/api/v1/photos", description="Public photo derivatives")


@blp.route("/<string:photo_id>/<any(large, thumb):size>", endpoint="photo_file")
class PhotoFile(MethodView):
    @blp.doc(responses={200: {"description": "The image", "content": {"image/jpeg": {}, "image/webp": {}}},
                        404: {"description": "No such public photo"}})
    def get(self, photo_id: str, size: str):
        """A photo's large or thumbnail derivative (metadata removed). Originals are never public."""
        row = db.session.execute(
            select(Photo, Report.hidden).join(Report, Photo.report_id == Report.id).where(Photo.public_id == photo_id)
        ).first()
        if row is None:
            abort(404, "No photo has this id.")
        photo, report_hidden = row
        key = photo.large_key if size == "large" else photo.thumb_key
        if report_hidden or photo.hidden or photo.state != "ready" or key is None:
            abort(404, "No photo has this id.")
        try:
            data = current_app.extensions["photo_store"].get(key)
        except ObjectNotFound:
            abort(404, "No photo has this id.")
        response = current_app.response_class(data, mimetype=photo.large_content_type or "image/jpeg")
        response.headers["Cache-Control"] = "public, max-age=86400"
        return response
