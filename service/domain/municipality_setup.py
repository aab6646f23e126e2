"""Setting up a municipality in one step from the boundary file its operator has.

`set_up_municipality` reads a 国土数値情報 N03 file (one prefecture or one
municipality) or a per-municipality GeoJSON whose only property is `name`, and
creates or brings up to date: the jurisdiction (its boundary dissolved from its
wards unless a boundary file is given), its wards, the default departments and
their category rules, the category catalogue, and one ward-office department
per ward with a rule sending the ward's reports there. Running it again changes
only what differs, so it is safe to repeat. Errors are SetupError.

Ward offices take every report in their ward (priority 10, before the category
rules at 20); the fallback department (広聴課) takes what no rule matches, so a
report never ends without a department.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import mapping
from shapely.ops import unary_union
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.jurisdictions import (
    CODE,
    AreaPlan,
    SetupError,
    add_categories,
    add_department,
    add_rule,
    apply_plan,
    jurisdiction_code,
    plan_areas,
    read_boundary_file,
)
from service.geo.geojson_import import ImportedArea, n03_name_parts
from service.geo.municipality import select_municipality
from service.geo.names import PREFECTURES, split_place_name
from service.models import Area, Category, Department, Jurisdiction, RoutingRule

WARD_RULE_PRIORITY = 10
CATEGORY_RULE_PRIORITY = 20


@dataclass(frozen=True)
class Defaults:
    """What every new municipality starts with: departments (one marked fallback), category rules, categories."""

    departments: list[dict[str, Any]]
    category_rules: list[dict[str, Any]]
    categories: list[dict[str, Any]]


@dataclass
class SetupResult:
    code: str
    name_ja: str
    prefecture_ja: str | None
    county_ja: str | None
    created: bool
    wards: AreaPlan
    departments_added: list[str] = field(default_factory=list)
    categories_added: list[str] = field(default_factory=list)
    rules_added: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    sample_point: tuple[float, float] | None = None

    def summary(self) -> dict[str, Any]:
        """A plain record of what was (or, in a dry run, would be) done."""
        new, replaced = self.wards.counts
        return {
            "code": self.code, "name_ja": self.name_ja, "prefecture_ja": self.prefecture_ja,
            "county_ja": self.county_ja, "jurisdiction_created": self.created, "dry_run": self.dry_run,
            "wards": [{"code": a.code, "name_ja": a.name_ja, "address": "".join(a.name_parts)} for a in self.wards.areas],
            "wards_new": new, "wards_replaced": replaced,
            "departments_added": self.departments_added, "categories_added": self.categories_added,
            "rules_added": self.rules_added, "notes": self.notes + self.wards.notes, "warnings": self.wards.warnings,
            "sample_point": {"lat": self.sample_point[0], "lon": self.sample_point[1]} if self.sample_point else None,
        }


def set_up_municipality(session: Session, *, code: str, boundaries: bytes, defaults: Defaults,
                        boundary: bytes | None = None, name_ja: str | None = None, name_en: str | None = None,
                        name_property: str | None = None, code_property: str | None = None, force: bool = False,
                        dry_run: bool = False, progress: Callable[[str], None] | None = None) -> SetupResult:
    """Create or update the municipality `code` (either form) from its boundary file; see the module's docstring."""
    say = progress or (lambda message: None)
    code = jurisdiction_code(code)
    notes: list[str] = []
    areas = read_boundary_file(boundaries, name_property, code_property, notes)
    say(f"read {len(areas)} areas")
    municipality = select_municipality(areas, code[:5], name_ja)
    if municipality is None:
        raise SetupError(f"the file holds no area of municipality {code} (N03_007 {code[:5]}); is it the right file?")
    if municipality.left_out:
        notes.append(f"left out {municipality.left_out} areas of other municipalities")
    prefecture, county, city = _name(municipality.name_parts, name_ja)
    wards = [a for a in municipality.areas if len(_parts(a)) > len(municipality.name_parts)]
    if boundary is not None:
        own = select_municipality(read_boundary_file(boundary, None, None, notes), code[:5], city)
        if own is None:
            raise SetupError(f"the boundary file holds no area of municipality {code}")
        outline = unary_union([a.geometry for a in own.areas])
    else:
        outline = unary_union([a.geometry for a in municipality.areas])

    jurisdiction = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    created = jurisdiction is None
    if jurisdiction is None:
        jurisdiction = Jurisdiction(code=code)
        if not dry_run:
            session.add(jurisdiction)
    if not dry_run or created:
        jurisdiction.name_ja, jurisdiction.prefecture_ja, jurisdiction.county_ja = city, prefecture, county
        jurisdiction.name_en = name_en or jurisdiction.name_en or city
        jurisdiction.boundary = mapping(outline)
    try:
        if not dry_run:
            session.flush()
        result = SetupResult(code=code, name_ja=city, prefecture_ja=prefecture, county_ja=county, created=created,
                             wards=plan_areas(session, jurisdiction, b"", layer="ward", force=force, imported=wards),
                             notes=notes, dry_run=dry_run)
        # A point inside the first ward (or the municipality) to try `routing explain` on.
        inside = (wards[0].geometry if wards else outline).representative_point()
        result.sample_point = (round(inside.y, 6), round(inside.x, 6))
        _apply(session, jurisdiction, result, defaults, say)
    except SetupError:
        # Nothing of a refused setup is kept, the jurisdiction included.
        session.rollback()
        raise
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return result


