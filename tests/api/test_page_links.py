"""Page links keep the request's query arguments as text, and nothing in them changes where a link points."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.test_public_list import create


def test_next_link_keeps_every_repeated_filter(client):
    for _ in range(3):
        create(client)
    body = client.get("/api/v1/reports?status=received&status=acknowledged&page_size=1").get_json()
    query = parse_qs(urlsplit(body["links"]["next"]).query)
    assert query == {"page": ["2"], "page_size": ["1"], "status": ["received", "acknowledged"]}
    assert client.get(body["links"]["next"]).get_json()["page"] == 2


@pytest.mark.parametrize("name", ["endpoint", "_anchor", "_scheme", "_external", "_method", "values"])
def test_query_arguments_named_like_url_for_parameters_stay_text(client, name):
    response = client.get(f"/api/v1/reports?{name}=https")
    assert response.status_code == 200
    link = response.get_json()["links"]["self"]
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == ("", "", "/api/v1/reports", "")
    assert parse_qs(parts.query)[name] == ["https"]
