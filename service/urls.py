"""Where absolute URLs start: the public base URL, a trusted host, or nowhere.

A Host header is whatever the client sends, so it never decides where a link
points by itself. The base is, in order: ``MACHIKOE_PUBLIC_BASE_URL`` when set;
else the request's host when ``MACHIKOE_TRUSTED_HOSTS`` is set (Flask then
refuses any other host with 400 before a view runs); else the request's host
only when it is this machine's loopback name, as in the embedded default. In
every other case links are relative to the host the client asked.
"""

from __future__ import annotations

from collections.abc import Sequence

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def base_url(public_base_url: str | None, trusted_hosts: Sequence[str] | None, scheme: str | None = None,
             host: str | None = None) -> str:
    """The scheme and authority links start with, without a trailing slash; "" for relative links.

    ``scheme`` and ``host`` are the current request's, or None outside a request
    (a worker), where only the public base URL can give an absolute link.
    """
    if public_base_url:
        return public_base_url.rstrip("/")
    if not scheme or not host:
        return ""
    if trusted_hosts or _hostname(host) in LOOPBACK_NAMES:
        return f"{scheme}://{host}"
    return ""


def join(base: str, path: str) -> str:
    """``path`` (absolute, starting with /) under ``base``."""
    return base.rstrip("/") + "/" + path.lstrip("/")


def _hostname(host: str) -> str:
    """The host without its port: ``[::1]:8000`` → ``[::1]``, ``localhost:8000`` → ``localhost``."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0].lower()
