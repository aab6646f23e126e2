"""Reverse and forward geocoding for reports: Nominatim, offline areas, and a fallback between them."""

from .base import Geocoder, GeocodeResult, GeocoderUnavailable, Place
from .cache import GeocodeCache, MemoryCache, RedisCache, coordinate_key
from .compose import compose_japanese_address
from .fallback import FallbackGeocoder
from .nominatim import NominatimGeocoder
from .offline import OfflineArea, OfflineGeocoder

__all__ = [
    "FallbackGeocoder",
    "GeocodeCache",
    "GeocodeResult",
    "Geocoder",
    "GeocoderUnavailable",
    "MemoryCache",
    "NominatimGeocoder",
    "OfflineArea",
    "OfflineGeocoder",
    "Place",
    "RedisCache",
    "compose_japanese_address",
    "coordinate_key",
]
