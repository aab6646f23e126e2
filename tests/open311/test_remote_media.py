"""media_url: fetched by the worker from public addresses only, within size and time limits."""

from __future__ import annotations

import ipaddress
import time
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Request, Response

from service.domain import remote_media
from service.domain.remote_media import FetchLimits, MediaRefused, MediaUnavailable, fetch_url
from service.extensions import db
from service.models import Photo, RemoteMedia, Report
from tests.conftest import make_jpeg
from tests.open311.conftest import BASE, created_id, post_request

LOCAL = (ipaddress.ip_network("127.0.0.1/32"),)


def local(httpserver: HTTPServer, path: str) -> str:
    """The server's URL by address: "localhost" also resolves to ::1, which the fetcher refuses."""
    return f"http://127.0.0.1:{httpserver.port}{path}"


def limits(allowed=LOCAL, **overrides) -> FetchLimits:
    values = {"max_bytes": 200_000, "timeout": 5.0, "max_pixels": 50_000_000, "max_redirects": 3,
              "allowed_private": allowed, **overrides}
    return FetchLimits(**values)


def test_the_default_policy_refuses_loopback_by_address_and_by_name(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/p.jpg").respond_with_data(make_jpeg(), content_type="image/jpeg")
    for url in (local(httpserver, "/p.jpg"), httpserver.url_for("/p.jpg")):
        with pytest.raises(MediaRefused, match="private or reserved"):
            fetch_url(url, limits(allowed=()))
    assert httpserver.log == []


def test_a_name_resolving_to_one_private_address_among_public_ones_is_refused() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(MediaRefused, match="private or reserved"):
        fetch_url("http://photos.example.org/p.jpg", limits(allowed=()), resolve=resolve)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1",
                                     "224.0.0.1"])
def test_non_public_addresses_are_not_allowed(address: str) -> None:
    assert not remote_media.address_allowed(ipaddress.ip_address(address))


def test_public_addresses_are_allowed() -> None:
    assert remote_media.address_allowed(ipaddress.ip_address("93.184.216.34"))
    assert remote_media.address_allowed(ipaddress.ip_address("2606:4700::1111"))


@pytest.mark.parametrize("target", ["http://10.0.0.1/p.jpg", "http://169.254.169.254/latest/meta-data/",
                                    "http://[::1]/p.jpg", "file:///etc/passwd", "gopher://example.org/"])
def test_a_redirect_to_a_private_address_or_another_scheme_is_refused(httpserver: HTTPServer, target: str) -> None:
    httpserver.expect_request("/moved").respond_with_data("", status=302, headers={"Location": target})
    with pytest.raises(MediaRefused):
        fetch_url(local(httpserver, "/moved"), limits())
    assert len(httpserver.log) == 1


