"""`machikoe setup`: a municipality from its boundary file in one command."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from service.commands.common import guarded


@click.command("setup")
@click.option("--code", required=True, help="local government code, 6 digits (121002) or N03's 5 (12100)")
@click.option("--boundaries", "--n03", "boundaries", required=True, type=click.File("rb"),
              help="the wards or the municipality: N03 GeoJSON (a prefecture's is cut down), a GeoJSON with "
                   "`name` per polygon, or a zipped Shapefile")
@click.option("--boundary", "boundary_file", type=click.File("rb"), default=None,
              help="the municipality's outline when it is not the union of its wards")
@click.option("--name-ja", default=None, help="the municipality's name when the file does not say it")
@click.option("--name-en", default=None, help="the municipality's English name (default: the Japanese name)")
@click.option("--name-property", default=None, help="the feature property holding the name")
@click.option("--code-property", default=None, help="the feature property holding the code")
@click.option("--force", is_flag=True, help="import areas lying mostly outside the municipality, with a warning")
@click.option("--dry-run", is_flag=True, help="print what would be done and write nothing")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@with_appcontext
@guarded
def setup(code, boundaries, boundary_file, name_ja, name_en, name_property, code_property, force, dry_run,
          as_json) -> None:
    """Create or update a municipality, its wards, departments, categories and routing rules.

    Safe to run again: what exists is kept or brought up to date, nothing is doubled.
    """
    from service.domain.municipality_setup import set_up_municipality
    from service.extensions import db
    from service.seed import setup_defaults

    def progress(message: str) -> None:
        if not as_json:
            click.echo(f"… {message}", err=True)

    data = boundaries.read()
    progress(f"reading {boundaries.name} ({len(data) / 1e6:.1f} MB)")
    result = set_up_municipality(
        db.session(), code=code, boundaries=data, boundary=boundary_file.read() if boundary_file else None,
        defaults=setup_defaults(), name_ja=name_ja, name_en=name_en, name_property=name_property,
        code_property=code_property, force=force, dry_run=dry_run, progress=progress)
    summary = result.summary()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    place = "".join(p for p in (summary["prefecture_ja"], summary["county_ja"], summary["name_ja"]) if p)
    verb = "would set up" if dry_run else "set up"
    state = "new jurisdiction" if summary["jurisdiction_created"] else "jurisdiction updated"
    click.echo(f"{verb} {summary['code']} {place} ({state})")
    click.echo(f"  wards: {len(summary['wards'])} ({summary['wards_new']} new, {summary['wards_replaced']} replaced)")
    for ward in summary["wards"]:
        click.echo(f"    ward:{ward['code']}  {ward['name_ja']}  {ward['address']}")
    click.echo(f"  departments added: {', '.join(summary['departments_added']) or 'none'}")
    click.echo(f"  categories added: {len(summary['categories_added'])}")
    click.echo(f"  routing rules added: {len(summary['rules_added'])}")
    for note in summary["notes"]:
        click.echo(f"  note: {note}")
    for warning in summary["warnings"]:
        click.echo(f"  warning: {warning}")
    if dry_run:
        click.echo("nothing was written (--dry-run)")
        return
    click.echo("next steps:")
    point = summary["sample_point"]
    click.echo(f"  machikoe routing explain --lat {point['lat']} --lon {point['lon']} --category road_damage"
               "   # check a point")
    click.echo(f"  machikoe staff create --name NAME --role admin --jurisdiction {summary['code']}")
    click.echo(f"  machikoe departments list --jurisdiction {summary['code']}   # then set their --email or --webhook-url")
