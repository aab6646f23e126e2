"""The Open311 client systems (``/staff/admin/clients``): listed, added with a key shown once, revoked."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from service.domain import api_clients
from service.extensions import db
from service.models import ApiClient, Jurisdiction
from service.web.console import bp
from service.web.console.admin import ADMINS, admin_page
from service.web.console.admin_access_forms import PAGE_SIZE, page_number, page_url, pages
from service.web.console.admin_confirm import Question, confirm_page, refusal_page
from service.web.console.member import current_member
from service.web.signin import staff_required

admin_page("staff_web.admin_clients", _l("APIクライアント"), _l("Open311で通報を送るシステムとそのキー"), _l("利用者と接続"))


def _list(status: int = 200, errors: dict[str, str] | None = None, name: str = "",
          created: tuple[ApiClient, str] | None = None) -> tuple[str, int]:
    admin, page = current_member(), page_number()
    clients, total = api_clients.client_page(db.session(), admin.jurisdiction_id, page=page, page_size=PAGE_SIZE)
    return render_template("staff/admin/access_clients.html", clients=clients, total=total, page=page, pages=pages(total), page_url=page_url("staff_web.admin_clients"), errors=errors or {},
                           name=name, created=created), status


@bp.get("/admin/clients")
@staff_required(*ADMINS)
def admin_clients() -> tuple[str, int]:
    return _list()


@bp.post("/admin/clients")
@staff_required(*ADMINS)
def admin_clients_create() -> tuple[str, int]:
    admin = current_member()
    name = request.form.get("name", "").strip()
    if not name or len(name) > 200:
        return _list(422, {"name": _("名前を200文字以内で入力してください。")}, name)
    # A staff member's jurisdiction is a required foreign key, so it exists.
    code = db.session.get_one(Jurisdiction, admin.jurisdiction_id).code
    client, key = api_clients.create_client(db.session(), name=name, jurisdiction_code=code, admin=admin)
    return _list(201, created=(client, key))


@bp.get("/admin/clients/<int:client_id>/revoke")
@staff_required(*ADMINS)
def admin_clients_revoke_question(client_id: int) -> str:
    client = api_clients.find(db.session(), current_member().jurisdiction_id, client_id)
    if client is None:
        raise NotFound()
    back = url_for("staff_web.admin_clients")
    heading = _("「%(name)s」のキーを失効させますか", name=client.name)
    if client.revoked_at is not None:
        return refusal_page(heading, [_("このキーはすでに失効しています。")], back)
    return confirm_page(Question(heading, [
        _("このキー（%(prefix)s…）で送られてくる通報は、すぐに受け付けなくなります。", prefix=client.key_prefix),
        _("取り消せません。続けるには、新しいクライアントを追加してキーを渡し直してください。")],
        url_for("staff_web.admin_clients_revoke", client_id=client.id), _("失効させる"), back))


@bp.post("/admin/clients/<int:client_id>/revoke")
@staff_required(*ADMINS)
def admin_clients_revoke(client_id: int) -> Response:
    admin = current_member()
    client = api_clients.find(db.session(), admin.jurisdiction_id, client_id)
    if client is None:
        raise NotFound()
    api_clients.revoke_client(db.session(), admin, client)
    flash(_("「%(name)s」のキーを失効させました。", name=client.name), "status")
    return redirect(url_for("staff_web.admin_clients"), 303)
