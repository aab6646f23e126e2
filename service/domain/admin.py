"""An admin changing the setup of their own jurisdiction, every change audited.

Each function validates, writes, records an audit entry in the same transaction
and commits once; a refused change leaves nothing behind. Errors are
:class:`~service.domain.jurisdictions.SetupError` (the request is invalid),
:class:`AlreadyExists` (the code is taken) or :class:`InUse` (something still
depends on what would be deleted), each with a message for the admin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, scoped_session

from service.domain.audit import Actor, audit
from service.domain.jurisdictions import (
    AreaPlan,
    SetupError,
    add_categories,
    add_department,
    add_rule,
    apply_plan,
    import_areas,
    rule_area_id,
    rule_category_id,
    rule_department_id,
)
from service.domain.signin import TOTP_ROLES
from service.domain.staff_keys import ROLES, StaffKeyError, create_staff
from service.models import Area, Category, Department, Jurisdiction, Report, RoutingRule, Staff
from service.models.types import utcnow

DEPARTMENT_FIELDS = ("name_ja", "name_en", "translations", "email", "phone", "webhook_url", "active")
CATEGORY_FIELDS = ("name_ja", "name_en", "description_ja", "description_en", "notice_ja", "notice_en", "urgent",
                   "translations", "group", "keywords", "attributes", "first_response_days", "resolution_days",
                   "duplicate_radius_m", "active")
JURISDICTION_FIELDS = ("not_taken_ja", "not_taken_en", "translations")


class AlreadyExists(SetupError):
    """Something with this code exists already in the jurisdiction."""


class InUse(SetupError):
    """What would be deleted is still referred to."""


@contextmanager
def at_commit(session: Session | scoped_session, finish: Callable[[list[object]], None]) -> Iterator[None]:
    """Call ``finish`` with the objects the next commit inserts, inside that commit.

    The setup functions commit by themselves; this lets their caller add the
    audit entry (and finishing touches) to the very transaction that makes the
    change, once the new rows have their ids.
    """
    target = session() if isinstance(session, scoped_session) else session

    def hook(inner: Session) -> None:
        added = list(inner.new)
        inner.flush()
        finish(added)

    event.listen(target, "before_commit", hook)
    try:
        yield
    finally:
        if event.contains(target, "before_commit", hook):
            event.remove(target, "before_commit", hook)


def department_snapshot(d: Department) -> dict[str, Any]:
    return {"code": d.code, "name_ja": d.name_ja, "name_en": d.name_en, "translations": d.translations or {},
            "fallback": d.is_fallback, "email": d.email, "phone": d.phone, "webhook_url": d.webhook_url, "active": d.active}


def jurisdiction_snapshot(j: Jurisdiction) -> dict[str, Any]:
    return {"code": j.code, "name_ja": j.name_ja, "name_en": j.name_en, "not_taken_ja": j.not_taken_ja,
            "not_taken_en": j.not_taken_en, "translations": j.translations or {}}


def update_jurisdiction(session: Session, admin: Actor, changes: dict[str, Any]) -> Jurisdiction:
    """Change what the admin's jurisdiction tells residents it does not take."""
    jurisdiction = _own_jurisdiction(session, admin)
    before = jurisdiction_snapshot(jurisdiction)
    for name in JURISDICTION_FIELDS:
        if name in changes:
            setattr(jurisdiction, name, changes[name])
    audit(session, admin, "jurisdiction.update", "jurisdiction", jurisdiction.code, before, jurisdiction_snapshot(jurisdiction))
    session.commit()
    return jurisdiction


def category_snapshot(c: Category) -> dict[str, Any]:
    return {"code": c.code, **{name: getattr(c, name) for name in CATEGORY_FIELDS}}


def rule_snapshot(session: Session, r: RoutingRule) -> dict[str, Any]:
    area = session.get(Area, r.area_id) if r.area_id is not None else None
    return {"id": r.id, "priority": r.priority,
            # A rule's category and department are foreign keys, so they exist.
            "category": session.get_one(Category, r.category_id).code if r.category_id is not None else None,
            "area": f"{area.layer}:{area.code}" if area is not None else None,
            "department": session.get_one(Department, r.department_id).code, "description": r.description}


