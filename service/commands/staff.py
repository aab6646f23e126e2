"""`machikoe staff`: staff members and their API keys."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from service.commands.common import emit, guarded, json_option, jurisdiction_option, operator_for
from service.domain import admin, signin
from service.domain import jurisdictions as setup
from service.domain.signin import policy_from
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


def _password(from_stdin: bool) -> str | None:
    """The first line of standard input (without its line end) when asked for, so no password is ever an argument."""
    if not from_stdin:
        return None
    return sys.stdin.readline().rstrip("\r\n")


@staff.command("create")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "manager", "staff", "viewer"]))
@jurisdiction_option
@click.option("--department", "department_code", default=None, help="department code (required below admin)")
@click.option("--login", default=None, help="login name for the staff pages")
@click.option("--password-stdin", is_flag=True, help="read the password for the staff pages from standard input")
@click.option("--totp", is_flag=True, help="give a second factor (required for admin and manager); its otpauth:// URI is shown once")
@json_option
@with_appcontext
@guarded
def create(name: str, role: str, jurisdiction_code: str, department_code: str | None, login: str | None,
           password_stdin: bool, totp: bool, as_json: bool) -> None:
    """Create a staff member; the API key (and the second factor's URI) are shown once and stored hashed."""
    password = _password(password_stdin)
    if (password is not None or totp) and login is None:
        raise click.UsageError("--password-stdin and --totp need --login")
    if login is not None:
        signin.check_new_credentials(db.session(), role, login, password, totp, policy_from(current_app.config))
    member, key = create_staff(db.session(), name=name, role=role, jurisdiction_code=jurisdiction_code,
                               department_code=department_code)
    uri = None
    if login is not None:
        _, operator = operator_for(db.session(), jurisdiction_code)
        uri = signin.set_credentials(db.session(), operator, member, login=login, password=password, new_totp=totp,
                                     policy=policy_from(current_app.config))
    if as_json:
        answer: dict[str, object] = {"id": member.id, "name": member.name, "role": member.role, "api_key": key}
        if login is not None:
            answer["login"] = member.login
        if uri:
            answer["otpauth_uri"] = uri
        click.echo(json.dumps(answer, ensure_ascii=False))
    else:
        click.echo(f"created staff {member.id} {member.name} ({member.role}); API key (shown once): {key}")
        if uri:
            click.echo(f"second factor (shown once; add it to an authenticator app): {uri}")


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


@staff.command("reset")
@click.argument("member_id", type=int)
@jurisdiction_option
@click.option("--login", default=None, help="a new login name")
@click.option("--password-stdin", is_flag=True, help="a new password, from standard input (also unlocks)")
@click.option("--totp", is_flag=True, help="a new second factor; its otpauth:// URI is shown once")
@click.option("--remove-totp", is_flag=True, help="remove the second factor (where the role or the setting needs one, a new one is set up at the next sign-in)")
@click.option("--unlock", is_flag=True, help="unlock after too many failed sign-ins")
@json_option
@with_appcontext
@guarded
def reset(member_id: int, jurisdiction_code: str, login: str | None, password_stdin: bool, totp: bool,
          remove_totp: bool, unlock: bool, as_json: bool) -> None:
    """Reset a staff member's sign-in to the pages: login name, password, second factor, lock (audited)."""
    member, operator = _find(member_id, jurisdiction_code)
    policy = policy_from(current_app.config)
    uri = signin.set_credentials(db.session(), operator, member, login=login, password=_password(password_stdin),
                                 new_totp=totp, remove_totp=remove_totp, unlock=unlock, policy=policy)
    must_enrol = signin.must_enrol(member, policy)
    answer = {"id": member.id, "login": member.login, "locked": member.locked_at is not None,
              "totp": member.totp_secret is not None, "must_enrol": must_enrol}
    if uri:
        answer["otpauth_uri"] = uri
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False))
    else:
        click.echo(f"reset the sign-in of staff {member.id} {member.name}: login {member.login}, "
                   f"{'locked' if answer['locked'] else 'not locked'}, second factor {'on' if answer['totp'] else 'off'}")
        if uri:
            click.echo(f"second factor (shown once; add it to an authenticator app): {uri}")
        if must_enrol:
            click.echo("at the next sign-in they set up a second factor first; nothing else opens until they have")


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
