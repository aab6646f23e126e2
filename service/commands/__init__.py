"""The operator commands of `machikoe`, one module per idea, registered on the main command group."""

from __future__ import annotations

import click

from service.channels.line.commands import line
from service.commands.areas import areas
from service.commands.categories import categories
from service.commands.clients import clients
from service.commands.departments import departments
from service.commands.jurisdictions import jurisdictions
from service.commands.privacy import privacy
from service.commands.routing import routing
from service.commands.rules import rules
from service.commands.setup import setup
from service.commands.staff import staff
from service.commands.subscribers import subscribers
from service.commands.templates import templates_group
from service.commands.web import web

GROUPS = (setup, routing, jurisdictions, departments, categories, areas, rules, templates_group, staff, clients, subscribers,
          line, web, privacy)


def register(cli: click.Group) -> None:
    for command in GROUPS:
        cli.add_command(command)
