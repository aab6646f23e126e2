"""Figures for the municipality, checked against a recomputation in plain Python.

The data set is written straight through the models: a few hundred reports
over departments, categories, wards and fourteen months, with first
responses, resolutions, reopens in the history, rating requests and ratings
that replace earlier ones. The columns the report keeps for the figures
(reopens, rating request, current rating) are then filled by migration
0007's backfill, as for reports that existed before it. Every figure the API
answers must equal the one recomputed here from the same records, on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select

from service.domain import jurisdictions as setup
from service.domain.business_days import business_days_between, due_at
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Category, Department, HistoryEntry, Jurisdiction, OutboxEvent, Rating, Report

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
TOKYO = ZoneInfo("Asia/Tokyo")
OPEN = {"received", "acknowledged", "in_progress"}
WARDS = ["中央区", "北区", "南区", None]
URL = "/api/v1/staff/stats"
OTHER_BOUNDARY = {"type": "Polygon", "coordinates": [[[140.10, 35.58], [140.15, 35.58], [140.15, 35.63], [140.10, 35.63], [140.10, 35.58]]]}


@dataclass
class Record:
    """What the test itself knows about one report, kept apart from the database."""

    department: str | None
    category: str
    ward: str | None
    created_at: datetime
    status: str
    first_response_at: datetime | None
    resolved_at: datetime | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    asked: bool
    reopened: bool
    score: int | None
    fixed: bool | None


def _report(number: int, jurisdiction: Jurisdiction, department: Department | None, category: Category, ward: str | None,
            created_at: datetime, **fields) -> Report:
    return Report(public_id=f"stats-{number:05d}", jurisdiction_id=jurisdiction.id, category_id=category.id,
                  department_id=department.id if department else None, ward=ward, description="道路に穴があります",
                  lat=35.65, lon=139.78, tracking_token_hash="0" * 64, created_at=created_at, updated_at=created_at, **fields)


def make_reports(now: datetime, count: int = 320, seed: int = 20240501) -> list[Record]:
    """Write ``count`` reports with their history, events and ratings; return what was written."""
    rng = random.Random(seed)
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "990019"))
    departments = db.session.scalars(select(Department).where(Department.jurisdiction_id == jurisdiction.id)).all()
    categories = db.session.scalars(select(Category).where(Category.jurisdiction_id == jurisdiction.id)).all()
    records = []
    for number in range(count):
        created = (now - timedelta(days=rng.uniform(0.05, 430))).replace(microsecond=0)
        department = rng.choice([*departments, None]) if rng.random() < 0.95 else None
        category, ward = rng.choice(categories[:6]), rng.choice(WARDS)
        timed = rng.random() < 0.9
        fr_due = due_at(created, 3) if timed else None
        res_due = due_at(created, 20) if timed else None
        outcome = rng.choices(["received", "acknowledged", "in_progress", "resolved", "not_actionable", "reopened"],
                              [8, 8, 10, 55, 7, 12])[0]
        first = resolved = None
        if outcome != "received":
            first = min(created + timedelta(hours=rng.uniform(0.2, 200)), now - timedelta(seconds=1)).replace(microsecond=0)
        if outcome in ("resolved", "reopened"):
            resolved = created + timedelta(hours=rng.uniform(1, 1500))
            resolved = max(first, min(resolved, now - timedelta(seconds=1))).replace(microsecond=0)
        status = "in_progress" if outcome == "reopened" else outcome
        report = _report(number, jurisdiction, department, category, ward, created, status=status, first_response_at=first,
                         resolved_at=resolved, first_response_due_at=fr_due, resolution_due_at=res_due,
                         closed_at=resolved if status == "resolved" else (first if status == "not_actionable" else None))
        db.session.add(report)
        db.session.flush()
        history = [HistoryEntry(report_id=report.id, kind="created", actor_type="resident", created_at=created, to_status="received")]
        asked = False
        if resolved is not None:
            history.append(HistoryEntry(report_id=report.id, kind="transition", actor_type="staff", created_at=resolved,
                                        from_status="in_progress", to_status="resolved"))
            asked = rng.random() < 0.85
            if asked:
                db.session.add(OutboxEvent(event_type="report.rating_requested", report_id=report.id, created_at=resolved))
            db.session.add(OutboxEvent(event_type="report.resolved", report_id=report.id, created_at=resolved))
        if outcome == "reopened":
            history.append(HistoryEntry(report_id=report.id, kind="transition", actor_type="resident", created_at=resolved,
                                        from_status="resolved", to_status="in_progress"))
            if rng.random() < 0.3:
                history.append(HistoryEntry(report_id=report.id, kind="transition", actor_type="staff", created_at=resolved,
                                            from_status="resolved", to_status="in_progress"))
        db.session.add_all(history)
        score = fixed = None
        if resolved is not None and rng.random() < 0.65:
            if rng.random() < 0.3:
                db.session.add(Rating(report_id=report.id, score=rng.randint(1, 5), fixed=rng.random() < 0.5, current=False,
                                      created_at=resolved))
            score, fixed = rng.randint(1, 5), outcome != "reopened"
            db.session.add(Rating(report_id=report.id, score=score, fixed=fixed, current=True, created_at=resolved))
        records.append(Record(department.code if department else None, category.code, ward, created, status, first, resolved,
                              fr_due, res_due, asked, outcome == "reopened", score, fixed))
    db.session.flush()
    ScriptDirectory(str(MIGRATIONS)).get_revision("0007").module.backfill(db.session.connection())
    db.session.commit()
    return records


def percentile(values: list[float], p: float) -> float | None:
    """Continuous percentile with linear interpolation between the two nearest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def expected(records: list[Record], groups: list[str], first: date, end: date, now: datetime) -> dict[tuple, dict]:
    start_at = datetime.combine(first, datetime.min.time(), tzinfo=TOKYO)
    end_at = datetime.combine(end, datetime.min.time(), tzinfo=TOKYO)
    buckets: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        if start_at <= r.created_at < end_at:
            keys = {"department": r.department, "category": r.category, "ward": r.ward,
                    "month": r.created_at.astimezone(TOKYO).strftime("%Y-%m")}
            buckets[tuple(keys[g] for g in groups)].append(r)
    answer = {}
    for key, rs in buckets.items():
        resolved = [r for r in rs if r.resolved_at]
        open_now = [r for r in rs if r.status in OPEN]
        answered = [r for r in rs if r.first_response_at]
        rated = [r for r in rs if r.score is not None]
        asked = [r for r in resolved if r.asked]
        fr_counted = [r for r in rs if r.first_response_due_at and (r.first_response_at or r.first_response_due_at < now)]
        res_counted = [r for r in rs if r.resolution_due_at and (r.resolved_at or (r.status in OPEN and r.resolution_due_at < now))]
        figures = {
            "received": len(rs), "resolved": len(resolved), "open_backlog": len(open_now),
            "oldest_open_age_days": (now - min(r.created_at for r in open_now)).total_seconds() / 86400 if open_now else None,
            "first_response_sla_counted": len(fr_counted),
            "first_response_sla_met": (sum(1 for r in fr_counted if r.first_response_at and r.first_response_at <= r.first_response_due_at)
                                       / len(fr_counted)) if fr_counted else None,
            "resolution_sla_counted": len(res_counted),
            "resolution_sla_met": (sum(1 for r in res_counted if r.resolved_at and r.resolved_at <= r.resolution_due_at)
                                   / len(res_counted)) if res_counted else None,
            "ratings": len(rated), "rating_requests": len(asked),
            "rating_responses": sum(1 for r in asked if r.score is not None),
            "rating_response_rate": sum(1 for r in asked if r.score is not None) / len(asked) if asked else None,
            "mean_score": sum(r.score for r in rated) / len(rated) if rated else None,
            "fixed": sum(1 for r in rated if r.fixed), "fixed_share": sum(1 for r in rated if r.fixed) / len(rated) if rated else None,
            "reopened": sum(1 for r in resolved if r.reopened),
            "reopen_rate": sum(1 for r in resolved if r.reopened) / len(resolved) if resolved else None,
        }
        for s in range(1, 6):
            figures[f"score_{s}"] = sum(1 for r in rated if r.score == s)
        measures = {
            "first_response_hours": [(r.first_response_at - r.created_at).total_seconds() / 3600 for r in answered],
            "first_response_business_days": [business_days_between(r.created_at, r.first_response_at) for r in answered],
            "resolution_hours": [(r.resolved_at - r.created_at).total_seconds() / 3600 for r in resolved],
            "resolution_business_days": [business_days_between(r.created_at, r.resolved_at) for r in resolved],
        }
        for name, values in measures.items():
            figures[f"{name}_median"], figures[f"{name}_p90"] = percentile(values, 0.5), percentile(values, 0.9)
        answer[key] = figures
    return answer


