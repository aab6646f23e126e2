"""The staff API: triage of reports within the caller's jurisdiction and department."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import select

from schemas.common import ProblemSchema
from schemas.staff import (
    AssigneeSchema,
    AssignSchema,
    CommentSchema,
    ReportPatchSchema,
    StaffReportListSchema,
    StaffReportQuerySchema,
    StaffReportSchema,
    TransitionSchema,
)
from service import clock
from service.api import staff_presenters as present
from service.api.auth import SECURITY, current_staff, require
from service.api.contract import with_character_rule
from service.api.csv_files import csv_text
from service.api.language import preferred_language
from service.api.paging import page_links, parse_bbox, parse_statuses, wants_csv
from service.api.problems import abort
from service.domain import access, report_edits, report_lists, workflow
from service.domain.assignment import assign_member
from service.domain.audit import audit
from service.domain.triage import snapshot
from service.extensions import db
from service.geo.grid import haversine_m
from service.models import Department, Photo, Report, Staff
from service.privacy.view_audit import audit_contact_view, audit_export
from service.storage.base import ObjectNotFound
from service.timefmt import iso_tokyo

blp = Blueprint("staff", __name__, url_prefix="/api/v1/staff", description="Staff: triage, replies, re-routing, moderation")

PROBLEMS = {code: {"description": text, "content": {"application/problem+json": {"schema": ProblemSchema}}}
            for code, text in {401: "No or bad API key", 403: "Role or department does not allow it",
                               404: "No such report in your jurisdiction"}.items()}
WRITE_PROBLEMS = {**PROBLEMS, **{code: {"description": text, "content": {"application/problem+json": {"schema": ProblemSchema}}}
                                 for code, text in {409: "Not allowed in the report's status", 412: "Changed by someone else (stale If-Match)",
                                                    422: "Invalid fields"}.items()}}
IF_MATCH = [{"in": "header", "name": "If-Match", "schema": {"type": "string", "minLength": 1, "pattern": "\\S"}, "required": False,
             "description": "the ETag of the report as last read"}]


def visible_report(report_id: str, staff: Staff) -> Report:
    report = db.session.scalar(select(Report).where(Report.public_id == report_id))
    seen = access.visibility(staff, report) if report is not None else access.Visibility.HIDDEN
    if report is None or seen is access.Visibility.HIDDEN:
        abort(404, "No report has this id in your jurisdiction.")
    if seen is access.Visibility.FORBIDDEN:
        abort(403, "This report belongs to another department.")
    return report


def writable_report(report_id: str, allowed=access.can_write, detail: str = "Your role does not allow this.") -> tuple[Staff, Report]:
    """The caller and the report it may change: role first (403), then scope (404/403), then If-Match (412)."""
    staff = current_staff()
    require(allowed(staff), detail)
    report = visible_report(report_id, staff)
    check_if_match(report)
    return staff, report


def check_if_match(report: Report) -> None:
    """412 when If-Match names another version; an empty If-Match is a malformed header (400), not a mismatch."""
    wanted = request.headers.get("If-Match")
    if wanted is not None and not wanted.strip():
        abort(400, "If-Match is empty: send the ETag of the report as last read, or leave the header out.",
              errors={"If-Match": ["Empty."]})
    if wanted is not None and wanted.strip() not in ("*", workflow.etag(report)):
        abort(412, "Someone else changed this report since you read it; read it again.", etag=workflow.etag(report))


def apply_change(staff: Staff, report: Report, action: str, change) -> None:
    """Run a workflow change, audit it and commit; a refused change is rolled back and answered 409 or 422."""
    before = snapshot(report)
    try:
        change()
    except workflow.TransitionNotAllowed as exc:
        db.session.rollback()
        abort(409, str(exc), allowed=list(exc.allowed), errors={"to": [str(exc)]})
    except workflow.WorkflowError as exc:
        db.session.rollback()
        abort(422, str(exc), errors={exc.field or "_": [str(exc)]})
    audit(db.session(), staff, action, "report", report.public_id, before, snapshot(report))
    db.session.commit()


def full_response(report: Report, staff: Staff, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The staff view of a report; showing reporter contact is audited, like a change."""
    db.session.refresh(report)
    body = present.report_full(report, staff, preferred_language())
    if access.can_see_contact(staff) and audit_contact_view(db.session(), staff, report):
        db.session.commit()
    return body, status, {"ETag": workflow.etag(report)}