def area_snapshot(a: Area) -> dict[str, Any]:
    return {"id": a.id, "layer": a.layer, "code": a.code, "name_ja": a.name_ja, "name_en": a.name_en}


def staff_snapshot(s: Staff) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "role": s.role, "department": s.department.code if s.department else None,
            "key_prefix": s.key_prefix, "revoked_at": s.revoked_at.isoformat() if s.revoked_at else None}


def create_department(session: Session, admin: Actor, **fields: Any) -> Department:
    """Add a department; raises AlreadyExists for a taken code, SetupError for a bad one."""
    jurisdiction = _own_jurisdiction(session, admin)
    if _department(session, admin, fields["code"]) is not None:
        raise AlreadyExists(f"department {fields['code']} exists already")
    active = fields.pop("active", True)

    def finish(added: list[object]) -> None:
        department = next(o for o in added if isinstance(o, Department))
        department.active = active
        audit(session, admin, "department.create", "department", department.code, None, department_snapshot(department))

    return _committed(session, lambda: _within(session, finish, lambda: add_department(session, jurisdiction, **fields)),
                      f"department {fields['code']} exists already")


def update_department(session: Session, admin: Actor, department: Department, changes: dict[str, Any]) -> Department:
    """Change names, contacts, the fallback flag or whether the department takes reports."""
    before = department_snapshot(department)
    for name in DEPARTMENT_FIELDS:
        if name in changes:
            setattr(department, name, changes[name])
    if changes.get("fallback"):
        # One fallback per jurisdiction: taking the role takes it from the others.
        for other in session.scalars(select(Department).where(Department.jurisdiction_id == department.jurisdiction_id,
                                                              Department.id != department.id)):
            other.is_fallback = False
    if "fallback" in changes:
        department.is_fallback = changes["fallback"]
    audit(session, admin, "department.update", "department", department.code, before, department_snapshot(department))
    session.commit()
    return department


def department_uses(session: Session, department: Department) -> dict[str, int]:
    """How many reports, routing rules and staff refer to the department (any of them keeps it from being deleted)."""
    return {
        "reports": session.scalar(select(func.count(Report.id)).where(Report.department_id == department.id)) or 0,
        "routing rules": session.scalar(select(func.count(RoutingRule.id))
                                        .where(RoutingRule.department_id == department.id)) or 0,
        "staff": session.scalar(select(func.count(Staff.id)).where(Staff.department_id == department.id)) or 0,
    }


def area_rules(session: Session, area: Area) -> list[RoutingRule]:
    """The routing rules that name the area (deleting it deletes them)."""
    return list(session.scalars(select(RoutingRule).where(RoutingRule.area_id == area.id).order_by(RoutingRule.id)))


def delete_department(session: Session, admin: Actor, department: Department) -> None:
    """Delete a department nothing refers to; raises InUse otherwise (deactivate it instead)."""
    used = [f"{count} {what}" for what, count in department_uses(session, department).items() if count]
    if used:
        raise InUse(f"department {department.code} still has {', '.join(used)}; set active to false instead")
    if department.is_fallback:
        raise InUse(f"department {department.code} is the fallback department; make another one the fallback first")
    audit(session, admin, "department.delete", "department", department.code, department_snapshot(department), None)
    session.delete(department)
    session.commit()


def create_category(session: Session, admin: Actor, **fields: Any) -> Category:
    """Add a category after the existing ones; raises AlreadyExists for a taken code."""
    jurisdiction = _own_jurisdiction(session, admin)
    if _category(session, admin, fields["code"]) is not None:
        raise AlreadyExists(f"category {fields['code']} exists already")
    position = session.execute(select(func.coalesce(func.max(Category.position) + 1, 0))
                               .where(Category.jurisdiction_id == jurisdiction.id)).scalar_one()

    def create() -> Category:
        category = add_categories(session, jurisdiction, [fields])[fields["code"]]
        category.position, category.active = position, fields.get("active", True)
        session.flush()
        audit(session, admin, "category.create", "category", category.code, None, category_snapshot(category))
        session.commit()
        return category

    return _committed(session, create, f"category {fields['code']} exists already")


