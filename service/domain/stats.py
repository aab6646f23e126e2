"""Figures for the municipality: counts, backlog, response times, SLA, ratings, reopens.

Every figure is computed by one SQL statement in the database, grouped by any
of department, category, ward and month; no report is loaded into Python. The
statement reads the report table alone: the workflow and the ratings keep the
reopen count, the first rating request and the current rating on the report
row, and PostgreSQL answers from the ``ix_report_figures`` covering index.

Definitions (the API documents the same):

- Reports are counted by ``created_at`` in ``[start, end)``; days and months
  are those of Asia/Tokyo, which has kept UTC+9 without daylight saving since
  1951, so SQLite shifts by nine hours where PostgreSQL converts the zone.
- *received*: reports created in the period; *resolved*: those resolved at
  least once (``resolved_at`` set); *open_backlog*: those open now.
- Times to first response and to resolution run from ``created_at`` to
  ``first_response_at`` and to ``resolved_at`` (the latest resolution), in
  hours and in business days as :func:`business_days.business_days_between`
  counts them (business days begun after the day of receipt).
- Percentiles are continuous, with linear interpolation between the two
  nearest ranks, as PostgreSQL's ``percentile_cont``: over the n values
  sorted, the p-th percentile sits at position p·(n−1) counted from 0.
  PostgreSQL uses ``percentile_cont``; SQLite picks the two ranks with
  ``row_number`` and ``count`` windows and interpolates the same way.
- SLA met: first response on time (``first_response_at <= first_response_due_at``)
  over reports whose clock has stopped or whose due time has passed;
  resolution on time over reports resolved, or still open past the due time
  (a report closed as not actionable, forwarded or duplicate has no
  resolution to measure).
- Ratings: current ones only (``rating_score``, ``rating_fixed``). Rating
  requests: resolved reports with a ``report.rating_requested`` event
  (``rating_requested_at`` set); the response rate is how many of those
  carry a current rating.
- Reopen rate: resolved reports with at least one resolved → in_progress
  transition (``reopen_count`` above 0), over resolved reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from service.domain import access
from service.domain.business_days import is_business_day
from service.domain.status import OPEN_STATUSES
from service.models import Staff
from service.models.types import UTCDateTime
from service.timefmt import TOKYO

GROUPS = ("department", "category", "ward", "month")
PERCENTILES = {"median": 0.5, "p90": 0.9}
MEASURES = ("first_response_hours", "first_response_business_days", "resolution_hours", "resolution_business_days")
COUNTS = ("received", "resolved", "open_backlog", "first_response_sla_counted", "resolution_sla_counted", "ratings",
          "rating_requests", "rating_responses", "score_1", "score_2", "score_3", "score_4", "score_5", "fixed", "reopened")
RATIOS = ("first_response_sla_met", "resolution_sla_met", "rating_response_rate", "mean_score", "fixed_share", "reopen_rate")
FIGURES = (
    "received", "resolved", "open_backlog", "oldest_open_age_days",
    *(f"{m}_{p}" for m in MEASURES for p in PERCENTILES),
    "first_response_sla_counted", "first_response_sla_met", "resolution_sla_counted", "resolution_sla_met",
    "ratings", "rating_requests", "rating_responses", "rating_response_rate", "mean_score",
    "score_1", "score_2", "score_3", "score_4", "score_5", "fixed", "fixed_share", "reopened", "reopen_rate",
)
# Figures a chart can draw, one value per group and month.
METRICS = tuple(f for f in FIGURES if f not in ("open_backlog", "oldest_open_age_days"))
LONGEST_PERIOD = timedelta(days=3660)
DEFAULT_MONTHS = 12
WORK_MEM = "256MB"
MONTHLY_PARTS = 36


class StatsError(ValueError):
    """A request for figures that cannot be answered; ``field`` names the culprit."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Scope:
    """Whose reports count: a jurisdiction and, for department-scoped staff, one department."""

    jurisdiction_id: int
    department_id: int | None = None


def scope_of(staff: Staff) -> Scope:
    """The reports a staff member's figures count: the jurisdiction's, and below admin the department's."""
    return Scope(staff.jurisdiction_id, staff.department_id if access.department_scoped(staff) else None)


