"""`machikoe categories`: what residents can report, with response targets."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from service.commands.common import emit, guarded, json_option, jurisdiction_option, operator_for
from service.commands.texts import NAMES_REQUIRED, text_changes, texts_of, texts_option, with_column_options
from service.domain import admin
from service.domain import jurisdictions as setup
from service.extensions import db
from service.models import Category

COLUMNS = ("code", "name_ja", "name_en", "group", "first_response_days", "resolution_days", "urgent", "active")


@click.group("categories")
def categories() -> None:
    """Report categories of a jurisdiction."""


def _shown(category: Category) -> dict:
    """The category as commands show it: its columns, and its name and notice in every language it has them in."""
    return {**admin.category_snapshot(category), "name": texts_of(category, "name"), "notice": texts_of(category, "notice")}


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
    rows = [_shown(c) for c in db.session.scalars(
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
    emit(_shown(category), COLUMNS, as_json)


@categories.command("update")
@click.argument("code")
@jurisdiction_option
@texts_option("name", "the name residents choose")
@click.option("--name-ja", help="the same as --name ja=TEXT")
@click.option("--name-en", help="the same as --name en=TEXT")
@click.option("--first-response-days", type=click.IntRange(0, 365))
@click.option("--resolution-days", type=click.IntRange(0, 3650))
@texts_option("notice", "shown to residents who choose it", removable=True)
@click.option("--notice-ja", help="the same as --notice ja=TEXT; '' removes it")
@click.option("--notice-en", help="the same as --notice en=TEXT")
@click.option("--urgent/--not-urgent", default=None, help="--urgent tells residents first to phone its department")
@click.option("--active/--inactive", default=None, help="--inactive withdraws it from residents; its reports stay")
@json_option
@with_appcontext
@guarded
def update(code, jurisdiction_code, name_texts, name_ja, name_en, first_response_days, resolution_days, notice_texts,
           notice_ja, notice_en, urgent, active, as_json) -> None:
    """Change a category; reports refer to categories, so they are withdrawn (--inactive), never deleted.

    Names and notices are set per language: --name vi="Hư hỏng mặt đường" --notice en="Phone us first".
    """
    category, operator = _find(code, jurisdiction_code)
    changes = {k: v for k, v in {"first_response_days": first_response_days, "resolution_days": resolution_days,
                                 "urgent": urgent, "active": active}.items() if v is not None}
    changes |= text_changes(category.translations, {
        "name": with_column_options(name_texts, "name", ja=name_ja, en=name_en),
        "notice": with_column_options(notice_texts, "notice", ja=notice_ja, en=notice_en),
    }, required=NAMES_REQUIRED)
    admin.update_category(db.session(), operator, category, changes)
    emit(_shown(category), COLUMNS, as_json)
