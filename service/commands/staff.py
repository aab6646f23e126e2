"""`machikoe staff`: staff members and their API keys."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from service.commands.common import emit, guarded, json_option, jurisdiction_option, operator_for
from service.domain import admin
from service.domain import jurisdictions as setup
from service.domain.staff_keys import create_staff
from service.extensions import db
from service.models import Staff

COLUMNS = ("id", "name", "role", "department", "key_prefix", "revoked_at")


@click.group("staff")
def staff() -> None:
    """Staff members and their API keys."""


def _find(member_id: int, jurisdiction_code: str):
    jurisdiction, operator = operator_for(db.session(), jurisdiction_code)
    member = db.session.get(Staff, member_id)
    if member is None or member.jurisdiction_id != jurisdiction.id:
        raise setup.SetupError(f"jurisdiction {jurisdiction.code} has no staff member {member_id}")
    return member, operator


@staff.command("create")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "manager", "staff", "viewer"]))
@jurisdiction_option
@click.option("--department", "department_code", default=None, help="department code (required below admin)")
@json_option
@with_appcontext
@guarded
def create(name: str, role: str, jurisdiction_code: str, department_code: str | None, as_json: bool) -> None:
    """Create a staff member; the API key is shown once and stored hashed."""
    member, key = create_staff(db.session(), name=name, role=role, jurisdiction_code=jurisdiction_code,
                               department_code=department_code)
    if as_json:
        click.echo(json.dumps({"id": member.id, "name": member.name, "role": member.role, "api_key": key},
                              ensure_ascii=False))
    else:
        click.echo(f"created staff {member.id} {member.name} ({member.role}); API key (shown once): {key}")


@staff.command("list")
@jurisdiction_option
@click.option("--all", "include_revoked", is_flag=True, help="include revoked keys")
@json_option
@with_appcontext
@guarded
def list_(jurisdiction_code: str, include_revoked: bool, as_json: bool) -> None:
    """List staff members (never their keys)."""
    jurisdiction, _ = operator_for(db.session(), jurisdiction_code)
    query = select(Staff).where(Staff.jurisdiction_id == jurisdiction.id).order_by(Staff.id)
    if not include_revoked:
        query = query.where(Staff.revoked_at.is_(None))
    emit([admin.staff_snapshot(m) for m in db.session.scalars(query)], COLUMNS, as_json)


@staff.command("show")
@click.argument("member_id", type=int)
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def show(member_id: int, jurisdiction_code: str, as_json: bool) -> None:
    """Show one staff member."""
    member, _ = _find(member_id, jurisdiction_code)
    emit(admin.staff_snapshot(member), COLUMNS, as_json)


@staff.command("update")
@click.argument("member_id", type=int)
@jurisdiction_option
@click.option("--name")
@click.option("--role", type=click.Choice(["admin", "manager", "staff", "viewer"]))
@click.option("--department", "department_code")
@json_option
@with_appcontext
@guarded
def update(member_id: int, jurisdiction_code: str, name: str | None, role: str | None, department_code: str | None,
           as_json: bool) -> None:
    """Rename a staff member or change their role or department (their key stays)."""
    member, operator = _find(member_id, jurisdiction_code)
    admin.update_staff(db.session(), operator, member, name=name, role=role, department=department_code)
    emit(admin.staff_snapshot(member), COLUMNS, as_json)


@staff.command("revoke")
@click.argument("member_id", type=int)
@jurisdiction_option
@with_appcontext
@guarded
def revoke(member_id: int, jurisdiction_code: str) -> None:
    """Revoke a staff member's key for good (their history stays); create a new member for a new key."""
    member, operator = _find(member_id, jurisdiction_code)
    admin.revoke_staff_key(db.session(), operator, member)
    click.echo(f"revoked the key of staff {member.id} {member.name}")