def update_category(session: Session, admin: Actor, category: Category, changes: dict[str, Any]) -> Category:
    """Change a category; ``active`` false withdraws it from residents without losing its reports.

    Raises SetupError when the SLA targets would end up with resolution before first response.
    """
    before = category_snapshot(category)
    for name in CATEGORY_FIELDS:
        if name in changes:
            setattr(category, name, changes[name])
    if category.resolution_days < category.first_response_days:
        session.rollback()
        raise SetupError("resolution_days cannot be fewer than first_response_days")
    audit(session, admin, "category.update", "category", category.code, before, category_snapshot(category))
    session.commit()
    return category


def create_rule(session: Session, admin: Actor, *, department: str, category: str | None, area: str | None,
                priority: int) -> RoutingRule:
    """Add a routing rule; raises SetupError naming the unknown department, category or area."""
    jurisdiction = _own_jurisdiction(session, admin)

    def finish(added: list[object]) -> None:
        rule = next(o for o in added if isinstance(o, RoutingRule))
        audit(session, admin, "rule.create", "rule", rule.id, None, rule_snapshot(session, rule))

    return _within(session, finish, lambda: add_rule(session, jurisdiction, department_code=department, category_code=category,
                                                     area_ref=area, priority=priority))


# Passed for a rule's category or area that is to stay as it is (None means any category, or anywhere).
KEEP = "keep"


def update_rule(session: Session, admin: Actor, rule: RoutingRule, *, priority: int | None = None,
                department: str | None = None, category: str | None = KEEP, area: str | None = KEEP) -> RoutingRule:
    """Change a rule's priority, department, category (None: any) or area (``layer:code``; None: anywhere).

    Raises SetupError naming the unknown department, category or area, writing nothing.
    """
    jurisdiction = _own_jurisdiction(session, admin)
    before = rule_snapshot(session, rule)
    try:
        # Every name is looked up before anything changes, so a refusal leaves the rule as it was.
        department_id = rule_department_id(session, jurisdiction, department) if department is not None else None
        category_id = rule_category_id(session, jurisdiction, category) if category != KEEP else rule.category_id
        area_id = rule_area_id(session, jurisdiction, area) if area != KEEP else rule.area_id
    except SetupError:
        session.rollback()
        raise
    if department_id is not None:
        rule.department_id = department_id
    rule.category_id, rule.area_id = category_id, area_id
    if priority is not None:
        rule.priority = priority
    audit(session, admin, "rule.update", "rule", rule.id, before, rule_snapshot(session, rule))
    session.commit()
    return rule


def delete_rule(session: Session, admin: Actor, rule: RoutingRule) -> None:
    audit(session, admin, "rule.delete", "rule", rule.id, rule_snapshot(session, rule), None)
    session.delete(rule)
    session.commit()


def import_layer(session: Session, admin: Actor, data: bytes | str, *, layer: str, name_property: str | None,
                 plan: AreaPlan | None = None) -> tuple[int, int]:
    """Import a GeoJSON file (or a plan made from one) into a layer; return (created, updated).

    Raises SetupError, writing nothing, on a bad file.
    """
    jurisdiction = _own_jurisdiction(session, admin)
    before = _layer_codes(session, jurisdiction.id, layer)

    def finish(added: list[object]) -> None:
        audit(session, admin, "area.import", "layer", layer, {"codes": before},
              {"codes": _layer_codes(session, jurisdiction.id, layer), "name_property": name_property})

    if plan is not None:
        return _within(session, finish, lambda: apply_plan(session, jurisdiction, plan))
    return _within(session, finish, lambda: import_areas(session, jurisdiction, data, layer=layer, name_property=name_property))


def rename_area(session: Session, admin: Actor, area: Area, *, name_ja: str | None = None,
                name_en: str | None = None) -> Area:
    """Change an area's names, audited."""
    before = area_snapshot(area)
    if name_ja:
        area.name_ja = name_ja
    if name_en:
        area.name_en = name_en
    audit(session, admin, "area.update", "area", area.id, before, area_snapshot(area))
    session.commit()
    return area


