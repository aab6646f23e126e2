"""What every operator command shares: output as a table or JSON, and errors without tracebacks.

Commands act as the operator of the machine, not as a staff member; the audit
log records their changes with no staff id (`Operator`).
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import click
from flask import current_app
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from service.domain.api_clients import ApiClientError
from service.domain.jurisdictions import SetupError, get_jurisdiction
from service.domain.signin import CredentialsError
from service.domain.staff_keys import StaffKeyError
from service.domain.subscribers import SubscriberError
from service.models import Jurisdiction

NOT_MIGRATED = ("no such table", "does not exist", "undefinedtable")


@dataclass(frozen=True)
class Operator:
    """The actor of a command-line change, in the audit log's terms: a jurisdiction, no staff member."""

    jurisdiction_id: int
    id: None = None
    role: str = "admin"


def operator_for(session, code: str) -> tuple[Jurisdiction, Operator]:
    jurisdiction = get_jurisdiction(session, code)
    return jurisdiction, Operator(jurisdiction_id=jurisdiction.id)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the operator's mistakes (bad codes, missing things, an unmigrated database) into one-line errors."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (SetupError, StaffKeyError, ApiClientError, SubscriberError, CredentialsError) as exc:
            raise click.ClickException(str(exc)) from None
        except (OperationalError, ProgrammingError) as exc:
            if any(marker in str(exc.orig).lower() for marker in NOT_MIGRATED):
                raise click.ClickException(
                    f"the database {_where(current_app.config['SQLALCHEMY_DATABASE_URI'])} is not set up yet: "
                    "run `machikoe db upgrade` (or `machikoe serve`, which migrates) first") from None
            raise

    return wrapper


def _where(url: str) -> str:
    # The URL's password never reaches the terminal.
    return make_url(url).render_as_string(hide_password=True)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")(command)


def jurisdiction_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--jurisdiction", "jurisdiction_code", required=True,
                        help="local government code (6 digits, or N03's 5)")(command)


def emit(rows: dict[str, Any] | Sequence[dict[str, Any]], columns: Iterable[str], as_json: bool) -> None:
    """Print one record or a list of records, as JSON or as a plain table of `columns`."""
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    columns = list(columns)
    if isinstance(rows, dict):
        width = max(len(name) for name in rows)
        for name, value in rows.items():
            click.echo(f"{name.ljust(width)}  {_cell(value)}")
        return
    if not rows:
        click.echo("(none)")
        return
    cells = [[_cell(row.get(name)) for name in columns] for row in rows]
    widths = [max(len(name), *(_width(line[i]) for line in cells)) for i, name in enumerate(columns)]
    click.echo("  ".join(name.ljust(w) for name, w in zip(columns, widths, strict=True)).rstrip())
    for line in cells:
        click.echo("  ".join(_pad(value, w) for value, w in zip(line, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{key}={_cell(item)}" for key, item in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        return ",".join(_cell(v) for v in value) or "-"
    return str(value)


def _width(text: str) -> int:
    # Japanese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
