"""The staff key is checked before anything else: a request without a valid key gets 401, whatever it sends."""

from __future__ import annotations

import re

import pytest

STAFF_PREFIX = "/api/v1/staff/"
# The original photo link authenticates by its own signature.
KEYLESS_ENDPOINTS = {"staff.original_photo"}

BAD_BODY = '{"to": 17, "name": ["x"], "unexpected": {"deeply": [1, 2]}, "active": "maybe"'  # and not even JSON
BAD_QUERY = "page=abc&page_size=-1&from=yesterday&sort=%00"


def staff_operations(app) -> list[tuple[str, str]]:
    """Every method of every route under /api/v1/staff/, its path parameters filled with placeholders."""
    operations = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(STAFF_PREFIX) or rule.endpoint in KEYLESS_ENDPOINTS:
            continue
        path = re.sub(r"<any\(([a-z]+)[^)]*\):[a-z_]+>", r"\1", rule.rule)
        path = re.sub(r"<int:[a-z_]+>", "1", path)
        path = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "x", path)
        operations += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return operations


@pytest.mark.parametrize("authorization", [None, "Bearer mk_00000000_not-a-real-key", "Basic dXNlcjpwYXNz"])
def test_an_unauthenticated_request_is_401_before_its_body_or_query_is_read(app, client,
                                                                            authorization: str | None) -> None:
    operations = staff_operations(app)
    assert len(operations) > 30 and ("POST", "/api/v1/staff/admin/departments") in operations
    headers = {"Authorization": authorization} if authorization else {}
    answered = {}
    for method, path in operations:
        response = client.open(f"{path}?{BAD_QUERY}", method=method, data=BAD_BODY, content_type="application/json",
                               headers={**headers, "If-Match": ""})
        challenged = response.headers.get("WWW-Authenticate", "").startswith("Bearer")
        if response.status_code != 401 or response.content_type != "application/problem+json" or not challenged:
            answered[f"{method} {path}"] = response.status_code
    assert answered == {}


def test_an_unknown_staff_path_without_a_key_is_401_too(client) -> None:
    response = client.get("/api/v1/staff/no-such-thing")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
