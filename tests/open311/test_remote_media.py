"""media_url: fetched by the worker from public addresses only, within size and time limits."""

from __future__ import annotations

import gc
import time
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Request, Response

from service.domain import outbound, remote_media
from service.domain.api_clients import create_client
from service.domain.remote_media import FetchLimits, MediaRefused, MediaUnavailable, fetch_url
from service.extensions import db
from service.jobs import PROCESS_REPORT, jobs
from service.models import Photo, RemoteMedia, Report
from tests.conftest import make_jpeg
from tests.notifications.test_jobs import queued
from tests.open311.conftest import BASE, created_id, post_request
from tests.open311.drip import Connection, drip_server
from tests.pipeline import conftest as pipeline_fixtures
from tests.pipeline import support as pipeline_support
from tests.pipeline import test_embedded as embedded_fixtures
from workers.celery_app import DEFAULT_QUEUE, MEDIA_QUEUE, NOTIFICATIONS_QUEUE
from workers.embedded import start_embedded_worker

LOCAL = outbound.Policy.parse("127.0.0.1/32")
# How far past its deadline a fetch may end on a busy test machine.
DEADLINE_SLACK = 0.5


def wait_for_close(connection: Connection, timeout: float = 3.0) -> None:
    """The drip server notices a close within moments; wait for it, boundedly."""
    deadline = time.monotonic() + timeout
    while connection.closed is None and time.monotonic() < deadline:
        time.sleep(0.02)


def local(httpserver: HTTPServer, path: str) -> str:
    """The server's URL by address: "localhost" also resolves to ::1, which the fetcher refuses."""
    return f"http://127.0.0.1:{httpserver.port}{path}"


def limits(allowed=LOCAL, **overrides) -> FetchLimits:
    values = {"max_bytes": 200_000, "timeout": 5.0, "max_pixels": 50_000_000, "max_redirects": 3,
              "outbound_policy": allowed, **overrides}
    return FetchLimits(**values)


