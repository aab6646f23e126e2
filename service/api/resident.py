"""The resident API: jurisdictions, categories, and reports in and out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schemas.category import CategoryQuerySchema, CategorySchema
from schemas.common import ProblemSchema
from schemas.follower import FollowedSchema, FollowSchema
from schemas.jurisdiction import JurisdictionQuerySchema, JurisdictionSchema
from schemas.report import (
    RatingCreatedSchema,
    RatingSchema,
    ReportCreatedSchema,
    ReportCreateSchema,
    ReportListQuerySchema,
    ReportListSchema,
    ReportOwnSchema,
)
from service import clock
from service.api import presenters
from service.api.body import JSON_FIELDS_IN_FORMS, form_fields, json_object
from service.api.caching import public_view_headers
from service.api.idempotency_header import idempotency_header
from service.api.language import preferred_language
from service.api.limits import Budget, address_key, client_address, counting_refusals, report_budgets, within
from service.api.paging import page_links, parse_bbox, parse_statuses
from service.api.problems import abort
from service.api.urls import external_url, request_base_url
from service.domain import follows, report_lists, tokens, urgency
from service.domain.coverage import coverage
from service.domain.feedback import RatingNotAllowed, rate
from service.domain.idempotency import IdempotencyKey
from service.domain.intake import (
    IdempotencyConflict,
    InvalidAttributes,
    MissingLocation,
    OutsideCoverage,
    UnknownCategory,
    UploadedPhoto,
    submit_report,
)
from service.domain.local_government_code import normalize
from service.domain.public_report import public_report
from service.domain.report_stamp import ReportStamp, recent_stamps, rendered_views, view_key
from service.domain.status import label as status_label
from service.extensions import db
from service.jobs import jobs
from service.models import Category, Jurisdiction, Report
from service.photos.inspect import PhotoRejected, inspect_photo
from service.pipeline import pipeline_for
from service.timefmt import iso_tokyo

blp = Blueprint("resident", __name__, url_prefix="/api/v1", description="Residents: categories, reports and their status")

# A multipart report has the JSON report's fields, its nested objects as JSON parts, and photos.
MULTIPART_DOC = {
    "allOf": [{"$ref": "#/components/schemas/ReportCreate"}],
    "properties": {"photos": {"type": "array", "items": {"type": "string", "format": "binary"}, "maxItems": 5}},
}
MULTIPART_ENCODING = {name: {"contentType": "application/json"} for name in JSON_FIELDS_IN_FORMS}

# Loading keeps no state in the schema, so one instance serves every request
# (building one costs more than the load itself).
REPORT_FIELDS = ReportCreateSchema()
# The public view's answer is dumped here, not by the response decorator, so that it can be kept rendered.
PUBLIC_VIEW = ReportOwnSchema()

ERRORS = {
    400: {"description": "Malformed body", "content": {"application/problem+json": {"schema": ProblemSchema}}},
    409: {"description": "Idempotency-Key reused for a different request", "content": {"application/problem+json": {"schema": ProblemSchema}}},
    429: {"description": "Too many reports from this address or device; see Retry-After", "content": {"application/problem+json": {"schema": ProblemSchema}}},
    503: {"description": "The database is unreachable for a moment; retry with the same Idempotency-Key after Retry-After", "content": {"application/problem+json": {"schema": ProblemSchema}}},
    413: {"description": "Body or photo too large", "content": {"application/problem+json": {"schema": ProblemSchema}}},
    415: {"description": "Not JSON or multipart", "content": {"application/problem+json": {"schema": ProblemSchema}}},
    422: {"description": "Invalid fields, photos or location", "content": {"application/problem+json": {"schema": ProblemSchema}}},
}


@blp.route("/jurisdictions")
class JurisdictionList(MethodView):
    @blp.response(200, JurisdictionSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The jurisdictions served, with boundaries simplified for a map (about 30 m) and their bounding boxes.

        Whether a point is covered is decided on the exact boundary, which
        `GET /jurisdictions/{code}?boundary=exact` returns.
        """
        language = preferred_language()
        return [presenters.jurisdiction(j, language) for j in db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.code))]


