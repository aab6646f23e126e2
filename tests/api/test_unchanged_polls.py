"""A poll of an unchanged report is answered 304 before Flask, with the answer the app would give; the rest goes to the app."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from service.api.unchanged_polls import UnchangedPolls
from tests.api.test_recent_stamps import Clock, posted, stamp_clock  # noqa: F401  (fixture)


def the_layer(app) -> UnchangedPolls:
    wsgi = app.wsgi_app
    while not isinstance(wsgi, UnchangedPolls):
        wsgi = wsgi.app  # the proxy fix in front, where one is set
    return wsgi


class Counted:
    """The app behind the layer, counting the requests that reach it."""

    def __init__(self, wrapped) -> None:
        self.wrapped, self.calls = wrapped, 0

    def __call__(self, environ: dict[str, Any], start_response):
        self.calls += 1
        return self.wrapped(environ, start_response)


@pytest.fixture()
def behind(app, monkeypatch) -> Counted:
    layer = the_layer(app)
    counted = Counted(layer.wrapped)
    monkeypatch.setattr(layer, "wrapped", counted)
    return counted


def answer(wsgi, path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    environ = EnvironBuilder(path=path, headers={"X-Request-Id": "poll-1", **headers}).get_environ()
    body, status, answered = run_wsgi_app(wsgi, environ)
    return status, dict(answered.items()), b"".join(body)


@pytest.mark.parametrize("query, headers", [
    ("", {}),
    ("?lang=en", {}),
    ("", {"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"}),
    ("?lang=zh-Hans", {"Accept-Language": "ko"}),
])
def test_a_kept_poll_gets_the_apps_own_304_without_reaching_it(client, behind, stamp_clock, query, headers):  # noqa: F811
    public_id = posted(client)
    path = f"/api/v1/reports/{public_id}{query}"
    etag = client.get(path, headers=headers).headers["ETag"]
    calls = behind.calls

    layer = the_layer(client.application)
    from_layer = answer(layer, path, **headers, **{"If-None-Match": f'"other", {etag}'})
    assert behind.calls == calls
    from_app = answer(behind.wrapped, path, **headers, **{"If-None-Match": f'"other", {etag}'})
    assert from_layer[0] == from_app[0] == "304 NOT MODIFIED"
    assert from_layer == from_app
    assert from_layer[1]["ETag"] == etag and from_layer[1]["Cache-Control"] == "public, max-age=5"
    assert from_layer[1]["X-Request-Id"] == "poll-1"


def test_what_the_layer_does_not_answer_reaches_the_app(client, behind, stamp_clock):  # noqa: F811
    public_id = posted(client)
    sent = client.get(f"/api/v1/reports/{public_id}")
    etag = sent.headers["ETag"]
    path = f"/api/v1/reports/{public_id}"

    def reaches_app(poll_path: str, expected: int, **headers: str) -> None:
        calls = behind.calls
        assert client.get(poll_path, headers=headers).status_code == expected
        assert behind.calls == calls + 1, (poll_path, headers)

    reaches_app(path, 200)  # no If-None-Match
    reaches_app(path, 200, **{"If-None-Match": '"an-older-one"'})
    reaches_app(path, 200, **{"If-None-Match": etag, "Accept-Language": "en"})  # another language's view
    reaches_app(path, 403, **{"If-None-Match": etag, "X-Tracking-Token": "not-this-one"})
    reaches_app(path, 304, **{"If-None-Match": etag, "Authorization": "Bearer not-a-key"})
    reaches_app(f"{path}?lang=ja&page=2", 304, **{"If-None-Match": etag})
    reaches_app("/api/v1/reports/R-none", 404, **{"If-None-Match": etag})
    # Past the stamp's second the app reads the stamp again, then keeps it.
    stamp_clock.now += 1.5
    reaches_app(path, 304, **{"If-None-Match": etag})
    calls = behind.calls
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert behind.calls == calls


def test_a_host_the_service_does_not_serve_gets_the_apps_refusal(client, behind, stamp_clock, monkeypatch):  # noqa: F811
    public_id = posted(client)
    path = f"/api/v1/reports/{public_id}"
    etag = client.get(path, headers={"Host": "city.example.jp"}).headers["ETag"]
    monkeypatch.setitem(client.application.config, "TRUSTED_HOSTS", ["city.example.jp"])

    assert client.get(path, headers={"Host": "city.example.jp", "If-None-Match": etag}).status_code == 304
    calls = behind.calls
    refused = client.get(path, headers={"Host": "evil.example", "If-None-Match": etag})
    assert refused.status_code == 400 and behind.calls == calls + 1
