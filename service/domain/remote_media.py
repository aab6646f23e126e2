"""Photos that Open311 clients give by URL (media_url), fetched by a worker within limits.

A URL from a client system must never let it reach what only this server can
reach (the cloud metadata address, the database, the loopback interface). So
the host is resolved here, every address it resolves to must be a public one,
and the connection goes to the very address that was checked, which defeats a
name that resolves to a public address once and a private one the next time.
Each redirect is checked the same way, the body is read in chunks and dropped
once it passes the size limit, and the whole fetch has a deadline.

Errors: :class:`MediaRefused` (the URL or its content is not acceptable, for
good) and :class:`MediaUnavailable` (the server could not be reached or
answered with a server error; worth another try later).
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from service.domain import processing, tokens
from service.domain.intake import original_key
from service.models import Photo, RemoteMedia, Report
from service.models.types import utcnow
from service.photos.inspect import PhotoRejected, inspect_photo

log = logging.getLogger(__name__)

FETCH_MEDIA = "machikoe.fetch_media"
SCHEMES = ("http", "https")
REDIRECTS = (301, 302, 303, 307, 308)
MAX_URL_LENGTH = 2000
CHUNK = 64 * 1024

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


class MediaRefused(ValueError):
    """The media URL, where it leads, or what it serves is not acceptable; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MediaUnavailable(RuntimeError):
    """The media server could not be reached or failed; a later try may succeed."""


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    timeout: float
    max_pixels: int
    max_redirects: int = 3
    # Networks allowed although they are not public. Empty in every real
    # deployment; tests name 127.0.0.1/32 to fetch from a local server.
    allowed_private: tuple[Network, ...] = field(default=())