def test_the_default_policy_refuses_loopback_by_address_and_by_name(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/p.jpg").respond_with_data(make_jpeg(), content_type="image/jpeg")
    for url in (local(httpserver, "/p.jpg"), httpserver.url_for("/p.jpg")):
        with pytest.raises(MediaRefused, match="private or reserved"):
            fetch_url(url, limits(allowed=outbound.Policy()))
    assert httpserver.log == []


def test_a_name_resolving_to_one_private_address_among_public_ones_is_refused() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(MediaRefused, match="private or reserved"):
        fetch_url("http://photos.example.org/p.jpg", limits(allowed=outbound.Policy()), resolve=resolve)


@pytest.mark.parametrize("target", ["http://10.0.0.1/p.jpg", "http://169.254.169.254/latest/meta-data/",
                                    "http://[::1]/p.jpg", "file:///etc/passwd", "gopher://example.org/",
                                    "http://[::a00:1]/p.jpg", "http://[64:ff9b::a00:1]/p.jpg",
                                    "http://[2002:a00:1::]/p.jpg", "http://[::ffff:0:a00:1]/p.jpg",
                                    "http://[fec0::1]/p.jpg", "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/p.jpg"])
def test_a_redirect_to_a_private_address_or_another_scheme_is_refused(httpserver: HTTPServer, target: str) -> None:
    httpserver.expect_request("/moved").respond_with_data("", status=302, headers={"Location": target})
    with pytest.raises(MediaRefused):
        fetch_url(local(httpserver, "/moved"), limits())
    assert len(httpserver.log) == 1


EMBEDDING_PRIVATE_IPV4 = ["[::127.0.0.1]", "[::7f00:1]", "[64:ff9b::7f00:1]", "[64:ff9b:1::7f00:1]", "[2002:7f00:1::]",
                          "[2001:0:4136:e378:8000:63bf:80ff:fffe]", "[::ffff:0:7f00:1]", "[fec0::1]", "[::ffff:a9fe:a9fe]"]


@pytest.mark.parametrize("host", EMBEDDING_PRIVATE_IPV4)
def test_ipv6_forms_that_carry_a_private_ipv4_address_are_refused_at_intake(client, api_key: str, host: str) -> None:
    response = post_request(client, api_key, media_url=f"http://{host}/x.jpg")
    assert response.status_code == 400
    assert "private or reserved" in response.get_data(as_text=True)
    assert db.session.scalar(select(RemoteMedia)) is None and db.session.scalar(select(Report)) is None


@pytest.mark.parametrize("host", EMBEDDING_PRIVATE_IPV4)
def test_the_fetcher_refuses_ipv6_forms_that_carry_a_private_ipv4_address(host: str) -> None:
    with pytest.raises(MediaRefused, match="private or reserved"):
        fetch_url(f"http://{host}/x.jpg", limits(allowed=outbound.Policy()))


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


@pytest.mark.parametrize("path", ["/headers/p.jpg", "/body/p.jpg"])
def test_one_deadline_holds_against_a_server_that_drips_its_headers_or_its_body(path: str) -> None:
    # One byte a second answers every socket read in time; only the deadline ends the fetch.
    with drip_server() as server:
        started = time.monotonic()
        with pytest.raises(MediaUnavailable, match="took too long"):
            fetch_url(server.url(path), limits(timeout=1.5))
        elapsed = time.monotonic() - started
        assert 1.5 <= elapsed <= 1.5 + DEADLINE_SLACK
        (connection,) = server.connections
        wait_for_close(connection)
        assert connection.held <= 1.5 + DEADLINE_SLACK


def test_the_deadline_covers_the_name_lookup() -> None:
    def slow_dns(host: str, port: int) -> list[str]:
        time.sleep(3)
        return ["127.0.0.1"]

    started = time.monotonic()
    with pytest.raises(MediaUnavailable, match="took too long"):
        fetch_url("http://slow-dns.example.jp/p.jpg", limits(timeout=0.5), resolve=slow_dns)
    assert time.monotonic() - started <= 0.5 + DEADLINE_SLACK


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
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", "127.0.0.1/32")
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
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", "127.0.0.1/32")
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
    assert app.config["OUTBOUND_ALLOW_PRIVATE"] == ""
    assert _fetch(app, media.id) == "refused"
    assert httpserver.log == []


def test_the_fetch_task_is_sent_after_the_report_is_stored(client, app, api_key: str, monkeypatch) -> None:
    sent: list[tuple[str, list]] = []
    celery = app.extensions["celery"]
    monkeypatch.setattr(celery, "send_task", lambda name, args=None, **kw: sent.append((name, args)))
    post_request(client, api_key, media_url="https://photos.example.org/p.jpg")
    media = db.session.scalar(select(RemoteMedia))
    assert (remote_media.FETCH_MEDIA, [media.id]) in sent


def test_media_is_fetched_on_a_queue_of_its_own(client, app, api_key: str) -> None:
    celery = app.extensions["celery"]
    celery.control.purge()
    post_request(client, api_key, media_url="https://photos.example.org/p.jpg")
    media = db.session.scalar(select(RemoteMedia))
    report_id = db.session.scalar(select(Report.id))
    # Workers started with `-Q celery` process reports however slow a media server is.
    assert queued(celery, MEDIA_QUEUE) == [(remote_media.FETCH_MEDIA, [media.id], None)]
    assert queued(celery, DEFAULT_QUEUE) == [(PROCESS_REPORT, [report_id], None)]


def test_a_fetch_lost_with_its_worker_is_swept_and_fetched_again(client, app, api_key: str,
                                                                httpserver: HTTPServer, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_PRIVATE", "127.0.0.1/32")
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


# The drills: dripping media servers while residents post reports, in both shapes.
embedded_app, worker_controllers = embedded_fixtures.embedded_app, embedded_fixtures.worker_controllers
broker_url, shared_data_dir, worker_app_base, worker_app, start_worker = (
    pipeline_fixtures.broker_url, pipeline_fixtures.shared_data_dir, pipeline_fixtures.worker_app_base,
    pipeline_fixtures.worker_app, pipeline_fixtures.start_worker)
DRIPS = 10
# Ten fetches at once on workers of their own, beside a parallel test run on two cores:
# each is still cut within this much of its deadline, against the 12 s its server
# would drip without one.
DRILL_SLACK = 1.5
MEDIA_DEADLINE = 2.0
DRILL_SETTINGS = {"MACHIKOE_MEDIA_FETCH_TIMEOUT": str(MEDIA_DEADLINE), "MACHIKOE_OUTBOUND_ALLOW_PRIVATE": "127.0.0.1/32"}


def processing_time(client) -> float:
    """Seconds from a resident's POST to its processed report, through the workers."""
    started = time.monotonic()
    created = pipeline_support.post_report(client)
    pipeline_support.wait_until(lambda: pipeline_support.published(created["id"]),
                                what="a resident report's processing", timeout=20)
    return time.monotonic() - started


def drip_drill(app) -> tuple[float, list[float], dict[str, Connection]]:
    """Residents post reports before and while ten media URLs drip (half in their headers, half in their body).

    Returns the usual processing time (the slowest of three warm runs before
    any media), the processing times during the drip, and each URL's first fetch.
    """
    # The drill runs in a test process that holds what every earlier test of its worker left;
    # a full collection of all that would stop every thread of it (the fetches' watchdog, the
    # drip server, the worker) for seconds on a loaded machine. Those objects are set aside
    # for the drill, as a server process that preloads its app does.
    gc.collect()
    gc.freeze()
    try:
        return _drip_drill(app)
    finally:
        gc.unfreeze()


def _drip_drill(app) -> tuple[float, list[float], dict[str, Connection]]:
    with drip_server() as server:
        client = app.test_client()
        processing_time(client)
        usual = max(processing_time(client) for _ in range(3))
        api_key = create_client(db.session, name="FixMyStreet", jurisdiction_code="990019")[1]
        paths = [f"/headers/{n}.jpg" if n % 2 else f"/body/{n}.jpg" for n in range(DRIPS)]
        response = post_request(client, api_key, media_url=server.url(paths[0]))
        assert response.status_code == 201
        report_id = db.session.scalar(select(Report.id).where(Report.public_id == response.get_json()[0]["service_request_id"]))
        # The other URLs are media of the same report, so that the report queue
        # holds nothing but the residents' reports while they drip.
        more = [RemoteMedia(report_id=report_id, url=server.url(path), state="pending") for path in paths[1:]]
        db.session.add_all(more)
        db.session.commit()
        for media in more:
            assert jobs.fetch_media(media.id)
        # Residents post once every media thread is held by a dripping server.
        pipeline_support.wait_until(lambda: sum(c.closed is None for c in server.connections) >= 4,
                                    what="four dripping fetches at once", timeout=10)
        during = [processing_time(client) for _ in range(4)]

        def first_fetches() -> dict[str, Connection]:
            first: dict[str, Connection] = {}
            for connection in list(server.connections):
                first.setdefault(connection.path, connection)
            return first if len(first) == DRIPS and all(c.closed for c in first.values()) else {}

        fetches = pipeline_support.wait_until(first_fetches, what="a first fetch of every dripping URL", timeout=20)
    return usual, during, fetches


def assert_no_resident_waited_and_every_fetch_ended_at_its_deadline(usual: float, during: list[float],
                                                                   fetches: dict[str, Connection]) -> None:
    late = {path: round(c.held, 2) for path, c in fetches.items() if c.held > MEDIA_DEADLINE + DRILL_SLACK}
    assert late == {}
    assert max(during) <= usual + 1.0, (usual, during)


def test_dripping_media_servers_never_hold_resident_reports_in_the_embedded_default(embedded_app,
                                                                                  worker_controllers) -> None:
    embedded_app.extensions["celery"].control.purge()
    embedded_app.config.update(MEDIA_FETCH_TIMEOUT=MEDIA_DEADLINE, OUTBOUND_ALLOW_PRIVATE="127.0.0.1/32")
    start_embedded_worker(embedded_app)
    with embedded_app.app_context():
        assert_no_resident_waited_and_every_fetch_ended_at_its_deadline(*drip_drill(embedded_app))


def test_dripping_media_servers_never_hold_resident_reports_on_deployed_workers(worker_app, start_worker,
                                                                              monkeypatch) -> None:
    monkeypatch.setitem(worker_app.config, "OUTBOUND_ALLOW_PRIVATE", "127.0.0.1/32")
    start_worker("reports", queues=(DEFAULT_QUEUE, NOTIFICATIONS_QUEUE), **DRILL_SETTINGS)
    start_worker("media", threads=4, queues=(MEDIA_QUEUE,), **DRILL_SETTINGS)
    assert_no_resident_waited_and_every_fetch_ended_at_its_deadline(*drip_drill(worker_app))
