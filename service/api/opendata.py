"""Open data (指針7): public reports as GeoJSON and CSV, streamed and cacheable.

Only what anyone may see is exported, and less than that: no contact data,
device ids, internal notes, photos or hidden reports, and no free text (a copy
of open data cannot be corrected when a moderator later redacts a
description). Places follow the disclosure policy of every public surface
(service.domain.disclosure): addresses stop at the block (丁目) and
coordinates are rounded by a setting. Every CSV cell is written by
service.api.csv_files, safe to open in a spreadsheet. The CSV
follows the 自治体標準オープンデータセット convention: the first columns are
全国地方公共団体コード, ID and 地方公共団体名, with Japanese headers in UTF-8
(``bom=true`` adds a byte order mark for spreadsheets).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import Select, func, select

from schemas.opendata import OpenDataQuerySchema
from service.api.csv_files import csv_text
from service.domain import status as statuses
from service.domain.disclosure import disclose
from service.domain.local_government_code import normalize
from service.extensions import db
from service.models import Category, Department, Jurisdiction, Report
from service.timefmt import TOKYO, iso_tokyo

blp = Blueprint("opendata", __name__, url_prefix="/api/v1/opendata",
                description="Open data: public reports as GeoJSON and CSV (no personal data, no hidden reports)")

# (CSV header, GeoJSON property, meaning): the documented column list, in order.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("全国地方公共団体コード", "jurisdiction_code", "local government code, 6 digits"),
    ("ID", "id", "the report's public id"),
    ("地方公共団体名", "jurisdiction_name", "the municipality's name, with its prefecture"),
    ("種別コード", "category_code", "category code"),
    ("種別", "category", "category name"),
    ("状態コード", "status", "status code"),
    ("状態", "status_label", "status label"),
    ("受付日時", "created_at", "received, ISO 8601 with offset"),
    ("更新日時", "updated_at", "last changed, ISO 8601 with offset"),
    ("対応完了日時", "resolved_at", "resolved, ISO 8601 with offset; empty until resolved"),
    ("区", "ward", "ward (区), where the city has wards"),
    ("住所", "address", "address down to the block (丁目), never the house number"),
    ("緯度", "lat", "latitude, rounded"),
    ("経度", "lon", "longitude, rounded"),
    ("担当課", "department", "the department responsible"),
    ("対応済", "resolved", "1 when resolved, else 0 (GeoJSON: true or false)"),
    ("対応日数", "days_to_resolution", "calendar days from receipt to resolution; empty until resolved"),
)
BATCH = 500
COLUMN_DOC = "Columns, in order: " + "; ".join(f"{h} ({k}): {m}" for h, k, m in COLUMNS) + "."


def _query(filters: dict[str, Any]) -> Select:
    query = (select(Report.public_id, Report.status, Report.created_at, Report.updated_at, Report.resolved_at,
                    Report.ward, Report.address_parts, Report.processing_state, Report.lat, Report.lon,
                    Jurisdiction.code, Jurisdiction.name_ja, Jurisdiction.prefecture_ja, Category.code.label("category_code"),
                    Category.name_ja.label("category_name"), Department.name_ja.label("department_name"))
             .join(Jurisdiction, Report.jurisdiction_id == Jurisdiction.id)
             .join(Category, Report.category_id == Category.id)
             .outerjoin(Department, Report.department_id == Department.id)
             .where(Report.hidden.is_(False)))
    return _filtered(query, filters)


def _filtered(query: Select, filters: dict[str, Any]) -> Select:
    if filters.get("start_date"):
        query = query.where(Report.created_at >= datetime.combine(filters["start_date"], time(), TOKYO))
    if filters.get("end_date"):
        query = query.where(Report.created_at < datetime.combine(filters["end_date"] + timedelta(days=1), time(), TOKYO))
    if filters.get("category"):
        query = query.where(Category.code.in_(filters["category"]))
    if filters.get("status"):
        query = query.where(Report.status.in_(filters["status"]))
    if filters.get("jurisdiction"):
        query = query.where(Jurisdiction.code == (normalize(filters["jurisdiction"]) or filters["jurisdiction"]))
    return query


def _row(r: Any, decimals: int) -> dict[str, Any]:
    processed = r.processing_state == "done"
    parts = (r.address_parts or {}) if processed else {}
    public = disclose(lat=r.lat, lon=r.lon, address_parts=r.address_parts, description=None, processed=processed,
                      decimals=decimals)
    name = r.name_ja if not r.prefecture_ja or r.name_ja.startswith(r.prefecture_ja) else r.prefecture_ja + r.name_ja
    resolved = r.status == "resolved"
    days = None
    if resolved and r.resolved_at is not None:
        days = (r.resolved_at.astimezone(TOKYO).date() - r.created_at.astimezone(TOKYO).date()).days
    return {
        "jurisdiction_code": r.code, "id": r.public_id, "jurisdiction_name": name,
        "category_code": r.category_code, "category": r.category_name,
        "status": r.status, "status_label": statuses.label(r.status, "ja"),
        "created_at": iso_tokyo(r.created_at), "updated_at": iso_tokyo(r.updated_at),
        "resolved_at": iso_tokyo(r.resolved_at) if resolved else None,
        "ward": (r.ward or parts.get("ward")) if processed else None, "address": public.address,
        "lat": public.lat, "lon": public.lon,
        "department": r.department_name if processed else None,
        "resolved": resolved, "days_to_resolution": days,
    }


def _rows(filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
    decimals = current_app.config["OPENDATA_COORDINATE_DECIMALS"]
    query = _query(filters).order_by(Report.created_at, Report.id).execution_options(yield_per=BATCH)
    for row in db.session.execute(query):
        yield _row(row, decimals)


def _export(filters: dict[str, Any], body: Iterator[str], content_type: str, filename: str) -> Response:
    """A streamed answer with an ETag and Last-Modified from the filtered reports; 304 when unchanged."""
    stats = db.session.execute(_filtered(
        select(func.count(Report.id), func.max(Report.updated_at), func.max(Report.id), func.sum(Report.version))
        .join(Jurisdiction, Report.jurisdiction_id == Jurisdiction.id)
        .join(Category, Report.category_id == Category.id).where(Report.hidden.is_(False)), filters)).one()
    count, last_modified, last_id, versions = stats
    decimals = current_app.config["OPENDATA_COORDINATE_DECIMALS"]
    # Any change to an exported report bumps its updated_at (to the microsecond)
    # or its version, and a report that appears or disappears changes the count.
    fingerprint = json.dumps([request.path, sorted(request.args.items(multi=True)), count,
                              last_modified.isoformat() if last_modified else None, last_id, int(versions or 0), decimals])
    response = Response(stream_with_context(body), content_type=content_type)
    response.set_etag(hashlib.sha256(fingerprint.encode()).hexdigest()[:32])
    if last_modified is not None:
        response.last_modified = last_modified
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.make_conditional(request)
    return response


def _geojson(filters: dict[str, Any]) -> Iterator[str]:
    yield '{"type":"FeatureCollection","features":['
    for index, row in enumerate(_rows(filters)):
        feature = {"type": "Feature", "id": row["id"],
                   "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]}, "properties": row}
        yield ("," if index else "") + json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
    yield "]}"


def _csv(filters: dict[str, Any], bom: bool) -> Iterator[str]:
    # The CSV writes the resolved flag as 1 or 0, as the column list says.
    rows = ([int(row[key]) if key == "resolved" else row[key] for _, key, _ in COLUMNS] for row in _rows(filters))
    return csv_text([header for header, _, _ in COLUMNS], rows, bom=bom)


CACHE_HEADERS = {name: {"schema": {"type": "string"}} for name in ("ETag", "Last-Modified", "Cache-Control")}


@blp.route("/reports.geojson")
class ReportsGeoJSON(MethodView):
    @blp.arguments(OpenDataQuerySchema, location="query", as_kwargs=True)
    @blp.doc(description=COLUMN_DOC, responses={
        200: {"description": "a FeatureCollection of Points; properties are the columns", "headers": CACHE_HEADERS,
              "content": {"application/geo+json": {"schema": {"type": "object"}}}},
        304: {"description": "Not modified since the ETag or Last-Modified sent"}})
    def get(self, **filters: Any) -> Response:
        """Public reports as GeoJSON, oldest first."""
        return _export(filters, _geojson(filters), "application/geo+json", "reports.geojson")


@blp.route("/reports.csv")
class ReportsCSV(MethodView):
    @blp.arguments(OpenDataQuerySchema, location="query", as_kwargs=True)
    @blp.doc(description=COLUMN_DOC, responses={
        200: {"description": "CSV with Japanese headers, UTF-8 (bom=true adds a BOM)", "headers": CACHE_HEADERS,
              "content": {"text/csv": {"schema": {"type": "string"}}}},
        304: {"description": "Not modified since the ETag or Last-Modified sent"}})
    def get(self, bom: bool = False, **filters: Any) -> Response:
        """Public reports as CSV (自治体標準オープンデータセット style), oldest first."""
        return _export(filters, _csv(filters, bom), "text/csv; charset=utf-8", "reports.csv")
