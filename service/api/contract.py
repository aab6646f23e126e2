"""What the contract says beyond one field at a time: path ids and rules across fields.

Every ``<int:…>`` path id is a database id from 1 to 2³¹−1 (PostgreSQL's ``integer``);
:class:`IdConverter` takes the place of Werkzeug's ``int`` converter, so any other number
simply matches no route (404), and the contract says so. A schema states a rule across its
fields (``lat`` with ``lon``, the address an e-mail subscriber needs) in an ``OPENAPI``
class attribute, which :class:`SchemaRules` adds to the schema's contract.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from werkzeug.routing import IntegerConverter, Map

ID_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    """A database id: ASCII digits, 1 to 2³¹−1."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 1, max: int | None = ID_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def id_parameter(converter: IdConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": converter.min, "maximum": converter.max}


class SchemaRules(BasePlugin):
    """Adds a schema's ``OPENAPI`` rules (``anyOf``, ``oneOf`` …) to its component in the contract."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        schema = kwargs.get("schema")
        rules = getattr(schema if isinstance(schema, type) else type(schema), "OPENAPI", None)
        return {**definition, **rules} if rules else None
