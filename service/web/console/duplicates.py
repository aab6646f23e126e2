"""Merging duplicates (/staff/reports/<id>/duplicates): the report beside each candidate, with distance, time apart and photos.

Merging marks the report a duplicate (重複) of the candidate chosen, which
becomes its primary; managers and admins merge, as in the API, and the form
carries the report's ETag like every form of the report page.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from service import clock
from service.domain import access, report_lists, workflow
from service.domain import status as statuses
from service.domain.audit import audit
from service.domain.triage import snapshot
from service.extensions import db
from service.models import Report
from service.web.console import bp
from service.web.console.member import current_member
from service.web.console.report_messages import workflow_refusal
from service.web.console.report_page import stale_message, visible_report
from service.web.locale import page_language


@bp.get("/reports/<string:public_id>/duplicates")
def duplicates(public_id: str, status: int = 200, error: str | None = None) -> tuple[str, int]:
    member = current_member()
    report = visible_report(member, public_id)
    return render_template("staff/duplicates.html", report=report, candidates=report_lists.candidates(db.session(), report),
                           etag=workflow.etag(report), can_merge=access.can_route(member),
                           status_label=lambda code: statuses.label(code, page_language()), time_apart=time_apart,
                           error=error), status


def time_apart(report: Report, candidate: Report) -> str:
    """How long before or after the report the candidate came in, in the largest whole unit that fits."""
    seconds = (candidate.created_at - report.created_at).total_seconds()
    minutes = round(abs(seconds) / 60)
    if minutes == 0:
        return _("ほぼ同時の受付")
    if minutes < 60:
        span = _("%(n)d分", n=minutes)
    elif minutes < 48 * 60:
        span = _("%(n)d時間", n=minutes // 60)
    else:
        span = _("%(n)d日", n=minutes // (24 * 60))
    return _("%(span)s前の受付", span=span) if seconds <= 0 else _("%(span)s後の受付", span=span)


@bp.post("/reports/<string:public_id>/duplicates")
def merge(public_id: str) -> Response | tuple[str, int]:
    member = current_member()
    report = visible_report(member, public_id)
    if not access.can_route(member):
        return duplicates(public_id, 403, _("重複の統合は課長と管理者が行います。"))
    if request.form.get("etag") != workflow.etag(report):
        return duplicates(public_id, 409, stale_message())
    primary = next((c for c, _distance in report_lists.candidates(db.session(), report)
                    if c.public_id == request.form.get("primary")), None)
    if primary is None:
        return duplicates(public_id, 422, _("統合先を候補から選んでください。"))
    before = snapshot(report)
    try:
        workflow.transition(db.session(), report, workflow.Actor.of(member), to="duplicate", duplicate_of=primary,
                            public_reply=request.form.get("public_reply", "").strip() or None, now=clock.now())
    except workflow.WorkflowError as exc:
        db.session.rollback()
        return duplicates(public_id, 409, workflow_refusal(exc))
    audit(db.session(), member, "report.transition", "report", report.public_id, before, snapshot(report))
    db.session.commit()
    flash(_("%(id)sに統合しました。", id=primary.public_id), "info")
    return redirect(url_for("staff_web.report_page", public_id=public_id), 303)
