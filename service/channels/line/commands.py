"""`machikoe line configure` and `machikoe line check`."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("line")
def line() -> None:
    """A jurisdiction's LINE official account."""


@line.command("configure")
@click.option("--jurisdiction", "jurisdiction_code", required=True, help="local government code")
@click.option("--monthly-push-quota", type=click.IntRange(0), default=None, help="pushes a month at most (LINE charges per push)")
@with_appcontext
def configure_command(jurisdiction_code: str, monthly_push_quota: int | None) -> None:
    """Read the channel secret and the access token from standard input, one per line."""
    from service.channels.line.setup import LineSetupError, configure
    from service.extensions import db

    lines = sys.stdin.read().splitlines()
    if len(lines) < 2:
        raise click.ClickException("Give the channel secret and the access token on standard input, one per line.")
    try:
        configure(db.session(), jurisdiction_code, channel_secret=lines[0].strip(), access_token=lines[1].strip(),
                  monthly_push_quota=monthly_push_quota)
    except LineSetupError as exc:
        raise click.ClickException(str(exc)) from None
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/") or "https://<your host>"
    click.echo(f"LINE channel set for {jurisdiction_code}. Webhook URL: {base}/channels/line/{jurisdiction_code}/webhook")


@line.command("check")
@click.option("--jurisdiction", "jurisdiction_code", required=True, help="local government code")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@with_appcontext
def check_command(jurisdiction_code: str, as_json: bool) -> None:
    """Ask LINE's API, with the stored token, who the channel is."""
    from service.channels.line.client import LineApiError, LineClient
    from service.channels.line.setup import LineSetupError, channel_of
    from service.extensions import db
    from workers.line import endpoints

    try:
        channel = channel_of(db.session(), jurisdiction_code)
    except LineSetupError as exc:
        raise click.ClickException(str(exc)) from None
    client = LineClient(endpoints(), channel.access_token)
    try:
        info = client.bot_info()
    except LineApiError as exc:
        raise click.ClickException(f"LINE refused the access token or could not be reached: {exc}") from None
    finally:
        client.close()
    result = {"jurisdiction": jurisdiction_code, "api_base_url": current_app.config["LINE_API_BASE_URL"], **info}
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else
               f"LINE channel of {jurisdiction_code}: {info['display_name']} ({info['basic_id']}) at {result['api_base_url']}")
