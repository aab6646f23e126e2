"""Open311 GeoReport v2 under /open311/v2, in JSON and XML, errors included.

Answers follow the GeoReport v2 documents rather than this API's own shapes:
every error under /open311/ is a list of ``{code, description}`` (an
``<errors>`` document in XML), in the format the path ends with, including
paths no route matches and methods a route does not take. Error descriptions
name the parameter at fault and never repeat what the client sent.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, request
from flask_smorest import Blueprint
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from service import clock
from service.api.contract import with_character_rule
from service.api.idempotency_header import idempotency_header
from service.api.language import preferred_language
from service.api.limits import client_budgets, within
from service.api.presenters import public_photos
from service.api.problems import REDIRECT_DETAIL
from service.api.urls import external_url
from service.domain import api_clients, outbound, remote_media, report_lists, urgency
from service.domain.coverage import coverage
from service.domain.idempotency import IdempotencyKey
from service.domain.intake import (
    IdempotencyConflict,
    MissingLocation,
    OutsideCoverage,
    UnknownCategory,
    UploadedPhoto,
    submit_report,
)
from service.domain.local_government_code import normalize
from service.extensions import db
from service.jobs import jobs
from service.models import ApiClient, Category, HistoryEntry, Jurisdiction, RemoteMedia, Report
from service.open311 import Open311Error, mapping, params, xml
from service.open311.posting import LIMITS, MEDIA_FIELDS, parse_post
from service.photos.inspect import PhotoRejected, inspect_photo
from service.pipeline import pipeline_for
from service.timefmt import iso_tokyo

log = logging.getLogger(__name__)

blp = Blueprint("open311", __name__, url_prefix="/open311/v2",
                description="Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) with the FixMyStreet "
                            "servicerequestupdates extension; every call answers .json or .xml")

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The route converter of the format: `fmt` is json or xml, in the routes and in the contract.
FORMAT = "<any(json, xml):fmt>"
PREFIX = "/open311/"
MAX_IGNORED_RECORDED = 30

ERRORS_SCHEMA = {"type": "array", "minItems": 1, "items": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}}
def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema``, or an empty string: an empty form field is taken as one not sent."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


# Query parameters as the calls check them; the others are plain strings.
JURISDICTION_ID = {"type": "string", "pattern": "^([0-9]{6})?$", "description": "local government code (6 digits)"}
LISTED = {"type": "string", "pattern": "[^,\\s]", "description": "one value, a comma-separated list, or repeated"}
QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "jurisdiction_id": JURISDICTION_ID,
    "service_request_id": LISTED,
    "service_code": LISTED,
    "start_date": _or_empty({"type": "string", "format": "date-time"}),
    "end_date": _or_empty({"type": "string", "format": "date-time"}),
    "page": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
    "page_size": {"type": "integer", "minimum": 1, "maximum": params.DEFAULT_LIMIT},
    "status": {"type": "string", "enum": ["open", "closed", "open,closed", "closed,open"]},
}


ERROR_DESCRIPTIONS = {400: "Missing or invalid parameter", 403: "Missing or invalid api_key",
                      404: "Unknown service_code, request, token or jurisdiction_id",
                      409: "The Idempotency-Key was already used for a different request",
                      413: "Body larger than the service takes", 422: "A parameter holds a control character",
                      429: "Too many requests (see Retry-After)"}
BOUNDARY_CODES = (413, 422, 429)


def _doc(summary: str, *codes: int, query: tuple[str, ...] = (), success: int = 200,
         document: str = "array", idempotent: bool = False) -> dict[str, Any]:
    """An operation's documentation: the .json and .xml bodies, the Open311 errors and its query parameters.

    ``document`` is the JSON type of the success body: a list for most calls,
    an object for discovery and service definitions.
    """
    xml_body = {"text/xml": {"schema": {"type": "string"}}}
    errors = {"application/json": {"schema": ERRORS_SCHEMA}, **xml_body}
    success_schema = {"type": "array", "items": {"type": "object"}} if document == "array" else {"type": "object"}
    # Every error under /open311/ is an Open311 document, the input boundary's refusals included.
    responses: dict[Any, Any] = {code: {"description": ERROR_DESCRIPTIONS[code], "content": errors}
                                 for code in (*codes, *BOUNDARY_CODES)}
    responses["default"] = {"description": "Any other error, as an Open311 error document", "content": errors}
    responses[success] = {"description": "The GeoReport v2 document, in the format the path ends with (json or xml)",
                          "content": {"application/json": {"schema": success_schema}, **xml_body}}
    return {"summary": summary, "responses": responses,
            "parameters": [{"in": "query", "name": name, "required": False,
                            "schema": with_character_rule(QUERY_SCHEMAS.get(name, {"type": "string"}), line=True)}
                           for name in query]
            + ([{"in": "header", "name": "Idempotency-Key", "required": False,
                 "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x20-\\x7e]+$"}}]
               if idempotent else [])}


def _answer(document: Any, root: str, status: int = 200) -> Response:
    fmt = _format()
    data = xml.render(root, document) if fmt == "xml" else current_app.json.dumps(document)
    return current_app.response_class(data, status=status, content_type=CONTENT_TYPES[fmt])


def _format() -> str:
    """The format the path asks for (also when no route matched it); JSON when it names none."""
    fmt = (request.view_args or {}).get("fmt") or request.path.rsplit(".", 1)[-1]
    return fmt if fmt in CONTENT_TYPES else "json"


def init_routing_errors(app: Flask) -> None:
    """Answer a path under /open311/ that no route takes in Open311's terms rather than as problem+json."""
    app.before_request(_unrouted)


