"""What the report form offers: the jurisdiction a resident reports to and its categories.

The same reads as the resident API's ``GET /categories``: active categories in
their order, names and questions in the page's language (fallback Japanese),
through the API's presenter so the app and the web say the same words.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api import presenters
from service.domain import urgency
from service.domain.coverage import coverage
from service.domain.local_government_code import normalize
from service.domain.nearby import open_reports_near
from service.domain.status import OPEN_STATUSES
from service.models import Category, Jurisdiction, Report
from service.web.resident import icons


def chosen_jurisdiction(session: Session, code: str | None, lat: float | None = None,
                        lon: float | None = None) -> Jurisdiction | None:
    """The jurisdiction by its code, else the one covering the point, else the only one served."""
    if code:
        return session.scalar(select(Jurisdiction).where(Jurisdiction.code == (normalize(code) or code)))
    if lat is not None and lon is not None:
        found = coverage.jurisdiction_at(session, lon, lat)
        if found is not None:
            return session.get(Jurisdiction, found)
    served = session.scalars(select(Jurisdiction).order_by(Jurisdiction.code).limit(2)).all()
    return served[0] if len(served) == 1 else None


def served(session: Session) -> list[Jurisdiction]:
    return list(session.scalars(select(Jurisdiction).order_by(Jurisdiction.code)))


def categories(session: Session, jurisdiction: Jurisdiction, language: str) -> list[dict[str, Any]]:
    rows = list(session.scalars(select(Category).where(Category.jurisdiction_id == jurisdiction.id, Category.active.is_(True))
                                .order_by(Category.position, Category.id)))
    phones = urgency.phones(session, rows)
    return [{**presenters.category(c, jurisdiction.code, language, phones.get(c.id)), "icon": icons.icon_name(c.code)}
            for c in rows]


def shown_report(session: Session, public_id: str) -> Report | None:
    """The report with this public id unless staff hid it."""
    return session.scalar(select(Report).where(Report.public_id == public_id, Report.hidden.is_(False)))


def already_reported(session: Session, jurisdiction: Jurisdiction, category_code: str, lat: float, lon: float,
                     language: str, *, radius_m: float, window_days: int, now: datetime) -> list[dict[str, Any]]:
    """The public open reports of this category near the point (its duplicate radius, else ``radius_m``), nearest first."""
    category = session.scalar(select(Category).where(Category.jurisdiction_id == jurisdiction.id, Category.code == category_code,
                                                     Category.active.is_(True)))
    if category is None:
        return []
    found = open_reports_near(session, category_id=category.id, jurisdiction_id=jurisdiction.id, lat=lat, lon=lon,
                              radius_m=category.duplicate_radius_m or radius_m, since=now - timedelta(days=window_days),
                              public_only=True, limit=5)
    reports = {r.id: r for r in session.scalars(select(Report).where(Report.id.in_([rid for _, rid in found])))}
    return [{**presenters.report_summary(reports[rid], language), "distance_m": round(distance)} for distance, rid in found]


def public_reports(session: Session, jurisdiction: Jurisdiction, language: str, *, category_code: str | None,
                   open_only: bool | None, limit: int) -> list[dict[str, Any]]:
    """The jurisdiction's public reports for the map and list, newest first, as the API's list shows them."""
    query = select(Report).where(Report.jurisdiction_id == jurisdiction.id, Report.hidden.is_(False))
    if category_code:
        query = query.join(Category, Report.category_id == Category.id).where(Category.code == category_code)
    if open_only is not None:
        query = query.where(Report.status.in_(OPEN_STATUSES) if open_only else Report.status.not_in(OPEN_STATUSES))
    rows = session.scalars(query.order_by(Report.created_at.desc(), Report.id.desc()).limit(limit))
    return [presenters.report_summary(r, language) for r in rows]
