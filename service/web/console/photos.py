"""A report's photos for signed-in staff: the sharp derivatives, the original on request, and releasing a held photo.

The API serves the same files for a bearer key (service/api/staff.py); these
routes take the session instead, so an <img> on the report page can load them.
An original is shown only to roles that may see it and each fetch is audited,
as the API's. A photo awaiting review (its detector failed) is made public by a
manager who has looked at it: its regions are kept as they are and its public
derivatives rendered (domain/photo_regions.replace_regions, as the API's PUT).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from service.domain import access, photo_regions, photo_step
from service.domain.audit import audit
from service.extensions import db
from service.models import Photo, Staff
from service.photos.regions import Box
from service.storage.base import ObjectNotFound
from service.web.console import bp
from service.web.console.member import current_member
from service.web.console.report_page import stale_message, visible_report


def visible_photo(member: Staff, photo_id: str) -> Photo:
    """The photo, when its report is visible to ``member`` (404/403 as for the report's page)."""
    photo = db.session.scalar(select(Photo).where(Photo.public_id == photo_id))
    if photo is None:
        abort(404)
    visible_report(member, photo.report.public_id)
    return photo


def _image(key: str | None, content_type: str) -> Response:
    if key is None:
        abort(404)
    try:
        data = current_app.extensions["photo_store"].get(key)
    except ObjectNotFound:
        abort(404)
    response = current_app.response_class(data, mimetype=content_type)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/photos/<string:photo_id>/<any(large, thumb):size>")
def photo_derivative(photo_id: str, size: str) -> Response:
    """A sharp derivative, even of a hidden photo or one awaiting review: staff judge what the public will see."""
    photo = visible_photo(current_member(), photo_id)
    if photo.state == "rejected":
        abort(404)
    return _image(photo.large_key if size == "large" else photo.thumb_key, photo.large_content_type or "image/jpeg")


@bp.get("/photos/<string:photo_id>/original")
def photo_original(photo_id: str) -> Response:
    member = current_member()
    photo = visible_photo(member, photo_id)
    if not access.can_see_original(member):
        abort(403)
    response = _image(photo.original_key, photo.content_type)
    audit(db.session(), member, "photo.original_viewed", "photo", photo.public_id, after={"report": photo.report.public_id})
    db.session.commit()
    return response


@bp.post("/photos/<string:photo_id>/release")
def photo_release(photo_id: str) -> Response:
    member = current_member()
    photo = visible_photo(member, photo_id)
    back = url_for("staff_web.report_page", public_id=photo.report.public_id)
    if not access.can_moderate(member):
        abort(403)
    if request.form.get("regions_version") != str(photo.regions_version):
        flash(stale_message(), "error")
        return redirect(back, 303)
    kept = [photo_regions.WantedRegion(Box(region.left, region.top, region.width, region.height), region.kind, region.id)
            for region in photo.active_regions()]
    store = current_app.extensions["photo_store"]
    try:
        obsolete = photo_regions.replace_regions(db.session(), photo, member, kept, store,
                                                 photo_step.PhotoSettings(max_pixels=current_app.config["MAX_IMAGE_PIXELS"]))
    except photo_regions.RegionsRefused:
        db.session.rollback()
        flash(_("この写真は公開できる状態ではありません。"), "error")
        return redirect(back, 303)
    except (ObjectNotFound, photo_step.StoreUnavailable):
        db.session.rollback()
        flash(_("写真の保存先に接続できないため、公開できませんでした。もう一度操作してください。"), "error")
        return redirect(back, 303)
    db.session.commit()
    for key in obsolete:
        store.delete(key)
    flash(_("写真を公開しました。"), "info")
    return redirect(back, 303)
