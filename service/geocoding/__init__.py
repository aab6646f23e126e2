"""Reverse and forward geocoding for reports, and place search for the report form: Nominatim,
offline areas, and a fallback between them."""

from .base import Geocoder, GeocodeResult, GeocoderUnavailable, Place, PlaceSearch, Viewbox
from .cache import GeocodeCache, MemoryCache, RedisCache, coordinate_key
from .compose import compose_japanese_address
from .fallback import FallbackGeocoder, FallbackPlaceSearch
from .nominatim import NominatimGeocoder
from .offline import OfflineArea, OfflineGeocoder

__all__ = [
    "FallbackGeocoder",
    "FallbackPlaceSearch",
    "GeocodeCache",
    "GeocodeResult",
    "Geocoder",
    "GeocoderUnavailable",
    "MemoryCache",
    "NominatimGeocoder",
    "OfflineArea",
    "OfflineGeocoder",
    "Place",
    "PlaceSearch",
    "RedisCache",
    "Viewbox",
    "compose_japanese_address",
    "coordinate_key",
]