@blp.route("/reports")
class StaffReportCollection(MethodView):
    @blp.arguments(StaffReportQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, StaffReportListSchema, content_type="application/json")
    @blp.doc(security=SECURITY, responses={**PROBLEMS, 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self, page: int, page_size: int, sort: str, **filters: Any):
        """Reports of your jurisdiction (your department below admin), filtered, sorted and paged; CSV on request."""
        staff = current_staff()
        wanted = staff_filter(filters)
        now = clock.now()
        if filters.get("format") == "csv" or wants_csv():
            return _csv(report_lists.export_rows(db.session(), staff, wanted, now), staff)
        lat, lon = filters.get("lat"), filters.get("lon")
        near = report_lists.Near(lat, lon) if lat is not None and lon is not None else None
        page_size = min(page_size, 500)
        found = report_lists.staff_page(db.session(), staff, wanted, now, sort=sort, page=page, page_size=page_size, near=near)
        counts = report_lists.row_counts(db.session(), [r.id for r in found.rows])
        language = preferred_language()
        items = [present.report_summary(r, language, haversine_m(near.lat, near.lon, r.lat, r.lon) if near else None,
                                        counts.get(r.id, report_lists.RowCounts()))
                 for r in found.rows]
        return {"items": items, "page": page, "page_size": page_size, "total": found.total,
                "links": page_links("staff.StaffReportCollection", page, page_size, found.total)}


def staff_filter(args: dict[str, Any]) -> report_lists.StaffFilter:
    """The list filter of parsed query arguments (StaffReportQuerySchema); a bad bbox or status is a 422."""
    return report_lists.staff_filter({**args, "status": parse_statuses(args["status"]) if args.get("status") else (),
                                      "bbox": parse_bbox(args["bbox"]) if args.get("bbox") else None})


@blp.route("/reports/<string:report_id>")
class StaffReportItem(MethodView):
    @blp.response(200, StaffReportSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @blp.doc(security=SECURITY, responses=PROBLEMS)
    def get(self, report_id: str):
        """Everything about a report: contact, photos (original by signed URL), full history, routing, candidates."""
        staff = current_staff()
        return full_response(visible_report(report_id, staff), staff)

    @blp.arguments(ReportPatchSchema)
    @blp.response(200, StaffReportSchema)
    @blp.doc(security=SECURITY, responses=WRITE_PROBLEMS, parameters=IF_MATCH)
    def patch(self, changes: dict[str, Any], report_id: str):
        """Priority, category correction (re-routes), and moderation: hide the report or a photo, redact text."""
        staff, report = writable_report(report_id)
        before = snapshot(report)
        try:
            report_edits.edit(db.session(), report, staff, changes, clock.now())
        except report_edits.EditRefused as exc:
            db.session.rollback()
            if exc.forbidden:
                abort(403, str(exc))
            abort(422, str(exc), errors={exc.field or "_": [str(exc)]})
        audit(db.session(), staff, "report.update", "report", report.public_id, before, snapshot(report))
        db.session.commit()
        return full_response(report, staff)


@blp.route("/reports/<string:report_id>/transitions")
class StaffTransition(MethodView):
    @blp.arguments(TransitionSchema)
    @blp.response(201, StaffReportSchema)
    @blp.doc(security=SECURITY, responses=WRITE_PROBLEMS, parameters=IF_MATCH)
    def post(self, body: dict[str, Any], report_id: str):
        """Change the status, with an optional public reply and internal note."""
        staff, report = writable_report(report_id)
        if body["to"] == "duplicate":
            require(access.can_route(staff), "Only managers and admins merge duplicates.")
        primary = None
        if body.get("duplicate_of"):
            primary = db.session.scalar(select(Report).where(Report.public_id == body["duplicate_of"],
                                                             Report.jurisdiction_id == staff.jurisdiction_id))
            if primary is None:
                abort(422, "No report with this id in your jurisdiction.", errors={"duplicate_of": ["Unknown report."]})
        apply_change(staff, report, "report.transition", lambda: workflow.transition(
            db.session(), report, workflow.Actor.of(staff), to=body["to"], public_reply=body.get("public_reply"),
            internal_note=body.get("internal_note"), reason=body.get("reason"), forwarded_to=body.get("forwarded_to"),
            duplicate_of=primary, now=clock.now()))
        return full_response(report, staff, 201)


@blp.route("/reports/<string:report_id>/comments")
class StaffComment(MethodView):
    @blp.arguments(CommentSchema)
    @blp.response(201, StaffReportSchema)
    @blp.doc(security=SECURITY, responses=WRITE_PROBLEMS, parameters=IF_MATCH)
    def post(self, body: dict[str, Any], report_id: str):
        """A public reply or an internal note, without a status change."""
        staff, report = writable_report(report_id)
        apply_change(staff, report, "report.comment", lambda: workflow.comment(
            db.session(), report, workflow.Actor.of(staff), public_reply=body.get("public_reply"),
            internal_note=body.get("internal_note"), now=clock.now()))
        return full_response(report, staff, 201)


@blp.route("/reports/<string:report_id>/assign")
class StaffAssign(MethodView):
    @blp.arguments(AssignSchema)
    @blp.response(200, StaffReportSchema)
    @blp.doc(security=SECURITY, responses=WRITE_PROBLEMS, parameters=IF_MATCH)
    def post(self, body: dict[str, Any], report_id: str):
        """Re-route the report to another department of the jurisdiction (managers and admins)."""
        staff, report = writable_report(report_id, access.can_route, "Only managers and admins re-route reports.")
        department = db.session.scalar(select(Department).where(Department.jurisdiction_id == staff.jurisdiction_id,
                                                                 Department.code == body["department"]))
        if department is None:
            abort(422, "No such department in your jurisdiction.", errors={"department": ["Unknown department."]})
        apply_change(staff, report, "report.assign", lambda: workflow.assign(
            db.session(), report, workflow.Actor.of(staff), department, reason=body.get("reason"), now=clock.now()))
        return full_response(report, staff)


@blp.route("/reports/<string:report_id>/assignee")
class StaffAssignee(MethodView):
    @blp.arguments(AssigneeSchema)
    @blp.response(200, StaffReportSchema)
    @blp.doc(security=SECURITY, responses=WRITE_PROBLEMS, parameters=IF_MATCH)
    def put(self, body: dict[str, Any], report_id: str):
        """Name the staff member working on the report (null: nobody); one of its department who may write."""
        staff, report = writable_report(report_id)
        member = None
        if body["staff"] is not None:
            member = db.session.scalar(select(Staff).where(Staff.id == body["staff"], Staff.jurisdiction_id == staff.jurisdiction_id))
            if member is None:
                abort(422, "No such staff member in your jurisdiction.", errors={"staff": ["Unknown staff member."]})
        apply_change(staff, report, "report.assignee", lambda: assign_member(db.session(), report, workflow.Actor.of(staff), member,
                                                                                    clock.now()))
        return full_response(report, staff)


@blp.route("/photos/<string:photo_id>/<any(large, thumb):size>", endpoint="derivative_photo")
class StaffDerivative(MethodView):
    @blp.doc(security=SECURITY, responses={200: {"description": "The image", "content": {"image/jpeg": {}, "image/webp": {}}}, **PROBLEMS})
    def get(self, photo_id: str, size: str) -> Response:
        """A derivative, even of a hidden photo or report, for staff who may see the report."""
        staff = current_staff()
        photo = visible_photo(photo_id, staff)
        key = photo.large_key if size == "large" else photo.thumb_key
        if key is None:
            abort(404, "This photo has no derivatives (yet).")
        return _image(key, photo.large_content_type or "image/jpeg", private=True)


@blp.route("/photos/<string:photo_id>/original", endpoint="original_photo")
class StaffOriginal(MethodView):
    @blp.doc(security=SECURITY,
             parameters=[{"in": "query", "name": "signature", "schema": with_character_rule({"type": "string"}, line=True),
                          "required": True}],
             responses={200: {"description": "The original as uploaded (with its metadata)",
                              "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}, "image/heic": {}}},
                        **PROBLEMS,
                        403: {"description": "Bad or expired link, or a link made for another staff member",
                              "content": {"application/problem+json": {"schema": ProblemSchema}}}})
    def get(self, photo_id: str) -> Response:
        """The private original, by a link from the staff report view: for its staff member's key, for a minute."""
        staff = current_staff()
        try:
            signed = present.original_signer().loads(request.args.get("signature", ""), max_age=present.ORIGINAL_URL_SECONDS)
        except SignatureExpired:
            abort(403, "This link has expired; read the report again for a new one.")
        except BadSignature:
            abort(403, "This link is not valid.")
        if signed != {"photo": photo_id, "staff": staff.id}:
            abort(403, "This link was not made for you; read the report for your own.")
        if not access.can_see_original(staff):
            abort(403, "Your role may not see original photos.")
        photo = visible_photo(photo_id, staff)
        if photo.original_key is None:
            abort(404, "No original is kept for this photo.")
        response = _image(photo.original_key, photo.content_type, private=True)
        audit(db.session(), staff, "photo.original_viewed", "photo", photo.public_id, after={"report": photo.report.public_id})
        db.session.commit()
        return response


def visible_photo(photo_id: str, staff: Staff) -> Photo:
    """The photo, when its report is visible to the caller (404/403 as for the report)."""
    photo = db.session.scalar(select(Photo).where(Photo.public_id == photo_id))
    if photo is None:
        abort(404, "No photo has this id in your jurisdiction.")
    visible_report(photo.report.public_id, staff)
    return photo


def _image(key: str, content_type: str, *, private: bool) -> Response:
    try:
        data = current_app.extensions["photo_store"].get(key)
    except ObjectNotFound:
        abort(404, "The photo file is missing.")
    response = current_app.response_class(data, mimetype=content_type)
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=86400"
    return response


def _csv(rows: Iterator[tuple[Any, ...]], staff: Staff) -> Response:
    response = Response(stream_with_context(csv_text(present.CSV_COLUMNS, _audited_cells(rows, staff))), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="reports.csv"'
    return response


def _audited_cells(rows: Iterator[tuple[Any, ...]], staff: Staff) -> Iterator[list[Any]]:
    """The export's cells; once they are out (or the client has gone), one audit row lists the reports sent."""
    sent: list[str] = []
    try:
        for row in rows:
            sent.append(row[0])
            yield [row[0], iso_tokyo(row[1]), iso_tokyo(row[2]), *row[3:]]
    finally:
        audit_export(db.session(), staff, sent, "reports.csv")
        db.session.commit()