@blp.route("/jurisdictions/<code>")
class JurisdictionItem(MethodView):
    @blp.arguments(JurisdictionQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, JurisdictionSchema)
    @blp.alt_response(404, schema=ProblemSchema, content_type="application/problem+json")
    def get(self, code: str, boundary: str = "display", lang: str | None = None) -> dict[str, Any]:
        """One jurisdiction by its local government code (6 digits, or N03's 5), with its boundary."""
        found = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == (normalize(code) or code)))
        if found is None:
            abort(404, f"No jurisdiction {code} is served here.")
        return presenters.jurisdiction(found, preferred_language(), exact=boundary == "exact")


@blp.route("/categories")
class CategoryList(MethodView):
    @blp.arguments(CategoryQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, CategorySchema(many=True))
    def get(self, lat: float | None = None, lon: float | None = None, lang: str | None = None) -> list[dict[str, Any]]:
        """Categories a resident can choose at a point (all active ones without a point).

        Names and questions follow `?lang=`, else Accept-Language: 日本語 (the default and
        the fallback of a missing translation), やさしい日本語 (ja-x-easy), English,
        中文 (zh-Hans), 한국어 (ko), Tiếng Việt (vi), Português (pt).
        """
        language = preferred_language()
        query = select(Category, Jurisdiction.code).join(Jurisdiction, Category.jurisdiction_id == Jurisdiction.id)
        query = query.where(Category.active.is_(True)).order_by(Jurisdiction.code, Category.position, Category.id)
        if lat is not None and lon is not None:
            jurisdiction_id = coverage.jurisdiction_at(db.session(), lon, lat)
            if jurisdiction_id is None:
                return []
            query = query.where(Category.jurisdiction_id == jurisdiction_id)
        rows = db.session.execute(query).all()
        phones = urgency.phones(db.session(), (c for c, _ in rows))
        return [presenters.category(c, code, language, phones.get(c.id)) for c, code in rows]


