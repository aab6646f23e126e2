"""docker-compose.yml read as compose reads it: YAML with merge keys, then ``${VAR}`` interpolation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.pipeline.support import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, and $$ for a literal $.
_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|\$(?P<bare>\w+)")


class MissingVariable(ValueError):
    pass


def interpolate(value: Any, environment: Mapping[str, str]) -> Any:
    """Substitute variables in every string of ``value`` as compose does; raises MissingVariable for ``:?``."""
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        given = environment.get(name)
        missing = given is None or (given == "" and op is not None and op.startswith(":"))
        if op and op.endswith("?") and missing:
            raise MissingVariable(f"{name}: {arg}")
        if op and op.endswith("-") and missing:
            return arg
        return given or ""

    return _VARIABLE.sub(substitute, value)


def load(environment: Mapping[str, str], path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file with merge keys applied and variables substituted from ``environment``."""
    return interpolate(yaml.safe_load(path.read_text(encoding="utf-8")), environment)
