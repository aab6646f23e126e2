"""`machikoe jurisdictions`: the municipalities served."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from shapely.geometry import shape
from sqlalchemy import func, select

from service.commands.common import emit, guarded, json_option
from service.domain import jurisdictions as setup
from service.extensions import db
from service.models import Area, Category, Department, Jurisdiction, Report

COLUMNS = ("code", "name_ja", "name_en", "prefecture_ja", "county_ja", "departments", "areas", "categories", "reports",
           "not_taken_ja")


@click.group("jurisdictions")
def jurisdictions() -> None:
    """Jurisdictions (自治体) served."""


def record(j: Jurisdiction) -> dict:
    def count(model) -> int:
        return db.session.execute(select(func.count(model.id)).where(model.jurisdiction_id == j.id)).scalar_one()

    minx, miny, maxx, maxy = shape(j.boundary).bounds
    return {"code": j.code, "name_ja": j.name_ja, "name_en": j.name_en, "prefecture_ja": j.prefecture_ja,
            "county_ja": j.county_ja, "departments": count(Department), "areas": count(Area),
            "categories": count(Category), "reports": count(Report), "not_taken_ja": j.not_taken_ja,
            "not_taken_en": j.not_taken_en,
            "bbox": [round(v, 6) for v in (minx, miny, maxx, maxy)]}


@jurisdictions.command("create")
@click.option("--code", required=True, help="全国地方公共団体コード, 6 digits with check digit (or N03's 5)")
@click.option("--name-ja", required=True)
@click.option("--name-en", required=True)
@click.option("--prefecture-ja", default=None)
@click.option("--county-ja", default=None, help="the county (郡) of a town or village")
@click.option("--boundary", "boundary_file", required=True, type=click.File("rb"), help="GeoJSON (N03 works)")
@click.option("--with-categories/--without-categories", default=True, show_default=True,
              help="add the default category catalogue")
@with_appcontext
@guarded
def create(code, name_ja, name_en, prefecture_ja, county_ja, boundary_file, with_categories) -> None:
    """Create a jurisdiction whose boundary is the union of a file's areas, with a fallback department.

    `machikoe setup` does this and more (wards, departments, rules) from one file.
    """
    from service.seed import category_catalogue, setup_defaults

    fallback = next(d for d in setup_defaults().departments if d.get("fallback"))
    jurisdiction = setup.create_jurisdiction(db.session(), code=code, name_ja=name_ja, name_en=name_en,
                                             boundary_geojson=boundary_file.read(), prefecture_ja=prefecture_ja,
                                             county_ja=county_ja, fallback=fallback)
    added = setup.add_categories(db.session(), jurisdiction, category_catalogue()) if with_categories else {}
    db.session.commit()
    click.echo(f"created jurisdiction {jurisdiction.code} {jurisdiction.name_ja} with {len(added)} categories "
               f"and the fallback department {fallback['code']}")


@jurisdictions.command("list")
@json_option
@with_appcontext
@guarded
def list_(as_json: bool) -> None:
    """List the jurisdictions."""
    rows = [record(j) for j in db.session.scalars(select(Jurisdiction).order_by(Jurisdiction.code))]
    emit(rows, COLUMNS, as_json)


@jurisdictions.command("show")
@click.argument("code")
@json_option
@with_appcontext
@guarded
def show(code: str, as_json: bool) -> None:
    """Show one jurisdiction."""
    emit(record(setup.get_jurisdiction(db.session(), code)), COLUMNS, as_json)


@jurisdictions.command("update")
@click.argument("code")
@click.option("--name-ja")
@click.option("--name-en")
@click.option("--prefecture-ja")
@click.option("--county-ja")
@click.option("--not-taken-ja", help="what is not taken here (snow, private land), shown before the categories; '' removes it")
@click.option("--not-taken-en")
@click.option("--boundary", "boundary_file", type=click.File("rb"), default=None, help="a new boundary file")
@json_option
@with_appcontext
@guarded
def update(code, name_ja, name_en, prefecture_ja, county_ja, not_taken_ja, not_taken_en, boundary_file, as_json) -> None:
    """Change a jurisdiction's names, what it does not take, or its boundary."""
    jurisdiction = setup.get_jurisdiction(db.session(), code)
    changes = {"name_ja": name_ja, "name_en": name_en, "prefecture_ja": prefecture_ja, "county_ja": county_ja,
               "not_taken_ja": not_taken_ja, "not_taken_en": not_taken_en}
    setup.update_jurisdiction(db.session(), jurisdiction, changes, boundary_file.read() if boundary_file else None)
    emit(record(jurisdiction), COLUMNS, as_json)


@jurisdictions.command("delete")
@click.argument("code")
@click.option("--yes", is_flag=True, help="do not ask")
@with_appcontext
@guarded
def delete(code: str, yes: bool) -> None:
    """Delete a jurisdiction without reports, with its whole setup."""
    jurisdiction = setup.get_jurisdiction(db.session(), code)
    if not yes:
        click.confirm(f"delete {jurisdiction.code} {jurisdiction.name_ja} and all its setup?", abort=True)
    setup.delete_jurisdiction(db.session(), jurisdiction)
    click.echo(f"deleted jurisdiction {code}")