def test_redirects_are_followed_a_few_times_only(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with pytest.raises(MediaRefused, match="redirects more than 3"):
        fetch_url(local(httpserver, "/loop"), limits())
    assert len(httpserver.log) == 4


def test_a_declared_oversize_file_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big.jpg").respond_with_data(b"x" * 300_000, content_type="image/jpeg")
    with pytest.raises(MediaRefused, match="larger than"):
        fetch_url(local(httpserver, "/big.jpg"), limits())


def test_an_undeclared_oversize_stream_is_cut_off(httpserver: HTTPServer) -> None:
    def endless(request: Request) -> Response:
        return Response((b"x" * 65536 for _ in range(100)), content_type="image/jpeg")

    httpserver.expect_request("/stream.jpg").respond_with_handler(endless)
    with pytest.raises(MediaRefused, match="larger than"):
        fetch_url(local(httpserver, "/stream.jpg"), limits())


def test_a_slow_server_runs_out_of_time(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(make_jpeg(), content_type="image/jpeg")

    httpserver.expect_request("/slow.jpg").respond_with_handler(slow)
    started = time.monotonic()
    with pytest.raises(MediaUnavailable):
        fetch_url(local(httpserver, "/slow.jpg"), limits(timeout=0.5))
    assert time.monotonic() - started < 1.4


def test_a_server_error_is_temporary_and_a_missing_file_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down.jpg").respond_with_data("", status=503)
    httpserver.expect_request("/gone.jpg").respond_with_data("", status=404)
    with pytest.raises(MediaUnavailable):
        fetch_url(local(httpserver, "/down.jpg"), limits())
    with pytest.raises(MediaRefused, match="404"):
        fetch_url(local(httpserver, "/gone.jpg"), limits())


def _fetch(app, media_id: int) -> str:
    from service.pipeline import pipeline_for
    from workers.media import fetch_limits

    return remote_media.fetch_media(db.session, media_id, pipeline_for(app), fetch_limits())


def test_a_fetched_media_url_becomes_the_large_photo_of_a_processed_report(client, app, api_key: str,
                                                                          httpserver: HTTPServer, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MEDIA_FETCH_ALLOW_PRIVATE_FOR_TESTS", "127.0.0.1/32")
    httpserver.expect_request("/pothole.jpg").respond_with_data(make_jpeg((1600, 1200)), content_type="image/jpeg")
    public_id = created_id(client, api_key, media_url=local(httpserver, "/pothole.jpg"))
    assert client.get(f"{BASE}/requests/{public_id}.json").get_json()[0]["media_url"] is None
    media = db.session.scalar(select(RemoteMedia))
    assert _fetch(app, media.id) == "fetched"
    assert _fetch(app, media.id) == "fetched"
    photos = db.session.scalars(select(Photo)).all()
    assert [(p.state, p.width) for p in photos] == [("ready", 1600)]
    media_url = client.get(f"{BASE}/requests/{public_id}.json").get_json()[0]["media_url"]
    assert "/large" in media_url
    assert client.get(media_url).status_code == 200


def test_a_refused_fetch_is_recorded_and_the_report_stays(client, app, api_key: str, httpserver: HTTPServer,
                                                         monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MEDIA_FETCH_ALLOW_PRIVATE_FOR_TESTS", "127.0.0.1/32")
    httpserver.expect_request("/notes.txt").respond_with_data("not a photo", content_type="text/plain")
    created_id(client, api_key, media_url=local(httpserver, "/notes.txt"))
    media = db.session.scalar(select(RemoteMedia))
    assert _fetch(app, media.id) == "refused"
    db.session.refresh(media)
    assert media.state == "refused" and "JPEG" in media.error
    assert db.session.scalars(select(Photo)).all() == [] and db.session.scalar(select(Report.id)) is not None


def test_with_the_default_setting_the_worker_refuses_a_local_server(client, app, api_key: str,
                                                                   httpserver: HTTPServer) -> None:
    # A host name that passed intake may resolve to loopback by the time the
    # worker fetches it; the worker checks the address again.
    httpserver.expect_request("/p.jpg").respond_with_data(make_jpeg(), content_type="image/jpeg")
    public_id = created_id(client, api_key)
    report_id = db.session.scalar(select(Report.id).where(Report.public_id == public_id))
    media = RemoteMedia(report_id=report_id, url=local(httpserver, "/p.jpg"), state="pending")
    db.session.add(media)
    db.session.commit()
    assert app.config["MEDIA_FETCH_ALLOW_PRIVATE_FOR_TESTS"] == ""
    assert _fetch(app, media.id) == "refused"
    assert httpserver.log == []


def test_the_fetch_task_is_sent_after_the_report_is_stored(client, app, api_key: str, monkeypatch) -> None:
    sent: list[tuple[str, list]] = []
    celery = app.extensions["celery"]
    monkeypatch.setattr(celery, "send_task", lambda name, args=None, **kw: sent.append((name, args)))
    post_request(client, api_key, media_url="https://photos.example.org/p.jpg")
    media = db.session.scalar(select(RemoteMedia))
    assert (remote_media.FETCH_MEDIA, [media.id]) in sent


def test_a_fetch_lost_with_its_worker_is_swept_and_fetched_again(client, app, api_key: str,
                                                                httpserver: HTTPServer, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MEDIA_FETCH_ALLOW_PRIVATE_FOR_TESTS", "127.0.0.1/32")
    httpserver.expect_request("/late.jpg").respond_with_data(make_jpeg((1600, 1200)), content_type="image/jpeg")
    created_id(client, api_key, media_url=local(httpserver, "/late.jpg"))
    media = db.session.scalar(select(RemoteMedia))
    stale_after = app.config["SWEEP_AFTER_SECONDS"]
    # A worker took the media and died before it finished.
    assert remote_media.claim(db.session, media.id, stale_after) is not None
    assert remote_media.pending_media(db.session, stale_after_seconds=stale_after) == []
    assert _fetch(app, media.id) == "fetching" and httpserver.log == []

    media = db.session.get(RemoteMedia, media.id)
    media.claimed_at = media.claimed_at - timedelta(seconds=stale_after + 1)
    db.session.commit()
    assert remote_media.pending_media(db.session, stale_after_seconds=stale_after) == [media.id]
    assert _fetch(app, media.id) == "fetched"
    assert [(p.state, p.width) for p in db.session.scalars(select(Photo))] == [("ready", 1600)]
    assert remote_media.pending_media(db.session, stale_after_seconds=stale_after) == []
