"""A report's other forms: priority, re-routing (managers) and moderation (hide the report or a photo, redact text).

Each is a plain form post to one route, told apart by ``action``, and goes
through the same domain functions as the API (report_edits.edit,
workflow.assign); like every form of the report page it carries the ETag read,
and a post on an older version is refused with what was typed kept.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from service import clock
from service.domain import access, report_edits, workflow
from service.domain.audit import audit
from service.domain.triage import snapshot
from service.extensions import db
from service.models import Department, Report, Staff
from service.web.console import bp
from service.web.console.member import current_member
from service.web.console.report_messages import edit_refusal, workflow_refusal
from service.web.console.report_page import elsewhere, refusal, render, visible_report

TYPED = ("priority", "category", "department", "route_reason", "description")


def _changes(report: Report, action: str) -> dict[str, Any] | None:
    """The changes of ``action`` as the API's PATCH takes them; None for an action this form does not know."""
    form = request.form
    if action == "priority":
        value = form.get("priority", "")
        return {"priority": int(value) if value.isdigit() else -1}
    if action == "category":
        return {"category": form.get("category", "")}
    if action == "hide":
        return {"hidden": form.get("hidden") == "1"}
    if action == "redact":
        return {"description": form.get("description", "").strip()}
    if action == "photos":
        hidden = set(form.getlist("hidden_photo"))
        return {"photos": [{"id": p.public_id, "hidden": p.public_id in hidden} for p in report.photos]}
    return None


def _reroute(member: Staff, report: Report) -> str | None:
    """Re-route to the department chosen; the refusal's message, or None when done."""
    if not access.can_route(member):
        return _("担当課の変更は課長と管理者が行います。")
    department = db.session.scalar(select(Department).where(Department.jurisdiction_id == report.jurisdiction_id,
                                                            Department.code == request.form.get("department", "")))
    if department is None:
        return _("担当課を選んでください。")
    try:
        workflow.assign(db.session(), report, workflow.Actor.of(member), department,
                        reason=request.form.get("route_reason", "").strip() or None, now=clock.now())
    except workflow.WorkflowError as exc:
        return workflow_refusal(exc)
    return None


@bp.post("/reports/<string:public_id>/edit")
def edit_report(public_id: str) -> Response | tuple[str, int]:
    member = current_member()
    report = visible_report(member, public_id)
    typed = {name: request.form.get(name, "").strip() for name in TYPED if name in request.form}
    refused = refusal(member, report)
    if refused:
        return render(member, report, refused[0], error=refused[1], **typed)
    action = request.form.get("action", "")
    before = snapshot(report)
    if action == "department":
        problem = _reroute(member, report)
        if problem is not None:
            db.session.rollback()
            return render(member, report, 422, error=problem, **typed)
    else:
        changes = _changes(report, action)
        if changes is None:
            return render(member, report, 422, error=_("この操作はできませんでした。"), **typed)
        try:
            report_edits.edit(db.session(), report, member, changes, clock.now())
        except report_edits.EditRefused as exc:
            db.session.rollback()
            return render(member, report, 403 if exc.forbidden else 422, error=edit_refusal(exc), **typed)
    audit(db.session(), member, "report.update", "report", report.public_id, before, snapshot(report))
    db.session.commit()
    flash(_("変更しました。"), "info")
    if access.visibility(member, report) is not access.Visibility.VISIBLE:
        # Re-routed out of the member's department: its page is closed to them now, so back to the inbox.
        flash(_("通報 %(id)sは担当の範囲から外れました。", id=public_id), "info")
        return elsewhere(url_for("staff_web.inbox"))
    return redirect(url_for("staff_web.report_page", public_id=public_id), 303)
