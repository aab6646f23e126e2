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


def _upgrade() -> None:
    from flask_migrate import upgrade

    upgrade()


def main() -> None:
    cli(prog_name="machikoe")
