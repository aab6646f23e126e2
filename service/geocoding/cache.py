"""Small caches for geocoding answers.

A cache maps a string key to a JSON-like dict for a time. Geocoding must keep
working when its cache does not, so implementations never raise on a backend
failure: they log a warning and behave as an empty cache.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Protocol, cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)


class GeocodeCache(Protocol):
    def get(self, key: str) -> dict[str, Any] | None:
        """Return the stored value, or None when absent, expired or unreachable."""

    def set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        """Store ``value`` for ``ttl_seconds``; a failure is logged, not raised."""


def coordinate_key(lat: float, lon: float, decimals: int = 5) -> str:
    """A cache key for a position rounded to ``decimals`` places.

    Five places is about one metre, well below GPS accuracy on a phone, so two
    reports at the same spot share one answer.
    """
    # Adding 0.0 turns a rounded -0.0 into 0.0 so both spell the same key.
    return f"{round(lat, decimals) + 0.0:.{decimals}f},{round(lon, decimals) + 0.0:.{decimals}f}"


class MemoryCache:
    """A thread-safe in-process cache that forgets the least recently used
    entry once it holds ``max_entries``."""

    def __init__(self, max_entries: int = 10_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if time.monotonic() >= expires_at:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            # A copy keeps callers from changing what the next caller reads.
            return copy.deepcopy(value)

    def set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl_seconds, copy.deepcopy(value))
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class RedisCache:
    """A cache shared by all workers, stored as JSON strings in Redis.

    Any Redis error (server down, timeout) is logged at warning level and
    treated as a miss, so geocoding goes on uncached. After a failure the cache
    stays out of the way for ``pause_after_failure`` seconds: a Redis that is
    down would otherwise cost a connection attempt, and a log line, on every
    lookup. Unreadable values are ignored as misses.
    """

    def __init__(
        self,
        redis_client: redis.Redis,
        prefix: str = "machikoe:geocode:",
        *,
        pause_after_failure: float = 30.0,
    ) -> None:
        self._redis = redis_client
        self._prefix = prefix
        self._pause_after_failure = pause_after_failure
        self._paused_until = 0.0
        self._owns_client = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "machikoe:geocode:",
        timeout: float = 0.5,
        pause_after_failure: float = 30.0,
    ) -> RedisCache:
        """A cache with its own client, set up to give up quickly.

        redis-py's default client retries a refused connection ten times with
        backoff, about four seconds per lookup; a cache is worth less than that,
        so this client tries once more at most and waits ``timeout`` seconds.
        """
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
        )
        cache = cls(client, prefix, pause_after_failure=pause_after_failure)
        cache._owns_client = True
        return cache

    def get(self, key: str) -> dict[str, Any] | None:
        if self._paused():
            return None
        try:
            # redis-py types its synchronous and asyncio clients alike; this one is
            # synchronous and answers the stored bytes or None.
            raw = cast(bytes | None, self._redis.get(self._prefix + key))
        except redis.RedisError as error:
            self._pause("read", error)
            return None
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            logger.warning("Geocode cache held an unreadable value; ignoring it")
            return None
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        if self._paused():
            return
        try:
            self._redis.set(self._prefix + key, json.dumps(value, ensure_ascii=False), ex=ttl_seconds)
        except redis.RedisError as error:
            self._pause("write", error)

    def close(self) -> None:
        """Close the client if this cache made it (see :meth:`from_url`)."""
        if self._owns_client:
            self._redis.close()

    def _paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def _pause(self, action: str, error: redis.RedisError) -> None:
        self._paused_until = time.monotonic() + self._pause_after_failure
        logger.warning(
            "Geocode cache %s failed (%s); going on uncached for %.0f s",
            action,
            type(error).__name__,
            self._pause_after_failure,
        )
