"""Loading the category catalogue and the demo jurisdiction from config/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.domain.jurisdictions import add_categories
from service.domain.local_government_code import is_valid
from service.domain.municipality_setup import Defaults
from service.domain.response_templates import add_templates
from service.models import Area, Department, Jurisdiction, RoutingRule

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


def load_json(name: str) -> dict[str, Any]:
    return json.loads((CONFIG_DIR / name).read_text(encoding="utf-8"))


def category_catalogue() -> list[dict[str, Any]]:
    return load_json("categories.json")["categories"]


def setup_defaults() -> Defaults:
    """What `machikoe setup` gives a new municipality: the demo's departments and category rules, and the catalogue."""
    demo = load_json("demo.json")
    rules = [r for r in demo["routing_rules"] if r["area"] is None and r["category"] is not None]
    return Defaults(departments=demo["departments"], category_rules=rules, categories=category_catalogue())


def database_is_empty(session: Session) -> bool:
    return session.scalar(select(func.count(Jurisdiction.id))) == 0


def demo_exists(session: Session) -> Jurisdiction | None:
    """The demo jurisdiction when it has been seeded, else None."""
    code = load_json("demo.json")["jurisdiction"]["code"]
    return session.scalar(select(Jurisdiction).where(Jurisdiction.code == code))


def seed_demo(session: Session) -> Jurisdiction:
    """Create the fictional 「みなと市」 with departments, categories, areas and rules.

    Raises ValueError when the demo jurisdiction exists already.
    """
    demo = load_json("demo.json")
    spec = demo["jurisdiction"]
    if not is_valid(spec["code"]):
        raise ValueError(f"demo.json: {spec['code']} is not a valid local government code")
    if session.scalar(select(Jurisdiction).where(Jurisdiction.code == spec["code"])) is not None:
        raise ValueError(f"jurisdiction {spec['code']} exists already")
    shape(spec["boundary"])  # refuses a broken geometry before anything is written
    jurisdiction = Jurisdiction(**{k: spec[k] for k in ("code", "name_ja", "name_en", "prefecture_ja", "boundary")})
    session.add(jurisdiction)
    session.flush()
    departments = {}
    for item in demo["departments"]:
        department = Department(
            jurisdiction_id=jurisdiction.id, code=item["code"], name_ja=item["name_ja"], name_en=item["name_en"],
            is_fallback=bool(item.get("fallback")), translations=item.get("translations", {}),
        )
        session.add(department)
        departments[item["code"]] = department
    categories = add_categories(session, jurisdiction, category_catalogue())
    areas = {}
    for layer, items in demo["areas"].items():
        for item in items:
            area = Area(jurisdiction_id=jurisdiction.id, layer=layer, code=item["code"], name_ja=item["name_ja"],
                        name_en=item.get("name_en"), properties={}, geometry=item["geometry"])
            session.add(area)
            areas[f"{layer}:{item['code']}"] = area
    session.flush()
    for item in demo["routing_rules"]:
        session.add(RoutingRule(
            jurisdiction_id=jurisdiction.id,
            priority=item["priority"],
            category_id=categories[item["category"]].id if item["category"] else None,
            area_id=areas[item["area"]].id if item["area"] else None,
            department_id=departments[item["department"]].id,
        ))
    add_templates(session, jurisdiction.id, load_json("response_templates.json")["response_templates"])
    session.commit()
    return jurisdiction
