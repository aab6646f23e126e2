"""`machikoe departments`: the departments (課) of a jurisdiction."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from schemas.admin import PHONE_NUMBER
from service.commands.common import Operator, emit, guarded, json_option, jurisdiction_option, operator_for
from service.commands.texts import NAMES_REQUIRED, text_changes, texts_of, texts_option, with_column_options
from service.domain import admin
from service.domain import jurisdictions as setup
from service.extensions import db
from service.models import Department


class _Phone(click.ParamType):
    """A phone number as the admin API takes it (schemas.admin.PHONE), or '' for none."""

    name = "phone"

    def convert(self, value, param, ctx):
        if value and not PHONE_NUMBER.match(value):
            self.fail(f"{value!r} is not a phone number: digits, with '-' between groups (025-552-1511)", param, ctx)
        return value


PHONE = _Phone()
COLUMNS = ("code", "name_ja", "name_en", "fallback", "active", "email", "phone", "webhook_url")


@click.group("departments")
def departments() -> None:
    """Departments (課) of a jurisdiction."""


def _shown(department: Department) -> dict:
    """The department as commands show it: its columns, and its name in every language it has one in."""
    return {**admin.department_snapshot(department), "name": texts_of(department, "name")}


def _find(code: str, jurisdiction_code: str) -> tuple[Department, Operator]:
    jurisdiction, operator = operator_for(db.session(), jurisdiction_code)
    department = db.session.scalar(select(Department).where(Department.jurisdiction_id == jurisdiction.id,
                                                            Department.code == code))
    if department is None:
        raise setup.SetupError(f"jurisdiction {jurisdiction.code} has no department {code!r}")
    return department, operator


@departments.command("create")
@jurisdiction_option
@click.option("--code", required=True)
@texts_option("name", "the department's name (ja and en required)")
@click.option("--name-ja", help="the same as --name ja=TEXT")
@click.option("--name-en", help="the same as --name en=TEXT")
@click.option("--fallback", is_flag=True, help="receives reports no rule matches")
@click.option("--email", default=None)
@click.option("--phone", default=None, type=PHONE, help="the number residents phone for urgent cases (025-552-1511)")
@click.option("--webhook-url", default=None)
@json_option
@with_appcontext
@guarded
def create(jurisdiction_code, code, name_texts, name_ja, name_en, fallback, email, phone, webhook_url, as_json) -> None:
    """Create a department, named in Japanese and English and in any other language residents read."""
    names = with_column_options(name_texts, "name", ja=name_ja, en=name_en)
    missing = [f"--name {language}=TEXT" for language in ("ja", "en") if not names.get(language)]
    if missing:
        raise click.UsageError(f"a department needs {' and '.join(missing)}")
    _, operator = operator_for(db.session(), jurisdiction_code)
    fields = text_changes(None, {"name": names}, required=NAMES_REQUIRED)
    department = admin.create_department(db.session(), operator, code=code, fallback=fallback, email=email, phone=phone,
                                         webhook_url=webhook_url, **fields)
    if as_json:
        emit(_shown(department), COLUMNS, as_json)
    else:
        click.echo(f"created department {department.code} {department.name_ja}")


@departments.command("list")
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def list_(jurisdiction_code: str, as_json: bool) -> None:
    """List a jurisdiction's departments."""
    jurisdiction, _ = operator_for(db.session(), jurisdiction_code)
    rows = [_shown(d) for d in db.session.scalars(
        select(Department).where(Department.jurisdiction_id == jurisdiction.id).order_by(Department.code))]
    emit(rows, COLUMNS, as_json)


@departments.command("show")
@click.argument("code")
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def show(code: str, jurisdiction_code: str, as_json: bool) -> None:
    """Show one department."""
    department, _ = _find(code, jurisdiction_code)
    emit(_shown(department), COLUMNS, as_json)


@departments.command("update")
@click.argument("code")
@jurisdiction_option
@texts_option("name", "the department's name")
@click.option("--name-ja", help="the same as --name ja=TEXT")
@click.option("--name-en", help="the same as --name en=TEXT")
@click.option("--email")
@click.option("--phone", type=PHONE, help="the number residents phone for urgent cases; '' removes it")
@click.option("--webhook-url")
@click.option("--fallback", is_flag=True, default=None, help="make it the fallback department")
@click.option("--active/--inactive", default=None, help="whether it takes reports")
@json_option
@with_appcontext
@guarded
def update(code, jurisdiction_code, name_texts, name_ja, name_en, email, phone, webhook_url, fallback, active,
           as_json) -> None:
    """Change a department (names in any language, contacts, fallback, active)."""
    department, operator = _find(code, jurisdiction_code)
    changes = {k: v for k, v in {"email": email, "webhook_url": webhook_url, "fallback": fallback,
                                 "active": active}.items() if v is not None}
    changes |= text_changes(department.translations, {"name": with_column_options(name_texts, "name", ja=name_ja, en=name_en)},
                            required=NAMES_REQUIRED)
    if phone is not None:
        changes["phone"] = phone or None
    admin.update_department(db.session(), operator, department, changes)
    emit(_shown(department), COLUMNS, as_json)


@departments.command("delete")
@click.argument("code")
@jurisdiction_option
@with_appcontext
@guarded
def delete(code: str, jurisdiction_code: str) -> None:
    """Delete a department nothing refers to (otherwise: update --inactive)."""
    department, operator = _find(code, jurisdiction_code)
    admin.delete_department(db.session(), operator, department)
    click.echo(f"deleted department {code}")