@dataclass(frozen=True)
class Period:
    """Tokyo dates, ``first`` included and ``end`` excluded."""

    first: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=TOKYO).astimezone(UTC)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time(0), tzinfo=TOKYO).astimezone(UTC)

    def month_bounds(self) -> list[tuple[datetime, datetime]]:
        """The period cut at Tokyo month starts, as UTC ``[start, end)`` pairs, one per month it touches."""
        bounds, day = [], self.first
        while day < self.end:
            part = Period(day, min((day.replace(day=1) + timedelta(days=32)).replace(day=1), self.end))
            bounds.append((part.start_at, part.end_at))
            day = part.end
        return bounds

    def before(self) -> Period:
        """The period of the same length that ends where this one begins (the one to compare with)."""
        return Period(self.first - (self.end - self.first), self.first)

    def months(self) -> list[str]:
        """Every month the period touches, as ``YYYY-MM``."""
        months, day = [], self.first.replace(day=1)
        while day < self.end:
            months.append(f"{day:%Y-%m}")
            day = (day + timedelta(days=32)).replace(day=1)
        return months


def period(first: date | None, end: date | None, now: datetime) -> Period:
    """The period asked for; by default the current month so far and the eleven before it.

    Raises StatsError when ``end`` is not after ``first`` or the period is longer than ten years.
    """
    today = now.astimezone(TOKYO).date()
    if end is None:
        end = today + timedelta(days=1)
    if first is None:
        month = end - timedelta(days=1)
        index = month.year * 12 + month.month - 1 - (DEFAULT_MONTHS - 1)
        first = date(index // 12, index % 12 + 1, 1)
    if end <= first:
        raise StatsError("`to` must be after `from`.", "to")
    if end - first > LONGEST_PERIOD:
        raise StatsError("A period is at most ten years long.", "from")
    return Period(first, end)


def parse_groups(text_value: str | None) -> list[str]:
    """``department,month`` → ``["department", "month"]``; raises StatsError for unknown or repeated names."""
    names = [n.strip() for n in (text_value or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in GROUPS]
    if unknown:
        raise StatsError(f"Unknown group {unknown[0]!r}; use {', '.join(GROUPS)}.", "group_by")
    if len(set(names)) != len(names):
        raise StatsError("Each group is named once.", "group_by")
    return names


def figures(session: Session, scope: Scope, within: Period, groups: Sequence[str], now: datetime, *,
            year_end_break: bool = True) -> list[dict[str, Any]]:
    """One row of figures per group, ordered by the group keys.

    Department and category groups carry the code and the Japanese name.
    Raises StatsError for an unknown group.
    """
    for name in groups:
        if name not in GROUPS:
            raise StatsError(f"Unknown group {name!r}.", "group_by")
    dialect = session.get_bind().dialect.name
    last_day = max(within.end, now.astimezone(TOKYO).date()) + timedelta(days=2)
    # PostgreSQL sorts for percentiles in one process per aggregate; figures by
    # month are computed month by month instead, in parallel workers, as no
    # group spans two months. Each month is one more part to plan, hence the cap.
    if dialect == "postgresql" and "month" in groups and len(within.months()) <= MONTHLY_PARTS:
        months, bounds = within.months(), within.month_bounds()
    else:
        months, bounds = [""], [(within.start_at, within.end_at)]
    counts = _business_day_counts(within.first, last_day, year_end_break)
    sql = _statement(dialect, list(groups), within.first, counts, scope.department_id is not None, months)
    params: dict[str, Any] = {"jurisdiction_id": scope.jurisdiction_id, "now": now}
    if dialect == "postgresql":
        params["calendar"] = counts
    for index, (start_at, end_at) in enumerate(bounds):
        params[f"start_at_{index}"], params[f"end_at_{index}"] = start_at, end_at
    if scope.department_id is not None:
        params["department_id"] = scope.department_id
    if dialect == "postgresql":
        # The statement sorts every group's values for the percentiles; with
        # the default 4 MB the sorts of a million rows spill to disk, and compiling it (JIT)
        # costs more than it saves. Both settings end with the transaction.
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))
    result = session.execute(sql, params).mappings().all()
    names = _names(session, scope.jurisdiction_id)
    return [_present(dict(row), groups, names, now) for row in result]


