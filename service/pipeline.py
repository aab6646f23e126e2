"""Wiring of the processing pipeline from settings, once per process."""

from __future__ import annotations

from flask import Flask

from service.domain.places import AreaGeocoder
from service.domain.processing import Pipeline, PipelineSettings
from service.extensions import db
from service.geocoding import FallbackGeocoder, Geocoder, MemoryCache, NominatimGeocoder, RedisCache


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
        cache = RedisCache.from_url(config["REDIS_URL"]) if config.get("REDIS_URL") else MemoryCache()
        nominatim = NominatimGeocoder(
            domain=config["NOMINATIM_DOMAIN"],
            scheme=config["NOMINATIM_SCHEME"],
            user_agent=config["NOMINATIM_USER_AGENT"],
            timeout=config["NOMINATIM_TIMEOUT"],
            language=config["GEOCODER_LANGUAGE"],
            min_delay_seconds=config["NOMINATIM_MIN_DELAY"],
            max_retries=config["NOMINATIM_MAX_RETRIES"],
            cache=cache,
        )
        geocoder = FallbackGeocoder(nominatim, offline)
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
