"""`machikoe templates`: response templates (定型文) staff start their replies from."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from service.commands.common import emit, guarded, json_option, jurisdiction_option, operator_for
from service.domain import response_templates as templates
from service.domain.jurisdictions import SetupError
from service.domain.status import STATUSES
from service.extensions import db
from service.models import ResponseTemplate

COLUMNS = ("id", "category", "status", "title", "active")


@click.group("templates")
def templates_group() -> None:
    """Response templates (定型文) of a jurisdiction, by category and target status."""


@templates_group.command("list")
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def list_(jurisdiction_code: str, as_json: bool) -> None:
    """List a jurisdiction's templates in the order staff see them, inactive ones included."""
    jurisdiction, _ = operator_for(db.session(), jurisdiction_code)
    emit([templates.snapshot(t) for t in templates.listed(db.session(), jurisdiction.id)], COLUMNS, as_json)


@templates_group.command("add")
@jurisdiction_option
@click.option("--title", required=True)
@click.option("--body-ja", required=True, help="the reply in Japanese")
@click.option("--body-en", default=None, help="the reply in English")
@click.option("--category", default=None, help="a category code; left out: every category")
@click.option("--status", type=click.Choice(list(STATUSES)), default=None, help="the target status; left out: any")
@json_option
@with_appcontext
@guarded
def add(jurisdiction_code, title, body_ja, body_en, category, status, as_json) -> None:
    """Add a template after the others."""
    _, operator = operator_for(db.session(), jurisdiction_code)
    template = templates.create(db.session(), operator, title=title, body_ja=body_ja, body_en=body_en,
                                category=category, status=status)
    emit(templates.snapshot(template), COLUMNS, as_json)


@templates_group.command("remove")
@click.argument("template_id", type=int)
@jurisdiction_option
@with_appcontext
@guarded
def remove(template_id: int, jurisdiction_code: str) -> None:
    """Delete a template; replies made from it keep their text."""
    jurisdiction, operator = operator_for(db.session(), jurisdiction_code)
    template = db.session.scalar(select(ResponseTemplate).where(ResponseTemplate.jurisdiction_id == jurisdiction.id,
                                                                ResponseTemplate.id == template_id))
    if template is None:
        raise SetupError(f"jurisdiction {jurisdiction.code} has no response template {template_id}")
    templates.delete(db.session(), operator, template)
    click.echo(f"removed response template {template_id}")
