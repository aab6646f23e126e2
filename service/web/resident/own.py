"""The reporter's own view of a report, and the rating form once it is resolved.

The confirmation links to ``/reports/<id>/own#t=TOKEN``: a fragment is never
sent to the server, so the tracking token stays out of server logs, and the
pages' ``Referrer-Policy: same-origin`` keeps it from other sites. A small
script (static/resident/own.js) posts the token and drops the fragment;
without JavaScript the resident pastes it into a form. Either way the answer
is a short-lived HttpOnly cookie for this report's pages only, holding a
signed report id, never the token.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.wrappers import Response as BaseResponse

from schemas.report import RatingSchema
from service import clock
from service.api import presenters
from service.api.limits import Budget, address_key, counting_refusals, within
from service.api.resident import _report_to_show
from service.domain import tokens
from service.domain.feedback import RatingNotAllowed, rate
from service.domain.report_stamp import report_stamp
from service.extensions import db
from service.models import Report
from service.web.locale import page_language
from service.web.resident import bp
from service.web.resident.report_cookie import ReportCookie
from service.web.resident.sites import site_for

R = TypeVar("R", bound=BaseResponse)
OWN_REPORT = ReportCookie("own_report", "resident-own-report")
RATING_FIELDS = RatingSchema()


@bp.get("/reports/<string:report_id>/own")
def own_report(report_id: str) -> Response:
    if report_stamp(db.session(), report_id) is None:
        abort(404)
    if not OWN_REPORT.opens(report_id):
        body = render_template("resident/own_open.html", site=_site_of(report_id), report_id=report_id, refused=False)
        return private(current_app.response_class(body))
    return _own_page(report_id)


@bp.post("/reports/<string:report_id>/own")
def open_own_report(report_id: str) -> BaseResponse:
    stamp = report_stamp(db.session(), report_id)
    if stamp is None:
        abort(404)
    with counting_refusals("own-report"):
        if not tokens.token_matches(request.form.get("token", "").strip(), stamp.tracking_token_hash):
            body = render_template("resident/own_open.html", site=_site_of(report_id), report_id=report_id, refused=True)
            return private(current_app.response_class(body, status=403))
    response = redirect(url_for("resident_web.own_report", report_id=report_id), code=303)
    OWN_REPORT.give(response, report_id, f"/reports/{report_id}")
    return private(response)


@bp.post("/reports/<string:report_id>/rating")
def rate_report(report_id: str) -> Response:
    if not OWN_REPORT.opens(report_id):
        abort(403)
    outcome = record_rating(_report_to_show(report_id))
    if outcome != RATED:
        return _own_page(report_id, rating_error=True, status=outcome)
    return _own_page(report_id, rated=True)


# What record_rating answers when the rating was recorded; otherwise the status of the refusal.
RATED = 200


def record_rating(report: Report) -> int:
    """Rate ``report`` with the posted rating form and commit: :data:`RATED`, 422 for a form not filled, 409 when not allowed."""
    try:
        body = RATING_FIELDS.load({"score": int(request.form.get("score", "0") or 0), "fixed": request.form.get("fixed") == "yes",
                                   **({"comment": c} if (c := request.form.get("comment", "").strip()) else {})})
        if request.form.get("fixed") not in ("yes", "no"):
            raise ValidationError("fixed")
    except (ValueError, ValidationError):
        return 422
    with counting_refusals("ratings"), within([Budget("ratings", "RATE_LIMIT_RATINGS", address_key())]):
        try:
            rate(db.session(), report, score=body["score"], fixed=body["fixed"], comment=body.get("comment"),
                 window_days=current_app.config["RATING_WINDOW_DAYS"], now=clock.now())
        except RatingNotAllowed:
            db.session.rollback()
            return 409
        db.session.commit()
    return RATED


def _own_page(report_id: str, *, rating_error: bool = False, rated: bool = False, status: int = 200) -> Response:
    report = _report_to_show(report_id)
    view = presenters.report_own(report, page_language())
    # The rating the reporter gave last, so a return to the page shows it (a new one replaces it).
    rating = {"score": report.rating_score, "fixed": report.rating_fixed} if report.rating_score else None
    body = render_template("resident/own.html", site=site_for(current_app.config.get("RESIDENT_SITES_FILE", ""), view["jurisdiction"]),
                           report=view, rating_error=rating_error, rated=rated, rating=rating)
    return private(current_app.response_class(body, status=status))


def _site_of(report_id: str) -> Any:
    return site_for(current_app.config.get("RESIDENT_SITES_FILE", ""), _report_to_show(report_id).jurisdiction.code)


def private(response: R) -> R:
    response.headers["Cache-Control"] = "no-store"
    return response
