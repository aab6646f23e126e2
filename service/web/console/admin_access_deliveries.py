"""Deliveries (``/staff/admin/deliveries``): what was sent to subscribers and residents, dead letters first, replayed.

The list and the replay are the API's (``/deliveries``, ``/replay``): the same
domain functions, audited ``delivery.replay``; a worker is asked to send each
replayed delivery once the replay is committed. With htmx the filter, the pager
and the replay swap the list in place (``staff/admin/in_place.html``); a replay
answers with the list and its outcome, and the address stays the list's.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from service.domain import deliveries
from service.domain.resident_mail import FOLLOWER, REPORTER
from service.extensions import db
from service.jobs import jobs
from service.web.console import bp
from service.web.console.admin import ADMINS, admin_page
from service.web.console.admin_access_audit import swapped
from service.web.console.admin_access_forms import PAGE_SIZE, page_number, page_url, pages
from service.web.console.member import current_member
from service.web.signin import staff_required

admin_page("staff_web.admin_deliveries", _l("配信の状況"), _l("通知の配信と、届かなかった配信の再送"), _l("利用者と接続"))

RECIPIENT_LABELS = {REPORTER: _l("住民へのメール（通報者）"), FOLLOWER: _l("住民へのメール（フォローしている人）")}
STATE_LABELS = {"pending": _l("送信待ち"), "delivered": _l("配信済み"), "failed": _l("失敗（再送待ち）")}
# As many deliveries as one replay of the selected takes: a page of them.
MAX_SELECTED = PAGE_SIZE


def _list(status: int = 200, error: str | None = None, notice: str | None = None) -> tuple[str, int]:
    state = request.args.get("state") or None
    if state is not None and state not in deliveries.STATES:
        state, status, error = None, swapped(400), _("不明な状態です。")
    page = page_number()
    found = deliveries.delivery_page(db.session(), current_member(), state=state, page=page, page_size=PAGE_SIZE,
                                     failed_first=True)
    return render_template("staff/admin/access_deliveries.html", rows=found.rows, total=found.total, page=page,
                           pages=pages(found.total), state=state, states=deliveries.STATES, state_labels=STATE_LABELS,
                           recipient_labels=RECIPIENT_LABELS,
                           error=error, notice=notice, page_url=page_url("staff_web.admin_deliveries")), status


@bp.get("/admin/deliveries")
@staff_required(*ADMINS)
def admin_deliveries() -> tuple[str, int]:
    return _list()


@bp.post("/admin/deliveries/replay")
@staff_required(*ADMINS)
def admin_deliveries_replay() -> Response | tuple[str, int]:
    """Replay the delivery of the button pressed (``one``), or every one ticked (``selected``)."""
    admin = current_member()
    one = request.form.get("one")
    wanted = [one] if one else list(dict.fromkeys(request.form.getlist("selected")))
    if not wanted:
        return _list(422, _("再送する配信を選んでください。"))
    if len(wanted) > MAX_SELECTED:
        return _list(422, _("一度に再送できるのは%(n)d件までです。", n=MAX_SELECTED))
    rows = [deliveries.find(db.session(), admin, uid) for uid in wanted]
    failed = [row[0] for row in rows if row is not None and row[0].state == "failed"]
    if len(failed) != len(wanted):
        return _list(409, _("選んだ配信の中に、見つからないものか、失敗していないものがあります。一覧を読み込み直してください。"))
    for delivery in failed:
        deliveries.replay(db.session(), admin, delivery)
    for delivery in failed:
        jobs.deliver(delivery.id)
    done = _("%(n)d件の配信を再送に回しました。", n=len(failed))
    if "HX-Request" in request.headers:
        response = make_response(_list(notice=done))
        response.headers["HX-Push-Url"] = "false"
        return response
    flash(done, "status")
    return redirect(url_for("staff_web.admin_deliveries", state=request.args.get("state") or None,
                            page=request.args.get("page") or None), 303)
