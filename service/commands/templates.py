"""`machikoe templates`: response templates (定型文) staff start their replies from."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from service.commands.common import emit, guarded, json_option, jurisdiction_option, operator_for
from service.commands.texts import text_changes, texts_of, texts_option, with_column_options
from service.domain import response_templates as templates
from service.domain.jurisdictions import SetupError
from service.domain.status import STATUSES
from service.extensions import db
from service.models import ResponseTemplate

COLUMNS = ("id", "category", "status", "title", "active")


@click.group("templates")
def templates_group() -> None:
    """Response templates (定型文) of a jurisdiction, by category and target status."""


def _shown(template: ResponseTemplate) -> dict:
    """The template as commands show it: its fields, and its body in every language it has one in."""
    return {**templates.snapshot(template), "body": texts_of(template, "body")}


def _find(template_id: int, jurisdiction_code: str):
    jurisdiction, operator = operator_for(db.session(), jurisdiction_code)
    template = db.session.scalar(select(ResponseTemplate).where(ResponseTemplate.jurisdiction_id == jurisdiction.id,
                                                                ResponseTemplate.id == template_id))
    if template is None:
        raise SetupError(f"jurisdiction {jurisdiction.code} has no response template {template_id}")
    return template, operator


@templates_group.command("list")
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def list_(jurisdiction_code: str, as_json: bool) -> None:
    """List a jurisdiction's templates in the order staff see them, inactive ones included."""
    jurisdiction, _ = operator_for(db.session(), jurisdiction_code)
    emit([_shown(t) for t in templates.listed(db.session(), jurisdiction.id)], COLUMNS, as_json)


@templates_group.command("add")
@jurisdiction_option
@click.option("--title", required=True)
@texts_option("body", "the reply (ja required)")
@click.option("--body-ja", default=None, help="the same as --body ja=TEXT")
@click.option("--body-en", default=None, help="the same as --body en=TEXT")
@click.option("--category", default=None, help="a category code; left out: every category")
@click.option("--status", type=click.Choice(list(STATUSES)), default=None, help="the target status; left out: any")
@json_option
@with_appcontext
@guarded
def add(jurisdiction_code, title, body_texts, body_ja, body_en, category, status, as_json) -> None:
    """Add a template after the others, its reply in Japanese and in any other language residents read."""
    bodies = with_column_options(body_texts, "body", ja=body_ja, en=body_en)
    if not bodies.get("ja"):
        raise click.UsageError("a template needs --body ja=TEXT")
    _, operator = operator_for(db.session(), jurisdiction_code)
    fields = text_changes(None, {"body": bodies}, required=("body_ja",))
    template = templates.create(db.session(), operator, title=title, category=category, status=status, **fields)
    emit(_shown(template), COLUMNS, as_json)


@templates_group.command("update")
@click.argument("template_id", type=int)
@jurisdiction_option
@click.option("--title", default=None)
@texts_option("body", "the reply", removable=True)
@click.option("--active/--inactive", default=None, help="--inactive stops offering it to staff")
@json_option
@with_appcontext
@guarded
def update(template_id, jurisdiction_code, title, body_texts, active, as_json) -> None:
    """Change a template's title, its reply in any language (ja cannot be removed), or whether it is offered."""
    template, operator = _find(template_id, jurisdiction_code)
    changes = {k: v for k, v in {"title": title, "active": active}.items() if v is not None}
    changes |= text_changes(template.translations, {"body": body_texts}, required=("body_ja",))
    templates.update(db.session(), operator, template, changes)
    emit(_shown(template), COLUMNS, as_json)


@templates_group.command("remove")
@click.argument("template_id", type=int)
@jurisdiction_option
@with_appcontext
@guarded
def remove(template_id: int, jurisdiction_code: str) -> None:
    """Delete a template; replies made from it keep their text."""
    template, operator = _find(template_id, jurisdiction_code)
    templates.delete(db.session(), operator, template)
    click.echo(f"removed response template {template_id}")
