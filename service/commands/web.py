"""`machikoe web`: the pages' browser libraries."""

from __future__ import annotations

import click

from service.web.vendoring import PACKAGES, VendoringError, refresh


@click.group("web")
def web() -> None:
    """The web pages' vendored browser libraries."""


@web.command("vendor")
@click.option("--npm", default="npm", show_default=True, help="the npm program to run")
@click.option("--only", "only", multiple=True, metavar="PACKAGE", help="fetch only this package (repeatable); the others stay")
def vendor(npm: str, only: tuple[str, ...]) -> None:
    """Fetch the browser libraries from the npm registry again and rewrite their manifests.

    The newest version within each package's range is copied; commit the result.
    """
    try:
        entries = refresh(npm, only)
    except VendoringError as exc:
        raise click.ClickException(str(exc)) from exc
    for entry in entries:
        click.echo(f"{entry['name']} {entry['version']} ({entry['licence']}): {len(entry['files'])} files")
    click.echo(f"{len(entries)} of {len(PACKAGES)} packages vendored")
