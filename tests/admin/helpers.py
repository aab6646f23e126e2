"""Requests as a given member of the staff."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

BASE = "/api/v1/staff/admin"


def call(client: FlaskClient, keys: Any, method: str, path: str, body: Any = None, who: str = "admin",
         **kwargs: Any) -> TestResponse:
    headers = keys.header(who) if who else {}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return client.open(BASE + path, method=method, headers=headers, **kwargs)


def audit_actions(client: FlaskClient, keys: Any) -> list[tuple[str, str, str]]:
    response = call(client, keys, "GET", "/audit?page_size=500")
    assert response.status_code == 200, response.get_json()
    return [(e["action"], e["target"]["type"], e["target"]["id"]) for e in response.get_json()["items"]]
