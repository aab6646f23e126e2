"""Setting up a jurisdiction: its boundary, departments, categories, areas and routing rules.

Every function validates before writing and commits once, so a refused request
leaves nothing behind. Errors are :class:`SetupError` with a message for the
operator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from service.domain.local_government_code import normalize
from service.geo.geojson_import import GeoJSONError, ImportedArea, is_n03, n03_name_parts, read_areas
from service.geo.municipality import select_municipality
from service.geo.names import join_once, split_place_name
from service.models import (
    ApiClient,
    Area,
    AuditEntry,
    Category,
    Delivery,
    Department,
    Jurisdiction,
    Report,
    ResponseTemplate,
    RoutingRule,
    Staff,
    Subscriber,
)
from service.models.types import utcnow

CODE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,49}$")
# Layers whose area names are place names, split into prefecture, county, city and ward.
PLACE_LAYERS = frozenset({"ward", "n03", "district"})
# An area with less than this share of its surface inside the jurisdiction is refused (or, forced, warned about).
MIN_SHARE_INSIDE = 0.5


class SetupError(ValueError):
    """The request cannot be carried out; the message says why."""


class UnknownName(SetupError):
    """A rule names a department, category or area (``field``) the jurisdiction does not have."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def jurisdiction_code(code: str) -> str:
    """The stored (six-digit) form of a local government code given in either form; raises SetupError."""
    six = normalize(code)
    if six is None:
        raise SetupError(f"{code!r} is not a valid local government code (6 digits with check digit, or N03's 5)")
    return six


def get_jurisdiction(session: Session, code: str) -> Jurisdiction:
    code = jurisdiction_code(code)
    jurisdiction = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if jurisdiction is None:
        raise SetupError(f"no jurisdiction {code} is served here")
    return jurisdiction


def create_jurisdiction(session: Session, *, code: str, name_ja: str, name_en: str, boundary_geojson: bytes | str,
                        prefecture_ja: str | None = None, county_ja: str | None = None,
                        fallback: dict[str, Any] | None = None) -> Jurisdiction:
    """Create a jurisdiction whose boundary is the union of the areas in a GeoJSON file.

    With `fallback` (code, name_ja, name_en) it gets its fallback department in
    the same transaction, so a report accepted there always has a department.
    """
    code = jurisdiction_code(code)
    if session.scalar(select(Jurisdiction).where(Jurisdiction.code == code)) is not None:
        raise SetupError(f"jurisdiction {code} exists already")
    areas = read_boundary_file(boundary_geojson, None, None, [])
    selected = select_municipality(areas, code[:5], name_ja)
    if selected is None:
        raise SetupError(f"the boundary file holds no area of municipality {code} (N03_007 {code[:5]})")
    boundary = unary_union([a.geometry for a in selected.areas])
    jurisdiction = Jurisdiction(code=code, name_ja=name_ja, name_en=name_en, prefecture_ja=prefecture_ja,
                                county_ja=county_ja, boundary=mapping(boundary))
    session.add(jurisdiction)
    session.flush()
    if fallback is not None:
        add_department(session, jurisdiction, code=fallback["code"], name_ja=fallback["name_ja"],
                       name_en=fallback["name_en"], fallback=True, commit=False)
    session.commit()
    return jurisdiction


JURISDICTION_FIELDS = ("name_ja", "name_en", "prefecture_ja", "county_ja")
# Texts an empty value removes.
OPTIONAL_TEXTS = ("not_taken_ja", "not_taken_en")


def update_jurisdiction(session: Session, jurisdiction: Jurisdiction, changes: dict[str, Any],
                        boundary_geojson: bytes | str | None = None) -> Jurisdiction:
    """Change names, or the boundary from a boundary file (cut to the municipality); commit once."""
    if boundary_geojson is not None:
        areas = read_boundary_file(boundary_geojson, None, None, [])
        selected = select_municipality(areas, jurisdiction.code[:5], changes.get("name_ja") or jurisdiction.name_ja)
        if selected is None:
            raise SetupError(f"the boundary file holds no area of municipality {jurisdiction.code}")
        jurisdiction.boundary = mapping(unary_union([a.geometry for a in selected.areas]))
    for name in JURISDICTION_FIELDS:
        if changes.get(name) is not None:
            setattr(jurisdiction, name, changes[name])
    for name in OPTIONAL_TEXTS:
        if changes.get(name) is not None:
            setattr(jurisdiction, name, changes[name] or None)
    session.commit()
    return jurisdiction