def parse_networks(text: str | Sequence[str] | None) -> tuple[Network, ...]:
    """Networks from a comma-separated text or a list; ValueError on a malformed one."""
    if not text:
        return ()
    items = text.split(",") if isinstance(text, str) else list(text)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def address_allowed(address: Address, allowed_private: Sequence[Network] = ()) -> bool:
    """True for a public unicast address, or one inside an explicitly allowed network."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address.version == net.version and address in net for net in allowed_private):
        return True
    return address.is_global and not address.is_multicast


def check_media_url(url: str, allowed_private: Sequence[Network] = ()) -> str:
    """The URL, stripped, when it may be given to the fetcher.

    Only http and https URLs with a host are accepted, without credentials in
    them; a literal address must be public and ``localhost`` is refused. Names
    are resolved later, by the fetcher, which checks every address again.
    Raises :class:`MediaRefused`.
    """
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise MediaRefused(f"the media URL must be 1 to {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a port out of range)
    except ValueError:
        raise MediaRefused("the media URL is malformed") from None
    if parts.scheme.lower() not in SCHEMES:
        raise MediaRefused("the media URL must be http or https")
    if not host:
        raise MediaRefused("the media URL has no host")
    if parts.username is not None or parts.password is not None:
        raise MediaRefused("the media URL must not carry credentials")
    literal = _literal_address(host)
    if literal is not None and not address_allowed(literal, allowed_private):
        raise MediaRefused("the media URL points to a private or reserved address")
    if literal is None and (host == "localhost" or host.endswith(".localhost")):
        raise MediaRefused("the media URL points to a private or reserved address")
    return url


def fetch_url(url: str, limits: FetchLimits, *, resolve: Resolver | None = None) -> bytes:
    """GET the URL's body, following at most ``limits.max_redirects`` redirects.

    Every hop is checked like the first (scheme, every resolved address), the
    body is capped at ``limits.max_bytes`` and the whole fetch at
    ``limits.timeout`` seconds. Raises :class:`MediaRefused` or
    :class:`MediaUnavailable`.
    """
    resolve = resolve or _resolve
    deadline = time.monotonic() + limits.timeout
    for _ in range(limits.max_redirects + 1):
        check_media_url(url, limits.allowed_private)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        address = _checked_address(host, port, limits.allowed_private, resolve)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        status, location, body = _get(scheme, host, port, address, path, limits, deadline)
        if status in REDIRECTS:
            if not location:
                raise MediaRefused(f"the media server answered {status} without a Location")
            url = urljoin(url, location)
            continue
        return body
    raise MediaRefused(f"the media URL redirects more than {limits.max_redirects} times")


def _literal_address(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise MediaRefused(f"the media host does not resolve ({exc})") from None
    return [str(info[4][0]) for info in infos]


def _checked_address(host: str, port: int, allowed_private: Sequence[Network], resolve: Resolver) -> str:
    literal = _literal_address(host)
    candidates = [str(literal)] if literal is not None else resolve(host, port)
    if not candidates:
        raise MediaRefused("the media host does not resolve")
    addresses = [ipaddress.ip_address(c.split("%", 1)[0]) for c in candidates]
    # One private address among several public ones is enough to refuse: the
    # client cannot choose which one a retry would use.
    if not all(address_allowed(a, allowed_private) for a in addresses):
        raise MediaRefused("the media host resolves to a private or reserved address")
    return str(addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to a checked address, with the Host header of the URL."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; the certificate is verified for the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _get(scheme: str, host: str, port: int, address: str, path: str, limits: FetchLimits,
         deadline: float) -> tuple[int, str | None, bytes]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise MediaUnavailable("the media server took too long")
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = cls(host, port, address, remaining)
    try:
        connection.request("GET", path, headers={"User-Agent": "machikoe-media-fetcher", "Accept": "image/*"})
        response = connection.getresponse()
        if response.status in REDIRECTS:
            return response.status, response.getheader("Location"), b""
        if response.status >= 500:
            raise MediaUnavailable(f"the media server answered {response.status}")
        if response.status != 200:
            raise MediaRefused(f"the media server answered {response.status}")
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > limits.max_bytes:
            raise MediaRefused(f"the media file is larger than {limits.max_bytes} bytes")
        return response.status, None, _read_capped(connection, response, limits.max_bytes, deadline)
    except ssl.SSLError as exc:
        raise MediaRefused(f"the media server's TLS failed ({type(exc).__name__})") from None
    except (OSError, http.client.HTTPException) as exc:
        raise MediaUnavailable(f"the media server could not be read ({type(exc).__name__})") from None
    finally:
        connection.close()


def _read_capped(connection: http.client.HTTPConnection, response: http.client.HTTPResponse, max_bytes: int,
                 deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise MediaUnavailable("the media server took too long")
        if connection.sock is not None:
            connection.sock.settimeout(remaining)
        chunk = response.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise MediaRefused(f"the media file is larger than {max_bytes} bytes")
        chunks.append(chunk)


def claim(session: Session, remote_media_id: int, stale_after_seconds: float) -> RemoteMedia | None:
    """Take a pending media for fetching; None when another worker has it or it is finished.

    A fetch claimed more than ``stale_after_seconds`` ago was lost with its
    worker (no fetch lasts that long), and is taken again.
    """
    now = utcnow()
    result = session.execute(
        update(RemoteMedia).where(RemoteMedia.id == remote_media_id, _waiting(now - timedelta(seconds=stale_after_seconds)))
        .values(state="fetching", claimed_at=now).execution_options(synchronize_session=False)
    )
    session.commit()
    if result.rowcount != 1:
        return None
    return session.get(RemoteMedia, remote_media_id)


def finish(session: Session, remote_media_id: int, state: str, error: str | None = None) -> None:
    """Record how a fetch ended: ``pending`` again (to retry), ``refused`` or ``failed``."""
    session.execute(
        update(RemoteMedia).where(RemoteMedia.id == remote_media_id)
        .values(state=state, error=error[:2000] if error else None).execution_options(synchronize_session=False)
    )
    session.commit()


def fetch_media(session: Session, remote_media_id: int, pipeline: processing.Pipeline, limits: FetchLimits, *,
                fetch: Callable[[str, FetchLimits], bytes] = fetch_url) -> str:
    """Fetch one pending media, keep it as a photo of its report and make its derivatives.

    Returns the media's state: ``fetched``, ``refused`` (with the reason in
    ``error``), or the state another worker left it in. The derivatives are
    made here by the processing's own photo step, so a report that was
    processed before its media arrived still shows the photo, without its
    processing being reopened. Raises :class:`MediaUnavailable` after putting
    the media back to ``pending``, so a retry can try again.
    """
    media = claim(session, remote_media_id, pipeline.settings.stale_after_seconds)
    if media is None:
        current = session.get(RemoteMedia, remote_media_id)
        if current is None:
            return "missing"
        if current.state == "fetched":
            # A retry after the store failed while the derivatives were made.
            processing.derive_photos(session, current.report_id, pipeline)
        return current.state
    url = media.url
    # No transaction stays open while a remote server is waited for.
    session.commit()
    try:
        data = fetch(url, limits)
        info = inspect_photo(data, max_pixels=limits.max_pixels)
    except MediaRefused as exc:
        finish(session, remote_media_id, "refused", exc.reason)
        log.info("media %s refused: %s", remote_media_id, exc.reason)
        return "refused"
    except PhotoRejected as exc:
        finish(session, remote_media_id, "refused", exc.reason)
        return "refused"
    except MediaUnavailable as exc:
        finish(session, remote_media_id, "pending", str(exc))
        raise
    pipeline.store.put(original_key(info), data, info.content_type)
    media = session.get(RemoteMedia, remote_media_id)
    report = session.get(Report, media.report_id)
    last = session.scalar(select(func.max(Photo.position)).where(Photo.report_id == report.id))
    photo = Photo(public_id=tokens.new_public_id(), report=report, position=(last + 1) if last is not None else 0,
                  content_hash=info.sha256, content_type=info.content_type, byte_size=info.byte_size,
                  width=info.width, height=info.height, original_key=original_key(info), state="stored")
    session.add(photo)
    session.flush()
    media.state, media.photo_id, media.error = "fetched", photo.id, None
    session.commit()
    # The photo step only works on photos still in the "stored" state, so
    # running it again for the whole report does nothing twice.
    processing.derive_photos(session, report.id, pipeline)
    return "fetched"


def pending_media(session: Session, *, stale_after_seconds: float, limit: int = 500) -> list[int]:
    """Ids of media still waiting for a fetch (their job was lost, or their worker), oldest first."""
    stale = utcnow() - timedelta(seconds=stale_after_seconds)
    return list(session.scalars(select(RemoteMedia.id).where(_waiting(stale)).order_by(RemoteMedia.id).limit(limit)))


def _waiting(stale: datetime) -> ColumnElement[bool]:
    """Media to fetch: pending, or claimed before ``stale`` by a worker that never finished."""
    return or_(RemoteMedia.state == "pending",
               (RemoteMedia.state == "fetching") & or_(RemoteMedia.claimed_at.is_(None), RemoteMedia.claimed_at < stale))
