"""Times in business days across Golden Week and the New Year break, as the figures show them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Category, Department, Jurisdiction, Report

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TOKYO)


@pytest.fixture()
def admin(app) -> dict[str, str]:
    key = create_staff(db.session, name="admin", role="admin", jurisdiction_code="990019", department_code=None)[1]
    db.session.commit()
    return {"Authorization": f"Bearer {key}"}


def add(ward: str, created: str, first_response: str, resolved: str | None = None) -> None:
    jurisdiction = db.session.scalar(select(Jurisdiction).where(Jurisdiction.code == "990019"))
    department = db.session.scalar(select(Department).where(Department.code == "road"))
    category = db.session.scalar(select(Category).where(Category.jurisdiction_id == jurisdiction.id))
    db.session.add(Report(public_id=f"bd-{ward}", jurisdiction_id=jurisdiction.id, category_id=category.id, department_id=department.id,
                          ward=ward, description="街灯が消えています", lat=35.65, lon=139.78, tracking_token_hash="0" * 64,
                          created_at=tokyo(created), first_response_at=tokyo(first_response),
                          resolved_at=tokyo(resolved) if resolved else None, status="resolved" if resolved else "acknowledged"))
    db.session.commit()


def figures_by_ward(client, headers: dict[str, str]) -> dict[str, dict]:
    response = client.get("/api/v1/staff/stats", query_string={"from": "2024-12-01", "to": "2025-06-01", "group_by": "ward"},
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    return {row["ward"]: row for row in response.get_json()["groups"]}


def test_golden_week_holidays_are_not_business_days(client, admin):
    # Friday 2 May 2025; 3–6 May are a Saturday, Sunday, Children's Day and a substitute holiday.
    add("golden-week", "2025-05-02T10:00", "2025-05-07T10:00", "2025-05-08T09:00")
    row = figures_by_ward(client, admin)["golden-week"]
    assert row["first_response_hours_median"] == 120.0
    assert row["first_response_business_days_median"] == 1.0
    assert row["resolution_business_days_median"] == 2.0


def test_year_end_break_is_not_business_days(client, admin):
    # Friday 27 December 2024; 28 December to 5 January are a weekend, the break and a weekend.
    add("new-year", "2024-12-27T16:00", "2025-01-06T09:00")
    row = figures_by_ward(client, admin)["new-year"]
    assert row["first_response_hours_median"] == 233.0
    assert row["first_response_business_days_median"] == 1.0


def test_a_reply_on_the_day_of_receipt_is_zero_business_days(client, admin):
    add("same-day", "2025-03-03T08:00", "2025-03-03T17:30")
    row = figures_by_ward(client, admin)["same-day"]
    assert row["first_response_business_days_median"] == 0.0
    assert row["first_response_hours_median"] == 9.5


def test_reports_count_by_the_tokyo_day_they_arrived(client, admin):
    # 23:30 on 31 May in Tokyo is still May there, though it is 14:30 UTC.
    add("late-may", "2025-05-31T23:30", "2025-06-02T09:00")
    add("early-june", "2025-06-01T00:10", "2025-06-02T09:00")
    wards = figures_by_ward(client, admin)
    assert "late-may" in wards and "early-june" not in wards
