"""Urgent categories: the phone number a resident is told to call first.

An urgent category (``Category.urgent``) tells residents that urgent cases must
be phoned in, to the department the category goes to wherever the place is:
its routing rules that hold anywhere (no area), else the jurisdiction's fallback
department, chosen as processing chooses (service.domain.routing).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.domain.route_explanation import fallback_department_id, rules_of
from service.domain.routing import choose_department
from service.models import Category, Department


def phones(session: Session, categories: Iterable[Category]) -> dict[int, str | None]:
    """The phone number of each urgent category's department, by category id (None: it has no phone)."""
    urgent = [c for c in categories if c.urgent]
    chosen: dict[int, int | None] = {}
    for jurisdiction_id in {c.jurisdiction_id for c in urgent}:
        rules, fallback = rules_of(session, jurisdiction_id), fallback_department_id(session, jurisdiction_id)
        for category in (c for c in urgent if c.jurisdiction_id == jurisdiction_id):
            chosen[category.id] = (None if fallback is None else
                                   choose_department(rules, category_code=category.code, area_ids=(),
                                                     fallback_department_id=fallback).department_id)
    wanted = [d for d in chosen.values() if d is not None]
    numbers = {d: phone for d, phone in session.execute(select(Department.id, Department.phone).where(Department.id.in_(wanted)))}
    return {category_id: numbers.get(department_id) if department_id else None
            for category_id, department_id in chosen.items()}
