"""Setting up a jurisdiction: its boundary, departments, categories, areas and routing rules.

Every function validates before writing and commits once, so a refused request
leaves nothing behind. Errors are :class:`SetupError` with a message for the
operator.
"""

from __future__ import annotations

import re
from typing import Any

from shapely.geometry import mapping
from shapely.ops import unary_union
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.local_government_code import is_valid
from service.geo.geojson_import import GeoJSONError, ImportedArea, n03_name_parts, read_areas
from service.models import Area, Category, Department, Jurisdiction, RoutingRule
from service.models.types import utcnow

CODE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,49}$")


class SetupError(ValueError):
    """The request cannot be carried out; the message says why."""


def get_jurisdiction(session: Session, code: str) -> Jurisdiction:
    if not is_valid(code):
        raise SetupError(f"{code!r} is not a valid local government code (6 digits with check digit)")
    jurisdiction = session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))
    if jurisdiction is None:
        raise SetupError(f"no jurisdiction {code} is served here")
    return jurisdiction


def create_jurisdiction(session: Session, *, code: str, name_ja: str, name_en: str, boundary_geojson: bytes | str,
                        prefecture_ja: str | None = None) -> Jurisdiction:
    """Create a jurisdiction whose boundary is the union of the areas in a GeoJSON file."""
    if not is_valid(code):
        raise SetupError(f"{code!r} is not a valid local government code (6 digits with check digit)")
    if session.scalar(select(Jurisdiction).where(Jurisdiction.code == code)) is not None:
        raise SetupError(f"jurisdiction {code} exists already")
    areas = _read(boundary_geojson, None)
    boundary = unary_union([a.geometry for a in areas])
    jurisdiction = Jurisdiction(code=code, name_ja=name_ja, name_en=name_en, prefecture_ja=prefecture_ja,
                                boundary=mapping(boundary))
    session.add(jurisdiction)
    session.commit()
    return jurisdiction


def add_department(session: Session, jurisdiction: Jurisdiction, *, code: str, name_ja: str, name_en: str,
                   fallback: bool = False, email: str | None = None, webhook_url: str | None = None) -> Department:
    if not CODE.match(code):
        raise SetupError("a department code is 1–50 lower-case letters, digits, '_' or '-'")
    if session.scalar(select(Department).where(Department.jurisdiction_id == jurisdiction.id, Department.code == code)):
        raise SetupError(f"department {code} exists already")
    if fallback:
        for other in session.scalars(select(Department).where(Department.jurisdiction_id == jurisdiction.id)):
            other.is_fallback = False
    department = Department(jurisdiction_id=jurisdiction.id, code=code, name_ja=name_ja, name_en=name_en,
                            is_fallback=fallback, email=email, webhook_url=webhook_url)
    session.add(department)
    session.commit()
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
        )
        session.add(category)
        added[category.code] = category
    session.flush()
    return added


def add_rule(session: Session, jurisdiction: Jurisdiction, *, department_code: str, category_code: str | None = None,
             area_ref: str | None = None, priority: int = 100) -> RoutingRule:
    """Add a routing rule; ``area_ref`` is ``layer:code``."""
    department = session.scalar(select(Department).where(Department.jurisdiction_id == jurisdiction.id,
                                                         Department.code == department_code))
    if department is None:
        raise SetupError(f"jurisdiction {jurisdiction.code} has no department {department_code!r}")
    category_id = area_id = None
    if category_code:
        category_id = session.scalar(select(Category.id).where(Category.jurisdiction_id == jurisdiction.id,
                                                               Category.code == category_code))
        if category_id is None:
            raise SetupError(f"jurisdiction {jurisdiction.code} has no category {category_code!r}")
    if area_ref:
        layer, _, code = area_ref.partition(":")
        area_id = session.scalar(select(Area.id).where(Area.jurisdiction_id == jurisdiction.id, Area.layer == layer,
                                                       Area.code == code))
        if area_id is None:
            raise SetupError(f"jurisdiction {jurisdiction.code} has no area {area_ref!r} (give layer:code)")
    rule = RoutingRule(jurisdiction_id=jurisdiction.id, priority=priority, category_id=category_id, area_id=area_id,
                       department_id=department.id)
    session.add(rule)
    session.commit()
    return rule


def import_areas(session: Session, jurisdiction: Jurisdiction, data: bytes | str, *, layer: str,
                 name_property: str | None = None) -> tuple[int, int]:
    """Import the areas of a GeoJSON file (N03 included) into a layer; return (created, updated).

    An area with the same layer and code is replaced. Raises SetupError, and
    writes nothing, when the file is not usable.
    """
    if not CODE.match(layer):
        raise SetupError("a layer name is 1–50 lower-case letters, digits, '_' or '-'")
    imported = _read(data, name_property)
    created = updated = 0
    seen: set[str] = set()
    for index, item in enumerate(imported):
        code = item.code or _code_from_name(item.name) or f"area-{index + 1}"
        if code in seen:
            code = f"{code}-{index + 1}"
        seen.add(code)
        properties = dict(item.properties)
        parts = n03_name_parts(item.properties)
        if parts:
            properties["name_parts"] = list(parts)
        existing = session.scalar(select(Area).where(Area.jurisdiction_id == jurisdiction.id, Area.layer == layer,
                                                     Area.code == code))
        name = item.name or code
        if existing is None:
            session.add(Area(jurisdiction_id=jurisdiction.id, layer=layer, code=code, name_ja=name,
                             properties=properties, geometry=mapping(item.geometry)))
            created += 1
        else:
            existing.name_ja, existing.properties, existing.geometry = name, properties, mapping(item.geometry)
            existing.updated_at = utcnow()
            updated += 1
    session.commit()
    return created, updated


def _read(data: bytes | str, name_property: str | None) -> list[ImportedArea]:
    try:
        areas = read_areas(data, name_property=name_property)
    except GeoJSONError as exc:
        raise SetupError(str(exc)) from None
    if not areas:
        raise SetupError("the file holds no areas")
    return areas


def _code_from_name(name: str) -> str | None:
    slug = re.sub(r"[^a-z0-9_\-]+", "-", name.lower()).strip("-")
    return slug[:50] or (name[:50] if name else None)