def delete_jurisdiction(session: Session, jurisdiction: Jurisdiction) -> None:
    """Delete a jurisdiction that has no reports, with its whole setup; raises SetupError when reports exist.

    Reports are history: a jurisdiction that has them is kept (its categories can be withdrawn instead).
    """
    reports = session.scalar(select(func.count(Report.id)).where(Report.jurisdiction_id == jurisdiction.id))
    if reports:
        raise SetupError(f"jurisdiction {jurisdiction.code} has {reports} reports, which are kept; "
                         "withdraw its categories (categories update --inactive) instead")
    jid = jurisdiction.id
    subscribers = select(Subscriber.id).where(Subscriber.jurisdiction_id == jid)
    session.execute(delete(Delivery).where(Delivery.subscriber_id.in_(subscribers)))
    for model in (Subscriber, RoutingRule, Area, ResponseTemplate, Category, AuditEntry, Staff, ApiClient, Department):
        session.execute(delete(model).where(model.jurisdiction_id == jid))
    session.delete(jurisdiction)
    session.commit()


def add_department(session: Session, jurisdiction: Jurisdiction, *, code: str, name_ja: str, name_en: str,
                   fallback: bool = False, email: str | None = None, webhook_url: str | None = None,
                   phone: str | None = None, translations: dict[str, dict[str, str]] | None = None,
                   commit: bool = True) -> Department:
    if not CODE.match(code):
        raise SetupError("a department code is 1–50 lower-case letters, digits, '_' or '-'")
    if session.scalar(select(Department).where(Department.jurisdiction_id == jurisdiction.id, Department.code == code)):
        raise SetupError(f"department {code} exists already")
    if fallback:
        for other in session.scalars(select(Department).where(Department.jurisdiction_id == jurisdiction.id)):
            other.is_fallback = False
    department = Department(jurisdiction_id=jurisdiction.id, code=code, name_ja=name_ja, name_en=name_en,
                            is_fallback=fallback, email=email, webhook_url=webhook_url, phone=phone,
                            translations=translations or {})
    session.add(department)
    _finish(session, commit)
    return department


def add_categories(session: Session, jurisdiction: Jurisdiction, catalogue: list[dict[str, Any]]) -> dict[str, Category]:
    """Add the catalogue's categories that the jurisdiction does not have yet (the caller commits)."""
    existing = set(session.scalars(select(Category.code).where(Category.jurisdiction_id == jurisdiction.id)))
    added: dict[str, Category] = {}
    for position, item in enumerate(catalogue):
        if item["code"] in existing:
            continue
        category = Category(
            jurisdiction_id=jurisdiction.id, position=position,
            **{k: item[k] for k in ("code", "name_ja", "name_en") if k in item},
            group=item.get("group"), keywords=item.get("keywords", []), attributes=item.get("attributes", []),
            first_response_days=item.get("first_response_days", 3), resolution_days=item.get("resolution_days", 20),
            duplicate_radius_m=item.get("duplicate_radius_m"),
            description_ja=item.get("description_ja"), description_en=item.get("description_en"),
            notice_ja=item.get("notice_ja"), notice_en=item.get("notice_en"), urgent=item.get("urgent", False),
            translations=item.get("translations", {}),
        )
        session.add(category)
        added[category.code] = category
    session.flush()
    return added


def add_rule(session: Session, jurisdiction: Jurisdiction, *, department_code: str, category_code: str | None = None,
             area_ref: str | None = None, priority: int = 100, commit: bool = True) -> RoutingRule:
    """Add a routing rule; ``area_ref`` is ``layer:code``."""
    department_id = rule_department_id(session, jurisdiction, department_code)
    rule = RoutingRule(jurisdiction_id=jurisdiction.id, priority=priority,
                       category_id=rule_category_id(session, jurisdiction, category_code),
                       area_id=rule_area_id(session, jurisdiction, area_ref), department_id=department_id)
    session.add(rule)
    _finish(session, commit)
    return rule


