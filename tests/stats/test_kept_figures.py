"""The figures stay right as staff and residents work on reports.

Reports here go through the real workflow and rating code (resolutions,
ratings that replace earlier ones, "not fixed" reopens, staff reopens).
The expected figures are recomputed from the rows those steps leave behind:
history entries, outbox events and rating rows, never from the columns the
report keeps for the figures.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.domain.feedback import rate
from service.domain.workflow import Actor, transition
from service.extensions import db
from service.models import Category, Department, HistoryEntry, Jurisdiction, OutboxEvent, Rating, Report
from tests.stats.test_figures import URL, Record, _report, assert_figures_match, key_for, period

STAFF = Actor("staff")


def records_from_sources(jurisdiction: Jurisdiction) -> list[Record]:
    """What the history, the outbox and the ratings say about every report of the jurisdiction."""
    records = []
    for report in db.session.scalars(select(Report).where(Report.jurisdiction_id == jurisdiction.id)).unique():
        asked = db.session.scalar(select(OutboxEvent.id).where(OutboxEvent.report_id == report.id,
                                                               OutboxEvent.event_type == "report.rating_requested").limit(1))
        reopened = db.session.scalar(select(HistoryEntry.id).where(
            HistoryEntry.report_id == report.id, HistoryEntry.kind == "transition",
            HistoryEntry.from_status == "resolved", HistoryEntry.to_status == "in_progress").limit(1))
        rating = db.session.scalars(select(Rating).where(Rating.report_id == report.id, Rating.current.is_(True))
                                    .order_by(Rating.id.desc())).first()
        records.append(Record(report.department.code if report.department else None, report.category.code, report.ward,
                              report.created_at, report.status, report.first_response_at, report.resolved_at,
                              report.first_response_due_at, report.resolution_due_at, asked is not None, reopened is not None,
                              rating.score if rating else None, rating.fixed if rating else None))
    return records


def test_figures_follow_resolutions_ratings_and_reopens(client, app):
    now = datetime.now(UTC)
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "990019"))
    department = db.session.scalars(select(Department).where(Department.jurisdiction_id == jurisdiction.id)).first()
    category = db.session.scalars(select(Category).where(Category.jurisdiction_id == jurisdiction.id)).first()
    created = now - timedelta(days=3)
    reports = [_report(n, jurisdiction, department, category, "中央区", created, status="acknowledged",
                       first_response_at=created + timedelta(hours=2)) for n in range(6)]
    db.session.add_all(reports)
    db.session.flush()
    rated, not_fixed, reopened_twice, unrated, side_exit, _still_open = reports

    transition(db.session, rated, STAFF, to="resolved")
    rate(db.session, rated, score=4, fixed=True, comment=None, window_days=14)

    transition(db.session, not_fixed, STAFF, to="resolved")
    rate(db.session, not_fixed, score=2, fixed=False, comment="まだ直っていません", window_days=14)
    transition(db.session, not_fixed, STAFF, to="resolved")
    rate(db.session, not_fixed, score=5, fixed=True, comment=None, window_days=14)

    for _ in range(2):
        transition(db.session, reopened_twice, STAFF, to="resolved")
        transition(db.session, reopened_twice, STAFF, to="in_progress")

    transition(db.session, unrated, STAFF, to="resolved")
    transition(db.session, side_exit, STAFF, to="not_actionable", reason="私有地のため")
    db.session.commit()

    first, end = period(now)
    query = {"from": first.isoformat(), "to": end.isoformat()}
    for group_by in ("", "department,month"):
        response = client.get(URL, query_string={**query, "group_by": group_by}, headers=key_for("admin"))
        assert response.status_code == 200
        assert_figures_match(response.get_json(), records_from_sources(jurisdiction), [g for g in group_by.split(",") if g],
                             first, end, now)
    totals = client.get(URL, query_string={**query, "group_by": ""}, headers=key_for("admin")).get_json()["groups"][0]
    assert (totals["received"], totals["resolved"], totals["open_backlog"]) == (6, 4, 2)
    assert (totals["rating_requests"], totals["rating_responses"], totals["ratings"]) == (4, 2, 2)
    assert (totals["score_4"], totals["score_5"], totals["score_2"], totals["fixed"]) == (1, 1, 0, 2)
    assert (totals["reopened"], totals["reopen_rate"]) == (2, 0.5)