def _apply(session: Session, jurisdiction: Jurisdiction, result: SetupResult, defaults: Defaults,
           say: Callable[[str], None]) -> None:
    if not result.dry_run:
        apply_plan(session, jurisdiction, result.wards, commit=False, progress=say)
    existing = set() if result.created else set(session.scalars(
        select(Department.code).where(Department.jurisdiction_id == jurisdiction.id)))
    for item in defaults.departments:
        if item["code"] not in existing:
            result.departments_added.append(item["code"])
            if not result.dry_run:
                add_department(session, jurisdiction, code=item["code"], name_ja=item["name_ja"],
                               name_en=item["name_en"], fallback=bool(item.get("fallback")), phone=item.get("phone"),
                               translations=item.get("translations"), commit=False)
    known = set() if result.created else set(_category_codes(session, jurisdiction))
    result.categories_added = [c["code"] for c in defaults.categories if c["code"] not in known]
    if result.dry_run:
        result.rules_added = [f"{r['category']} → {r['department']}" for r in defaults.category_rules]
        result.rules_added += [f"ward:{w.code} → ward office" for w in result.wards.areas]
        return
    add_categories(session, jurisdiction, defaults.categories)
    say("departments and categories in place")
    for item in defaults.category_rules:
        if not _has_rule(session, jurisdiction, item["department"], item["category"], None):
            add_rule(session, jurisdiction, department_code=item["department"], category_code=item["category"],
                     priority=CATEGORY_RULE_PRIORITY, commit=False)
            result.rules_added.append(f"{item['category']} → {item['department']}")
    for number, ward in enumerate(result.wards.areas, start=1):
        office = _ward_office(session, jurisdiction, ward.code)
        if office is None:
            office = _ward_office_code(ward.code, number, session, jurisdiction)
            add_department(session, jurisdiction, code=office, name_ja=f"{ward.name_ja}役所",
                           name_en=f"{ward.name_ja} ward office", commit=False)
            result.departments_added.append(office)
            add_rule(session, jurisdiction, department_code=office, area_ref=f"ward:{ward.code}",
                     priority=WARD_RULE_PRIORITY, commit=False)
            result.rules_added.append(f"ward:{ward.code} → {office}")
    say(f"{len(result.rules_added)} routing rules added")


def _parts(area: ImportedArea) -> tuple[str, ...]:
    return n03_name_parts(area.properties) or split_place_name(area.name)


def _name(parts: tuple[str, ...], name_ja: str | None) -> tuple[str | None, str | None, str]:
    prefecture = parts[0] if parts and parts[0] in PREFECTURES else None
    county = next((p for p in parts[1:-1] if p.endswith("郡")), None)
    rest = [p for p in parts if p not in (prefecture, county)]
    city = name_ja or (rest[0] if rest else None)
    if not city:
        raise SetupError("the file does not name the municipality; give its name with --name-ja")
    return prefecture, county, city


def _category_codes(session: Session, jurisdiction: Jurisdiction) -> list[str]:
    return list(session.scalars(select(Category.code).where(Category.jurisdiction_id == jurisdiction.id)))


def _has_rule(session: Session, jurisdiction: Jurisdiction, department: str, category: str | None,
              area_id: int | None) -> bool:
    query = (select(RoutingRule.id).join(Department, RoutingRule.department_id == Department.id)
             .outerjoin(Category, RoutingRule.category_id == Category.id)
             .where(RoutingRule.jurisdiction_id == jurisdiction.id, Department.code == department,
                    RoutingRule.area_id.is_(None) if area_id is None else RoutingRule.area_id == area_id,
                    Category.code.is_(None) if category is None else Category.code == category))
    return session.scalar(query.limit(1)) is not None


def _ward_office(session: Session, jurisdiction: Jurisdiction, ward_code: str) -> str | None:
    """The department an earlier setup made the ward's office (a rule for the ward and any category)."""
    return session.scalar(
        select(Department.code).join(RoutingRule, RoutingRule.department_id == Department.id)
        .join(Area, RoutingRule.area_id == Area.id)
        .where(RoutingRule.jurisdiction_id == jurisdiction.id, Area.layer == "ward", Area.code == ward_code,
               RoutingRule.category_id.is_(None))
        .limit(1))


def _ward_office_code(ward_code: str, number: int, session: Session, jurisdiction: Jurisdiction) -> str:
    # Municipal codes make readable department codes (ward-121011); a ward named
    # only in Japanese gets its place in the file, the first free one.
    candidate = f"ward-{ward_code}"
    if CODE.match(candidate):
        return candidate
    taken = set(session.scalars(select(Department.code).where(Department.jurisdiction_id == jurisdiction.id)))
    while f"ward-{number}" in taken:
        number += 1
    return f"ward-{number}"
