"""Rate limits sized for residents who share one address.

Japanese mobile networks put many residents behind one carrier-grade NAT
address, and a reverse proxy puts a whole city behind its own. So intake counts
per device first, holds each connecting address only to a ceiling sized for a
shared address, and counts refused requests (bad fields, bad photos, bad keys)
in a budget of their own: a broken or hostile client next door never uses up
what valid requests may send. Staff keys are counted per staff member.

The connecting address is the one the trusted reverse proxies report
(``TRUSTED_PROXY_HOPS``, applied through werkzeug's ProxyFix in the app
factory). IPv6 clients are counted per /64, the block one subscriber gets.

The ``limits`` library counts over a moving window (exact: at most N in any
minute, and Retry-After says when the oldest request leaves it), in Redis in a deployment and in memory in the
embedded default. When Redis is unreachable the counters fall back to memory
for a while, so intake keeps working. A breach answers 429 problem+json in
English and Japanese with Retry-After; other answers carry no rate-limit
headers.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn, TypeVar, cast

from flask import Flask, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter, RateLimiter
from werkzeug.exceptions import HTTPException

from service.api.problems import abort

log = logging.getLogger(__name__)

EXTENSION = "machikoe_limits"
KEY_PREFIX = "machikoe"
# How long the counters stay in memory after Redis failed, before Redis is tried again.
STORAGE_RETRY_SECONDS = 30.0
REFUSED_SETTING = "RATE_LIMIT_REFUSED_PER_ADDRESS"

T = TypeVar("T")


@dataclass(frozen=True)
class Budget:
    """What one kind of request may spend: ``setting`` names the limits, ``key`` whose counter it is."""

    scope: str
    setting: str
    key: str


class Counters:
    """The counters of one app, in its storage, or in memory while that storage is unreachable."""

    def __init__(self, storage_uri: str | None) -> None:
        self._fallback = MovingWindowRateLimiter(MemoryStorage())
        self._storage = (
            cast(Storage, storage_from_string(storage_uri, socket_connect_timeout=1, socket_timeout=1)) if storage_uri else None
        )
        self._primary = MovingWindowRateLimiter(self._storage) if self._storage else self._fallback
        self._down_until = 0.0
        self._items: dict[str, list[RateLimitItem]] = {}

    def items(self, limits: str) -> list[RateLimitItem]:
        if limits not in self._items:
            self._items[limits] = parse_many(limits)
        return self._items[limits]

    def test(self, item: RateLimitItem, budget: Budget) -> bool:
        """Whether one more request fits ``item`` for ``budget``; nothing is counted."""
        return self._run(lambda strategy: strategy.test(item, *_identifiers(budget)))

    def hit(self, item: RateLimitItem, budget: Budget) -> bool:
        """Count one request; False when it did not fit (and so was not counted)."""
        return self._run(lambda strategy: strategy.hit(item, *_identifiers(budget)))

    def reset_time(self, item: RateLimitItem, budget: Budget) -> float:
        """When (epoch seconds) one more request fits ``item`` again."""
        return self._run(lambda strategy: strategy.get_window_stats(item, *_identifiers(budget)).reset_time)

    def _run(self, action: Callable[[RateLimiter], T]) -> T:
        if self._storage is not None and time.monotonic() >= self._down_until:
            try:
                return action(self._primary)
            except self._storage.base_exceptions as exc:
                log.warning("rate limit storage unreachable (%s); counting in memory for %d s",
                            type(exc).__name__, STORAGE_RETRY_SECONDS)
                self._down_until = time.monotonic() + STORAGE_RETRY_SECONDS
        return action(self._fallback)


def init_limiter(app: Flask) -> Counters:
    counters = Counters(app.config.get("REDIS_URL"))
    app.extensions[EXTENSION] = counters
    return counters


def client_address() -> str:
    """The connecting address (as the trusted proxies report it); an IPv6 client's /64."""
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address


def address_key() -> str:
    return f"address:{client_address()}"


def device_key(device_id: str) -> str:
    return "device:" + hashlib.sha256(device_id.encode("utf-8", "replace")).hexdigest()[:32]


def report_budgets(device_id: str | None) -> list[Budget]:
    """A new report spends its device's budget (when the app names one) and its address's ceiling."""
    budgets = [Budget("reports-address", "RATE_LIMIT_REPORTS_PER_ADDRESS", address_key())]
    if device_id:
        budgets.insert(0, Budget("reports-device", "RATE_LIMIT_REPORTS_PER_DEVICE", device_key(device_id)))
    return budgets


def client_budgets(api_client_id: int) -> list[Budget]:
    """An Open311 service request spends its API client's budget: one client sends for many residents."""
    return [Budget("reports-client", "RATE_LIMIT_REPORTS_PER_CLIENT", f"client:{api_client_id}")]


def admit(budgets: Sequence[Budget]) -> None:
    """Answer 429 when any of ``budgets`` is spent; spend nothing."""
    if not _enabled():
        return
    counters = _counters()
    exhausted = [(item, budget) for budget in budgets for item in counters.items(current_app.config[budget.setting])
                 if not counters.test(item, budget)]
    if exhausted:
        _too_many(counters, exhausted)


def spend(budgets: Sequence[Budget]) -> None:
    """Count one request against every limit of ``budgets``."""
    if not _enabled():
        return
    counters = _counters()
    for budget in budgets:
        for item in counters.items(current_app.config[budget.setting]):
            counters.hit(item, budget)


def take(budget: Budget) -> None:
    """Count one request against ``budget``, and answer 429 when that went over a limit."""
    if not _enabled():
        return
    counters = _counters()
    over = [(item, budget) for item in counters.items(current_app.config[budget.setting]) if not counters.hit(item, budget)]
    if over:
        _too_many(counters, over)


@contextmanager
def within(budgets: Sequence[Budget]) -> Iterator[None]:
    """Admit the work inside only while ``budgets`` last, and spend them only when it succeeds."""
    admit(budgets)
    yield
    spend(budgets)


@contextmanager
def counting_refusals(scope: str) -> Iterator[None]:
    """Count every 4xx raised inside in the address's budget for refused requests.

    A refusal never spends a valid request's budget. Past the refused budget,
    the refusal itself is answered 429, so a client that keeps sending bad
    requests is slowed down, while valid requests from its address still go in.
    """
    try:
        yield
    except HTTPException as exc:
        if exc.code is not None and 400 <= exc.code < 500 and exc.code != 429:
            take(Budget(f"refused-{scope}", REFUSED_SETTING, address_key()))
        raise


def _enabled() -> bool:
    return bool(current_app.config["RATE_LIMITS_ENABLED"])


def _counters() -> Counters:
    return current_app.extensions[EXTENSION]


def _identifiers(budget: Budget) -> tuple[str, str, str]:
    return KEY_PREFIX, budget.scope, budget.key


def _too_many(counters: Counters, exhausted: list[tuple[RateLimitItem, Budget]]) -> NoReturn:
    now = time.time()
    reset = max(counters.reset_time(item, budget) for item, budget in exhausted)
    seconds = max(1, math.ceil(reset - now))
    abort(429, f"Too many requests from this device or network. Please try again in {seconds} seconds.",
          detail_ja=f"短時間に送信が集中しています。{seconds}秒ほど待ってから、もう一度お試しください。",
          retry_after=seconds, headers={"Retry-After": str(seconds)})
