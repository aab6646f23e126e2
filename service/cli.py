"""The `machikoe` command: serve, seed-demo, staff keys, and Flask's own commands."""

from __future__ import annotations

import json
import logging

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from service import create_app

log = logging.getLogger(__name__)


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def cli() -> None:
    """Machikoe (まちの声): citizen reports for Japanese municipalities."""


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@with_appcontext
def serve(host: str, port: int, threads: int) -> None:
    """Migrate the database, seed the demo if it is empty, and serve.

    With the in-memory broker (no REDIS_URL) a Celery worker runs inside this
    process, so one command is the whole service.
    """
    from waitress import serve as waitress_serve

    from service.extensions import db
    from service.seed import database_is_empty, seed_demo
    from workers.embedded import start_embedded_worker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _upgrade()
    if app.config["SEED_DEMO"] and database_is_empty(db.session):
        jurisdiction = seed_demo(db.session)
        log.info("seeded the demo jurisdiction %s (%s)", jurisdiction.code, jurisdiction.name_en)
    db.session.remove()
    if app.config["EMBEDDED_WORKER"]:
        start_embedded_worker(app)
    log.info("serving on http://%s:%d", host, port)
    waitress_serve(app, host=host, port=port, threads=threads, ident="machikoe", clear_untrusted_proxy_headers=True)


@cli.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo jurisdiction 「みなと市」 (Minato Demo City)."""
    from service.extensions import db
    from service.seed import seed_demo

    _upgrade()
    try:
        jurisdiction = seed_demo(db.session)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"seeded {jurisdiction.code} {jurisdiction.name_ja} ({jurisdiction.name_en})")


@cli.group("staff")
def staff() -> None:
    """Staff members and their API keys."""


@staff.command("create")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "manager", "staff", "viewer"]))
@click.option("--jurisdiction", "jurisdiction_code", required=True, help="local government code")
@click.option("--department", "department_code", default=None, help="department code (required below admin)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@with_appcontext
def staff_create(name: str, role: str, jurisdiction_code: str, department_code: str | None, as_json: bool) -> None:
    """Create a staff member; the API key is shown once and stored hashed."""
    from service.domain.staff_keys import StaffKeyError, create_staff
    from service.extensions import db

    try:
        member, key = create_staff(db.session, name=name, role=role, jurisdiction_code=jurisdiction_code,
                                   department_code=department_code)
    except StaffKeyError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"id": member.id, "name": member.name, "role": member.role, "api_key": key}, ensure_ascii=False))
    else:
        click.echo(f"created staff {member.id} {member.name} ({member.role}); API key (shown once): {key}")


def _setup(action):
    """Run a setup action and turn its refusal into a clean command-line error."""
    from service.domain.jurisdictions import SetupError

    try:
        return action()
    except SetupError as exc:
        raise click.ClickException(str(exc)) from None


@cli.group("jurisdictions")
def jurisdictions() -> None:
    """Jurisdictions (自治体) served."""


@jurisdictions.command("create")
@click.option("--code", required=True, help="全国地方公共団体コード, 6 digits with check digit")
@click.option("--name-ja", required=True)
@click.option("--name-en", required=True)
@click.option("--prefecture-ja", default=None)
@click.option("--boundary", "boundary_file", required=True, type=click.File("rb"), help="GeoJSON (N03 works)")
@click.option("--with-categories/--without-categories", default=True, show_default=True,
              help="add the default category catalogue")
@with_appcontext
def jurisdictions_create(code: str, name_ja: str, name_en: str, prefecture_ja: str | None, boundary_file,
                         with_categories: bool) -> None:
    """Create a jurisdiction whose boundary is the union of a GeoJSON file's areas."""
    from service.domain import jurisdictions as setup
    from service.extensions import db
    from service.seed import category_catalogue

    data = boundary_file.read()
    jurisdiction = _setup(lambda: setup.create_jurisdiction(db.session, code=code, name_ja=name_ja, name_en=name_en,
                                                            boundary_geojson=data, prefecture_ja=prefecture_ja))
    added = setup.add_categories(db.session, jurisdiction, category_catalogue()) if with_categories else {}
    db.session.commit()
    click.echo(f"created jurisdiction {jurisdiction.code} {jurisdiction.name_ja} with {len(added)} categories")