def _unrouted() -> Response | None:
    error = request.routing_exception
    if error is None or not (request.path + "/").startswith(PREFIX):
        return None
    if isinstance(error, RequestRedirect):
        # A path routing writes otherwise (a doubled slash merged): the redirect, as an Open311
        # document rather than Werkzeug's HTML page.
        response = _answer([{"code": error.code, "description": REDIRECT_DETAIL}],
                           "errors", error.code)
        response.headers["Location"] = error.new_url
        return response
    # Routing raises only HTTPExceptions (404, 405) besides the redirect.
    return _http_error(error)


@blp.before_request
def _no_key_in_urls() -> None:
    # URLs end up in access logs, proxies and browser histories; GeoReport v2
    # sends api_key as a POST parameter, and reads need no key at all.
    if "api_key" in request.args:
        raise Open311Error(400, "api_key is never taken in the URL; send it as a POST parameter of requests")


@blp.errorhandler(Open311Error)
def _open311_error(error: Open311Error) -> Response:
    return _answer([{"code": error.status, "description": error.description}], "errors", error.status)


@blp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    # Werkzeug's own descriptions are fixed texts; a message from this code names fields, not their values.
    description = (getattr(error, "data", None) or {}).get("message") or error.description or error.name
    response = _answer([{"code": status, "description": description}], "errors", status)
    # Headers an abort carries (Retry-After on a 429) belong to the answer in either format.
    response.headers.update((getattr(error, "data", None) or {}).get("headers") or {})
    allowed = getattr(error, "valid_methods", None)
    if status == 405 and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


@blp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    log.exception("unhandled error: %s", type(error).__name__)
    return _answer([{"code": 500, "description": "Something went wrong on our side. Please try again later."}],
                   "errors", 500)


def _jurisdiction() -> Jurisdiction:
    """The jurisdiction named by jurisdiction_id, which may be left out when only one is served."""
    code = _jurisdiction_code()
    if code:
        # N03's five digits name the same municipality as the six with the check digit.
        found = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == (normalize(code) or code)))
        if found is None:
            raise Open311Error(404, "jurisdiction_id is not served here")
        return found
    served = db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.code).limit(2)).all()
    if len(served) != 1:
        raise Open311Error(400 if served else 404, "jurisdiction_id was not provided; give the local government code")
    return served[0]


def _jurisdiction_code() -> str:
    return params.single(request.values.getlist("jurisdiction_id"), "jurisdiction_id") or ""


def _category(jurisdiction_id: int, code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.jurisdiction_id == jurisdiction_id,
                                                        Category.code == code, Category.active.is_(True)))
    if category is None:
        raise Open311Error(404, "service_code was not found")
    return category


def _media_url(report: Report) -> str | None:
    photos = public_photos(report)
    return photos[0]["large_url"] if photos else None


