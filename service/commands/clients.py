"""`machikoe clients`: systems that send reports over Open311, and their api_key."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from service.commands.common import emit, guarded, json_option, jurisdiction_option, operator_for
from service.domain import jurisdictions as setup
from service.domain.api_clients import client_snapshot, create_client, revoke_client
from service.extensions import db
from service.models import ApiClient

COLUMNS = ("id", "name", "key_prefix", "revoked", "last_used_at")


@click.group("clients")
def clients() -> None:
    """Client systems that send reports over Open311, and their api_key."""


def record(client: ApiClient) -> dict:
    return {**client_snapshot(client), "last_used_at": client.last_used_at.isoformat() if client.last_used_at else None}


def _find(client_id: int, jurisdiction_code: str):
    jurisdiction, operator = operator_for(db.session(), jurisdiction_code)
    client = db.session.get(ApiClient, client_id)
    if client is None or client.jurisdiction_id != jurisdiction.id:
        raise setup.SetupError(f"jurisdiction {jurisdiction.code} has no client {client_id}")
    return client, operator


@clients.command("create")
@click.option("--name", required=True)
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def create(name: str, jurisdiction_code: str, as_json: bool) -> None:
    """Create a client system; its api_key is shown once and stored hashed."""
    client, key = create_client(db.session(), name=name, jurisdiction_code=jurisdiction_code)
    if as_json:
        click.echo(json.dumps({"id": client.id, "name": client.name, "jurisdiction": setup.jurisdiction_code(
            jurisdiction_code), "api_key": key}, ensure_ascii=False))
    else:
        click.echo(f"created client {client.id} {client.name}; api_key (shown once): {key}")


@clients.command("list")
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def list_(jurisdiction_code: str, as_json: bool) -> None:
    """List client systems (never their keys)."""
    jurisdiction, _ = operator_for(db.session(), jurisdiction_code)
    found = db.session.scalars(select(ApiClient).where(ApiClient.jurisdiction_id == jurisdiction.id).order_by(ApiClient.id))
    emit([record(c) for c in found], COLUMNS, as_json)


@clients.command("show")
@click.argument("client_id", type=int)
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def show(client_id: int, jurisdiction_code: str, as_json: bool) -> None:
    """Show one client system."""
    client, _ = _find(client_id, jurisdiction_code)
    emit(record(client), COLUMNS, as_json)


@clients.command("revoke")
@click.argument("client_id", type=int)
@jurisdiction_option
@with_appcontext
@guarded
def revoke(client_id: int, jurisdiction_code: str) -> None:
    """Revoke a client's api_key for good (its reports stay)."""
    client, operator = _find(client_id, jurisdiction_code)
    revoke_client(db.session(), operator, client)
    click.echo(f"revoked the api_key of client {client.id} {client.name}")