@blp.route("/reports")
class ReportCollection(MethodView):
    @blp.doc(
        requestBody={
            "required": True,
            "content": {"application/json": {"schema": ReportCreateSchema},
                        "multipart/form-data": {"schema": MULTIPART_DOC, "encoding": MULTIPART_ENCODING}},
        },
        parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                     "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"}}],
        responses=ERRORS,
    )
    @blp.response(201, ReportCreatedSchema, headers={"Location": {"schema": {"type": "string"}}})
    def post(self) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Send a report, with up to five photos (JSON, or multipart with `photos` file parts)."""
        with counting_refusals("reports"):
            raw, files = _report_body()
            try:
                fields = REPORT_FIELDS.load(raw)
            except ValidationError as exc:
                abort(422, "The report has invalid fields.", errors=exc.normalized_messages())
            with within(report_budgets(fields.get("device_id"))):
                return self._create(fields, files)

    def _create(self, fields: dict[str, Any], files: list[tuple[str, bytes]]) -> tuple[dict[str, Any], int, dict[str, str]]:
        photos = _checked_photos(files)
        key = _idempotency_key(fields.get("device_id"))
        try:
            result = submit_report(
                db.session(),
                current_app.extensions["photo_store"],
                fields=fields,
                photos=photos,
                idempotency_key=key,
                secret=current_app.config["SECRET_KEY"],
                locate=pipeline_for(current_app).locate,
                year_end_break=current_app.config["YEAR_END_BREAK"],
                now=clock.now(),
                language=preferred_language(),
            )
        except MissingLocation as exc:
            abort(422, exc.message_en, detail_ja=exc.message_ja, errors={"lat": [exc.message_en], "lon": [exc.message_en]})
        except OutsideCoverage as exc:
            abort(422, exc.message_en, detail_ja=exc.message_ja, errors={"lat": [exc.message_en], "lon": [exc.message_en]})
        except UnknownCategory as exc:
            abort(422, "The category is not known here.", errors={"category": [f"Unknown category {exc.code!r} at this location."]})
        except InvalidAttributes as exc:
            abort(422, "An answer to the category's questions is refused.", errors={"attributes": {exc.code: [exc.message]}})
        except IdempotencyConflict:
            abort(409, "This Idempotency-Key was already used for a different report.")
        if result.created:
            jobs.process_report(result.report.id)
        location = url_for("resident.ReportItem", report_id=result.report.public_id)
        headers = {"Location": location}
        if not result.created:
            headers["Idempotent-Replayed"] = "true"
        return presenters.created(result.report, result.tracking_token, preferred_language()), 201, headers

    @blp.arguments(ReportListQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ReportListSchema)
    def get(self, page: int, page_size: int, bbox: str | None = None, status: list[str] | None = None, category: str | None = None) -> dict[str, Any]:
        """Public reports for a map, newest first, a bounded page at a time."""
        page_size = min(page_size, current_app.config["PAGE_SIZE_MAX"])
        wanted = report_lists.PublicFilter(statuses=tuple(parse_statuses(status)) if status else (), category=category,
                                           bbox=parse_bbox(bbox) if bbox else None)
        found = report_lists.public_page(db.session(), wanted, decimals=current_app.config["OPENDATA_COORDINATE_DECIMALS"],
                                         page=page, page_size=page_size)
        language = preferred_language()
        return {
            "items": [presenters.report_summary(r, language) for r in found.rows],
            "page": page,
            "page_size": page_size,
            "total": found.total,
            "links": page_links("resident.ReportCollection", page, page_size, found.total),
        }


@blp.route("/reports/<string:report_id>")
class ReportItem(MethodView):
    @blp.doc(
        parameters=[{"in": "header", "name": "X-Tracking-Token", "schema": {"type": "string"}, "required": False}],
        responses={404: {"description": "No such report", "content": {"application/problem+json": {"schema": ProblemSchema}}},
                   403: {"description": "The tracking token is not this report's", "content": {"application/problem+json": {"schema": ProblemSchema}}}},
    )
    @blp.response(200, ReportOwnSchema, headers={"ETag": {"schema": {"type": "string"}, "description": "public view only"}})
    @blp.alt_response(304, description="Not modified: the public view has the ETag sent in If-None-Match")
    def get(self, report_id: str) -> Any:
        """A report's public view; with its X-Tracking-Token, also what the resident sent privately.

        The public view carries an ETag; polls send it back in If-None-Match and an
        unchanged report is answered 304 without a body.
        """
        # The hottest path: a public read of a report whose stamp this process read within the
        # last second is answered from memory, without a session or a pooled connection.
        if "HTTP_X_TRACKING_TOKEN" not in request.environ:
            kept = recent_stamps.kept(db.engine, report_id, current_app.config["STATUS_STAMP_SECONDS"])
            if kept is not None:
                answer = _public_answer(kept.stamp, report_id, from_memory=True)
                if answer is not None:
                    return answer
        with _reads_without_transaction():
            return self._view(report_id)

    def _view(self, report_id: str) -> Any:
        stamp = recent_stamps.get(db.session(), report_id, current_app.config["STATUS_STAMP_SECONDS"])
        token = request.headers.get("X-Tracking-Token")
        if stamp is None:
            abort(404, "No report has this id.")
        owner = tokens.token_matches(token, stamp.tracking_token_hash)
        if stamp.hidden and not owner:
            abort(404, "No report has this id.")
        if token and not owner:
            abort(403, "The tracking token does not open this report.")
        if owner:
            return presenters.report_own(_report_to_show(report_id), preferred_language())
        return _public_answer(stamp, report_id, from_memory=False)


def _public_answer(stamp: ReportStamp | None, report_id: str, from_memory: bool) -> Any:
    """The public view's answer at ``stamp``: 404, 304, or the body; None when ``from_memory`` and it is not kept."""
    if stamp is None or stamp.hidden:
        abort(404, "No report has this id.")
    language = preferred_language()
    etag = stamp.etag(language)
    headers = public_view_headers(etag)
    if request.if_none_match.contains(etag.strip('"')):
        return current_app.response_class(status=304, headers=headers)
    key = view_key(db.engine, stamp, language, request_base_url())
    body = rendered_views.get(key)
    if body is None:
        if from_memory:
            return None
        report = public_report(db.session(), report_id)
        if report is None:
            abort(404, "No report has this id.")
        body = jsonify(PUBLIC_VIEW.dump(presenters.report_public(report, language))).get_data()
        rendered_views.keep(key, body)
    return current_app.response_class(body, mimetype="application/json", headers=headers)


