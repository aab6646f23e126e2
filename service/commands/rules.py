"""`machikoe rules`: routing rules, (category or any, area or anywhere) → department, by priority."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from service.commands.common import emit, guarded, json_option, jurisdiction_option, operator_for
from service.domain import admin
from service.domain import jurisdictions as setup
from service.extensions import db
from service.models import RoutingRule

COLUMNS = ("id", "priority", "category", "area", "department", "description")
# What `rules update` takes for a rule of any category, and for one of anywhere.
ANY, ANYWHERE = "any", "anywhere"


@click.group("rules")
def rules() -> None:
    """Routing rules: (category or any, area or anywhere) → department, by priority."""


def _find(rule_id: int, jurisdiction_code: str):
    jurisdiction, operator = operator_for(db.session(), jurisdiction_code)
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None or rule.jurisdiction_id != jurisdiction.id:
        raise setup.SetupError(f"jurisdiction {jurisdiction.code} has no rule {rule_id}")
    return rule, operator


def _changed(given: str | None, none: str) -> str | None:
    """The option's new value for admin.update_rule: kept when left out, None for ``none``."""
    if given is None:
        return admin.KEEP
    return None if given == none else given


@rules.command("create")
@jurisdiction_option
@click.option("--department", "department_code", required=True)
@click.option("--category", "category_code", default=None, help="category code; any category when left out")
@click.option("--area", "area_ref", default=None, help="layer:code (ward:121011 or ward:12101); anywhere when left out")
@click.option("--priority", default=100, show_default=True, type=int, help="lower numbers are tried first")
@with_appcontext
@guarded
def create(jurisdiction_code, department_code, category_code, area_ref, priority) -> None:
    """Create a routing rule."""
    _, operator = operator_for(db.session(), jurisdiction_code)
    rule = admin.create_rule(db.session(), operator, department=department_code, category=category_code, area=area_ref,
                             priority=priority)
    click.echo(f"created rule {rule.id} (priority {rule.priority})")


@rules.command("list")
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def list_(jurisdiction_code: str, as_json: bool) -> None:
    """List a jurisdiction's rules in the order they are tried."""
    jurisdiction, _ = operator_for(db.session(), jurisdiction_code)
    found = db.session.scalars(select(RoutingRule).where(RoutingRule.jurisdiction_id == jurisdiction.id)
                               .order_by(RoutingRule.priority, RoutingRule.id))
    emit([admin.rule_snapshot(db.session(), r) for r in found], COLUMNS, as_json)


@rules.command("show")
@click.argument("rule_id", type=int)
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def show(rule_id: int, jurisdiction_code: str, as_json: bool) -> None:
    """Show one rule."""
    rule, _ = _find(rule_id, jurisdiction_code)
    emit(admin.rule_snapshot(db.session(), rule), COLUMNS, as_json)


@rules.command("update")
@click.argument("rule_id", type=int)
@jurisdiction_option
@click.option("--priority", type=int)
@click.option("--department", "department_code")
@click.option("--category", "category_code", default=None, help=f"category code, or {ANY} for any category")
@click.option("--area", "area_ref", default=None, help=f"layer:code (ward:121011 or ward:12101), or {ANYWHERE}")
@json_option
@with_appcontext
@guarded
def update(rule_id: int, jurisdiction_code: str, priority: int | None, department_code: str | None,
           category_code: str | None, area_ref: str | None, as_json: bool) -> None:
    """Change a rule's priority, department, category or area; what is left out stays."""
    rule, operator = _find(rule_id, jurisdiction_code)
    admin.update_rule(db.session(), operator, rule, priority=priority, department=department_code,
                      category=_changed(category_code, ANY), area=_changed(area_ref, ANYWHERE))
    emit(admin.rule_snapshot(db.session(), rule), COLUMNS, as_json)


@rules.command("delete")
@click.argument("rule_id", type=int)
@jurisdiction_option
@with_appcontext
@guarded
def delete(rule_id: int, jurisdiction_code: str) -> None:
    """Delete a rule (reports keep the reason they were routed by)."""
    rule, operator = _find(rule_id, jurisdiction_code)
    admin.delete_rule(db.session(), operator, rule)
    click.echo(f"deleted rule {rule_id}")
