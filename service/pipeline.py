"""Wiring of the processing pipeline, and of the report form's place search, from settings, once per process."""

from __future__ import annotations

from typing import Any

from flask import Flask

from service.domain.places import AreaGeocoder
from service.domain.processing import Pipeline, PipelineSettings
from service.extensions import db
from service.geocoding import (
    FallbackGeocoder,
    FallbackPlaceSearch,
    GeocodeCache,
    Geocoder,
    MemoryCache,
    NominatimGeocoder,
    PlaceSearch,
    RedisCache,
)

# The public Nominatim's usage policy forbids searching as the user types; against it the
# place search keeps to the jurisdiction's own areas (a self-hosted Nominatim is searched).
PUBLIC_NOMINATIM = "nominatim.openstreetmap.org"


def pipeline_for(app: Flask) -> Pipeline:
    pipeline = app.extensions.get("pipeline")
    if pipeline is None:
        pipeline = app.extensions["pipeline"] = _build(app)
    return pipeline


def _build(app: Flask) -> Pipeline:
    config = app.config
    offline = AreaGeocoder(db.session)
    geocoder: Geocoder = offline
    if config["GEOCODER"] == "nominatim":
        geocoder = FallbackGeocoder(_nominatim(app), offline)
    elif config["GEOCODER"] != "offline":
        raise ValueError(f"MACHIKOE_GEOCODER is {config['GEOCODER']!r}; choose offline or nominatim")
    return Pipeline(
        store=app.extensions["photo_store"],
        geocoder=geocoder,
        offline=offline,
        settings=PipelineSettings(
            photo_format=config["PHOTO_FORMAT"],
            max_pixels=config["MAX_IMAGE_PIXELS"],
            keep_originals=config["KEEP_ORIGINALS"],
            duplicate_radius_m=config["DUPLICATE_RADIUS_M"],
            duplicate_window_days=config["DUPLICATE_WINDOW_DAYS"],
            stale_after_seconds=config["SWEEP_AFTER_SECONDS"],
            photo_detection=config["PHOTO_DETECTION"],
        ),
    )


def place_search_for(app: Flask) -> PlaceSearch:
    """The report form's place search: a configured, non-public Nominatim falling back to the areas, else the areas."""
    search = app.extensions.get("place_search")
    if search is None:
        offline = pipeline_for(app).offline
        assert isinstance(offline, AreaGeocoder)
        config = app.config
        search = offline
        if config["GEOCODER"] == "nominatim" and config["NOMINATIM_DOMAIN"].split(":")[0] != PUBLIC_NOMINATIM:
            # No retries: a resident waits for the suggestions, and the areas answer when Nominatim does not.
            search = FallbackPlaceSearch(_nominatim(app, max_retries=0), offline)
        app.extensions["place_search"] = search
    return search


def geocode_cache(app: Flask) -> GeocodeCache:
    """The process's cache of geocoding answers: Redis when configured (shared by all processes), else memory."""
    cache = app.extensions.get("geocode_cache")
    if cache is None:
        url = app.config.get("REDIS_URL")
        cache = app.extensions["geocode_cache"] = RedisCache.from_url(url) if url else MemoryCache()
    return cache


def _nominatim(app: Flask, **overrides: Any) -> NominatimGeocoder:
    config = app.config
    settings: dict[str, Any] = {
        "domain": config["NOMINATIM_DOMAIN"],
        "scheme": config["NOMINATIM_SCHEME"],
        "user_agent": config["NOMINATIM_USER_AGENT"],
        "timeout": config["NOMINATIM_TIMEOUT"],
        "language": config["GEOCODER_LANGUAGE"],
        "min_delay_seconds": config["NOMINATIM_MIN_DELAY"],
        "max_retries": config["NOMINATIM_MAX_RETRIES"],
        "cache": geocode_cache(app),
    }
    return NominatimGeocoder(**{**settings, **overrides})