def delete_area(session: Session, admin: Actor, area: Area) -> None:
    """Delete an area and, by the foreign key's cascade, the routing rules that refer to it."""
    rules = area_rules(session, area)
    before = {**area_snapshot(area), "rules": [rule_snapshot(session, r) for r in rules]}
    audit(session, admin, "area.delete", "area", area.id, before, None)
    for rule in rules:
        session.expunge(rule)
    session.delete(area)
    session.commit()


def create_staff_key(session: Session, admin: Actor, *, name: str, role: str, department: str | None) -> tuple[Staff, str]:
    """A staff member of the admin's jurisdiction with a new key (returned once).

    Raises SetupError on a bad name, role or department.
    """
    code = _own_jurisdiction(session, admin).code
    if department is None and role in ("manager", "staff"):
        raise SetupError(f"a {role} belongs to a department: give its code in department")

    def finish(added: list[object]) -> None:
        member = next(o for o in added if isinstance(o, Staff))
        audit(session, admin, "staff.create", "staff", member.id, None, staff_snapshot(member))

    try:
        return _within(session, finish, lambda: create_staff(session, name=name, role=role, jurisdiction_code=code,
                                                             department_code=department))
    except StaffKeyError as exc:
        raise SetupError(str(exc)) from None


def update_staff(session: Session, admin: Actor, member: Staff, *, name: str | None = None, role: str | None = None,
                 department: str | None = None) -> Staff:
    """Rename a staff member or change their role or department, audited; raises SetupError on a bad one."""
    before = staff_snapshot(member)
    if name is not None:
        if not name.strip() or len(name.strip()) > 200:
            raise SetupError("a name of 1 to 200 characters is needed")
        member.name = name.strip()
    if role is not None:
        if role not in ROLES:
            raise SetupError(f"role must be one of {', '.join(ROLES)}")
        member.role = role
    if department is not None:
        found = _department(session, admin, department)
        if found is None:
            raise SetupError(f"there is no department {department!r}")
        member.department_id = found.id
        member.department = found
    if member.role in ("manager", "staff") and member.department_id is None:
        session.rollback()
        raise SetupError(f"a {member.role} belongs to a department: give its code in department")
    if member.role in TOTP_ROLES and member.login is not None and member.totp_secret is None:
        # Such an account could not sign in at all: its role asks a second factor it lacks.
        role_asked = member.role
        session.rollback()
        raise SetupError(f"a {role_asked} signs in with a second factor: give them one first "
                         f"(machikoe staff reset {member.id} --totp)")
    audit(session, admin, "staff.update", "staff", member.id, before, staff_snapshot(member))
    session.commit()
    return member


def revoke_staff_key(session: Session, admin: Actor, member: Staff) -> None:
    """Revoke a key for good; revoking a revoked key changes nothing."""
    if member.revoked_at is not None:
        return
    before = staff_snapshot(member)
    member.revoked_at = utcnow()
    audit(session, admin, "staff.revoke", "staff", member.id, before, staff_snapshot(member))
    session.commit()


def _within(session: Session, finish: Callable[[list[object]], None], change: Callable[[], Any]) -> Any:
    try:
        with at_commit(session, finish):
            return change()
    except (SetupError, StaffKeyError):
        session.rollback()
        raise


def _committed(session: Session, change: Callable[[], Any], conflict: str) -> Any:
    # Two admins creating the same code at once meet the unique constraint.
    try:
        return change()
    except IntegrityError:
        session.rollback()
        raise AlreadyExists(conflict) from None


def _own_jurisdiction(session: Session, admin: Actor) -> Jurisdiction:
    # A staff member's jurisdiction is a required foreign key, so it exists.
    return session.get_one(Jurisdiction, admin.jurisdiction_id)


def _department(session: Session, admin: Actor, code: str) -> Department | None:
    return session.scalar(select(Department).where(Department.jurisdiction_id == admin.jurisdiction_id, Department.code == code))


def _category(session: Session, admin: Actor, code: str) -> Category | None:
    return session.scalar(select(Category).where(Category.jurisdiction_id == admin.jurisdiction_id, Category.code == code))


def _layer_codes(session: Session, jurisdiction_id: int, layer: str) -> list[str]:
    return list(session.scalars(select(Area.code).where(Area.jurisdiction_id == jurisdiction_id, Area.layer == layer)
                                .order_by(Area.code)))