def tolerance(name: str) -> float:
    if name.endswith(("_met", "_rate", "_share")):
        return 6e-5
    if name == "oldest_open_age_days":
        return 0.02
    return 0.006


def assert_figures_match(body: dict, records: list[Record], groups: list[str], first: date, end: date, now: datetime) -> None:
    wanted = expected(records, groups, first, end, now)
    got = {tuple(row[g] for g in groups): row for row in body["groups"]}
    assert set(got) == set(wanted)
    for key, figures in wanted.items():
        for name, value in figures.items():
            answer = got[key][name]
            if value is None:
                assert answer is None, (key, name)
            else:
                assert answer == pytest.approx(value, abs=tolerance(name)), (key, name, answer, value)


def key_for(role: str, department: str | None = None, jurisdiction: str = "990019") -> dict[str, str]:
    api_key = create_staff(db.session, name=f"{role} {department}", role=role, jurisdiction_code=jurisdiction, department_code=department)[1]
    db.session.commit()
    return {"Authorization": f"Bearer {api_key}"}


# Instants in Tokyo at which the default period is checked: the first minutes
# of a month, its middle, and its last minutes.
FIRST_OF_MONTH = datetime(2026, 12, 1, 0, 30, tzinfo=TOKYO)
MIDDLE_OF_MONTH = datetime(2025, 6, 15, 12, 0, tzinfo=TOKYO)
END_OF_MONTH = datetime(2026, 1, 31, 23, 30, tzinfo=TOKYO)


