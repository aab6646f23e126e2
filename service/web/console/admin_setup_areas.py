"""Areas of the admin's jurisdiction (/staff/admin/areas): the list, and importing a file after a preview on a map.

An upload is planned with :func:`service.domain.jurisdictions.plan_areas`, the dry
run of ``machikoe areas import`` and the admin API's /areas/import, and shown:
what would be added or replaced, the repairs made, the areas lying outside the
jurisdiction, drawn over its boundary (static/console/admin_setup_areas.js). With
htmx the upload and the import post in place: the preview takes the place of the
areas page's main part and its map is drawn on the swapped content. The
file waits in the data directory under a random name until the admin confirms;
then it is planned again and written by :func:`service.domain.admin.import_layer`,
audited as the API's import is.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from shapely.geometry import mapping
from sqlalchemy import select
from werkzeug.wrappers import Response

from service.domain import admin as setup
from service.domain import jurisdictions, outlines
from service.domain.jurisdictions import AreaPlan, SetupError
from service.extensions import db
from service.models import Area, Jurisdiction, Staff
from service.web.console import bp
from service.web.console.admin import ADMINS, admin_page
from service.web.console.admin_confirm import Question, confirm_page
from service.web.console.admin_setup_forms import Errors, Field, current_admin, owned, page
from service.web.signin import staff_required

TEMPLATE = "staff/admin/setup_areas.html"
PREVIEW = "staff/admin/setup_area_preview.html"
FIELDS = (
    Field("layer", _l("レイヤー"), hint=_l("取り込む先の名前。半角英小文字・数字・「_」「-」（例: ward, park）。同じレイヤーで同じコードの区域は置き換えます。")),
    Field("name_property", _l("名前の属性"), hint=_l("区域の名前が入っている属性の名前（空欄なら自動で探します）。")),
    Field("code_property", _l("コードの属性"), hint=_l("区域のコードが入っている属性の名前（空欄なら自動で探します）。")),
)
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
# An upload not confirmed within a day is removed at the next preview.
KEEP_SECONDS = 24 * 3600

admin_page("staff_web.admin_areas", _l("区域"), _l("区・公園などの区域の一覧と、境界ファイルの取り込み"), _l("自治体の設定"))


def _areas(admin: Staff) -> list[Area]:
    return list(db.session.scalars(select(Area).where(Area.jurisdiction_id == admin.jurisdiction_id)
                                   .order_by(Area.layer, Area.code)))


def _render(admin: Staff, *, values: dict[str, str] | None = None, errors: Errors | None = None,
            status: int = 200) -> Response:
    return page(TEMPLATE, status, areas=_areas(admin), fields=FIELDS, values=values or {}, errors=errors or {},
                labels={"file": _("境界ファイル"), **{f.name: f.label for f in FIELDS}})


@bp.get("/admin/areas")
@staff_required(*ADMINS)
def admin_areas() -> Response:
    return _render(current_admin())


def _uploads() -> Path:
    folder = Path(current_app.config["DATA_DIR"]) / "area-imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _stash(admin: Staff, data: bytes, options: dict[str, str | None]) -> str:
    folder = _uploads()
    now = time.time()
    for old in folder.iterdir():
        if now - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (folder / f"{admin.jurisdiction_id}-{token}.upload").write_bytes(data)
    (folder / f"{admin.jurisdiction_id}-{token}.json").write_text(json.dumps(options))
    return token


def _stashed(admin: Staff, token: str) -> tuple[bytes, dict[str, str | None]]:
    """The file and options of an upload of this jurisdiction; 404 when there is none (confirmed, expired, another's)."""
    if not TOKEN.match(token):
        abort(404)
    base = _uploads() / f"{admin.jurisdiction_id}-{token}"
    try:
        return base.with_suffix(".upload").read_bytes(), json.loads(base.with_suffix(".json").read_text())
    except FileNotFoundError:
        abort(404)


def _drop(admin: Staff, token: str) -> None:
    base = _uploads() / f"{admin.jurisdiction_id}-{token}"
    for suffix in (".upload", ".json"):
        base.with_suffix(suffix).unlink(missing_ok=True)


def _plan(admin: Staff, data: bytes, options: dict[str, str | None], *, force: bool) -> AreaPlan:
    jurisdiction = db.session.get_one(Jurisdiction, admin.jurisdiction_id)
    return jurisdictions.plan_areas(db.session(), jurisdiction, data, layer=options["layer"] or "",
                                    name_property=options.get("name_property"),
                                    code_property=options.get("code_property"), force=force)


def _outside(plan: AreaPlan) -> list[jurisdictions.PlannedArea]:
    return [a for a in plan.areas if a.share_inside < jurisdictions.MIN_SHARE_INSIDE]


@bp.post("/admin/areas/preview")
@staff_required(*ADMINS)
def admin_area_preview() -> Response:
    admin = current_admin()
    values = {f.name: request.form.get(f.name, "").strip() for f in FIELDS}
    errors: Errors = {}
    for f in FIELDS[1:]:
        if len(values[f.name]) > 100:
            errors[f.name] = [_("%(high)s文字以内で入力してください。", high=100)]
    files = [f for f in request.files.getlist("file") if f.filename]
    if len(files) != 1:
        errors["file"] = [_("GeoJSON か、Shapefile を ZIP にまとめたファイルを一つ選んでください。")]
    if errors:
        return _render(admin, values=values, errors=errors, status=422)
    data = files[0].read()
    options: dict[str, str | None] = {"layer": values["layer"], "name_property": values["name_property"] or None,
                                      "code_property": values["code_property"] or None, "filename": files[0].filename}
    try:
        # Planned with force, so the preview shows the areas lying outside instead of refusing at the first.
        plan = _plan(admin, data, options, force=True)
    except SetupError as exc:
        message = str(exc)
        field = "layer" if message.startswith("a layer name") else "file"
        shown = _("半角の英小文字・数字・「_」「-」で50文字まで、英小文字か数字で始めてください。") if field == "layer" else message
        return _render(admin, values=values, errors={field: [shown]}, status=422)
    if not plan.areas:
        return _render(admin, values=values, errors={"file": [_("ファイルに取り込める区域がありません。")]}, status=422)
    token = _stash(admin, data, options)
    return _preview(token, options, plan)


def _preview(token: str, options: dict[str, str | None], plan: AreaPlan, *, error: str | None = None,
             status: int = 200) -> Response:
    new, replaced = plan.counts
    shown = page(PREVIEW, status, token=token, options=options, plan=plan, new=new, replaced=replaced,
                outside={a.code for a in _outside(plan)}, error=error,
                jurisdiction_name=db.session.get_one(Jurisdiction, current_admin().jurisdiction_id).name_ja,
                preview_url=url_for("staff_web.admin_area_preview_shapes", token=token),
                tile_url=current_app.config["MAP_TILE_URL"], attribution=current_app.config["MAP_TILE_ATTRIBUTION"])
    if "HX-Request" in request.headers:
        # Swapped in after a post: the address stays the areas page's, which a reload can show.
        shown.headers["HX-Push-Url"] = "false"
    return shown


@bp.get("/admin/areas/preview/<string:token>.geojson")
@staff_required(*ADMINS)
def admin_area_preview_shapes(token: str) -> Response:
    """The jurisdiction's boundary and the planned areas, each marked new, replace or outside."""
    admin = current_admin()
    data, options = _stashed(admin, token)
    try:
        plan = _plan(admin, data, options, force=True)
    except SetupError:
        abort(404)
    boundary = [f for f in outlines.jurisdiction_outlines(db.session(), admin.jurisdiction_id)["features"]
                if f["properties"]["kind"] == "jurisdiction"]
    features = [{"type": "Feature", "geometry": mapping(a.geometry),
                 "properties": {"kind": "outside" if a.share_inside < jurisdictions.MIN_SHARE_INSIDE
                                else "replace" if a.replaces else "new", "code": a.code, "name": a.name_ja}}
                for a in plan.areas]
    response = jsonify({"type": "FeatureCollection", "features": boundary + features})
    response.mimetype = "application/geo+json"
    return response


@bp.post("/admin/areas/import")
@staff_required(*ADMINS)
def admin_area_import() -> Response:
    admin = current_admin()
    token = request.form.get("token", "")
    data, options = _stashed(admin, token)
    force = "force" in request.form
    try:
        plan = _plan(admin, data, options, force=force)
    except SetupError as exc:
        plan = _plan(admin, data, options, force=True)
        return _preview(token, options, plan, status=422, error=_(
            "区域の一部が自治体の外にあるため、取り込みませんでした。このまま取り込むには「自治体の外にある区域も取り込む」を選んでください。")
            if _outside(plan) else str(exc))
    created, updated = setup.import_layer(db.session(), admin, b"", layer=plan.layer,
                                          name_property=options.get("name_property"), plan=plan)
    _drop(admin, token)
    flash(_("レイヤー「%(layer)s」に%(total)d件の区域を取り込みました（新規%(created)d件、置き換え%(updated)d件）。",
            layer=plan.layer, total=created + updated, created=created, updated=updated), "info")
    return redirect(url_for("staff_web.admin_areas"), 303)


@bp.get("/admin/areas/<int:area_id>/delete")
@staff_required(*ADMINS)
def admin_area_delete_question(area_id: int) -> str:
    area = owned(Area, current_admin(), id=area_id)
    rules = setup.area_rules(db.session(), area)
    consequences = [_("区域「%(name)s」（%(layer)s:%(code)s）を削除します。", name=area.name_ja, layer=area.layer, code=area.code),
                    _("この区域を使う振り分けルール%(n)d件も削除します。", n=len(rules)) if rules
                    else _("この区域を使う振り分けルールはありません。"),
                    _("削除は取り消せません。")]
    return confirm_page(Question(_("区域「%(name)s」を削除しますか", name=area.name_ja), consequences,
                                 url_for("staff_web.admin_area_delete", area_id=area_id), _("この区域を削除する"),
                                 url_for("staff_web.admin_areas")))


@bp.post("/admin/areas/<int:area_id>/delete")
@staff_required(*ADMINS)
def admin_area_delete(area_id: int) -> Response:
    admin = current_admin()
    area = owned(Area, admin, id=area_id)
    name = area.name_ja
    setup.delete_area(db.session(), admin, area)
    flash(_("区域「%(name)s」と、それを使うルールを削除しました。", name=name), "info")
    return redirect(url_for("staff_web.admin_areas"), 303)


