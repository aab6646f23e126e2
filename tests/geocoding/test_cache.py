"""Caches for geocoding answers: in memory, in Redis, and Redis going away."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest
import redis
from pytest_httpserver import HTTPServer

from service.geocoding import MemoryCache, NominatimGeocoder, RedisCache, coordinate_key

from .samples import TOCHO_ADDRESS, TOCHO_LAT, TOCHO_LON, TOCHO_REVERSE

MakeNominatim = Callable[..., NominatimGeocoder]


def test_coordinate_key_rounds_to_about_a_metre() -> None:
    assert coordinate_key(35.6894875, 139.6917064) == "35.68949,139.69171"
    assert coordinate_key(35.6894875, 139.6917064, decimals=3) == "35.689,139.692"
    assert coordinate_key(-0.000001, 0.0) == coordinate_key(0.0, 0.0) == "0.00000,0.00000"


def test_memory_cache_returns_what_was_stored() -> None:
    cache = MemoryCache(10)
    cache.set("a", {"address": "東京都新宿区", "parts": {"city": "新宿区"}}, ttl_seconds=60)

    assert cache.get("a") == {"address": "東京都新宿区", "parts": {"city": "新宿区"}}
    assert cache.get("missing") is None


def test_memory_cache_values_cannot_be_changed_through_a_reader() -> None:
    cache = MemoryCache(10)
    cache.set("a", {"parts": {"city": "新宿区"}}, ttl_seconds=60)

    read = cache.get("a")
    assert read is not None
    read["parts"]["city"] = "渋谷区"

    assert cache.get("a") == {"parts": {"city": "新宿区"}}


def test_memory_cache_forgets_least_recently_used_entry() -> None:
    cache = MemoryCache(2)
    cache.set("a", {"n": 1}, ttl_seconds=60)
    cache.set("b", {"n": 2}, ttl_seconds=60)
    cache.get("a")
    cache.set("c", {"n": 3}, ttl_seconds=60)

    assert cache.get("b") is None
    assert cache.get("a") == {"n": 1}
    assert cache.get("c") == {"n": 3}
    assert len(cache) == 2


def test_memory_cache_entry_expires() -> None:
    cache = MemoryCache(10)
    cache.set("a", {"n": 1}, ttl_seconds=0)

    assert cache.get("a") is None


def test_memory_cache_stays_bounded_under_concurrent_writers() -> None:
    cache = MemoryCache(50)

    def write(worker: int) -> None:
        for n in range(500):
            cache.set(f"{worker}:{n}", {"n": n}, ttl_seconds=60)
            cache.get(f"{worker}:{n // 2}")

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(cache) == 50


def test_memory_cache_refuses_zero_size() -> None:
    with pytest.raises(ValueError):
        MemoryCache(0)


def test_redis_cache_round_trip_with_expiry(redis_client: redis.Redis, redis_prefix: str) -> None:
    cache = RedisCache(redis_client, prefix=redis_prefix)
    cache.set("reverse:ja:35.68950,139.69171", {"found": True, "address": TOCHO_ADDRESS}, ttl_seconds=60)

    assert cache.get("reverse:ja:35.68950,139.69171") == {"found": True, "address": TOCHO_ADDRESS}
    assert 0 < redis_client.ttl(redis_prefix + "reverse:ja:35.68950,139.69171") <= 60
    assert cache.get("reverse:ja:0.00000,0.00000") is None


def test_redis_cache_ignores_unreadable_value(
    redis_client: redis.Redis, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    redis_client.set(redis_prefix + "broken", b"{not json")
    cache = RedisCache(redis_client, prefix=redis_prefix)

    with caplog.at_level(logging.WARNING, logger="service.geocoding.cache"):
        assert cache.get("broken") is None

    assert "unreadable" in caplog.text


def test_redis_cache_hit_makes_no_second_request(
    nominatim_server: HTTPServer, make_nominatim: MakeNominatim, redis_client: redis.Redis, redis_prefix: str
) -> None:
    nominatim_server.expect_request("/reverse").respond_with_json(TOCHO_REVERSE)
    cache = RedisCache(redis_client, prefix=redis_prefix)

    first = make_nominatim(cache=cache).reverse(TOCHO_LAT, TOCHO_LON)
    # A second worker process has its own geocoder but shares the Redis cache.
    second = make_nominatim(cache=cache).reverse(TOCHO_LAT, TOCHO_LON)

    assert first == second
    assert second is not None and second.address == TOCHO_ADDRESS
    assert len(nominatim_server.log) == 1
    assert list(redis_client.scan_iter(match=redis_prefix + "reverse:*"))


def test_unreachable_redis_still_geocodes_and_warns_once(
    nominatim_server: HTTPServer, make_nominatim: MakeNominatim, closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    nominatim_server.expect_request("/reverse").respond_with_json(TOCHO_REVERSE)
    cache = RedisCache.from_url(f"redis://127.0.0.1:{closed_port}/15", timeout=0.5)
    geocoder = make_nominatim(cache=cache)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="service.geocoding.cache"):
        first = geocoder.reverse(TOCHO_LAT, TOCHO_LON)
        second = geocoder.reverse(TOCHO_LAT, TOCHO_LON)
    elapsed = time.monotonic() - started
    cache.close()

    assert first is not None and first.address == TOCHO_ADDRESS
    assert second == first
    # Uncached: each call went to Nominatim.
    assert len(nominatim_server.log) == 2
    assert elapsed < 2.0
    # The first failure pauses the cache, so later lookups neither wait nor warn again.
    cache_warnings = [record for record in caplog.records if record.name == "service.geocoding.cache"]
    assert [record.levelno for record in cache_warnings] == [logging.WARNING]
    assert "35.68" not in caplog.text


def test_redis_cache_without_pause_tries_redis_on_every_call(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    cache = RedisCache.from_url(f"redis://127.0.0.1:{closed_port}/15", pause_after_failure=0)

    with caplog.at_level(logging.WARNING, logger="service.geocoding.cache"):
        cache.set("a", {"n": 1}, ttl_seconds=60)
        assert cache.get("a") is None
    cache.close()

    messages = [record.getMessage() for record in caplog.records if record.name == "service.geocoding.cache"]
    assert len(messages) == 2
    assert "write failed" in messages[0] and "read failed" in messages[1]
