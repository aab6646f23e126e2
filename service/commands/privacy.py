"""`machikoe privacy`: retention, the reporter's rights (開示・訂正・利用停止), the 個人情報ファイル簿, stored masks."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from service import clock
from service.api.csv_files import csv_text
from service.commands.common import Operator, emit, guarded, json_option, jurisdiction_option, operator_for
from service.domain import retention, rights
from service.domain.audit import audit
from service.extensions import db
from service.models import Jurisdiction
from service.privacy import remasking
from service.privacy.personal_data import CORRECTABLE, IDENTITIES
from service.privacy.register import register as register_entry

PURGE_COLUMNS = ("jurisdiction", "report", "closed_at", "fields")
PURGED_COLUMNS = ("jurisdiction", "retention_days", "reports", "originals_deleted", "line_users_deleted",
                  "followers_deleted", "line_events_deleted")
REMASK_COLUMNS = ("column", "rules_version", "stale", "changed")


@click.group("privacy")
def privacy() -> None:
    """Personal data: the retention purge, a person's data (find, export, correct, erase), the register, remasking."""


def _rights_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except rights.RightsError as exc:
            raise click.ClickException(str(exc)) from None
    return guarded(wrapper)


def identity_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--value", required=True, help="the e-mail address, telephone number, device id or LINE user id")(command)
    return click.option("--by", "kind", required=True, type=click.Choice(IDENTITIES), help="what the value is")(command)


@privacy.command("purge")
@click.option("--jurisdiction", "jurisdiction_code", default=None, help="only this jurisdiction (default: all)")
@click.option("--dry-run", is_flag=True, help="print what would be removed and change nothing")
@json_option
@with_appcontext
@guarded
def purge(jurisdiction_code: str | None, dry_run: bool, as_json: bool) -> None:
    """Remove the personal data of reports closed longer ago than their jurisdiction's retention days."""
    days = current_app.config["RETENTION_DAYS"]
    if dry_run:
        emit(retention.plan(db.session(), clock.now(), days, jurisdiction_code), PURGE_COLUMNS, as_json)
        return
    done = run_purge(jurisdiction_code)
    emit([{**d, "reports": len(d["reports"])} if not as_json else d for d in done], PURGED_COLUMNS, as_json)


def run_purge(jurisdiction_code: str | None = None) -> list[dict[str, Any]]:
    """One purge, committed, then the originals deleted from the store; the beat job runs the same."""
    done = retention.purge(db.session(), clock.now(), current_app.config["RETENTION_DAYS"],
                           lambda j: Operator(jurisdiction_id=j.id), jurisdiction_code)
    db.session.commit()
    for part in done:
        part.removed.delete_objects(db.session(), current_app.extensions["photo_store"])
    return [part.as_dict() for part in done]


@privacy.command("retention")
@jurisdiction_option
@click.option("--days", type=click.IntRange(min=1), default=None, help="days after closing; omit to show the current setting")
@click.option("--default", "use_default", is_flag=True, help="follow the RETENTION_DAYS setting again")
@json_option
@with_appcontext
@guarded
def retention_setting(jurisdiction_code: str, days: int | None, use_default: bool, as_json: bool) -> None:
    """Show or set how many days after closing a jurisdiction keeps reporters' personal data."""
    jurisdiction, operator = operator_for(db.session(), jurisdiction_code)
    if days is not None or use_default:
        before = jurisdiction.retention_days
        jurisdiction.retention_days = None if use_default else days
        audit(db.session(), operator, "privacy.retention_set", "jurisdiction", jurisdiction.code,
              before={"retention_days": before}, after={"retention_days": jurisdiction.retention_days})
        db.session.commit()
    emit(_retention(jurisdiction), (), as_json)


def _retention(jurisdiction: Jurisdiction) -> dict[str, Any]:
    default = current_app.config["RETENTION_DAYS"]
    return {"jurisdiction": jurisdiction.code, "retention_days": retention.retention_days(jurisdiction, default),
            "own_setting": jurisdiction.retention_days is not None}


@privacy.command("find")
@jurisdiction_option
@identity_options
@with_appcontext
@_rights_errors
def find(jurisdiction_code: str, kind: str, value: str) -> None:
    """Everything held about one person (JSON), audited as a disclosure."""
    _, operator = operator_for(db.session(), jurisdiction_code)
    holdings = rights.disclose(db.session(), operator, rights.Identity.parse(kind, value))
    db.session.commit()
    click.echo(json.dumps(holdings.body, ensure_ascii=False, indent=2, default=str))


