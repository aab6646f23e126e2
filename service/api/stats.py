"""Figures for the municipality: counts, times, SLA, ratings and reopens per group, as JSON or CSV."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.stats import StatsQuerySchema, StatsSchema, TimeseriesQuerySchema, TimeseriesSchema
from service import clock
from service.api.auth import SECURITY, current_staff
from service.api.csv_files import csv_text
from service.api.paging import wants_csv
from service.api.problems import abort
from service.api.staff import PROBLEMS
from service.domain import stats
from service.extensions import db

blp = Blueprint("stats", __name__, url_prefix="/api/v1/staff/stats", description="Staff: figures per department, category, ward and month")

PERCENTILE = "continuous: linear interpolation at p·(n−1) over the sorted values, as percentile_cont"
STATS_PROBLEMS = {**PROBLEMS, 422: PROBLEMS[401] | {"description": "Bad date, group or metric"}}


def _period(start: Any, end: Any) -> stats.Period:
    try:
        return stats.period(start, end, clock.now())
    except stats.StatsError as exc:
        abort(422, str(exc), errors={exc.field: [str(exc)]})


@blp.route("")
class Stats(MethodView):
    @blp.arguments(StatsQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, StatsSchema, content_type="application/json")
    @blp.doc(security=SECURITY, responses={**STATS_PROBLEMS, 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self, group_by: str, start: Any = None, end: Any = None, format: str | None = None):
        """Figures per group over reports created in [from, to); CSV with format=csv or Accept: text/csv."""
        staff = current_staff()
        within = _period(start, end)
        try:
            groups = stats.parse_groups(group_by)
        except stats.StatsError as exc:
            abort(422, str(exc), errors={exc.field: [str(exc)]})
        rows = stats.figures(db.session(), stats.scope_of(staff), within, groups, clock.now(), year_end_break=current_app.config["YEAR_END_BREAK"])
        if format == "csv" or (format is None and wants_csv()):
            return figures_csv(groups, rows)
        return {"start": within.first.isoformat(), "end": within.end.isoformat(), "group_by": groups, "percentile": PERCENTILE, "groups": rows}


@blp.route("/timeseries")
class Timeseries(MethodView):
    @blp.arguments(TimeseriesQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, TimeseriesSchema)
    @blp.doc(security=SECURITY, responses=STATS_PROBLEMS)
    def get(self, metric: str, interval: str, group_by: str | None = None, start: Any = None, end: Any = None):
        """One figure per month, one series per group, for charts."""
        staff = current_staff()
        within = _period(start, end)
        try:
            series = stats.timeseries(db.session(), stats.scope_of(staff), within, metric, group_by or None, clock.now(),
                                      year_end_break=current_app.config["YEAR_END_BREAK"])
        except stats.StatsError as exc:
            abort(422, str(exc), errors={exc.field: [str(exc)]})
        return {"start": within.first.isoformat(), "end": within.end.isoformat(), **series}


def figures_csv(groups: list[str], rows: list[dict[str, Any]]) -> Response:
    """The figures as CSV: the group keys (codes and names) and then every figure, one row per group."""
    keys = [k for g in groups for k in ((g, f"{g}_name") if g in ("department", "category") else (g,))]
    columns = (*keys, *stats.FIGURES)
    response = Response("".join(csv_text(columns, ([row[k] for k in columns] for row in rows))), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="stats.csv"'
    return response
