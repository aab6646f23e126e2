"""A report's page (/staff/reports/<id>): what was sent, where it went and why, its history, and the forms that work it.

Each form carries the report's ETag as it was read; a post made on an older
version is refused with a conflict message and changes nothing, the same
rule as the API's If-Match. Replies can start from a response template (定型文)
chosen by the target status: picking one reloads the page with its text.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from service import clock
from service.domain import access, follows, outlines, report_lists, response_templates, workflow
from service.domain import status as statuses
from service.domain.audit import audit
from service.domain.sla import standing
from service.domain.triage import snapshot
from service.extensions import db
from service.models import Report, Staff
from service.privacy.view_audit import audit_contact_view
from service.web.console import bp
from service.web.console.member import current_member
from service.web.console.report_messages import workflow_refusal
from service.web.locale import page_language

# Merging is done from the duplicate candidates, where both reports are side by side.
FORM_TARGETS_LEFT_OUT = ("duplicate",)


def visible_report(member: Staff, public_id: str) -> Report:
    report = report_lists.find(db.session(), public_id)
    seen = access.visibility(member, report) if report is not None else access.Visibility.HIDDEN
    if report is None or seen is access.Visibility.HIDDEN:
        abort(404)
    if seen is access.Visibility.FORBIDDEN:
        abort(403)
    return report


def render(member: Staff, report: Report, status: int = 200, **form: Any) -> tuple[str, int]:
    language = page_language()
    targets = [t for t in statuses.allowed_targets(report.status) if t not in FORM_TARGETS_LEFT_OUT]
    # Templates by the status they lead to; picking one also picks its status.
    offered = [(code, response_templates.choices(db.session(), report, code)) for code in targets]
    picked = next((t for _code, found in offered for t in found if str(t.id) == request.args.get("template")), None)
    target = form.get("to") or (picked.status if picked and picked.status else request.args.get("to"))
    reply = form.get("public_reply") if "public_reply" in form else (response_templates.text(picked, language) if picked else "")
    names = report_lists.staff_names(db.session(), [h.actor_id for h in report.history] + [report.assignee_id])
    choices = report_lists.choices(db.session(), member)
    # Contact is shown only to roles that may see it, and each showing is audited like the API's view.
    contact = access.can_see_contact(member)
    if contact and audit_contact_view(db.session(), member, report):
        db.session.commit()
    return render_template(
        "staff/report.html", report=report, language=language, statuses=statuses.STATUSES, targets=targets,
        target=target if target in targets else None, offered=offered, picked=picked, reply=reply, form=form,
        names=names, members=choices.members, categories=choices.categories, departments=choices.departments, etag=workflow.etag(report), can_write=access.can_write(member),
        standing=standing(report, clock.now()), status_label=statuses.label(report.status, language),
        contact=contact, merged=report_lists.row_counts(db.session(), [report.id]).get(report.id, report_lists.RowCounts()).duplicates,
        followers=follows.follower_count(db.session(), report.id), map=location_map(report), can_see_original=access.can_see_original(member), can_moderate=access.can_moderate(member),
    ), status


def location_map(report: Report) -> dict[str, Any]:
    """What the page's small map draws: the ward outline around the report, and the tiles with their attribution."""
    return {"outline": outlines.report_outlines(db.session(), report), "tile_url": current_app.config["MAP_TILE_URL"],
            "attribution": current_app.config["MAP_TILE_ATTRIBUTION"]}


@bp.get("/reports/<string:public_id>")
def report_page(public_id: str) -> tuple[str, int]:
    member = current_member()
    return render(member, visible_report(member, public_id))


@bp.post("/reports/<string:public_id>/transition")
def transition(public_id: str) -> Response | tuple[str, int]:
    member = current_member()
    report = visible_report(member, public_id)
    fields = {name: request.form.get(name, "").strip() or None
              for name in ("to", "public_reply", "internal_note", "reason", "forwarded_to")}
    refused = refusal(member, report)
    if refused:
        return render(member, report, refused[0], error=refused[1], **fields)
    before = snapshot(report)
    try:
        workflow.transition(db.session(), report, workflow.Actor.of(member), to=fields["to"] or "",
                            public_reply=fields["public_reply"], internal_note=fields["internal_note"],
                            reason=fields["reason"], forwarded_to=fields["forwarded_to"], now=clock.now())
    except workflow.WorkflowError as exc:
        db.session.rollback()
        return render(member, report, 409 if isinstance(exc, workflow.TransitionNotAllowed) else 422, error=workflow_refusal(exc), **fields)
    audit(db.session(), member, "report.transition", "report", report.public_id, before, snapshot(report))
    db.session.commit()
    flash(_("状態を「%(status)s」にしました。", status=statuses.label(report.status, page_language())), "info")
    return redirect(url_for("staff_web.report_page", public_id=public_id), 303)


@bp.post("/reports/<string:public_id>/note")
def note(public_id: str) -> Response | tuple[str, int]:
    member = current_member()
    report = visible_report(member, public_id)
    fields = {name: request.form.get(name, "").strip() or None for name in ("public_reply", "internal_note")}
    refused = refusal(member, report)
    if refused:
        return render(member, report, refused[0], error=refused[1], failed="note", **fields)
    before = snapshot(report)
    try:
        workflow.comment(db.session(), report, workflow.Actor.of(member), public_reply=fields["public_reply"],
                         internal_note=fields["internal_note"], now=clock.now())
    except workflow.WorkflowError as exc:
        db.session.rollback()
        return render(member, report, 422, error=workflow_refusal(exc), failed="note", **fields)
    audit(db.session(), member, "report.comment", "report", report.public_id, before, snapshot(report))
    db.session.commit()
    flash(_("記録しました。"), "info")
    return redirect(url_for("staff_web.report_page", public_id=public_id), 303)


def elsewhere(url: str) -> Response:
    """Leave the report page for ``url``: a 303 for a plain post; for htmx, a whole-page visit (HX-Redirect), so the flashed message waits for it."""
    if request.headers.get("HX-Request") == "true":
        return Response(status=204, headers={"HX-Redirect": url})
    return redirect(url, 303)


def refusal(member: Staff, report: Report) -> tuple[int, str] | None:
    """Why a post must not change the report (status code, message), or None: role first, then the version read."""
    if not access.can_write(member):
        return 403, _("この操作をする権限がありません。")
    if request.form.get("etag") != workflow.etag(report):
        return 409, stale_message()
    return None


def stale_message() -> str:
    """What a clerk reads when their post was made on a version someone else has changed since."""
    return _("この通報は、あなたが開いた後に他の職員が更新しました。内容を確認してから、もう一度操作してください。")
