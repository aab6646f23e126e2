"""The input boundary: every request passes here before its view runs.

Bodies are bounded before they are parsed: a body without file parts (JSON, a
urlencoded form) may hold ``MAX_JSON_BYTES``, a urlencoded or multipart form at most
:data:`MAX_FORM_FIELDS` fields, and only views marked :func:`large_body` (a GeoJSON
import) take more. A query string has at most :data:`MAX_QUERY_PARAMETERS` parameters. Then every path parameter, query parameter, form field and JSON
string is checked for refused characters (:mod:`service.domain.characters`), so no
view, query or log ever sees one. A refused request answers 413, 400 or 422 problem+json
naming the field, in well under a millisecond of parsing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from service.api.body import parse_json_text
from service.api.problems import abort
from service.domain import characters

MAX_FORM_FIELDS = 100
MAX_QUERY_PARAMETERS = 100
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

View = TypeVar("View", bound=Callable[..., Any])


def large_body(view: View) -> View:
    """Mark a view that takes a large body of its own kind (a file); it parses and checks the body itself."""
    view.large_body = True  # type: ignore[attr-defined]
    return view


def init_boundary(app: Flask) -> None:
    app.before_request(check_request)


def check_request() -> None:
    """Refuse what no view should parse or see; a JSON body is parsed once here, into ``g.json_body``."""
    if request.routing_exception is not None:
        # No view takes the request: it is answered 404 or 405 (under /open311/ as an Open311
        # document) whatever it holds, and nothing of it is parsed.
        return
    if request.view_args:
        _check_lines("path", request.view_args.items())
    query = request.query_string
    if query:
        if query.count(b"&") >= MAX_QUERY_PARAMETERS:
            abort(400, f"A query may have at most {MAX_QUERY_PARAMETERS} parameters.")
        _check_lines("query", request.args.items(multi=True))
    if not _has_body():
        # Most requests are reads without a body: nothing is left to bound or check.
        return
    if _takes_large_body():
        return
    _bound_size()
    mimetype = request.mimetype
    if mimetype == "application/json" or mimetype.endswith("+json"):
        data = _bounded_data()
        if data:
            g.json_body = parse_json_text(data)
    elif mimetype in FORM_TYPES:
        _check_form()


def _has_body() -> bool:
    """Whether the request may carry a body: a length above zero, or chunks (no length up front)."""
    return bool(request.content_length) or "HTTP_TRANSFER_ENCODING" in request.environ


def _takes_large_body() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    handler = getattr(getattr(view, "view_class", None), request.method.lower(), view)
    return bool(getattr(handler, "large_body", False))


def _bound_size() -> None:
    if request.mimetype == "multipart/form-data":
        # Photos make these large; MAX_REQUEST_BYTES bounds them, and the parser stops at
        # the first part past the limit.
        request.max_form_parts = MAX_FORM_FIELDS
        return
    limit = current_app.config["MAX_JSON_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        abort(413, f"A body without file parts may hold at most {limit} bytes.")
    # A chunked body has no length up front. Werkzeug's stream stops at the limit without
    # a word, so it may read one byte more, which tells a body that is too large.
    request.max_content_length = limit + 1


def _bounded_data() -> bytes:
    data = request.get_data(cache=True)
    limit = current_app.config["MAX_JSON_BYTES"]
    if len(data) > limit:
        abort(413, f"A body without file parts may hold at most {limit} bytes.")
    return data


def _check_form() -> None:
    if request.mimetype == "application/x-www-form-urlencoded":
        # Werkzeug does not count urlencoded fields, so count them before it parses any.
        fields = _bounded_data().count(b"&") + 1
        if fields > MAX_FORM_FIELDS:
            abort(413, f"A form may have at most {MAX_FORM_FIELDS} fields.")
    refused: dict[str, list[str]] = {}
    for name, value in request.form.items(multi=True):
        # A multipart part may come without a name; the view that reads the form refuses it.
        bad = characters.refused_character(name or "", text=False) or characters.refused_character(value or "", text=True)
        if bad:
            refused[_printable(name or "")] = [characters.explain(bad)]
    for name, upload in request.files.items(multi=True):
        bad = characters.refused_character(name, text=False) or characters.refused_character(upload.filename or "", text=False)
        if bad:
            refused[_printable(name)] = [characters.explain(bad)]
    if refused:
        abort(422, "A form field holds a control character.", errors=refused)


def _check_lines(where: str, items: Iterable[tuple[str, Any]]) -> None:
    refused: dict[str, list[str]] = {}
    for name, value in items:
        bad = characters.refused_character(name, text=False)
        if bad is None and isinstance(value, str):
            bad = characters.refused_character(value, text=False)
        if bad:
            refused[_printable(name)] = [characters.explain(bad)]
    if refused:
        abort(422, f"A {where} parameter holds a control character.", errors=refused)


def _printable(name: str) -> str:
    """A field name fit to be echoed in an error: refused characters become U+FFFD."""
    return "".join("\ufffd" if characters.refused_character(c, text=False) else c for c in name)
