"""The resident pages: the report form, its confirmation and a report's status page.

Views parse, call the same domain functions as the resident API, and render;
the reads live in :mod:`catalogue` and :mod:`report_form`.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, abort, current_app, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from schemas.follower import FollowSchema
from service import clock
from service.api import presenters
from service.api.caching import PUBLIC_REPORT_CACHE
from service.api.limits import Budget, address_key, counting_refusals, report_budgets, within
from service.domain import follows
from service.domain.public_report import Named, PublicReport, public_report
from service.domain.report_stamp import recent_stamps, report_stamp
from service.extensions import db
from service.jobs import jobs
from service.models import Jurisdiction
from service.web.locale import page_language
from service.web.resident import bp, catalogue
from service.web.resident.report_form import ATTRIBUTE_PREFIX, TAKES_EMAIL_UPDATES, ReportForm, send
from service.web.resident.sites import Site, site_for

FOLLOW_FIELDS = FollowSchema()
# The confirmation shows the tracking token once: it waits in the session, never in an address.
SENT = "resident_sent"


@bp.get("/")
def index() -> Any:
    jurisdiction = _jurisdiction()
    if jurisdiction is None:
        return _choose_jurisdiction()
    return _form_page(jurisdiction, ReportForm(values={}, answers={}, photos=[], idempotency_key=secrets.token_urlsafe(24)))


@bp.post("/")
def submit() -> Any:
    jurisdiction = _jurisdiction()
    if jurisdiction is None:
        return _choose_jurisdiction()
    form = ReportForm.read(request.form, request.files)
    with counting_refusals("reports"), within(report_budgets(None)):
        result = send(db.session(), form)
        if result is None:
            db.session.rollback()
            return _form_page(jurisdiction, form), 422
    if result.created:
        jobs.process_report(result.report.id)
    if result.tracking_token:
        session[SENT] = {"id": result.report.public_id, "token": result.tracking_token}
    return redirect(url_for("resident_web.sent", report_id=result.report.public_id), code=303)


@bp.get("/reports/<string:report_id>/sent")
def sent(report_id: str) -> Any:
    stamp = report_stamp(db.session(), report_id)
    if stamp is None:
        abort(404)
    # The token is shown on the first view of the confirmation only.
    token = None
    waiting = session.get(SENT)
    if waiting and waiting.get("id") == report_id:
        token = waiting["token"]
        session.pop(SENT)
    report = _public_report(report_id)
    view = presenters.report_public(report, page_language())
    response = current_app.response_class(render_template("resident/sent.html", site=_site(report.jurisdiction), report=view,
                                                          token=token))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/reports/<string:report_id>")
def report_page(report_id: str) -> Any:
    stamp = recent_stamps.get(db.session(), report_id, current_app.config["STATUS_STAMP_SECONDS"])
    if stamp is None or stamp.hidden:
        abort(404)
    language = page_language()
    site = _site_of(stamp.jurisdiction)
    if not site.public_reports:
        return render_template("resident/not_public.html", site=site), 404
    # Not the API's tag: the page is another representation of the same report, and shows its site too.
    etag = f'"page-{stamp.etag(f"{language}|{site!r}").strip(chr(34))}"'
    headers = {"ETag": etag, "Cache-Control": PUBLIC_REPORT_CACHE}
    if request.if_none_match.contains(etag.strip('"')):
        return current_app.response_class(status=304, headers=headers)
    report = _public_report(report_id)
    view = presenters.report_public(report, language)
    body = render_template("resident/report.html", site=site, report=view, public=True)
    return current_app.response_class(body, headers=headers)


# The map shows at most this many reports; the list says when there are more filters to use.
MAP_LIMIT = 500
STATUS_FILTERS = {"open": True, "closed": False, "all": None}


@bp.get("/map")
def map_page() -> Any:
    jurisdiction = _jurisdiction()
    if jurisdiction is None:
        return _choose_jurisdiction()
    site = _site(jurisdiction)
    if not site.public_reports:
        return render_template("resident/not_public.html", site=site), 404
    language = page_language()
    status = request.args.get("status", "open")
    status = status if status in STATUS_FILTERS else "open"
    category = request.args.get("category") or None
    reports = catalogue.public_reports(db.session(), jurisdiction, language, category_code=category,
                                       open_only=STATUS_FILTERS[status], limit=MAP_LIMIT)
    return render_template("resident/map.html", site=site, jurisdiction=presenters.jurisdiction(jurisdiction, language),
                           categories=catalogue.categories(db.session(), jurisdiction, language), reports=reports,
                           chosen_category=category, chosen_status=status, limit=MAP_LIMIT,
                           map_tiles=current_app.config["MAP_TILE_URL"], map_attribution=current_app.config["MAP_TILE_ATTRIBUTION"])


@bp.get("/nearby")
def nearby() -> Any:
    """Open reports of the chosen category near the chosen place: a fragment for the form, else a page."""
    jurisdiction = _jurisdiction()
    place = _point(request.args.get("lat", ""), request.args.get("lon", ""))
    reports: list[dict[str, Any]] = []
    site = _site(jurisdiction) if jurisdiction else Site(code=None)
    if jurisdiction is not None and site.public_reports and place is not None and request.args.get("category"):
        lat, lon = place
        config = current_app.config
        reports = catalogue.already_reported(db.session(), jurisdiction, request.args["category"], lat, lon, page_language(),
                                             radius_m=config["DUPLICATE_RADIUS_M"], window_days=config["DUPLICATE_WINDOW_DAYS"],
                                             now=clock.now())
    template = "resident/_nearby.html" if request.headers.get("HX-Request") else "resident/nearby.html"
    return render_template(template, site=site, reports=reports)


@bp.post("/reports/<string:report_id>/follow")
def follow(report_id: str) -> Any:
    """Follow a report ("me too") by e-mail, as POST /api/v1/reports/{id}/followers does."""
    report = catalogue.shown_report(db.session(), report_id)
    if report is None:
        abort(404)
    site = _site(report.jurisdiction)
    email = request.form.get("email", "").strip()
    try:
        body = FOLLOW_FIELDS.load({"email": email, "email_updates": request.form.get("email_updates") == "yes"})
    except ValidationError:
        view = presenters.report_public(_public_report(report_id), page_language())
        return render_template("resident/followed.html", site=site, report=view, error=True, email=email), 422
    with counting_refusals("follows"), within([Budget("follows", "RATE_LIMIT_FOLLOWS", address_key())]):
        follows.follow(db.session(), report, follows.Contact(email=body["email"], email_updates=body["email_updates"]),
                       page_language())
        db.session.commit()
    view = presenters.report_public(_public_report(report_id), page_language())
    return render_template("resident/followed.html", site=site, report=view, error=False, email_updates=body["email_updates"])


@bp.get("/site/<string:code>.css")
def site_style(code: str) -> Response:
    """The jurisdiction's brand colour, as a style sheet (the Content-Security-Policy allows no inline style)."""
    site = site_for(current_app.config.get("RESIDENT_SITES_FILE", ""), code)
    body = render_template("resident/site.css", site=site)
    response = current_app.response_class(body, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


def _point(lat: str, lon: str) -> tuple[float, float] | None:
    try:
        point = float(lat), float(lon)
    except ValueError:
        return None
    return point if -90 <= point[0] <= 90 and -180 <= point[1] <= 180 else None


def _jurisdiction() -> Jurisdiction | None:
    return catalogue.chosen_jurisdiction(db.session(), request.args.get("jurisdiction"))


def _public_report(report_id: str) -> PublicReport:
    """What the public may see of a report, read as the API's public view reads it; 404 when there is none."""
    found = public_report(db.session(), report_id)
    if found is None:
        abort(404)
    return found


def _site(jurisdiction: Jurisdiction | Named) -> Site:
    return _site_of(jurisdiction.code)


def _site_of(code: str | None) -> Site:
    return site_for(current_app.config.get("RESIDENT_SITES_FILE", ""), code)


def _form_page(jurisdiction: Jurisdiction, form: ReportForm) -> str:
    language = page_language()
    place = presenters.jurisdiction(jurisdiction, language)
    return render_template("resident/form.html", site=_site(jurisdiction), jurisdiction=place, form=form,
                           map_tiles=current_app.config["MAP_TILE_URL"], map_attribution=current_app.config["MAP_TILE_ATTRIBUTION"],
                           categories=catalogue.categories(db.session(), jurisdiction, language),
                           attribute_prefix=ATTRIBUTE_PREFIX, takes_email_updates=TAKES_EMAIL_UPDATES)


def _choose_jurisdiction() -> Response:
    served = catalogue.served(db.session())
    body = render_template("resident/choose.html", site=Site(code=None), jurisdictions=served)
    return current_app.response_class(body, status=200 if served and not request.args.get("jurisdiction") else 404)