def _decimals() -> int:
    return current_app.config["OPENDATA_COORDINATE_DECIMALS"]


def _public_report(jurisdiction: Jurisdiction, public_id: str, what: str) -> Report:
    report = db.session.scalar(select(Report).where(Report.public_id == public_id,
                                                    Report.jurisdiction_id == jurisdiction.id,
                                                    Report.hidden.is_(False)))
    if report is None:
        raise Open311Error(404, f"{what} was not found")
    return report


@blp.route(f"/discovery.{FORMAT}", methods=["GET"])
@blp.doc(**_doc("Where this GeoReport v2 endpoint is and what it offers", 404, document="object"))
def discovery(fmt: str) -> Response:
    changed = db.session.scalar(select(func.max(Jurisdiction.updated_at)))
    changeset = iso_tokyo(changed) or iso_tokyo(clock.now())
    url = external_url("open311.discovery", fmt="json").rsplit("/", 1)[0]
    return _answer({
        "changeset": changeset,
        "contact": current_app.config["OPEN311_CONTACT"],
        "key_service": "api_key values for client systems are issued by each municipality's administrators.",
        "endpoints": [{"specification": mapping.SPECIFICATION, "url": url, "changeset": changeset,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }, "discovery")


@blp.route(f"/services.{FORMAT}", methods=["GET"])
@blp.doc(**_doc("The services (categories) of a jurisdiction", 400, 404, query=("jurisdiction_id",)))
def services(fmt: str) -> Response:
    jurisdiction = _jurisdiction()
    query = (select(Category).where(Category.jurisdiction_id == jurisdiction.id, Category.active.is_(True))
             .order_by(Category.position, Category.id))
    language = preferred_language()
    categories = list(db.session.scalars(query))
    phones = urgency.phones(db.session(), categories)
    return _answer([mapping.service(c, language, phones.get(c.id)) for c in categories], "services")


@blp.route(f"/services/<string:service_code>.{FORMAT}", methods=["GET"])
@blp.doc(**_doc("A service's definition: its extra attributes", 400, 404, query=("jurisdiction_id",),
                document="object"))
def service_definition(service_code: str, fmt: str) -> Response:
    category = _category(_jurisdiction().id, service_code)
    return _answer(mapping.service_definition(category, preferred_language()), "service_definition")


# A request inside the demo jurisdiction 「みなと市」 that `machikoe serve` seeds.
POST_EXAMPLE = {"api_key": "mk_0123abcd_the-key-of-your-client-system", "service_code": "road_damage",
                "lat": 35.65, "long": 139.78, "description": "歩道に穴があります", "attribute[lane_blocked]": "no"}
POST_BODY = {
    "required": True,
    "content": {media: {"schema": with_character_rule({"type": "object", "required": ["api_key", "service_code"], "properties": {
        **{name: {"type": "string", "maxLength": LIMITS[name]} for name in (
            "api_key", "address_string", "address_id", "device_id", "account_id", "first_name", "last_name")},
        "jurisdiction_id": JURISDICTION_ID,
        "service_code": {"type": "string", "pattern": "\\S", "maxLength": LIMITS["service_code"]},
        "email": _or_empty({"type": "string", "format": "email", "maxLength": LIMITS["email"]}),
        "phone": {"type": "string", "pattern": "^[0-9+\\-() ]*$", "maxLength": LIMITS["phone"]},
        "media_url": _or_empty({"type": "string", "format": "uri", "maxLength": LIMITS["media_url"]}),
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "description": {"type": "string", "maxLength": LIMITS["description"]},
        **({"media": {"type": "array", "items": {"type": "string", "format": "binary"}}}
           if media == "multipart/form-data" else {}),
    }, "additionalProperties": {"type": "string", "description": "attribute[code] and attribute[code][]"}}, line=False),
        "example": POST_EXAMPLE}
        for media in ("application/x-www-form-urlencoded", "multipart/form-data")},
}


@blp.route(f"/requests.{FORMAT}", methods=["POST"])
@blp.doc(**_doc("Create a service request (synchronous: the answer carries its service_request_id)", 400, 403, 404,
                409, 429, success=201, idempotent=True),
         requestBody=POST_BODY)
def create_request(fmt: str) -> Response:
    # The api_key is one of the form fields, so a body that is not a form cannot carry one.
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Open311Error(400, "send the request form-encoded (application/x-www-form-urlencoded or multipart/form-data)")
    client = api_clients.authenticate(db.session(), params.single(request.form.getlist("api_key"), "api_key"))
    if client is None:
        raise Open311Error(403, "api_key was not provided or is not valid")
    jurisdiction = db.session.get_one(Jurisdiction, client.jurisdiction_id)
    if _jurisdiction_code() and _jurisdiction().id != jurisdiction.id:
        raise Open311Error(403, "this api_key is not valid for this jurisdiction_id")
    posted = parse_post(request.form.to_dict(flat=False))
    category = _category(jurisdiction.id, posted.service_code)
    attributes = mapping.attribute_values(category, posted.attributes)
    # Fields a client sends beyond what the service defines are not refused, but
    # staff can see in the report's history that they were left out.
    ignored = [*posted.ignored, *(f"attribute[{code}]" for code in mapping.undefined_attributes(category,
                                                                                              posted.attributes))]
    config = current_app.config
    try:
        media_urls = [remote_media.check_media_url(posted.media_url, outbound.configured(config))] if posted.media_url else []
    except remote_media.MediaRefused as exc:
        raise Open311Error(400, f"media_url: {exc.reason}") from None
    photos = _uploaded_media(config["MAX_PHOTOS"] - len(media_urls))
    pipeline = pipeline_for(current_app)
    _check_place(client, posted.lat, posted.lon, posted.address, pipeline.locate)
    key = idempotency_header()
    with within(client_budgets(client.id)):
        try:
            result = submit_report(
                db.session(), current_app.extensions["photo_store"], fields=posted.intake_fields(attributes), photos=photos,
                idempotency_key=IdempotencyKey(key, "client", str(client.id)) if key else None, secret=config["SECRET_KEY"],
                locate=pipeline.locate, year_end_break=config["YEAR_END_BREAK"], source="open311", api_client_id=client.id,
                reporter_account_id=posted.account_id, media_urls=media_urls,
                created_details={"ignored_fields": ignored[:MAX_IGNORED_RECORDED]} if ignored else None,
                now=clock.now(),
            )
        except (MissingLocation, OutsideCoverage) as exc:
            raise Open311Error(400, exc.message_en) from None
        except UnknownCategory:
            raise Open311Error(404, "service_code was not found") from None
        except IdempotencyConflict:
            raise Open311Error(409, "this Idempotency-Key was already used for a different request") from None
    if result.created:
        jobs.process_report(result.report.id)
        for media_id in db.session.scalars(select(RemoteMedia.id).where(RemoteMedia.report_id == result.report.id)):
            jobs.fetch_media(media_id)
    response = _answer([{"service_request_id": result.report.public_id, "service_notice": "",
                         "account_id": posted.account_id or ""}], "service_requests", 201)
    if not result.created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _uploaded_media(room: int) -> list[UploadedPhoto]:
    """Photos sent as multipart ``media`` files, checked like the resident API's photos."""
    if any(name not in MEDIA_FIELDS for name in request.files):
        raise Open311Error(400, "a file field is not known; send photos as media")
    files = [f for name in MEDIA_FIELDS for f in request.files.getlist(name)]
    if len(files) > room:
        raise Open311Error(400, f"at most {current_app.config['MAX_PHOTOS']} photos per request, media_url included")
    photos = []
    for index, upload in enumerate(files, start=1):
        data = upload.read(current_app.config["MAX_PHOTO_BYTES"] + 1)
        if len(data) > current_app.config["MAX_PHOTO_BYTES"]:
            raise Open311Error(400, f"media file {index} is larger than {current_app.config['MAX_PHOTO_BYTES']} bytes")
        try:
            photos.append(UploadedPhoto(data=data, info=inspect_photo(data, max_pixels=current_app.config["MAX_IMAGE_PIXELS"])))
        except PhotoRejected as exc:
            raise Open311Error(400, f"media file {index} cannot be accepted: {exc.reason}") from None
    return photos


def _check_place(client: ApiClient, lat: float | None, lon: float | None, address: str | None, locate: Any) -> None:
    """Refuse a location outside the client's own jurisdiction before anything is written."""
    if lat is None or lon is None:
        placed = locate(address) if address else None
        if placed is None:
            raise Open311Error(400, "the address cannot be placed; give lat and long")
        lat, lon = placed
    if coverage.jurisdiction_at(db.session(), lon, lat) != client.jurisdiction_id:
        raise Open311Error(400, "this location is outside the jurisdiction of this api_key")


@blp.route(f"/requests.{FORMAT}", methods=["GET"])
@blp.doc(**_doc("Service requests: by ids, or by services, dates (at most 90 days) and status", 400, 404,
                query=("jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status",
                       "page", "page_size")))
def list_requests(fmt: str) -> Response:
    jurisdiction = _jurisdiction()
    args = request.args
    ids = params.comma_list(args.getlist("service_request_id"), "service_request_id")
    codes = params.comma_list(args.getlist("service_code"), "service_code")
    for code in codes:
        _category(jurisdiction.id, code)
    window = _window()
    wanted_states = params.open_closed(args.getlist("status"))
    # GeoReport v2: ids override every other filter. The others are still
    # checked, so that a malformed parameter never passes silently.
    if ids:
        wanted = report_lists.PublicFilter(jurisdiction_id=jurisdiction.id, ids=tuple(ids))
    else:
        statuses = tuple(s for s, o in mapping.OPEN311_STATUS.items() if o == wanted_states[0]) if len(wanted_states) == 1 else ()
        wanted = report_lists.PublicFilter(jurisdiction_id=jurisdiction.id, categories=tuple(codes), statuses=statuses,
                                           created_from=window.start, created_until=window.end)
    page_size = params.positive(params.single(args.getlist("page_size"), "page_size"), "page_size",
                                params.DEFAULT_LIMIT, params.DEFAULT_LIMIT)
    page = params.positive(params.single(args.getlist("page"), "page"), "page", 1, 1_000_000)
    rows = report_lists.public_rows(db.session(), wanted, decimals=_decimals(), page=page, page_size=page_size)
    language = preferred_language()
    return _answer([mapping.service_request(r, language, _media_url(r), _decimals()) for r in rows], "service_requests")


@blp.route(f"/requests/<string:service_request_id>.{FORMAT}", methods=["GET"])
@blp.doc(**_doc("One service request", 400, 404, query=("jurisdiction_id",)))
def get_request(service_request_id: str, fmt: str) -> Response:
    report = _public_report(_jurisdiction(), service_request_id, "service_request_id")
    return _answer([mapping.service_request(report, preferred_language(), _media_url(report), _decimals())], "service_requests")


@blp.route(f"/tokens/<string:token>.{FORMAT}", methods=["GET"])
@blp.doc(**_doc("The service_request_id of a token (requests are synchronous: the token is the id)", 400, 404,
                query=("jurisdiction_id",)))
def get_token(token: str, fmt: str) -> Response:
    report = _public_report(_jurisdiction(), token, "token")
    return _answer([{"service_request_id": report.public_id, "token": token}], "service_requests")


@blp.route(f"/servicerequestupdates.{FORMAT}", methods=["GET"])
@blp.doc(**_doc("Public updates of service requests between two times (FixMyStreet extension)", 400, 404,
                query=("jurisdiction_id", "start_date", "end_date")))
def request_updates(fmt: str) -> Response:
    jurisdiction = _jurisdiction()
    window = _window()
    report_ids = select(HistoryEntry.report_id).join(Report, HistoryEntry.report_id == Report.id).where(
        Report.jurisdiction_id == jurisdiction.id, Report.hidden.is_(False),
        HistoryEntry.kind.in_(("transition", "comment")),
        HistoryEntry.created_at >= window.start, HistoryEntry.created_at <= window.end)
    reports = db.session.scalars(select(Report).where(Report.id.in_(report_ids.distinct())))
    updates = [u for r in reports for u in mapping.request_updates(r, window.start, window.end, _media_url)]
    updates.sort(key=lambda u: (u["updated_datetime"], int(u["update_id"])))
    return _answer(updates[:params.DEFAULT_LIMIT], "service_request_updates")


def _window() -> params.Window:
    args = request.args
    return params.window(params.single(args.getlist("start_date"), "start_date"),
                         params.single(args.getlist("end_date"), "end_date"), clock.now())
