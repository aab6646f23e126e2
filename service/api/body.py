"""Strict request bodies.

JSON is parsed without NaN/Infinity constants and without duplicate keys, and
multipart forms are turned into the same field dictionary, with nested objects
(``reporter``, ``attributes``) given as JSON strings in their form fields.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Request

from service.api.problems import abort

JSON_FIELDS_IN_FORMS = ("reporter", "attributes")


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_text(text: bytes | str) -> Any:
    """Parse strict JSON; abort 400 with the reason when it is not."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except _DuplicateKey as exc:
        abort(400, f"The JSON body repeats the key {str(exc)!r}.")
    except RecursionError:
        abort(400, "The JSON body is nested too deeply.")
    except UnicodeDecodeError:
        abort(400, "The JSON body is not UTF-8.")
    except ValueError as exc:
        abort(400, f"The body is not valid JSON: {str(exc)[:200]}")


def json_object(request: Request) -> dict[str, Any]:
    body = parse_json_text(request.get_data(cache=False))
    if not isinstance(body, dict):
        abort(400, "The JSON body must be an object.")
    return body


def form_fields(request: Request) -> dict[str, Any]:
    """The non-file fields of a multipart form, nested ones parsed from JSON."""
    fields: dict[str, Any] = {}
    for name in request.form:
        values = request.form.getlist(name)
        if len(values) > 1:
            abort(422, "The form repeats a field.", errors={name: ["Give this field once."]})
        value = values[0]
        if name in JSON_FIELDS_IN_FORMS:
            parsed = parse_json_text(value)
            fields[name] = parsed
        else:
            fields[name] = value
    return fields