def rule_department_id(session: Session, jurisdiction: Jurisdiction, code: str) -> int:
    """The id of the department a rule names; raises SetupError for none of that code."""
    return _named_id(session, select(Department.id).where(Department.jurisdiction_id == jurisdiction.id, Department.code == code),
                     f"jurisdiction {jurisdiction.code} has no department {code!r}", "department")


def rule_category_id(session: Session, jurisdiction: Jurisdiction, code: str | None) -> int | None:
    """The id of the category a rule names (None for any category); raises SetupError for an unknown one."""
    if not code:
        return None
    return _named_id(session, select(Category.id).where(Category.jurisdiction_id == jurisdiction.id, Category.code == code),
                     f"jurisdiction {jurisdiction.code} has no category {code!r}", "category")


def rule_area_id(session: Session, jurisdiction: Jurisdiction, ref: str | None) -> int | None:
    """The id of the area ``layer:code`` a rule names (None for anywhere); raises SetupError for an unknown one."""
    if not ref:
        return None
    layer, _, code = ref.partition(":")
    return _named_id(session, select(Area.id).where(Area.jurisdiction_id == jurisdiction.id, Area.layer == layer,
                                                    Area.code == area_code(code)),
                     f"jurisdiction {jurisdiction.code} has no area {ref!r} (give layer:code)", "area")


def _named_id(session: Session, query: Select[int], missing: str, field: str) -> int:
    found = session.scalar(query)
    if found is None:
        raise UnknownName(missing, field)
    return found


@dataclass(frozen=True)
class PlannedArea:
    """An area as it will be stored: code, short name, full name parts, geometry, and whether it replaces one."""

    code: str
    name_ja: str
    name_parts: tuple[str, ...]
    geometry: BaseGeometry
    properties: dict[str, Any]
    replaces: bool
    # The part of the area lying inside the jurisdiction's boundary (0 to 1).
    share_inside: float = 1.0


@dataclass
class AreaPlan:
    """What an import will write into a layer, and what the operator should be told about it."""

    layer: str
    areas: list[PlannedArea]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def counts(self) -> tuple[int, int]:
        """(new, replaced)."""
        replaced = sum(1 for a in self.areas if a.replaces)
        return len(self.areas) - replaced, replaced


def area_code(code: str) -> str:
    """The stored form of an area code: a municipal code in its six-digit form, anything else as given."""
    return normalize(code) or code


def plan_areas(session: Session, jurisdiction: Jurisdiction, data: bytes | str, *, layer: str,
               name_property: str | None = None, code_property: str | None = None, force: bool = False,
               imported: list[ImportedArea] | None = None) -> AreaPlan:
    """Read a boundary file and decide what importing it into a layer would write, writing nothing.

    A file covering more than the jurisdiction (a prefecture-wide N03 file) is
    cut down to the jurisdiction's municipality by its code. An area lying
    mostly outside the jurisdiction is refused with SetupError, or with `force`
    kept and warned about. Repairs and what was left out go in the notes.
    """
    if not CODE.match(layer):
        raise SetupError("a layer name is 1–50 lower-case letters, digits, '_' or '-'")
    notes: list[str] = []
    if imported is None:
        imported = read_boundary_file(data, name_property, code_property, notes)
    selected = imported
    if any(is_n03(a.properties) for a in imported):
        municipality = select_municipality(imported, jurisdiction.code[:5], jurisdiction.name_ja)
        if municipality is None:
            raise SetupError(f"the file holds no area of {jurisdiction.name_ja} ({jurisdiction.code}, N03_007 "
                             f"{jurisdiction.code[:5]})")
        if municipality.left_out:
            notes.append(f"left out {municipality.left_out} areas of other municipalities (kept those of "
                         f"{jurisdiction.code[:5]})")
        selected = municipality.areas
    outer = tuple(p for p in (jurisdiction.prefecture_ja, jurisdiction.county_ja, jurisdiction.name_ja) if p)
    boundary = shape(jurisdiction.boundary)
    warnings: list[str] = []
    planned: dict[str, PlannedArea] = {}
    for index, item in enumerate(selected):
        parts = n03_name_parts(item.properties) or (split_place_name(item.name) if layer in PLACE_LAYERS else ())
        # The jurisdiction's own parts are not the area's name: 千葉県千葉市中央区 is 中央区 of 千葉市.
        own = tuple(p for p in parts if p not in outer) or parts[-1:]
        name = own[-1] if own else (item.name or "")
        code = area_code(item.code) if item.code else (_code_from_name(name) or f"area-{index + 1}")
        if code in planned:
            code = f"{code}-{index + 1}"
        share = _share_inside(item.geometry, boundary)
        if share < MIN_SHARE_INSIDE:
            message = (f"area {code} ({name or item.name}) lies {100 * (1 - share):.0f} % outside "
                       f"{jurisdiction.name_ja}")
            if not force:
                raise SetupError(message + "; is it the right file? (--force imports it anyway)")
            warnings.append(message)
        properties = dict(item.properties)
        name_parts = join_once(outer, own) if parts else ()
        if name_parts:
            properties["name_parts"] = list(name_parts)
        exists = session.scalar(select(Area.id).where(Area.jurisdiction_id == jurisdiction.id, Area.layer == layer,
                                                      Area.code == code)) is not None
        planned[code] = PlannedArea(code=code, name_ja=name or code, name_parts=name_parts, geometry=item.geometry,
                                    properties=properties, replaces=exists, share_inside=share)
    return AreaPlan(layer=layer, areas=list(planned.values()), notes=notes, warnings=warnings)