def timeseries(session: Session, scope: Scope, within: Period, metric: str, group: str | None, now: datetime, *,
               year_end_break: bool = True) -> dict[str, Any]:
    """``metric`` per month (and per group), with every month of the period present.

    Months without reports read 0 for counts and None for other figures.
    Raises StatsError for an unknown metric or group.
    """
    if metric not in METRICS:
        raise StatsError(f"Unknown metric {metric!r}; use one of {', '.join(METRICS)}.", "metric")
    if group is not None and group not in GROUPS[:3]:
        raise StatsError(f"Unknown group {group!r}; use department, category or ward.", "group_by")
    rows = figures(session, scope, within, [group, "month"] if group else ["month"], now, year_end_break=year_end_break)
    months = within.months()
    empty = 0 if metric in COUNTS else None
    series: dict[Any, dict[str, Any]] = {}
    for row in rows:
        key = row[group] if group else None
        line = series.setdefault(key, {"key": key, "name": row.get(f"{group}_name") if group else None,
                                       "values": dict.fromkeys(months, empty)})
        if row["month"] in line["values"]:
            line["values"][row["month"]] = row[metric]
    return {"metric": metric, "interval": "month", "group_by": group, "months": months,
            "series": [{**line, "values": list(line["values"].values())} for line in series.values()]}


def _business_day_counts(first: date, last: date, year_end_break: bool) -> list[int]:
    """For every day from ``first`` to ``last``, the business days counted since ``first``.

    The business days between two dates are then the difference of their
    counts, so the statement needs no calendar table.
    """
    counts, count, day = [], 0, first
    while day <= last:
        if day != first and is_business_day(day, year_end_break=year_end_break):
            count += 1
        counts.append(count)
        day += timedelta(days=1)
    return counts


