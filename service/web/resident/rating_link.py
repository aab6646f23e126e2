"""The rating form a rating invitation links to, opened by the mail's reference alone.

The invitation links to ``/reports/<id>/rate#r=REFERENCE``
(:func:`service.domain.resident_mail.rating_reference`). As with the
reporter's own view, the reference sits in the fragment, which is sent neither
to the server nor in a Referer; static/resident/own.js hands it to the page's
form and drops it from the address bar, and without JavaScript the resident
pastes it. A valid reference gives a short-lived HttpOnly cookie for this
report's rating pages only, holding a signed report id. The page shows the
public view of the report and the rating form, nothing the resident sent
privately.
"""

from __future__ import annotations

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from service import clock
from service.api import presenters
from service.api.limits import counting_refusals
from service.domain import resident_mail
from service.domain.public_report import public_report
from service.domain.report_stamp import report_stamp
from service.extensions import db
from service.models import Report
from service.web.locale import page_language
from service.web.resident import bp
from service.web.resident.own import RATED, private, record_rating
from service.web.resident.report_cookie import ReportCookie
from service.web.resident.sites import site_for

# A cookie of its own: it opens the rating form, never the reporter's own view.
RATING_FORM = ReportCookie("rate_report", "resident-rating-link")


@bp.get("/reports/<string:report_id>/rate")
def rating_page(report_id: str) -> Response:
    stamp = report_stamp(db.session(), report_id)
    if stamp is None or stamp.hidden:
        abort(404)
    if not RATING_FORM.opens(report_id):
        return _open_page(report_id, refused=False)
    return _rating_page(report_id)


@bp.post("/reports/<string:report_id>/rate/open")
def open_rating(report_id: str) -> BaseResponse:
    stamp = report_stamp(db.session(), report_id)
    if stamp is None or stamp.hidden:
        abort(404)
    with counting_refusals("rating-link"):
        report = resident_mail.report_to_rate(db.session(), current_app.config["SECRET_KEY"], report_id,
                                              request.form.get("reference", ""), clock.now(),
                                              current_app.config["RATING_WINDOW_DAYS"])
        if report is None:
            return _open_page(report_id, refused=True)
    response = redirect(url_for("resident_web.rating_page", report_id=report_id), code=303)
    RATING_FORM.give(response, report_id, url_for("resident_web.rating_page", report_id=report_id))
    return private(response)


@bp.post("/reports/<string:report_id>/rate")
def rate_from_link(report_id: str) -> Response:
    if not RATING_FORM.opens(report_id):
        abort(403)
    report = db.session.scalar(select(Report).where(Report.public_id == report_id, Report.hidden.is_(False)))
    if report is None:
        abort(404)
    outcome = record_rating(report)
    if outcome != RATED:
        return _rating_page(report_id, rating_error=True, status=outcome)
    return _rating_page(report_id, rated=True)


def _rating_page(report_id: str, *, rating_error: bool = False, rated: bool = False, status: int = 200) -> Response:
    found = public_report(db.session(), report_id)
    if found is None:
        abort(404)
    view = presenters.report_public(found, page_language())
    body = render_template("resident/rate.html", site=site_for(current_app.config.get("RESIDENT_SITES_FILE", ""),
                                                               found.jurisdiction.code),
                           report=view, rating_error=rating_error, rated=rated, rating_page=True)
    return private(current_app.response_class(body, status=status))


def _open_page(report_id: str, *, refused: bool) -> Response:
    found = public_report(db.session(), report_id)
    if found is None:
        abort(404)
    body = render_template("resident/rate_open.html", site=site_for(current_app.config.get("RESIDENT_SITES_FILE", ""),
                                                                    found.jurisdiction.code),
                           report_id=report_id, refused=refused)
    return private(current_app.response_class(body, status=403 if refused else 200))