def apply_plan(session: Session, jurisdiction: Jurisdiction, plan: AreaPlan, *, commit: bool = True,
               progress: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Write a plan's areas (an area with the same layer and code is replaced); return (created, updated)."""
    created = updated = 0
    for done, item in enumerate(plan.areas, start=1):
        existing = session.scalar(select(Area).where(Area.jurisdiction_id == jurisdiction.id, Area.layer == plan.layer,
                                                     Area.code == item.code))
        if existing is None:
            session.add(Area(jurisdiction_id=jurisdiction.id, layer=plan.layer, code=item.code, name_ja=item.name_ja,
                             properties=item.properties, geometry=mapping(item.geometry)))
            created += 1
        else:
            existing.name_ja, existing.properties, existing.geometry = item.name_ja, item.properties, mapping(item.geometry)
            existing.updated_at = utcnow()
            updated += 1
        if progress is not None and (done % 50 == 0 or done == len(plan.areas)):
            progress(f"{plan.layer}: {done}/{len(plan.areas)} areas written")
    _finish(session, commit)
    return created, updated


def import_areas(session: Session, jurisdiction: Jurisdiction, data: bytes | str, *, layer: str,
                 name_property: str | None = None, code_property: str | None = None,
                 force: bool = False) -> tuple[int, int]:
    """Import the areas of a boundary file (N03 included) into a layer; return (created, updated).

    An area with the same layer and code is replaced. Raises SetupError, and
    writes nothing, when the file is not usable or lies outside the jurisdiction.
    """
    plan = plan_areas(session, jurisdiction, data, layer=layer, name_property=name_property,
                      code_property=code_property, force=force)
    return apply_plan(session, jurisdiction, plan)


def _finish(session: Session, commit: bool) -> None:
    # A caller that makes several changes in one transaction flushes each and commits once.
    if commit:
        session.commit()
    else:
        session.flush()


def _share_inside(geometry: BaseGeometry, boundary: BaseGeometry) -> float:
    if geometry.area == 0:
        return 1.0
    return geometry.intersection(boundary).area / geometry.area


def read_boundary_file(data: bytes | str, name_property: str | None, code_property: str | None,
                       notes: list[str]) -> list[ImportedArea]:
    """The areas of a GeoJSON file or zipped Shapefile; repairs go in `notes`. Raises SetupError."""
    try:
        areas = read_areas(data, name_property=name_property, code_property=code_property, notes=notes)
    except GeoJSONError as exc:
        raise SetupError(str(exc)) from None
    if not areas:
        raise SetupError("the file holds no areas")
    return areas


def _code_from_name(name: str) -> str | None:
    slug = re.sub(r"[^a-z0-9_\-]+", "-", name.lower()).strip("-")
    return slug[:50] or (name[:50] if name else None)