@contextmanager
def _reads_without_transaction() -> Iterator[None]:
    """Run the block's queries in autocommit: the database gets no BEGIN before them and no ROLLBACK after.

    Each query of a view that only reads committed rows stands alone, so a
    transaction around them adds two round trips and nothing else. A session
    already in a transaction (a context that outlives requests) keeps it; the
    block's own transaction ends with the block, so no later write of the same
    session runs in autocommit.
    """
    session = db.session()
    if session.in_transaction():
        yield
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield
    finally:
        # Nothing was written: this only hands the connection back, with no round trip.
        session.rollback()


def _report_to_show(public_id: str) -> Report:
    """The report with what the reporter's own view shows loaded at once, without its jurisdiction's boundary."""
    return db.session.execute(
        select(Report).where(Report.public_id == public_id)
        .options(joinedload(Report.jurisdiction).load_only(Jurisdiction.code))
    ).unique().scalar_one()


@blp.route("/reports/<string:report_id>/rating")
class ReportRating(MethodView):
    @blp.arguments(RatingSchema)
    @blp.response(201, RatingCreatedSchema)
    @blp.doc(
        parameters=[{"in": "header", "name": "X-Tracking-Token", "schema": {"type": "string"}, "required": True}],
        responses={404: {"description": "No report opens with this token", "content": {"application/problem+json": {"schema": ProblemSchema}}},
                   409: {"description": "Not resolved, or the rating window has passed", "content": {"application/problem+json": {"schema": ProblemSchema}}}},
    )
    def post(self, body: dict[str, Any], report_id: str) -> dict[str, Any]:
        """Rate how a resolved report was handled (住民評価); "not fixed" reopens it."""
        with counting_refusals("ratings"), within([Budget("ratings", "RATE_LIMIT_RATINGS", address_key())]):
            return self._rate(body, report_id)

    def _rate(self, body: dict[str, Any], report_id: str) -> dict[str, Any]:
        report = db.session.scalar(select(Report).where(Report.public_id == report_id))
        if report is None or not tokens.token_matches(request.headers.get("X-Tracking-Token"), report.tracking_token_hash):
            abort(404, "No report opens with this id and tracking token.")
        try:
            rating = rate(db.session(), report, score=body["score"], fixed=body["fixed"], comment=body.get("comment"),
                          window_days=current_app.config["RATING_WINDOW_DAYS"], now=clock.now())
        except RatingNotAllowed as exc:
            db.session.rollback()
            abort(409, str(exc))
        db.session.commit()
        language = preferred_language()
        return {"score": rating.score, "fixed": rating.fixed, "comment": rating.comment,
                "created_at": iso_tokyo(rating.created_at), "report_status": report.status,
                "report_status_label": status_label(report.status, language)}


