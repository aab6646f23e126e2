"""What the contract says beyond one field at a time: path ids and rules across fields.

Every ``<int:…>`` path id is a database id from 1 to 2³¹−1 (PostgreSQL's ``integer``);
:class:`IdConverter` takes the place of Werkzeug's ``int`` converter, so any other number
simply matches no route (404), and the contract says so. A schema states a rule across its
fields (``lat`` with ``lon``, the address an e-mail subscriber needs) in an ``OPENAPI``
class attribute, which :class:`SchemaRules` adds to the schema's contract.

The input boundary's character rule (:mod:`service.domain.characters`) is declared on
every string a client sends: a ``pattern`` on each string field of an input schema (text:
tab and line breaks allowed), and the single-line ``pattern`` on each query and path
parameter, so a client and a contract test see the rule the server enforces.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from apispec.ext.marshmallow import OpenAPIConverter
from marshmallow import fields
from werkzeug.routing import IntegerConverter, Map, UnicodeConverter

from service.domain import characters

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
        rules: dict[str, Any] = {}
        # A base class's rules hold for its subclasses (PatchSchema: something to change), and a
        # subclass may add its own.
        for cls in reversed((schema if isinstance(schema, type) else type(schema)).__mro__):
            rules.update(vars(cls).get("OPENAPI", {}))
        return {**definition, **rules} if rules else None


def line_parameter(converter: UnicodeConverter) -> dict[str, Any]:
    """A string path segment: one line, without the characters the boundary refuses."""
    return {"type": "string", "pattern": characters.LINE_PATTERN}


def declare_character_rule(converter: OpenAPIConverter) -> None:
    """Add the character rule to every input string the contract describes."""
    converter.add_attribute_function(_text_rule)
    converter.add_parameter_attribute_function(_line_rule)


def _sent_by_clients(field: fields.Field) -> bool:
    from schemas.common import StrictSchema

    # Input schemas refuse unknown fields (StrictSchema); answers are described by plain schemas.
    return isinstance(field.root, StrictSchema)


def with_pattern(schema: dict[str, Any], pattern: str) -> dict[str, Any]:
    """``schema`` that also requires ``pattern``; a pattern of its own stays, the rule joins it in ``allOf``."""
    if schema.get("pattern") in (None, characters.TEXT_PATTERN):
        return {**schema, "pattern": pattern}
    rules = [rule for rule in schema.get("allOf", []) if rule.get("pattern") != characters.TEXT_PATTERN]
    return {**schema, "allOf": [*rules, {"pattern": pattern}]}


def _text_rule(self: OpenAPIConverter, field: fields.Field, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    if not isinstance(field, fields.String) or not _sent_by_clients(field):
        return {}
    return with_pattern(ret, characters.TEXT_PATTERN)


def _line_rule(self: OpenAPIConverter, field: fields.Field, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A query (or path) parameter is a single line: its strings, and a list's items, take the line pattern."""
    schema = ret.get("schema")
    if not isinstance(schema, dict):
        return {}
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict) and schema["items"].get("type") == "string":
        return {"schema": {**schema, "items": with_pattern(schema["items"], characters.LINE_PATTERN)}}
    if schema.get("type") == "string":
        return {"schema": with_pattern(schema, characters.LINE_PATTERN)}
    return {}


def with_character_rule(schema: dict[str, Any], *, line: bool) -> dict[str, Any]:
    """A JSON Schema written by hand, its strings (at any depth) bound by the character rule."""
    pattern = characters.LINE_PATTERN if line else characters.TEXT_PATTERN
    if schema.get("type") == "string" and schema.get("format") != "binary":
        schema = with_pattern(schema, pattern)
    nested: dict[str, Any] = {}
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            nested[key] = with_character_rule(schema[key], line=line)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            nested[key] = [with_character_rule(member, line=line) for member in schema[key]]
    if "properties" in schema:
        nested["properties"] = {name: with_character_rule(member, line=line) for name, member in schema["properties"].items()}
    return {**schema, **nested}