@privacy.command("export")
@jurisdiction_option
@identity_options
@click.option("--format", "output", type=click.Choice(("json", "csv")), default="json")
@with_appcontext
@_rights_errors
def export(jurisdiction_code: str, kind: str, value: str, output: str) -> None:
    """A person's data as a file for them (JSON or CSV on stdout), audited."""
    _, operator = operator_for(db.session(), jurisdiction_code)
    holdings = rights.disclose(db.session(), operator, rights.Identity.parse(kind, value), "privacy.exported")
    db.session.commit()
    if output == "json":
        click.echo(json.dumps(holdings.body, ensure_ascii=False, indent=2, default=str))
        return
    for piece in csv_text(rights.EXPORT_HEADER, rights.rows(holdings)):
        click.echo(piece, nl=False)


@privacy.command("correct")
@jurisdiction_option
@identity_options
@click.option("--set", "changes", multiple=True, metavar="FIELD=VALUE",
              help=f"a corrected field ({', '.join(CORRECTABLE)}); an empty value clears it")
@json_option
@with_appcontext
@_rights_errors
def correct(jurisdiction_code: str, kind: str, value: str, changes: tuple[str, ...], as_json: bool) -> None:
    """Correct a person's contact fields on every report they made, audited."""
    _, operator = operator_for(db.session(), jurisdiction_code)
    parsed: dict[str, str | None] = {}
    for change in changes:
        name, sep, new = change.partition("=")
        if not sep:
            raise click.BadParameter(f"{change!r} is not FIELD=VALUE", param_hint="--set")
        parsed[name.strip()] = new
    holdings = rights.correct(db.session(), operator, rights.Identity.parse(kind, value), parsed)
    db.session.commit()
    emit({"reports": [r.public_id for r in holdings.reports], "fields": sorted(parsed)}, (), as_json)


@privacy.command("erase")
@jurisdiction_option
@identity_options
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@json_option
@with_appcontext
@_rights_errors
def erase(jurisdiction_code: str, kind: str, value: str, yes: bool, as_json: bool) -> None:
    """Erase and anonymise a person's data (利用停止・消去): contact, device and LINE ids, originals; audited."""
    _, operator = operator_for(db.session(), jurisdiction_code)
    identity = rights.Identity.parse(kind, value)
    if not yes:
        click.confirm(f"Erase the personal data found by this {kind} in {jurisdiction_code}?", abort=True)
    removed = rights.erase(db.session(), operator, identity)
    db.session.commit()
    removed.delete_objects(db.session(), current_app.extensions["photo_store"])
    emit(removed.as_dict(), (), as_json)


@privacy.command("register")
@jurisdiction_option
@click.option("--format", "output", type=click.Choice(("text", "json")), default="text")
@with_appcontext
@guarded
def register(jurisdiction_code: str, output: str) -> None:
    """Print the 個人情報ファイル簿 entry of the jurisdiction's report file, from the schema and the settings."""
    jurisdiction, _ = operator_for(db.session(), jurisdiction_code)
    entry = register_entry(db.session(), jurisdiction, current_app.config["RETENTION_DAYS"])
    if output == "json":
        click.echo(json.dumps(entry, ensure_ascii=False, indent=2))
        return
    for heading, value in entry.items():
        click.echo(f"【{heading}】")
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    click.echo(f"  ・{item['項目']}（{item['テーブル']}.{item['列']}）")
                    click.echo(f"      閲覧できる者: {item['閲覧できる者']}")
                    click.echo(f"      収集経路: {'、'.join(item['収集経路'])}")
                else:
                    click.echo(f"  ・{item}")
        else:
            click.echo(f"  {value}")


@privacy.command("remask")
@click.option("--dry-run", is_flag=True, help="count the stale copies and those that would change; change nothing")
@json_option
@with_appcontext
@guarded
def remask(dry_run: bool, as_json: bool) -> None:
    """Mask again the stored public copies made under older masking rules, in committed batches."""
    done = remasking.remask(db.session(), dry_run=dry_run)
    emit([part.as_dict() for part in done], REMASK_COLUMNS, as_json)
