"""What the report form offers: the jurisdiction a resident reports to and its categories.

The same reads as the resident API's ``GET /categories``: active categories in
their order, names and questions in the page's language (fallback Japanese),
through the API's presenter so the app and the web say the same words.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.api import presenters
from service.domain.coverage import coverage
from service.domain.local_government_code import normalize
from service.models import Category, Jurisdiction

# An icon per category code; a category a jurisdiction adds gets the pin.
ICONS = {
    "road_damage": "🚧", "streetlight": "💡", "park_equipment": "🛝", "illegal_dumping": "🗑️", "graffiti": "🖌️",
    "sewer_drain": "🕳️", "traffic_sign": "🪞", "other": "📍",
}
DEFAULT_ICON = "📍"


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
    rows = session.scalars(select(Category).where(Category.jurisdiction_id == jurisdiction.id, Category.active.is_(True))
                           .order_by(Category.position, Category.id))
    return [{**presenters.category(c, jurisdiction.code, language), "icon": ICONS.get(c.code, DEFAULT_ICON)} for c in rows]