@pytest.fixture()
def data(app, fixed_clock):
    now = fixed_clock()
    return make_reports(now), now


def period(now: datetime) -> tuple[date, date]:
    today = now.astimezone(TOKYO).date()
    return today - timedelta(days=400), today + timedelta(days=1)


@pytest.mark.parametrize("group_by", ["department", "category", "ward", "month", "department,month", "category,ward", ""])
def test_every_figure_equals_a_recomputation_from_the_records(client, data, group_by):
    records, now = data
    first, end = period(now)
    response = client.get(URL, query_string={"from": first.isoformat(), "to": end.isoformat(), "group_by": group_by},
                          headers=key_for("admin"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    groups = [g for g in group_by.split(",") if g]
    assert body["group_by"] == groups and body["from"] == first.isoformat() and body["to"] == end.isoformat()
    assert sum(row["received"] for row in body["groups"]) > 250
    assert_figures_match(body, records, groups, first, end, now)


def test_department_scoped_staff_see_only_their_department(client, data):
    records, now = data
    first, end = period(now)
    for role in ("viewer", "staff", "manager"):
        body = client.get(URL, query_string={"from": first.isoformat(), "to": end.isoformat(), "group_by": "category"},
                          headers=key_for(role, "road")).get_json()
        assert_figures_match(body, [r for r in records if r.department == "road"], ["category"], first, end, now)


def test_jurisdiction_wide_viewer_sees_every_department(client, data):
    records, now = data
    first, end = period(now)
    body = client.get(URL, query_string={"from": first.isoformat(), "to": end.isoformat()}, headers=key_for("viewer")).get_json()
    assert_figures_match(body, records, ["department"], first, end, now)


def test_staff_of_another_jurisdiction_see_none_of_these_reports(client, data):
    chiba = setup.create_jurisdiction(db.session, code="121002", name_ja="千葉市", name_en="Chiba City",
                                      boundary_geojson=json.dumps(OTHER_BOUNDARY), prefecture_ja="千葉県")
    setup.add_department(db.session, chiba, code="koho", name_ja="広報広聴課", name_en="Public Relations", fallback=True)
    db.session.commit()
    body = client.get(URL, headers=key_for("admin", jurisdiction="121002")).get_json()
    assert body["groups"] == []


@pytest.mark.parametrize("instant", [FIRST_OF_MONTH, MIDDLE_OF_MONTH, END_OF_MONTH], ids=["first", "middle", "end"])
def test_default_period_is_this_month_and_the_eleven_before(client, app, fixed_clock, instant):
    fixed_clock.instant = instant.astimezone(UTC)
    records, now = make_reports(fixed_clock()), fixed_clock()
    today = instant.date()
    index = today.year * 12 + today.month - 12
    first = date(index // 12, index % 12 + 1, 1)
    body = client.get(URL, query_string={"group_by": "month"}, headers=key_for("admin")).get_json()
    assert body["from"] == first.isoformat() and body["to"] == (today + timedelta(days=1)).isoformat()
    # One group per month that holds a report: this month's may still be empty
    # in its first minutes, the eleven before it never are with this data set.
    months = {r.created_at.astimezone(TOKYO).strftime("%Y-%m") for r in records if r.created_at.astimezone(TOKYO).date() >= first}
    assert [g["month"] for g in body["groups"]] == sorted(months)
    assert len(months) >= 11
    assert_figures_match(body, records, ["month"], first, today + timedelta(days=1), now)


@pytest.mark.parametrize("headers,query", [({}, {}), ({"Authorization": "Bearer nope"}, {}), ({}, {"group_by": "nonsense"})])
def test_figures_need_a_valid_key(client, app, headers, query):
    for url, extra in ((URL, {}), (URL + "/timeseries", {"metric": "received"})):
        response = client.get(url, query_string={**query, **extra}, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("query,field", [
    ({"group_by": "department,colour"}, "group_by"),
    ({"group_by": "month,month"}, "group_by"),
    ({"from": "2025-02-30"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"from": "2025-03-01", "to": "2025-03-01"}, "to"),
    ({"from": "2010-01-01", "to": "2025-01-01"}, "from"),
    ({"format": "xml"}, "format"),
])
def test_bad_arguments_answer_422_with_the_field(client, app, query, field):
    response = client.get(URL, query_string=query, headers=key_for("admin"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("query,field", [
    ({"metric": "bogus"}, "metric"), ({}, "metric"), ({"metric": "received", "group_by": "month"}, "group_by"),
    ({"metric": "received", "interval": "week"}, "interval"), ({"metric": "received", "to": "2025-13-01"}, "to"),
])
def test_bad_timeseries_arguments_answer_422_with_the_field(client, app, query, field):
    response = client.get(URL + "/timeseries", query_string=query, headers=key_for("viewer"))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("how", [{"query_string": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}])
def test_csv_has_a_header_and_one_row_per_group(client, data, how):
    _records, now = data
    first, end = period(now)
    headers = {**key_for("admin"), **how.get("headers", {})}
    query = {"from": first.isoformat(), "to": end.isoformat(), "group_by": "department,month", **how.get("query_string", {})}
    response = client.get(URL, query_string=query, headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["department", "department_name", "month", "received"]
    assert "resolution_business_days_p90" in rows[0] and "reopen_rate" in rows[0]
    json_body = client.get(URL, query_string={k: v for k, v in query.items() if k != "format"}, headers=key_for("admin")).get_json()
    assert len(rows) - 1 == len(json_body["groups"])
    for line, row in zip(rows[1:], json_body["groups"], strict=True):
        as_text = {name: ("" if row[name] is None else str(row[name])) for name in rows[0]}
        assert dict(zip(rows[0], line, strict=True)) == as_text


def test_timeseries_has_every_month_and_one_series_per_department(client, data):
    records, now = data
    first, end = period(now)
    response = client.get(URL + "/timeseries", query_string={"metric": "received", "group_by": "department",
                                                              "from": first.isoformat(), "to": end.isoformat()},
                          headers=key_for("admin"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["months"][0] == first.strftime("%Y-%m") and body["months"][-1] == (end - timedelta(days=1)).strftime("%Y-%m")
    wanted = expected(records, ["department", "month"], first, end, now)
    for line in body["series"]:
        assert len(line["values"]) == len(body["months"])
        for month, value in zip(body["months"], line["values"], strict=True):
            assert value == wanted.get((line["key"], month), {"received": 0})["received"]
    assert {line["key"] for line in body["series"]} == {r.department for r in records
                                                        if first.isoformat() <= r.created_at.astimezone(TOKYO).date().isoformat()}


def test_timeseries_of_a_median_is_null_in_months_without_resolutions(client, data):
    records, now = data
    first, end = period(now)
    body = client.get(URL + "/timeseries", query_string={"metric": "resolution_hours_median", "from": first.isoformat(),
                                                          "to": end.isoformat()}, headers=key_for("admin")).get_json()
    wanted = expected(records, ["month"], first, end, now)
    assert len(body["series"]) == 1 and body["series"][0]["key"] is None
    for month, value in zip(body["months"], body["series"][0]["values"], strict=True):
        median = wanted.get((month,), {}).get("resolution_hours_median")
        assert value == (None if median is None else pytest.approx(median, abs=0.006))
