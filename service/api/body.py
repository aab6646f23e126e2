"""Strict, bounded request bodies.

JSON is parsed without NaN/Infinity constants and without duplicate keys, within bounds
on nesting, members per object and items per list, and with no refused character in any
key or string (:mod:`service.domain.characters`). Multipart forms are turned into the
same field dictionary, with nested objects (``reporter``, ``attributes``) given as JSON
strings in their form fields, parsed the same way.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Request, current_app, g

from service.api.problems import abort
from service.domain import characters

JSON_FIELDS_IN_FORMS = ("reporter", "attributes")
# The deepest body the API takes is a category: attributes → values → one value (depth 4).
MAX_DEPTH = 8
MAX_MEMBERS = 100
MAX_ITEMS = 200


class _DuplicateKey(ValueError):
    pass


class _TooManyMembers(ValueError):
    pass


def _bounded_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(pairs) > MAX_MEMBERS:
        raise _TooManyMembers()
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _shape_error(value: Any) -> str | None:
    """Why ``value`` is too deep or a list in it too long, or None."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return f"The JSON body is nested more than {MAX_DEPTH} levels deep."
            if isinstance(item, list) and len(item) > MAX_ITEMS:
                return f"A list in the JSON body has more than {MAX_ITEMS} items."
            members = item.values() if isinstance(item, dict) else item
            stack.extend((member, depth + 1) for member in members)
    return None


def parse_json_text(text: bytes | str, field: str = "") -> Any:
    """Parse strict, bounded JSON; abort 413 when it is too large, 400 when it is malformed
    or too deep, and 422 naming the field when it holds a refused character.

    ``field`` names the form field the JSON came in, to prefix the field names of errors.
    """
    limit = current_app.config["MAX_JSON_BYTES"]
    if len(text) > limit:
        abort(413, f"The JSON {'in ' + field if field else 'body'} is larger than {limit} bytes.",
              errors={field: [f"At most {limit} bytes."]} if field else None)
    try:
        value = json.loads(text, object_pairs_hook=_bounded_object, parse_constant=_no_constants)
    except _DuplicateKey as exc:
        abort(400, f"The JSON body repeats the key {str(exc)!r}.")
    except _TooManyMembers:
        abort(400, f"An object in the JSON body has more than {MAX_MEMBERS} members.")
    except RecursionError:
        abort(400, "The JSON body is nested too deeply.")
    except UnicodeDecodeError:
        abort(400, "The JSON body is not UTF-8.")
    except ValueError as exc:
        abort(400, f"The body is not valid JSON: {str(exc)[:200]}")
    problem = _shape_error(value)
    if problem:
        abort(400, problem)
    refused = characters.refused_in(value, field)
    if refused:
        abort(422, "The body holds a control character.", errors={name: [message] for name, message in refused.items()})
    return value


def json_object(request: Request) -> dict[str, Any]:
    """The JSON object of the body, as the input boundary parsed it (or parsed now)."""
    body = g.json_body if "json_body" in g else parse_json_text(request.get_data(cache=True))
    if not isinstance(body, dict):
        abort(400, "The JSON body must be an object.")
    return body


class FormFields(dict[str, Any]):
    """The fields of a form: their values are text, which a schema's number fields convert
    (a schema takes a plain dict as a JSON object, whose numbers must already be numbers)."""


def form_fields(request: Request) -> FormFields:
    """The non-file fields of a multipart form, nested ones parsed from JSON."""
    fields = FormFields()
    for name in request.form:
        values = request.form.getlist(name)
        if len(values) > 1:
            abort(422, "The form repeats a field.", errors={name: ["Give this field once."]})
        value = values[0]
        fields[name] = parse_json_text(value, name) if name in JSON_FIELDS_IN_FORMS else value
    return fields
