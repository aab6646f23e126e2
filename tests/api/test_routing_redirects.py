"""A path that routing writes otherwise (a doubled slash) is redirected in the API's own terms, not with an HTML page."""

from __future__ import annotations


def test_a_doubled_slash_under_the_api_is_a_problem_with_the_address_to_ask(client):
    response = client.get("/api/v1//categories")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/api/v1/categories")
    assert response.content_type == "application/problem+json"
    assert response.get_json() == {"type": "about:blank", "title": "Permanent Redirect", "status": 308,
                                   "detail": "This resource is at the address in Location."}
    followed = client.get(response.headers["Location"])
    assert followed.status_code == 200 and followed.is_json


def test_a_page_keeps_the_browsers_redirect(client):
    response = client.get("/staff//login")
    assert response.status_code == 308 and response.headers["Location"].endswith("/staff/login")
    assert "problem+json" not in response.content_type
