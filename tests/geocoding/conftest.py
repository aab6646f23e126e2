"""Fixtures for geocoding tests: a fake Nominatim on 127.0.0.1, Redis, and sample areas."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from pytest_httpserver import HTTPServer
from shapely.geometry import box
from werkzeug import Request, Response

from service.geocoding import NominatimGeocoder, OfflineArea, OfflineGeocoder
from tests import services

from .samples import USER_AGENT


def _start_server() -> HTTPServer:
    # Threaded, so a stalled answer does not hold up the next request.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    return server


@pytest.fixture(scope="session")
def _shared_nominatim_server() -> Iterator[HTTPServer]:
    # Stopping a server takes half a second, so one server serves every test.
    server = _start_server()
    yield server
    server.stop()


@pytest.fixture
def nominatim_server(_shared_nominatim_server: HTTPServer) -> Iterator[HTTPServer]:
    """A Nominatim stand-in on 127.0.0.1 with no expectations and an empty log."""
    _shared_nominatim_server.clear()
    yield _shared_nominatim_server
    _shared_nominatim_server.clear()


@pytest.fixture
def stalling_server() -> Iterator[tuple[HTTPServer, list[str]]]:
    """A server of its own whose answers stall until teardown, to provoke timeouts.

    Yields the server and the paths it was asked for. Its late answers cannot
    reach another test's log, because the server stops with the test.
    """
    release = threading.Event()
    calls: list[str] = []

    def stall(request: Request) -> Response:
        calls.append(request.path)
        release.wait(5)
        return Response("{}", content_type="application/json")

    server = _start_server()
    server.expect_request("/reverse").respond_with_handler(stall)
    server.expect_request("/search").respond_with_handler(stall)
    yield server, calls
    release.set()
    server.stop()


@pytest.fixture
def make_nominatim(nominatim_server: HTTPServer) -> Iterator[Callable[..., NominatimGeocoder]]:
    """Build geocoders aimed at the fake server, fast settings unless overridden; closed afterwards."""
    made: list[NominatimGeocoder] = []

    def make(**overrides: Any) -> NominatimGeocoder:
        settings: dict[str, Any] = {
            "domain": f"127.0.0.1:{nominatim_server.port}",
            "scheme": "http",
            "user_agent": USER_AGENT,
            "timeout": 2.0,
            "min_delay_seconds": 0.0,
            "error_wait_seconds": 0.0,
            "max_retries": 2,
        }
        settings.update(overrides)
        geocoder = NominatimGeocoder(**settings)
        made.append(geocoder)
        return geocoder

    yield make
    for geocoder in made:
        geocoder.close()


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(services.redis_url(), socket_connect_timeout=1.0)
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """A key prefix of its own for each test, removed afterwards."""
    prefix = f"machikoe-test:{uuid.uuid4().hex}:"
    yield prefix
    keys = list(redis_client.scan_iter(match=prefix + "*"))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def closed_port() -> int:
    """A local port on which nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sample_areas() -> list[OfflineArea]:
    """Rough boxes around real places; nested levels as an N03 import would give them."""
    return [
        OfflineArea(("東京都",), box(138.9, 35.5, 139.9, 35.9), 1),
        OfflineArea(("東京都", "新宿区"), box(139.67, 35.67, 139.75, 35.72), 2),
        OfflineArea(("東京都", "中央区"), box(139.76, 35.66, 139.79, 35.69), 2),
        OfflineArea(("千葉県",), box(139.9, 34.9, 140.9, 36.1), 1),
        OfflineArea(("千葉県", "千葉市"), box(140.0, 35.5, 140.3, 35.7), 2),
        OfflineArea(("千葉県", "千葉市", "中央区"), box(140.08, 35.56, 140.16, 35.63), 3),
    ]


@pytest.fixture
def offline_geocoder(sample_areas: list[OfflineArea]) -> OfflineGeocoder:
    return OfflineGeocoder(sample_areas)
