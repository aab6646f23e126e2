"""One caching policy for every answer, applied after each view.

- Private answers are never stored by a browser or a proxy (``no-store``):
  anything asked with a staff key (``Authorization``) or a tracking token
  (``X-Tracking-Token``), everything under ``/api/v1/staff``, every answer to a
  request that changes something (a new report's answer carries its tracking
  token), and every error.
- Public answers that set no policy of their own (reports, categories,
  Open311) are ``no-cache``: a cache may keep them but must ask again before
  reuse, so a status change shows at once. Open data and public photo files
  set longer lifetimes themselves and keep them.
- The answers that differ with a key or a token say so in ``Vary``, so a shared
  cache never hands the reporter's own view to someone else.
"""

from __future__ import annotations

from flask import Flask, Request, Response, request

PRIVATE_HEADERS = ("Authorization", "X-Tracking-Token")
STAFF_PREFIX = "/api/v1/staff"
SAFE_METHODS = ("GET", "HEAD")
# A report's public view may be kept this long by a proxy: polls within it need not reach the service.
PUBLIC_REPORT_CACHE = "public, max-age=5"


def init_cache_policy(app: Flask) -> None:
    app.after_request(apply_cache_policy)


def apply_cache_policy(response: Response) -> Response:
    add_vary(response, PRIVATE_HEADERS)
    if is_private(request) or not 200 <= response.status_code < 400:
        response.headers["Cache-Control"] = "no-store"
    elif "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-cache"
    return response


def public_view_headers(etag: str) -> dict[str, str]:
    """The headers of a report's public view at ``etag`` (200 or 304), as this policy leaves them."""
    return {"ETag": etag, "Cache-Control": PUBLIC_REPORT_CACHE, "Vary": ", ".join(("Accept-Language", *PRIVATE_HEADERS))}


def add_vary(response: Response, names: tuple[str, ...]) -> None:
    """Add ``names`` to the response's Vary header, each once whatever its case.

    The same as ``response.vary.update(names)`` without building a header set
    and writing it back, which every answer would pay for.
    """
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = ", ".join(names)
        return
    parts = [part.strip() for part in current.split(",") if part.strip()]
    present = {part.lower() for part in parts}
    missing = [name for name in names if name.lower() not in present]
    if missing:
        response.headers["Vary"] = ", ".join([*parts, *missing])


def is_private(req: Request) -> bool:
    return (req.method not in SAFE_METHODS or req.path == STAFF_PREFIX or req.path.startswith(STAFF_PREFIX + "/")
            or any(req.headers.get(name) for name in PRIVATE_HEADERS))