@blp.route("/reports/<string:report_id>/followers")
class ReportFollowers(MethodView):
    @blp.arguments(FollowSchema)
    @blp.response(201, FollowedSchema)
    @blp.doc(responses={404: {"description": "No such report", "content": {"application/problem+json": {"schema": ProblemSchema}}},
                        429: ERRORS[429]})
    def post(self, body: dict[str, Any], report_id: str) -> dict[str, Any]:
        """Follow a report ("me too") by e-mail or with the app's device, instead of sending it again.

        Following again with the same contact answers the same follow, with the
        opt-in and language of the new request. The answer's `unfollow_url`,
        also in every mail, ends the follow without signing in.
        """
        with counting_refusals("follows"), within([Budget("follows", "RATE_LIMIT_FOLLOWS", address_key())]):
            report = db.session.scalar(select(Report).where(Report.public_id == report_id, Report.hidden.is_(False)))
            if report is None:
                abort(404, "No report has this id.")
            contact = follows.Contact(email=body.get("email"), device_id=body.get("device_id"),
                                      email_updates=body["email_updates"])
            follower, _ = follows.follow(db.session(), report, contact, preferred_language())
            db.session.commit()
            token = follows.unfollow_token(current_app.config["SECRET_KEY"], follower)
            return {"report": report.public_id, "email_updates": follower.email_updates,
                    "unfollow_url": external_url("resident.Follow", token=token)}


@blp.route("/followers/<string:token>")
class Follow(MethodView):
    @blp.response(204)
    @blp.doc(responses={404: {"description": "The link is not valid", "content": {"application/problem+json": {"schema": ProblemSchema}}}})
    def delete(self, token: str) -> None:
        """Stop following a report, with the link given with the follow; no sign-in. Doing it twice is not an error."""
        _unfollow(token)

    @blp.response(204)
    @blp.doc(responses={404: {"description": "The link is not valid", "content": {"application/problem+json": {"schema": ProblemSchema}}}})
    def post(self, token: str) -> None:
        """The same as DELETE, for mail programs' one-click unsubscribe (RFC 8058), which POST."""
        _unfollow(token)


def _unfollow(token: str) -> None:
    if not follows.unfollow(db.session(), current_app.config["SECRET_KEY"], token):
        abort(404, "This unfollow link is not valid.")
    db.session.commit()


def _report_body() -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    mimetype = request.mimetype
    if mimetype == "application/json" or mimetype.endswith("+json"):
        return json_object(request), []
    if mimetype == "multipart/form-data":
        fields = form_fields(request)
        unknown_files = [name for name in request.files if name != "photos"]
        if unknown_files:
            abort(422, "Photos go in `photos` file parts.", errors={name: ["Unknown file field."] for name in unknown_files})
        files = [(f.filename or f"photo {i + 1}", f.read()) for i, f in enumerate(request.files.getlist("photos"))]
        return fields, files
    abort(415, "Send the report as application/json or multipart/form-data.")


def _checked_photos(files: list[tuple[str, bytes]]) -> list[UploadedPhoto]:
    config = current_app.config
    if len(files) > config["MAX_PHOTOS"]:
        abort(422, f"At most {config['MAX_PHOTOS']} photos per report.", errors={"photos": [f"At most {config['MAX_PHOTOS']} photos."]})
    photos = []
    for index, (name, data) in enumerate(files):
        label = f"photos[{index}]"
        if len(data) > config["MAX_PHOTO_BYTES"]:
            abort(413, f"Photo {index + 1} ({name}) is larger than {config['MAX_PHOTO_BYTES'] // (1024 * 1024)} MB.",
                  errors={label: ["Too large."]})
        try:
            info = inspect_photo(data, max_pixels=config["MAX_IMAGE_PIXELS"])
        except PhotoRejected as exc:
            abort(422, f"Photo {index + 1} ({name}) cannot be accepted: {exc.reason}.", errors={label: [exc.reason]})
        photos.append(UploadedPhoto(data=data, info=info))
    return photos


def _idempotency_key(device_id: str | None) -> IdempotencyKey | None:
    """The request's Idempotency-Key, scoped to the app's device id, or else to the connecting address."""
    key = idempotency_header()
    if key is None:
        return None
    if device_id:
        return IdempotencyKey(key, "device", device_id)
    return IdempotencyKey(key, "address", client_address())