def _statement(dialect: str, groups: list[str], first: date, counts: list[int], by_department: bool,
               months: Sequence[str] = ("",)):
    """The statement over one part of the period per entry of ``months`` (the month of each part, when grouped by month)."""
    open_list = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
    if dialect == "postgresql":
        # The calendar is one array parameter indexed by the day's offset: no
        # join, and no CTE, whose scan would keep the statement from running in
        # parallel workers. The Tokyo day is counted from the epoch at the fixed
        # UTC+9 offset, arithmetic on the stored instant that is cheaper than a
        # time zone conversion per row.
        array = "(CAST(:calendar AS int[]))"
        calendar, joins = "", ""
        first_day = (first - date(1970, 1, 1)).days
        business = {col: f"{array}[floor((date_part('epoch', r.{col}) + 32400) / 86400)::int - {first_day - 1}]"
                    for col in ("created_at", "first_response_at", "resolved_at")}
        month_key = "{month}"
        # date_part answers double precision; EXTRACT's numeric is several times slower.
        hours = "date_part('epoch', r.{end} - r.created_at) / 3600"
    else:
        rows = [f"('{first + timedelta(days=offset)}', {n})" for offset, n in enumerate(counts)]
        calendar = f"cal(day, n) AS (VALUES {', '.join(rows)}), "
        aliases = {"created_at": "c0", "first_response_at": "c1", "resolved_at": "c2"}
        joins = "\n    ".join(f"LEFT JOIN cal {a} ON {a}.day = date(r.{col}, '+9 hours')" for col, a in aliases.items())
        business = {col: f"{a}.n" for col, a in aliases.items()}
        month_key = "strftime('%Y-%m', r.created_at, '+9 hours')"
        hours = "(julianday(r.{end}) - julianday(r.created_at)) * 24.0"
    keys = {"department": "r.department_id", "category": "r.category_id", "ward": "r.ward", "month": month_key}
    key_columns = [f"{keys[g]} AS g_{g}" for g in groups]
    key_names = [f"g_{g}" for g in groups]

    base = f"""
    SELECT {''.join(c + ', ' for c in key_columns)}
      r.created_at,
      CASE WHEN r.status IN ({open_list}) THEN 1 ELSE 0 END AS is_open,
      CASE WHEN r.resolved_at IS NOT NULL THEN 1 ELSE 0 END AS is_resolved,
      {hours.format(end='first_response_at')} AS first_response_hours,
      {business['first_response_at']} - {business['created_at']} AS first_response_business_days,
      {hours.format(end='resolved_at')} AS resolution_hours,
      {business['resolved_at']} - {business['created_at']} AS resolution_business_days,
      CASE WHEN r.first_response_due_at IS NOT NULL
            AND (r.first_response_at IS NOT NULL OR r.first_response_due_at < :now) THEN 1 ELSE 0 END AS fr_counted,
      CASE WHEN r.first_response_at <= r.first_response_due_at THEN 1 ELSE 0 END AS fr_met,
      CASE WHEN r.resolution_due_at IS NOT NULL AND (r.resolved_at IS NOT NULL
            OR (r.status IN ({open_list}) AND r.resolution_due_at < :now)) THEN 1 ELSE 0 END AS res_counted,
      CASE WHEN r.resolved_at <= r.resolution_due_at THEN 1 ELSE 0 END AS res_met,
      r.rating_score AS score,
      CASE WHEN r.rating_fixed THEN 1 ELSE 0 END AS fixed,
      CASE WHEN r.resolved_at IS NOT NULL AND r.rating_requested_at IS NOT NULL THEN 1 ELSE 0 END AS asked,
      CASE WHEN r.resolved_at IS NOT NULL AND r.reopen_count > 0 THEN 1 ELSE 0 END AS reopened
    FROM report r
    {joins}
    WHERE r.jurisdiction_id = :jurisdiction_id AND r.created_at >= :start_at_{{slice}} AND r.created_at < :end_at_{{slice}}
      {'AND r.department_id = :department_id' if by_department else ''}"""

    partition = f"PARTITION BY {', '.join(key_names)} " if key_names else ""
    if dialect == "postgresql":
        source = "({base}) base"
        percentiles = [
            f"percentile_cont(ARRAY[{', '.join(str(p) for p in PERCENTILES.values())}]::float8[]) "
            f"WITHIN GROUP (ORDER BY {m}::float8) AS {m}_percentiles" for m in MEASURES]
    else:
        # SQLite has no percentile_cont: rank each measure within its group
        # (missing values last) and interpolate between the two ranks around p·(n−1).
        windows = [f"row_number() OVER ({partition}ORDER BY {m} IS NULL, {m}) - 1 AS {m}_k, "
                   f"count({m}) OVER ({partition.strip()}) AS {m}_n" for m in MEASURES]
        source = f"(SELECT base.*, {', '.join(windows)} FROM ({{base}}) base) ranked"
        percentiles = []
        for m in MEASURES:
            for label, p in PERCENTILES.items():
                position = f"({p} * (MAX({m}_n) - 1))"
                low = f"SUM(CASE WHEN {m}_k = CAST({p} * ({m}_n - 1) AS INTEGER) THEN {m} END)"
                high = f"SUM(CASE WHEN {m}_k = CAST({p} * ({m}_n - 1) AS INTEGER) + 1 THEN {m} END)"
                percentiles.append(f"{low} + ({position} - CAST({position} AS INTEGER)) * (COALESCE({high}, {low}) - {low})"
                                   f" AS {m}_{label}")

    scores = [f"SUM(CASE WHEN score = {s} THEN 1 ELSE 0 END) AS score_{s}" for s in range(1, 6)]
    aggregate = f"""
    SELECT {''.join(k + ', ' for k in key_names)}
      COUNT(*) AS received, SUM(is_resolved) AS resolved, SUM(is_open) AS open_backlog,
      MIN(CASE WHEN is_open = 1 THEN created_at END) AS oldest_open_at,
      {', '.join(percentiles)},
      SUM(fr_counted) AS first_response_sla_counted, SUM(fr_met) AS fr_met,
      SUM(res_counted) AS resolution_sla_counted, SUM(res_met) AS res_met,
      COUNT(score) AS ratings, SUM(asked) AS rating_requests,
      SUM(CASE WHEN asked = 1 AND score IS NOT NULL THEN 1 ELSE 0 END) AS rating_responses,
      AVG(CAST(score AS DOUBLE PRECISION)) AS mean_score, {', '.join(scores)}, SUM(fixed) AS fixed, SUM(reopened) AS reopened
    FROM {source}
    {'GROUP BY ' + ', '.join(key_names) if key_names else ''}"""
    # A part of the statement that covers one month has that month as a constant.
    parts = [aggregate.replace("{base}", base.replace("{slice}", str(index)).replace(
                 "{month}", f"CAST('{month}' AS text)" if month else "to_char(r.created_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM')"))
             for index, month in enumerate(months)]
    select = f"""
    {'WITH ' + calendar.rstrip(', ') if calendar else ''}
    {' UNION ALL '.join(f'({part})' for part in parts) if len(parts) > 1 else parts[0]}
    {'ORDER BY ' + ', '.join(key_names) if key_names else ''}"""
    bounds = [bindparam(f"{edge}_{index}", type_=UTCDateTime()) for index in range(len(months)) for edge in ("start_at", "end_at")]
    return text(select).bindparams(*bounds, bindparam("now", type_=UTCDateTime())).columns(oldest_open_at=UTCDateTime())


