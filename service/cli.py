"""The `machikoe` command: serve, setup, the operator commands, and Flask's db and shell commands.

Flask's own `run` (its development server) is left out: it would accept
reports and never process them, where `serve` runs the worker in-process.
"""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from service import create_app
from service.commands import register
from service.commands.common import guarded

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return version("machikoe")
    except PackageNotFoundError:
        return "unknown"


def _create_app():
    """The app, saying so on stderr when it has just made its data directory (SQLite and photos live there)."""
    from config.settings import derive_settings, load_settings

    settings = derive_settings(load_settings())
    data_dir = Path(settings["DATA_DIR"])
    fresh = settings["DATABASE_URL"].startswith("sqlite:///") and not data_dir.exists()
    app = create_app()
    if fresh:
        click.echo(f"machikoe: created the data directory {data_dir} (SQLite database, photos, secret); "
                   "set MACHIKOE_DATA_DIR to use another", err=True)
    return app


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, add_default_commands=False)
@click.version_option(_version(), "--version", prog_name="machikoe")
def cli() -> None:
    """Machikoe (まちの声): citizen reports for Japanese municipalities.

    Settings come from the environment (MACHIKOE_*, DATABASE_URL, REDIS_URL …);
    -e FILE reads them from a dotenv file first.
    """


cli.add_command(shell_command)
cli.add_command(routes_command)
register(cli)


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
    from service.extensions import db
    from service.seed import database_is_empty, seed_demo
    from service.serving import create_server
    from workers.embedded import start_embedded_worker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _upgrade()
    if app.config["SEED_DEMO"] and database_is_empty(db.session()):
        jurisdiction = seed_demo(db.session())
        log.info("seeded the demo jurisdiction %s (%s)", jurisdiction.code, jurisdiction.name_en)
    db.session.remove()
    try:
        server = create_server(app, host=host, port=port, threads=threads,
                               connection_limit=app.config["SERVE_CONNECTION_LIMIT"],
                               client_timeout=app.config["SERVE_CLIENT_TIMEOUT"],
                               max_body_bytes=app.config["MAX_REQUEST_BYTES"])
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    if app.config["EMBEDDED_WORKER"]:
        start_embedded_worker(app)
    log.info("serving on http://%s:%d", host, port)
    server.run()


@cli.command("seed-demo")
@with_appcontext
@guarded
def seed_demo_command() -> None:
    """Create the demo jurisdiction 「みなと市」 (Minato Demo City); does nothing when it exists."""
    from service.extensions import db
    from service.seed import demo_exists, seed_demo

    _upgrade()
    existing = demo_exists(db.session())
    if existing is not None:
        click.echo(f"the demo jurisdiction {existing.code} {existing.name_ja} exists already; nothing to do")
        return
    jurisdiction = seed_demo(db.session())
    click.echo(f"seeded {jurisdiction.code} {jurisdiction.name_ja} ({jurisdiction.name_en})")


def _upgrade() -> None:
    from flask_migrate import upgrade

    upgrade()


def main() -> None:
    cli(prog_name="machikoe")
