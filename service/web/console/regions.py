"""Redacting part of a photo (/staff/photos/<id>/regions): boxes to blur in its public derivatives.

A manager draws boxes on the sharp derivative (static/console/regions.js fills
the numeric fields as the box is drawn, and the fields alone do the same from
the keyboard), keeps or removes the boxes there already (a detector's or
staff's), and saves: domain/photo_regions.replace_regions, as the API's PUT,
renders the public derivatives again with the boxes blurred and leaves the
original as uploaded. The form carries the regions' version; a save made on an
older one is refused with what was typed kept.
"""

from __future__ import annotations

import math
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from service.domain import access, photo_regions, photo_step
from service.extensions import db
from service.models import Photo, Staff
from service.photos.regions import Box
from service.storage.base import ObjectNotFound
from service.web.console import bp
from service.web.console.member import current_member
from service.web.console.photos import visible_photo
from service.web.console.report_page import stale_message

SIDES = ("left", "top", "width", "height")
# As many new boxes as one save takes; the API bounds a photo's regions likewise.
MAX_NEW = 20


class BoxInvalid(ValueError):
    pass


def render(member: Staff, photo: Photo, status: int = 200, *, error: str | None = None,
           typed: list[dict[str, str]] | None = None, kept: set[int] | None = None) -> tuple[str, int]:
    active = photo.active_regions()
    return render_template(
        "staff/regions.html", photo=photo, report=photo.report, active=active,
        removed=[r for r in photo.regions if r.removed_at is not None],
        kept={r.id for r in active} if kept is None else kept, typed=typed or [],
        can_moderate=access.can_moderate(member), error=error,
        kinds={"face": _("顔"), "plate": _("ナンバープレート"), "other": _("その他")},
    ), status


@bp.get("/photos/<string:photo_id>/regions")
def photo_regions_page(photo_id: str) -> tuple[str, int]:
    member = current_member()
    return render(member, visible_photo(member, photo_id))


def _typed_boxes() -> list[dict[str, str]]:
    """The new boxes' fields as typed (percentages), without the rows left empty."""
    columns = [request.form.getlist(side) for side in SIDES]
    kinds = request.form.getlist("kind")
    rows = []
    for index, values in enumerate(zip(*columns, strict=False)):
        if any(v.strip() for v in values):
            rows.append({**dict(zip(SIDES, (v.strip() for v in values), strict=True)),
                         "kind": kinds[index] if index < len(kinds) else "other"})
    return rows[:MAX_NEW + 1]


def _box(row: dict[str, str]) -> Box:
    try:
        left, top, width, height = (float(row[side]) / 100 for side in SIDES)
    except ValueError as exc:
        raise BoxInvalid from exc
    if not all(math.isfinite(v) for v in (left, top, width, height)):
        raise BoxInvalid
    try:
        return Box(left, top, width, height)
    except ValueError as exc:
        raise BoxInvalid from exc


@bp.post("/photos/<string:photo_id>/regions")
def save_photo_regions(photo_id: str) -> Response | tuple[str, int]:
    member = current_member()
    photo = visible_photo(member, photo_id)
    typed = _typed_boxes()
    kept = {int(v) for v in request.form.getlist("keep") if v.isdigit()}
    again: dict[str, Any] = {"typed": typed, "kept": kept}
    if not access.can_moderate(member):
        return render(member, photo, 403, error=_("写真のぼかしは課長と管理者が行います。"), **again)
    if request.form.get("regions_version") != str(photo.regions_version):
        return render(member, photo, 409, error=stale_message(), **again)
    if len(typed) > MAX_NEW:
        return render(member, photo, 422, error=_("一度に加えられるぼかしは%(n)d箇所までです。", n=MAX_NEW), **again)
    try:
        new = [photo_regions.WantedRegion(_box(row), row["kind"]) for row in typed]
    except BoxInvalid:
        return render(member, photo, 422, error=_("ぼかしの位置と大きさは、写真の中に収まる0〜100の数（％）で入力してください。"), **again)
    wanted = [photo_regions.WantedRegion(Box(r.left, r.top, r.width, r.height), r.kind, r.id)
              for r in photo.active_regions() if r.id in kept] + new
    store = current_app.extensions["photo_store"]
    try:
        obsolete = photo_regions.replace_regions(db.session(), photo, member, wanted, store,
                                                 photo_step.PhotoSettings(max_pixels=current_app.config["MAX_IMAGE_PIXELS"]))
    except photo_regions.RegionsRefused:
        db.session.rollback()
        return render(member, photo, 409, error=_("この写真は、まだぼかしを変えられる状態ではありません。"), **again)
    except (ObjectNotFound, photo_step.StoreUnavailable):
        db.session.rollback()
        return render(member, photo, 503, error=_("写真の保存先に接続できないため、保存できませんでした。もう一度操作してください。"), **again)
    db.session.commit()
    for key in obsolete:
        store.delete(key)
    flash(_("ぼかしを保存しました。公開用の写真を作り直しました。"), "info")
    return redirect(url_for("staff_web.photo_regions_page", photo_id=photo.public_id), 303)
