"""`machikoe subscribers`: who is told about reports (webhooks, e-mail, the push gateway)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from service.commands.common import emit, guarded, json_option, jurisdiction_option, operator_for
from service.domain import jurisdictions as setup
from service.domain import subscribers as manage
from service.extensions import db
from service.models import SUBSCRIBER_KINDS, Subscriber

COLUMNS = ("id", "kind", "name", "department", "url", "email", "active")


@click.group("subscribers")
def subscribers() -> None:
    """Receivers of report events: department webhooks, e-mail, the app's push gateway."""


def _find(subscriber_id: int, jurisdiction_code: str):
    jurisdiction, operator = operator_for(db.session(), jurisdiction_code)
    subscriber = db.session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.jurisdiction_id != jurisdiction.id:
        raise setup.SetupError(f"jurisdiction {jurisdiction.code} has no subscriber {subscriber_id}")
    return subscriber, operator


@subscribers.command("create")
@jurisdiction_option
@click.option("--kind", required=True, type=click.Choice(SUBSCRIBER_KINDS))
@click.option("--name", required=True)
@click.option("--department", default=None, help="only this department's reports (default: all)")
@click.option("--url", default=None)
@click.option("--email", default=None)
@json_option
@with_appcontext
@guarded
def create(jurisdiction_code, kind, name, department, url, email, as_json) -> None:
    """Create a subscriber; a webhook's signing secret is shown once."""
    _, operator = operator_for(db.session(), jurisdiction_code)
    subscriber, secret = manage.create_subscriber(db.session(), operator, department=department, secret=None, kind=kind,
                                                  name=name, url=url, email=email)
    emit({**manage.snapshot(db.session(), subscriber), "secret": secret}, COLUMNS, as_json)


@subscribers.command("list")
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def list_(jurisdiction_code: str, as_json: bool) -> None:
    """List subscribers (never their secrets)."""
    jurisdiction, _ = operator_for(db.session(), jurisdiction_code)
    found = db.session.scalars(select(Subscriber).where(Subscriber.jurisdiction_id == jurisdiction.id).order_by(Subscriber.id))
    emit([manage.snapshot(db.session(), s) for s in found], COLUMNS, as_json)


@subscribers.command("show")
@click.argument("subscriber_id", type=int)
@jurisdiction_option
@json_option
@with_appcontext
@guarded
def show(subscriber_id: int, jurisdiction_code: str, as_json: bool) -> None:
    """Show one subscriber."""
    subscriber, _ = _find(subscriber_id, jurisdiction_code)
    emit(manage.snapshot(db.session(), subscriber), COLUMNS, as_json)


@subscribers.command("update")
@click.argument("subscriber_id", type=int)
@jurisdiction_option
@click.option("--name")
@click.option("--url")
@click.option("--email")
@click.option("--active/--inactive", default=None)
@json_option
@with_appcontext
@guarded
def update(subscriber_id, jurisdiction_code, name, url, email, active, as_json) -> None:
    """Change a subscriber; --inactive stops deliveries without losing their history."""
    subscriber, operator = _find(subscriber_id, jurisdiction_code)
    changes = {k: v for k, v in {"name": name, "url": url, "email": email, "active": active}.items() if v is not None}
    manage.update_subscriber(db.session(), operator, subscriber, changes)
    emit(manage.snapshot(db.session(), subscriber), COLUMNS, as_json)


@subscribers.command("delete")
@click.argument("subscriber_id", type=int)
@jurisdiction_option
@with_appcontext
@guarded
def delete(subscriber_id: int, jurisdiction_code: str) -> None:
    """Delete a subscriber with its deliveries."""
    subscriber, operator = _find(subscriber_id, jurisdiction_code)
    manage.delete_subscriber(db.session(), operator, subscriber)
    click.echo(f"deleted subscriber {subscriber_id}")
