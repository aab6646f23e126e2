"""Rate limits on intake and ratings (per address and per device) and on staff keys.

Flask-Limiter keeps its counters in Redis in a deployment and in memory in the
embedded default; when Redis is unreachable it falls back to memory, so intake
keeps working. A breach answers 429 problem+json with Retry-After.
"""

from __future__ import annotations

import hashlib

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter._limits import RouteLimit

EXTENSION = "machikoe_limiter"


def init_limiter(app: Flask) -> Limiter:
    config = app.config
    app.config.setdefault("RATELIMIT_ENABLED", config["RATE_LIMITS_ENABLED"])
    limiter = Limiter(
        key_func=client_address,
        app=app,
        storage_uri=config.get("REDIS_URL") or "memory://",
        storage_options={"socket_connect_timeout": 1, "socket_timeout": 1},
        in_memory_fallback_enabled=True,
        headers_enabled=True,
        swallow_errors=True,
        key_prefix="machikoe",
    )
    app.extensions[EXTENSION] = limiter
    return limiter


def client_address() -> str:
    return request.remote_addr or "unknown"


def device_key() -> str:
    """The device id the app sent (JSON or form), else the address: one device cannot flood by changing nothing."""
    device = None
    if request.is_json:
        body = request.get_json(silent=True, cache=True)
        if isinstance(body, dict) and isinstance(body.get("device_id"), str):
            device = body["device_id"]
    elif request.mimetype == "multipart/form-data":
        device = request.form.get("device_id")
    if not device:
        return f"address:{client_address()}"
    return "device:" + hashlib.sha256(device.encode("utf-8", "replace")).hexdigest()[:32]


def api_key_key() -> str:
    header = request.headers.get("Authorization", "")
    return "key:" + hashlib.sha256(header.encode("utf-8", "replace")).hexdigest()[:32]


def limit(scope: str, setting: str, key_func=client_address) -> RouteLimit:
    """A limit to use as a context manager in a view: ``with limit("reports", "RATE_LIMIT_REPORTS_PER_ADDRESS"):``."""
    limiter: Limiter = current_app.extensions[EXTENSION]
    return limiter.limit(current_app.config[setting], key_func=key_func, scope=scope)
