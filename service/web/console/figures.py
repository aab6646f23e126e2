"""The figures (/staff/figures): this period beside the last, per department, category, ward or month, with charts and CSV.

Every number is :func:`service.domain.stats.figures`, the function the
``/api/v1/staff/stats`` answer comes from, with the same query arguments
(``from``, ``to``, ``group_by``) and the same scope; the CSV is the API's.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from marshmallow import ValidationError

from schemas.stats import StatsQuerySchema
from service import clock
from service.api.stats import figures_csv
from service.domain import stats
from service.extensions import db
from service.web.console import bp
from service.web.console.member import current_member

QUERY = StatsQuerySchema()
GROUP_LABELS = {"department": lazy_gettext("担当課"), "category": lazy_gettext("種類"), "ward": lazy_gettext("区"),
                "month": lazy_gettext("月"), "": lazy_gettext("全体")}
# The table's columns: a figure and its heading, in the order a clerk reads them.
COLUMNS = (
    ("received", lazy_gettext("受付")), ("resolved", lazy_gettext("解決")), ("open_backlog", lazy_gettext("未完了")),
    ("first_response_business_days_median", lazy_gettext("初回対応 中央値（営業日）")),
    ("first_response_business_days_p90", lazy_gettext("初回対応 90%値（営業日）")),
    ("resolution_business_days_median", lazy_gettext("解決 中央値（営業日）")),
    ("resolution_business_days_p90", lazy_gettext("解決 90%値（営業日）")),
    ("first_response_sla_met", lazy_gettext("初回対応 期限内")), ("resolution_sla_met", lazy_gettext("解決 期限内")),
    ("mean_score", lazy_gettext("平均評価")), ("fixed_share", lazy_gettext("「直った」の割合")),
    ("reopen_rate", lazy_gettext("再対応率")),
)
SHARES = frozenset({"first_response_sla_met", "resolution_sla_met", "fixed_share", "reopen_rate"})
# The charts: a figure per month of the period, the last period's months beside them, and a target where one is set.
CHARTS = (("received", lazy_gettext("受付件数"), None), ("first_response_sla_met", lazy_gettext("初回対応 期限内の割合"), "FIGURES_TARGET_SLA_MET"),
          ("resolution_business_days_median", lazy_gettext("解決までの営業日（中央値）"), None),
          ("mean_score", lazy_gettext("平均評価"), "FIGURES_TARGET_MEAN_SCORE"))


def figure_text(name: str, value: Any) -> str:
    """A figure as the table shows it: shares in percent, times and scores to two decimals, counts as they are."""
    if value is None:
        return "—"
    if name in SHARES:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _asked() -> tuple[dict[str, Any], dict[str, list[str]]]:
    # An empty group_by asks for one row of the whole (as the API's does); other empty fields are left out.
    given = {k: v for k, v in request.args.items() if k != "lang" and (v.strip() or k == "group_by")}
    given.pop("format", None)
    try:
        return QUERY.load({"group_by": "department", **given}), {}
    except ValidationError as exc:
        return {}, {field: list(messages) if isinstance(messages, list) else [str(messages)]
                    for field, messages in exc.normalized_messages().items()}


def _period_and_groups(args: dict[str, Any]) -> tuple[stats.Period, list[str]]:
    """Raises StatsError as the API does."""
    return stats.period(args.get("start"), args.get("end"), clock.now()), stats.parse_groups(args.get("group_by"))


def _key(row: dict[str, Any], groups: list[str]) -> tuple[Any, ...]:
    return tuple(row.get(g) for g in groups)


def _label(row: dict[str, Any], groups: list[str]) -> str:
    parts = [str(row.get(f"{g}_name") or row.get(g) or _("（なし）")) for g in groups]
    return " / ".join(parts) if parts else str(_("全体"))


@bp.get("/figures")
def figures_page() -> tuple[str, int]:
    member = current_member()
    args, errors = _asked()
    context: dict[str, Any] = {"errors": errors, "group_labels": GROUP_LABELS, "columns": COLUMNS, "figure_text": figure_text,
                               "args": request.args, "rows": [], "charts": []}
    if not errors:
        try:
            within, groups = _period_and_groups(args)
        except stats.StatsError as exc:
            errors = context["errors"] = {exc.field: [str(exc)]}
    if errors:
        return render_template("staff/figures.html", **context), 400
    session, now, scope = db.session(), clock.now(), stats.scope_of(member)
    year_end_break = current_app.config["YEAR_END_BREAK"]
    last = within.before()
    this_rows = stats.figures(session, scope, within, groups, now, year_end_break=year_end_break)
    last_rows = {_key(r, groups): r for r in stats.figures(session, scope, last, groups, now, year_end_break=year_end_break)}
    context.update({
        "within": within, "last": last, "group_by": ",".join(groups), "shown_end": date.fromordinal(within.end.toordinal() - 1),
        "last_end": date.fromordinal(last.end.toordinal() - 1),
        "rows": [{"label": _label(r, groups), "this": r, "last": last_rows.get(_key(r, groups))} for r in this_rows],
        "charts": _charts(session, scope, within, last, now, year_end_break),
        "csv_url": url_for("staff_web.figures_csv_download") + _same_query(),
    })
    return render_template("staff/figures.html", **context), 200


def _same_query() -> str:
    """This page's query string (without the page language), for the CSV of the same figures."""
    kept = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "lang"])
    return f"?{kept}" if kept else ""


def _charts(session, scope: stats.Scope, within: stats.Period, last: stats.Period, now, year_end_break: bool) -> list[dict[str, Any]]:
    """Per chart: the months of this period, its values and the last period's month by month, and the target.

    The last period's months are matched to this period's from the end, so
    that the latest month of each stands at the right of the chart.
    """
    this_months, last_months = within.months(), last.months()
    by_month = {r["month"]: r for r in stats.figures(session, scope, within, ["month"], now, year_end_break=year_end_break)}
    before = {r["month"]: r for r in stats.figures(session, scope, last, ["month"], now, year_end_break=year_end_break)}
    charts = []
    for metric, title, target_setting in CHARTS:
        empty = 0 if metric in stats.COUNTS else None
        charts.append({
            "metric": metric, "title": str(title), "share": metric in SHARES,
            "data": {"months": this_months,
                     "this": [by_month.get(m, {}).get(metric, empty) for m in this_months],
                     "last": [before.get(m, {}).get(metric, empty) for m in last_months[-len(this_months):]],
                     "target": current_app.config[target_setting] if target_setting else None,
                     "labels": {"month": _("月"), "this": _("今期"), "last": _("前期"), "target": _("目標")}},
        })
    return charts


@bp.get("/figures.csv")
def figures_csv_download() -> Response:
    member = current_member()
    args, errors = _asked()
    try:
        if errors:
            raise stats.StatsError(next(iter(errors.values()))[0], next(iter(errors)))
        within, groups = _period_and_groups(args)
    except stats.StatsError as exc:
        return Response(f"{exc.field}: {exc}", status=400, mimetype="text/plain")
    rows = stats.figures(db.session(), stats.scope_of(member), within, groups, clock.now(),
                         year_end_break=current_app.config["YEAR_END_BREAK"])
    return figures_csv(groups, rows)
