"""`machikoe categories`: what residents can report, with response targets."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from service.commands.common import emit, guarded, json_option, jurisdiction_option, operator_for
from service.domain import admin
from service.domain import jurisdictions as setup
from service.extensions import db
from service.models import Category

COLUMNS = ("code", "name_ja", "name_en", "group", "first_response_days", "resolution_days", "urgent", "active")


@click.group("categories")
def categories() -> None:
    """Report categories of a jurisdiction."""


def _find(code: str, jurisdiction_code: str):
    jurisdiction, operator = operator_for(db.session(), jurisdiction_code)
    category = db.session.scalar(select(Category).where(Category.jurisdiction_id == jurisdiction.id,
                                                        Category.code == code))
    if category is None:
        raise setup.SetupError(f"jurisdiction {jurisdiction.code} has no category {code!r}")
    return category, operator


@categories.command("list")
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def list_(jurisdiction_code: str, as_json: bool) -> None:
    """List a jurisdiction's categories, in the order residents see them."""
    jurisdiction, _ = operator_for(db.session(), jurisdiction_code)
    rows = [admin.category_snapshot(c) for c in db.session.scalars(
        select(Category).where(Category.jurisdiction_id == jurisdiction.id).order_by(Category.position, Category.id))]
    emit(rows, COLUMNS, as_json)


@categories.command("show")
@click.argument("code")
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def show(code: str, jurisdiction_code: str, as_json: bool) -> None:
    """Show one category."""
    category, _ = _find(code, jurisdiction_code)
    emit(admin.category_snapshot(category), COLUMNS, as_json)


@categories.command("update")
@click.argument("code")
@jurisdiction_option
@click.option("--name-ja")
@click.option("--name-en")
@click.option("--first-response-days", type=click.IntRange(0, 365))
@click.option("--resolution-days", type=click.IntRange(0, 3650))
@click.option("--notice-ja", help="shown to residents who choose it; '' removes it")
@click.option("--notice-en")
@click.option("--urgent/--not-urgent", default=None, help="--urgent tells residents first to phone its department")
@click.option("--active/--inactive", default=None, help="--inactive withdraws it from residents; its reports stay")
@json_option
@with_appcontext
@guarded
def update(code, jurisdiction_code, name_ja, name_en, first_response_days, resolution_days, notice_ja, notice_en, urgent,
           active, as_json) -> None:
    """Change a category; reports refer to categories, so they are withdrawn (--inactive), never deleted."""
    category, operator = _find(code, jurisdiction_code)
    changes = {k: v for k, v in {"name_ja": name_ja, "name_en": name_en, "first_response_days": first_response_days,
                                 "resolution_days": resolution_days, "urgent": urgent, "active": active}.items()
               if v is not None}
    changes |= {k: v or None for k, v in {"notice_ja": notice_ja, "notice_en": notice_en}.items() if v is not None}
    admin.update_category(db.session(), operator, category, changes)
    emit(admin.category_snapshot(category), COLUMNS, as_json)
