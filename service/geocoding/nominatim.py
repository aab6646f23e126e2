"""Geocoding with Nominatim (public or self-hosted) through geopy.

Requests go through one geopy ``RateLimiter`` per geocoder, so one process
never sends more than one request per ``min_delay_seconds`` (the public
Nominatim allows one per second per application; with several worker
processes, divide the budget between them or run a self-hosted instance).
Answers are cached by rounded position (reverse) and by normalised query
(forward and search, the search with its box), including "nothing here" answers.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from geopy.adapters import RequestsAdapter
from geopy.exc import GeocoderServiceError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from geopy.location import Location

from .base import GeocodeResult, GeocoderUnavailable, Place, Viewbox, check_coordinates
from .cache import GeocodeCache, coordinate_key
from .compose import compose_japanese_address

SOURCE = "nominatim"


class _Request:
    """One call to geopy, run by the rate limiter.

    geopy's rate limiter logs the arguments of failed calls; passing this
    object instead of coordinates or an address keeps residents' positions
    out of the logs.
    """

    def __init__(self, kind: str, call: Callable[[], Any]) -> None:
        self.kind = kind
        self.call = call

    def __repr__(self) -> str:
        return f"<Nominatim {self.kind} request>"


def _run(request: _Request) -> Any:
    try:
        return request.call()
    except GeocoderServiceError as error:
        # geopy's messages for connection errors quote the request URL, which holds the
        # position or the address, and the rate limiter logs them with their traceback on
        # every retry; the error is raised again with only its type and HTTP status.
        status = getattr(error.__cause__, "status_code", None)
        message = f"{type(error).__name__} (HTTP {status})" if status is not None else type(error).__name__
        raise type(error)(message) from None


def _adapter_without_retries(*, proxies: Any, ssl_context: Any) -> RequestsAdapter:
    """A requests adapter that does not retry by itself.

    The rate limiter is the one place that retries, so a request is sent at
    most ``max_retries + 1`` times, with the wait between tries, and a read
    timeout is reported as a timeout rather than as a broken connection.
    """
    return RequestsAdapter(proxies=proxies, ssl_context=ssl_context, max_retries=0)


class NominatimGeocoder:
    """Reverse and forward geocoding for Japan against a Nominatim server.

    Each method raises :class:`GeocoderUnavailable` when Nominatim still fails
    after ``max_retries`` retries (timeouts, 5xx and other error answers,
    refused connections, unreadable answers), and ``ValueError`` for
    coordinates out of range.
    """

    def __init__(
        self,
        *,
        domain: str,
        scheme: str = "https",
        user_agent: str,
        timeout: float = 5.0,
        language: str = "ja",
        min_delay_seconds: float = 1.0,
        max_retries: int = 2,
        error_wait_seconds: float = 0.5,
        cache: GeocodeCache | None = None,
        cache_ttl: int = 30 * 86400,
        cache_decimals: int = 5,
    ) -> None:
        self._nominatim = Nominatim(
            domain=domain,
            scheme=scheme,
            user_agent=user_agent,
            timeout=timeout,
            adapter_factory=_adapter_without_retries,
        )
        # swallow_exceptions=False: geopy's default turns every failure into None,
        # which would read as "no address here" instead of "try the fallback".
        self._limited = RateLimiter(
            _run,
            min_delay_seconds=min_delay_seconds,
            max_retries=max_retries,
            error_wait_seconds=max(error_wait_seconds, min_delay_seconds),
            swallow_exceptions=False,
        )
        self._language = language
        self._cache = cache
        self._cache_ttl = cache_ttl
        self._cache_decimals = cache_decimals

    def reverse(self, lat: float, lon: float) -> GeocodeResult | None:
        """The address at the position, or None when Nominatim finds nothing there.

        Raises :class:`GeocoderUnavailable` or ``ValueError`` (see the class).
        """
        check_coordinates(lat, lon)
        key = f"reverse:{self._language}:{coordinate_key(lat, lon, self._cache_decimals)}"
        cached = self._cache_get(key)
        if cached is not None:
            return _result(cached) if cached.get("found") else None

        location = self._call(
            "reverse",
            lambda: self._nominatim.reverse((lat, lon), exactly_one=True, language=self._language, addressdetails=True),
        )
        if location is None:
            self._cache_set(key, {"found": False})
            return None
        address, parts = _compose(location)
        self._cache_set(key, {"found": True, "address": address, "parts": parts})
        return GeocodeResult(address=address, parts=parts, approximate=False, source=SOURCE)

    def forward(self, query: str) -> Place | None:
        """The position of a Japanese address hint, or None when Nominatim does not know it.

        Raises :class:`GeocoderUnavailable` (see the class).
        """
        normalised = normalise_query(query)
        if not normalised:
            return None
        digest = hashlib.sha256(normalised.encode()).hexdigest()
        key = f"forward:{self._language}:{digest}"
        cached = self._cache_get(key)
        if cached is not None:
            if not cached.get("found"):
                return None
            return Place(lat=cached["lat"], lon=cached["lon"], result=_result(cached))

        location = self._call(
            "forward",
            lambda: self._nominatim.geocode(
                normalised, exactly_one=True, language=self._language, addressdetails=True, country_codes="jp"
            ),
        )
        if location is None:
            self._cache_set(key, {"found": False})
            return None
        address, parts = _compose(location)
        self._cache_set(
            key,
            {"found": True, "lat": location.latitude, "lon": location.longitude, "address": address, "parts": parts},
        )
        result = GeocodeResult(address=address, parts=parts, approximate=False, source=SOURCE)
        return Place(lat=location.latitude, lon=location.longitude, result=result)

    def search(self, query: str, *, viewbox: Viewbox, limit: int) -> list[Place]:
        """Up to ``limit`` places inside ``viewbox`` that a partly typed name may mean, best first.

        The box bounds the search (Nominatim's ``bounded=1``), so a 中央区 typed in
        one city never offers another city's. Raises :class:`GeocoderUnavailable`.
        """
        normalised = normalise_query(query)
        if not normalised or limit < 1:
            return []
        west, south, east, north = viewbox
        digest = hashlib.sha256(normalised.encode()).hexdigest()
        box = ",".join(f"{value:.5f}" for value in viewbox)
        key = f"search:{self._language}:{limit}:{box}:{digest}"
        cached = self._cache_get(key)
        if cached is not None:
            return [Place(lat=found["lat"], lon=found["lon"], result=_result(found)) for found in cached["places"]]

        locations = self._call(
            "search",
            lambda: self._nominatim.geocode(
                normalised, exactly_one=False, limit=limit, language=self._language, addressdetails=True,
                country_codes="jp", viewbox=[(south, west), (north, east)], bounded=True,
            ),
        )
        found = []
        for location in locations or []:
            address, parts = _compose(location)
            found.append({"lat": location.latitude, "lon": location.longitude, "address": address, "parts": parts})
        self._cache_set(key, {"places": found})
        return [Place(lat=place["lat"], lon=place["lon"], result=_result(place)) for place in found]

    def close(self) -> None:
        """Close the kept-alive HTTP connections to Nominatim."""
        self._nominatim.__exit__(None, None, None)

    def __enter__(self) -> NominatimGeocoder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, kind: str, call: Callable[[], Any]) -> Any:
        try:
            return self._limited(_Request(kind, call))
        except GeocoderServiceError as error:
            raise GeocoderUnavailable(f"Nominatim {kind} failed: {error}") from error

    def _cache_get(self, key: str) -> dict[str, Any] | None:
        return self._cache.get(key) if self._cache is not None else None

    def _cache_set(self, key: str, value: dict[str, Any]) -> None:
        if self._cache is not None:
            self._cache.set(key, value, self._cache_ttl)


def normalise_query(query: str) -> str:
    """An address hint in one spelling: NFKC width folding and single spaces.

    NFKC turns full-width digits, letters and spaces (common in Japanese input)
    into their ASCII forms, so 「西新宿２－８－１」 and 「西新宿2-8-1」 meet in one key.
    """
    folded = unicodedata.normalize("NFKC", query)
    return re.sub(r"\s+", " ", folded).strip()


def _compose(location: Location) -> tuple[str, dict[str, str]]:
    details = location.raw.get("address") if isinstance(location.raw, dict) else None
    address, parts = compose_japanese_address(details if isinstance(details, dict) else {})
    # Without address details only Nominatim's display name is left to show.
    return (address or location.address or ""), parts


def _result(cached: dict[str, Any]) -> GeocodeResult:
    return GeocodeResult(address=cached["address"], parts=dict(cached["parts"]), approximate=False, source=SOURCE)
