"""`machikoe routing explain`: where a report at a point would go, and why."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from service.commands.common import emit, guarded, json_option


@click.group("routing")
def routing() -> None:
    """Checking the routing rules."""


@routing.command("explain")
@click.option("--lat", required=True, type=click.FloatRange(-90, 90))
@click.option("--lon", required=True, type=click.FloatRange(-180, 180))
@click.option("--category", required=True, help="category code, e.g. road_damage")
@json_option
@with_appcontext
@guarded
def explain(lat: float, lon: float, category: str, as_json: bool) -> None:
    """Show the jurisdiction, the areas and the rule that decide a report at a point."""
    from service.domain.route_explanation import explain as explain_route
    from service.extensions import db

    result = explain_route(db.session(), lat=lat, lon=lon, category=category)
    if as_json:
        emit(result.as_dict(), (), True)
        return
    j = result.jurisdiction
    click.echo(f"point {lat}, {lon}, category {category}")
    click.echo(f"jurisdiction: {j['code']} {j['name_ja']}" if j else "jurisdiction: none")
    click.echo("areas: " + (", ".join(f"{a['layer']}:{a['code']} {a['name_ja']}" for a in result.areas) or "none"))
    if result.rules:
        click.echo("rules (by priority):")
        emit([{**vars(r)} for r in result.rules], ("id", "priority", "category", "area", "department", "why"), False)
    if result.department:
        d = result.department
        click.echo(f"department: {d['code']} {d['name_ja']}{' (fallback)' if d['fallback'] else ''}")
    click.echo(f"because: {result.reason}")
