"""Query helpers shared by the list endpoints: bounding boxes, status lists, page links."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from flask import request, url_for

from service.api.problems import abort
from service.domain import status as statuses


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) and abs(v) < 1e9 for v in values):
        abort(422, "bbox is minLon,minLat,maxLon,maxLat.", errors={"bbox": ["Four numbers: minLon,minLat,maxLon,maxLat."]})
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        abort(422, "bbox is out of range or inverted.", errors={"bbox": ["Longitudes within ±180, latitudes within ±90, min before max."]})
    return min_lon, min_lat, max_lon, max_lat


def parse_statuses(values: list[str]) -> list[str]:
    wanted = [s.strip() for v in values for s in v.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in statuses.STATUSES]
    if unknown:
        abort(422, "Unknown status.", errors={"status": [f"Unknown status {s!r}." for s in unknown]})
    return wanted


def page_links(endpoint: str, page: int, page_size: int, total: int) -> dict[str, str | None]:
    """self/next/prev links that keep the request's other query arguments.

    The arguments go into the query string as text, every repeat kept, and never
    to ``url_for`` as keywords: there ``endpoint``, ``_anchor``, ``_scheme`` or
    ``_external`` would change the link itself, or fail.
    """
    path = url_for(endpoint)
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "page_size")]

    def link(p: int) -> str:
        return path + "?" + urlencode([("page", p), ("page_size", page_size), *kept])

    last = max(1, -(-total // page_size))
    return {"self": link(page), "next": link(page + 1) if page < last else None, "prev": link(page - 1) if page > 1 else None}


def wants_csv() -> bool:
    """True when the client prefers text/csv to JSON in Accept."""
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["application/json"]