@cli.group("departments")
def departments() -> None:
    """Departments (課) of a jurisdiction."""


@departments.command("create")
@click.option("--jurisdiction", "jurisdiction_code", required=True)
@click.option("--code", required=True)
@click.option("--name-ja", required=True)
@click.option("--name-en", required=True)
@click.option("--fallback", is_flag=True, help="receives reports no rule matches")
@click.option("--email", default=None)
@click.option("--webhook-url", default=None)
@with_appcontext
def departments_create(jurisdiction_code: str, code: str, name_ja: str, name_en: str, fallback: bool,
                       email: str | None, webhook_url: str | None) -> None:
    """Create a department."""
    from service.domain import jurisdictions as setup
    from service.extensions import db

    department = _setup(lambda: setup.add_department(
        db.session, setup.get_jurisdiction(db.session, jurisdiction_code), code=code, name_ja=name_ja,
        name_en=name_en, fallback=fallback, email=email, webhook_url=webhook_url))
    click.echo(f"created department {department.code} {department.name_ja}")


@cli.group("rules")
def rules() -> None:
    """Routing rules: (category or any, area or anywhere) → department, by priority."""


@rules.command("create")
@click.option("--jurisdiction", "jurisdiction_code", required=True)
@click.option("--department", "department_code", required=True)
@click.option("--category", "category_code", default=None, help="category code; any category when left out")
@click.option("--area", "area_ref", default=None, help="layer:code; anywhere when left out")
@click.option("--priority", default=100, show_default=True, type=int, help="lower numbers are tried first")
@with_appcontext
def rules_create(jurisdiction_code: str, department_code: str, category_code: str | None, area_ref: str | None,
                 priority: int) -> None:
    """Create a routing rule."""
    from service.domain import jurisdictions as setup
    from service.extensions import db

    rule = _setup(lambda: setup.add_rule(db.session, setup.get_jurisdiction(db.session, jurisdiction_code),
                                         department_code=department_code, category_code=category_code,
                                         area_ref=area_ref, priority=priority))
    click.echo(f"created rule {rule.id} (priority {rule.priority})")


@cli.group("areas")
def areas() -> None:
    """Named polygons in layers (wards, parks, road managers …)."""


@areas.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--jurisdiction", "jurisdiction_code", required=True)
@click.option("--layer", required=True)
@click.option("--name-property", default=None, help="the feature property holding the name")
@with_appcontext
def areas_import(file, jurisdiction_code: str, layer: str, name_property: str | None) -> None:
    """Import areas from a GeoJSON file, including 国土数値情報 N03 boundary files."""
    from service.domain import jurisdictions as setup
    from service.extensions import db

    data = file.read()
    created, updated = _setup(lambda: setup.import_areas(
        db.session, setup.get_jurisdiction(db.session, jurisdiction_code), data, layer=layer,
        name_property=name_property))
    click.echo(f"imported {created + updated} areas into layer {layer} ({created} new, {updated} replaced)")


@cli.group("clients")
def clients() -> None:
    """Client systems that send reports over Open311, and their api_key."""


@clients.command("create")
@click.option("--name", required=True)
@click.option("--jurisdiction", "jurisdiction_code", required=True, help="local government code")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@with_appcontext
def clients_create(name: str, jurisdiction_code: str, as_json: bool) -> None:
    """Create a client system; its api_key is shown once and stored hashed."""
    from service.domain.api_clients import ApiClientError, create_client
    from service.extensions import db

    try:
        client, key = create_client(db.session, name=name, jurisdiction_code=jurisdiction_code)
    except ApiClientError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"id": client.id, "name": client.name, "jurisdiction": jurisdiction_code,
                               "api_key": key}, ensure_ascii=False))
    else:
        click.echo(f"created client {client.id} {client.name}; api_key (shown once): {key}")


def _register_channels() -> None:
    from service.channels.line.commands import line

    cli.add_command(line)


_register_channels()


def _upgrade() -> None:
    from flask_migrate import upgrade

    upgrade()


def main() -> None:
    cli(prog_name="machikoe")
