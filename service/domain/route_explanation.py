"""Why a report at a point, of a category, goes where it goes.

`decide` is the one place that loads a jurisdiction's routing rules and
fallback department and asks `routing.choose_department`; processing routes
reports with it, and `explain` shows the same decision to an operator checking
a setup (`machikoe routing explain`) or to a console: which jurisdiction covers
the point, which areas, every rule with whether it matched, and the winner.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.coverage import AreaHit, coverage
from service.domain.routing import RoutingDecision, RuleView, choose_department
from service.models import Area, Category, Department, Jurisdiction, RoutingRule


class NoDepartment(LookupError):
    """The jurisdiction has no department at all, so no report can be routed there."""


def rules_of(session: Session, jurisdiction_id: int) -> list[RuleView]:
    return [
        RuleView(id=r.id, priority=r.priority, category_code=code, area_id=r.area_id, department_id=r.department_id)
        for r, code in session.execute(
            select(RoutingRule, Category.code)
            .outerjoin(Category, RoutingRule.category_id == Category.id)
            .where(RoutingRule.jurisdiction_id == jurisdiction_id)
        )
    ]


def fallback_department_id(session: Session, jurisdiction_id: int) -> int | None:
    """The fallback department, else the first department, else None."""
    fallback = session.scalar(
        select(Department.id).where(Department.jurisdiction_id == jurisdiction_id, Department.is_fallback.is_(True))
        .order_by(Department.id).limit(1))
    if fallback is None:
        fallback = session.scalar(select(Department.id).where(Department.jurisdiction_id == jurisdiction_id)
                                  .order_by(Department.id).limit(1))
    return fallback


def decide(session: Session, jurisdiction_id: int, category_code: str, area_hits: list[AreaHit]) -> RoutingDecision:
    """The routing decision for a report of `category_code` in the given areas; raises NoDepartment."""
    fallback = fallback_department_id(session, jurisdiction_id)
    if fallback is None:
        raise NoDepartment(f"jurisdiction {jurisdiction_id} has no department")
    return choose_department(rules_of(session, jurisdiction_id), category_code=category_code,
                             area_ids={a.id for a in area_hits}, fallback_department_id=fallback)


@dataclass(frozen=True)
class RuleCheck:
    id: int
    priority: int
    category: str | None
    area: str | None
    department: str
    matched: bool
    why: str


@dataclass(frozen=True)
class Explanation:
    lat: float
    lon: float
    category: str
    jurisdiction: dict[str, Any] | None
    areas: list[dict[str, Any]]
    rules: list[RuleCheck]
    department: dict[str, Any] | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def explain(session: Session, *, lat: float, lon: float, category: str) -> Explanation:
    """Which jurisdiction, areas and rule decide a report at (lat, lon) of `category`, and why. Never writes."""
    jurisdiction_id = coverage.jurisdiction_at(session, lon, lat)
    if jurisdiction_id is None:
        return Explanation(lat, lon, category, None, [], [], None,
                           "outside every jurisdiction: intake refuses the report")
    # Coverage found this jurisdiction in the same session a moment ago.
    jurisdiction = session.get_one(Jurisdiction, jurisdiction_id)
    hits = coverage.areas_at(session, lon, lat, jurisdiction_id)
    summary = {"code": jurisdiction.code, "name_ja": jurisdiction.name_ja}
    areas = [{"layer": a.layer, "code": a.code, "name_ja": a.name_ja} for a in hits]
    known = session.scalar(select(Category.id).where(Category.jurisdiction_id == jurisdiction_id,
                                                     Category.code == category, Category.active.is_(True)))
    if known is None:
        return Explanation(lat, lon, category, summary, areas, [], None,
                           f"{jurisdiction.name_ja} has no active category {category!r}: intake refuses the report")
    try:
        decision = decide(session, jurisdiction_id, category, hits)
    except NoDepartment:
        return Explanation(lat, lon, category, summary, areas, [], None,
                           f"{jurisdiction.name_ja} has no department yet: intake refuses the report")
    departments = {d.id: d for d in session.scalars(select(Department).where(Department.jurisdiction_id == jurisdiction_id))}
    area_refs = {a.id: f"{a.layer}:{a.code}" for a in session.scalars(select(Area).where(Area.jurisdiction_id == jurisdiction_id))}
    inside = {a.id for a in hits}
    checks = []
    for rule in sorted(rules_of(session, jurisdiction_id), key=lambda r: (r.priority, r.id)):
        category_ok = rule.category_code is None or rule.category_code == category
        area_ok = rule.area_id is None or rule.area_id in inside
        why = ("chosen" if rule.id == decision.rule_id else "matches, but another rule wins") if category_ok and area_ok \
            else ("other category" if not category_ok else "the point is outside its area")
        checks.append(RuleCheck(id=rule.id, priority=rule.priority, category=rule.category_code,
                                area=area_refs.get(rule.area_id) if rule.area_id else None,
                                department=departments[rule.department_id].code, matched=category_ok and area_ok,
                                why=why))
    chosen = departments[decision.department_id]
    return Explanation(lat, lon, category, summary, areas, checks,
                       {"code": chosen.code, "name_ja": chosen.name_ja, "fallback": chosen.is_fallback},
                       decision.reason)
