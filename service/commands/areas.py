"""`machikoe areas`: named polygons in layers (wards, parks, road managers …)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from service.commands.common import emit, guarded, json_option, jurisdiction_option, operator_for
from service.domain import admin
from service.domain import jurisdictions as setup
from service.extensions import db
from service.models import Area

COLUMNS = ("id", "layer", "code", "name_ja", "name_en", "address")


@click.group("areas")
def areas() -> None:
    """Named polygons in layers (wards, parks, road managers …)."""


def record(area: Area) -> dict:
    return {**admin.area_snapshot(area), "address": "".join((area.properties or {}).get("name_parts") or ()) or None}


def _find(ref: str, jurisdiction_code: str):
    jurisdiction, operator = operator_for(db.session(), jurisdiction_code)
    layer, _, code = ref.partition(":")
    area = db.session.scalar(select(Area).where(Area.jurisdiction_id == jurisdiction.id, Area.layer == layer,
                                                Area.code == setup.area_code(code)))
    if area is None:
        raise setup.SetupError(f"jurisdiction {jurisdiction.code} has no area {ref!r} (give layer:code)")
    return area, jurisdiction, operator


@areas.command("import")
@click.argument("file", type=click.File("rb"))
@jurisdiction_option
@click.option("--layer", required=True)
@click.option("--name-property", default=None, help="the feature property holding the name")
@click.option("--code-property", default=None, help="the feature property holding the code")
@click.option("--force", is_flag=True, help="import areas lying mostly outside the jurisdiction, with a warning")
@click.option("--dry-run", is_flag=True, help="print what would be imported and write nothing")
@with_appcontext
@guarded
def import_(file, jurisdiction_code, layer, name_property, code_property, force, dry_run) -> None:
    """Import areas from GeoJSON (国土数値情報 N03 included) or a zipped Shapefile."""
    jurisdiction, operator = operator_for(db.session(), jurisdiction_code)
    plan = setup.plan_areas(db.session(), jurisdiction, file.read(), layer=layer, name_property=name_property,
                            code_property=code_property, force=force)
    for note in plan.notes:
        click.echo(f"note: {note}")
    for warning in plan.warnings:
        click.echo(f"warning: {warning}")
    if dry_run:
        new, replaced = plan.counts
        for item in plan.areas:
            click.echo(f"would {'replace' if item.replaces else 'add'} {layer}:{item.code} {item.name_ja}")
        click.echo(f"would import {new + replaced} areas into layer {layer} ({new} new, {replaced} replaced); "
                   "nothing was written (--dry-run)")
        return
    created, updated = admin.import_layer(db.session(), operator, b"", layer=layer, name_property=name_property,
                                          plan=plan)
    click.echo(f"imported {created + updated} areas into layer {layer} ({created} new, {updated} replaced)")


@areas.command("list")
@jurisdiction_option
@click.option("--layer", default=None)
@json_option
@with_appcontext
@guarded
def list_(jurisdiction_code: str, layer: str | None, as_json: bool) -> None:
    """List a jurisdiction's areas (without their polygons)."""
    jurisdiction, _ = operator_for(db.session(), jurisdiction_code)
    query = select(Area).where(Area.jurisdiction_id == jurisdiction.id).order_by(Area.layer, Area.code)
    if layer:
        query = query.where(Area.layer == layer)
    emit([record(a) for a in db.session.scalars(query)], COLUMNS, as_json)


@areas.command("show")
@click.argument("ref")
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def show(ref: str, jurisdiction_code: str, as_json: bool) -> None:
    """Show one area, given as layer:code."""
    area, _, _ = _find(ref, jurisdiction_code)
    emit(record(area), COLUMNS, as_json)


@areas.command("update")
@click.argument("ref")
@jurisdiction_option
@click.option("--name-ja")
@click.option("--name-en")
@json_option
@with_appcontext
@guarded
def update(ref: str, jurisdiction_code: str, name_ja: str | None, name_en: str | None, as_json: bool) -> None:
    """Rename an area (its polygon changes by importing again)."""
    area, _, operator = _find(ref, jurisdiction_code)
    admin.rename_area(db.session(), operator, area, name_ja=name_ja, name_en=name_en)
    emit(record(area), COLUMNS, as_json)


@areas.command("delete")
@click.argument("ref")
@jurisdiction_option
@with_appcontext
@guarded
def delete(ref: str, jurisdiction_code: str) -> None:
    """Delete an area and the routing rules that refer to it."""
    area, _, operator = _find(ref, jurisdiction_code)
    admin.delete_area(db.session(), operator, area)
    click.echo(f"deleted area {ref}")