def _names(session: Session, jurisdiction_id: int) -> dict[str, dict[int, tuple[str, str]]]:
    names: dict[str, dict[int, tuple[str, str]]] = {}
    for table in ("department", "category"):
        rows = session.execute(text(f"SELECT id, code, name_ja FROM {table} WHERE jurisdiction_id = :j"), {"j": jurisdiction_id})
        names[table] = {row.id: (row.code, row.name_ja) for row in rows}
    return names


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _rounded(value: Any, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _present(row: dict[str, Any], groups: Sequence[str], names: dict[str, dict[int, tuple[str, str]]], now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for group in groups:
        key = row.pop(f"g_{group}")
        if group in ("department", "category"):
            code, name = names[group].get(key, (None, None)) if key is not None else (None, None)
            out[group], out[f"{group}_name"] = code, name
        else:
            out[group] = key
    out["received"], out["resolved"], out["open_backlog"] = (int(row[k] or 0) for k in ("received", "resolved", "open_backlog"))
    oldest = row["oldest_open_at"]
    out["oldest_open_age_days"] = _rounded((now - oldest).total_seconds() / 86400) if oldest is not None else None
    for measure in MEASURES:
        # PostgreSQL answers one array per measure; SQLite one column per percentile.
        together = row.get(f"{measure}_percentiles")
        for index, label in enumerate(PERCENTILES):
            value = together[index] if together is not None else row.get(f"{measure}_{label}")
            out[f"{measure}_{label}"] = _rounded(value)
    counts = {k: int(row[k] or 0) for k in ("first_response_sla_counted", "fr_met", "resolution_sla_counted", "res_met", "ratings",
                                            "rating_requests", "rating_responses", "fixed", "reopened",
                                            *(f"score_{s}" for s in range(1, 6)))}
    out["first_response_sla_counted"] = counts["first_response_sla_counted"]
    out["first_response_sla_met"] = _ratio(counts["fr_met"], counts["first_response_sla_counted"])
    out["resolution_sla_counted"] = counts["resolution_sla_counted"]
    out["resolution_sla_met"] = _ratio(counts["res_met"], counts["resolution_sla_counted"])
    out["ratings"], out["rating_requests"], out["rating_responses"] = counts["ratings"], counts["rating_requests"], counts["rating_responses"]
    out["rating_response_rate"] = _ratio(counts["rating_responses"], counts["rating_requests"])
    out["mean_score"] = _rounded(row["mean_score"])
    for s in range(1, 6):
        out[f"score_{s}"] = counts[f"score_{s}"]
    out["fixed"], out["fixed_share"] = counts["fixed"], _ratio(counts["fixed"], counts["ratings"])
    out["reopened"], out["reopen_rate"] = counts["reopened"], _ratio(counts["reopened"], out["resolved"])
    return out
