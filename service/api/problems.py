"""Every error is an RFC 9457 problem+json body.

Handlers raise with :func:`abort` (flask-smorest's, which carries extra data),
and :class:`ProblemApi` renders every HTTP exception, including Werkzeug's own
(404, 405, 413, 415) and the 422 of argument parsing, the same way.
"""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from flask import Flask, Response, current_app, json, request
from flask_smorest import Api
from flask_smorest import abort as smorest_abort
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import RequestRedirect

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"


def abort(status: int, detail: str, *, errors: dict[str, Any] | None = None, **extra: Any) -> NoReturn:
    """Stop the request with a problem+json answer.

    ``extra`` members (``detail_ja``, ``allowed``, ``retry_after`` …) are added
    to the body.
    """
    kwargs: dict[str, Any] = {"message": detail}
    if errors:
        kwargs["errors"] = errors
    kwargs.update(extra)
    smorest_abort(status, **kwargs)
    raise AssertionError("unreachable")  # pragma: no cover


def problem_response(status: int, title: str, detail: str | None = None, **members: Any) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update({k: _string_keys(v) for k, v in members.items() if v is not None})
    response = current_app.response_class(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)
    return response


def _string_keys(value: Any) -> Any:
    """Field errors of list items are keyed by index; JSON object keys are strings."""
    if isinstance(value, dict):
        return {str(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


API_PREFIX = "/api/"
# What a redirect of routing says, in every format the service answers in.
REDIRECT_DETAIL = "This resource is at the address in Location."


def init_routing_redirects(app: Flask) -> None:
    """Answer a redirect of routing (a doubled slash merged) under /api/ as problem+json, as every other API answer is."""
    app.before_request(_redirect_as_problem)


def _redirect_as_problem() -> Response | None:
    error = request.routing_exception
    if not isinstance(error, RequestRedirect) or not request.path.startswith(API_PREFIX):
        return None
    response = problem_response(error.code, error.name, REDIRECT_DETAIL)
    response.headers["Location"] = error.new_url
    return response


class ProblemApi(Api):
    """flask-smorest's Api with problem+json error bodies, in answers and in the spec."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from schemas.common import ProblemSchema

        self.ERROR_SCHEMA = ProblemSchema
        super().__init__(*args, **kwargs)

    def init_app(self, app: Any, *, spec_kwargs: dict[str, Any] | None = None) -> None:
        from werkzeug.routing import UnicodeConverter

        from service.api.contract import IdConverter, SchemaRules, id_parameter, line_parameter

        # Before any blueprint is registered: their routes bind the converter named "int".
        app.url_map.converters["int"] = IdConverter
        self.register_converter(IdConverter, id_parameter)
        self.register_converter(UnicodeConverter, line_parameter)
        super().init_app(app, spec_kwargs={"extra_plugins": [SchemaRules()], **(spec_kwargs or {})})

    def _init_spec(self, **kwargs: Any) -> None:
        from service.api.contract import declare_character_rule

        super()._init_spec(**kwargs)
        declare_character_rule(self.ma_plugin.converter)

    def _register_responses(self) -> None:
        import http

        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["content"] = {PROBLEM_TYPE: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(
            "DEFAULT_ERROR",
            {"description": "Problem details (RFC 9457)", "content": {PROBLEM_TYPE: {"schema": self.ERROR_SCHEMA}}},
            lazy=True,
        )

    def handle_http_exception(self, error: HTTPException) -> Response:
        code = error.code
        if code is None:
            error, code = InternalServerError(), 500
        data = dict(getattr(error, "data", None) or {})
        headers = dict(data.pop("headers", None) or {})
        detail = data.pop("message", None)
        # webargs (argument parsing) reports field errors as "messages" and
        # carries the schema and exception along; only the messages are for clients.
        errors = data.pop("errors", None) or data.pop("messages", None)
        for internal in ("exc", "schema", "messages"):
            data.pop(internal, None)
        if isinstance(errors, dict) and set(errors) <= {"json", "query", "form", "files", "headers", "view_args"}:
            # Argument parsing nests field errors under their location; one
            # level is all a client needs.
            flattened: dict[str, Any] = {}
            for messages in errors.values():
                flattened.update(messages if isinstance(messages, dict) else {"_": messages})
            errors = flattened
        if detail is None:
            detail = "The request has invalid fields." if errors else error.description
        response = problem_response(code, error.name, detail, errors=errors, **data)
        for name, value in headers.items():
            response.headers[name] = value
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response


def handle_unexpected(error: Exception) -> Response:
    """A last resort: log the failure and answer 500 without internals."""
    log.exception("unhandled error: %s", type(error).__name__)
    return problem_response(500, "Internal Server Error", "Something went wrong on our side. Please try again later.")
