"""Photos that Open311 clients give by URL (media_url), fetched by a worker within limits.

A URL from a client system must never let it reach what only this server can
reach (the cloud metadata address, the database, the loopback interface), so
every connection goes through the outbound policy (:mod:`service.domain.outbound`),
which checks every address the host resolves to and connects to the address it
checked. Each redirect is checked the same way, and the body is read in chunks
and dropped once it passes the size limit.

One deadline covers the whole fetch, redirects included: the lookup, the
connection, the TLS handshake, the headers and the body. Socket time limits
alone cannot hold it, because a server that sends one byte a second answers
every read in time; so a watchdog shuts the socket down when the deadline
passes, whatever the fetch is waiting for at that moment.

Errors: :class:`MediaRefused` (the URL or its content is not acceptable, for
good) and :class:`MediaUnavailable` (the server could not be reached, was too
slow or answered with a server error; worth another try later).
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from service.domain import outbound, processing, rows, tokens
from service.domain.originals import original_key
from service.models import Photo, RemoteMedia, Report
from service.models.types import utcnow
from service.photos.inspect import PhotoRejected, inspect_photo

log = logging.getLogger(__name__)

FETCH_MEDIA = "machikoe.fetch_media"
SCHEMES = ("http", "https")
REDIRECTS = (301, 302, 303, 307, 308)
MAX_URL_LENGTH = 2000
CHUNK = 64 * 1024
TOO_SLOW = "the media server took too long"


class MediaRefused(ValueError):
    """The media URL, where it leads, or what it serves is not acceptable; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MediaUnavailable(RuntimeError):
    """The media server could not be reached, was too slow or failed; a later try may succeed."""


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int
    timeout: float
    max_pixels: int
    max_redirects: int = 3
    # Private networks and hosts the operator allows; none in a real deployment
    # unless the media lives on an internal server.
    outbound_policy: outbound.Policy = field(default_factory=outbound.Policy)


def check_media_url(url: str, policy: outbound.Policy | None = None) -> str:
    """The URL, stripped, when it may be given to the fetcher.

    Only http and https URLs with a host are accepted, without credentials in
    them; a literal address must be allowed by the outbound policy and
    ``localhost`` is refused. Names are resolved later, by the fetcher, which
    checks every address again. Raises :class:`MediaRefused`.
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
    try:
        outbound.check_host(host, policy or outbound.Policy())
    except outbound.Refused:
        raise MediaRefused("the media URL points to a private or reserved address") from None
    return url


def fetch_url(url: str, limits: FetchLimits, *, resolve: outbound.Resolver | None = None) -> bytes:
    """GET the URL's body, following at most ``limits.max_redirects`` redirects.

    Every hop is checked like the first (scheme, every resolved address), the
    body is capped at ``limits.max_bytes`` and the whole fetch, from the first
    lookup to the last byte, at ``limits.timeout`` seconds. Raises
    :class:`MediaRefused` or :class:`MediaUnavailable`.
    """
    deadline = Deadline(limits.timeout)
    for _ in range(limits.max_redirects + 1):
        check_media_url(url, limits.outbound_policy)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        status, location, body = _get(scheme, host, port, path, limits, deadline, resolve)
        if status in REDIRECTS:
            if not location:
                raise MediaRefused(f"the media server answered {status} without a Location")
            url = urljoin(url, location)
            continue
        return body
    raise MediaRefused(f"the media URL redirects more than {limits.max_redirects} times")


class Deadline:
    """A point in time, after which :meth:`remaining` raises MediaUnavailable."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise MediaUnavailable(TOO_SLOW)
        return left


def _get(scheme: str, host: str, port: int, path: str, limits: FetchLimits, deadline: Deadline,
         resolve: outbound.Resolver | None) -> tuple[int, str | None, bytes]:
    connection: http.client.HTTPConnection | None = None
    sock: socket.socket | None = None
    with outbound.Watchdog(deadline.remaining()) as watchdog:
        try:
            sock = outbound.connect(host, port, limits.outbound_policy, timeout=deadline.remaining(), resolver=resolve)
            if not watchdog.watch(sock):
                raise MediaUnavailable(TOO_SLOW)
            if scheme == "https":
                sock.settimeout(deadline.remaining())
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
                if not watchdog.watch(sock):
                    raise MediaUnavailable(TOO_SLOW)
                connection = http.client.HTTPSConnection(host, port, timeout=deadline.remaining())
            else:
                connection = http.client.HTTPConnection(host, port, timeout=deadline.remaining())
            # The connection is given its socket, already checked, so it never opens one of its own.
            connection.sock = sock
            sock.settimeout(deadline.remaining())
            connection.request("GET", path, headers={"User-Agent": "machikoe-media-fetcher", "Accept": "image/*"})
            response = connection.getresponse()
            if watchdog.fired:
                raise MediaUnavailable(TOO_SLOW)
            if response.status in REDIRECTS:
                return response.status, response.getheader("Location"), b""
            if response.status >= 500:
                raise MediaUnavailable(f"the media server answered {response.status}")
            if response.status != 200:
                raise MediaRefused(f"the media server answered {response.status}")
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                raise MediaRefused(f"the media file is larger than {limits.max_bytes} bytes")
            return response.status, None, _read_capped(sock, response, limits.max_bytes, deadline, watchdog)
        except outbound.Refused:
            raise MediaRefused("the media host resolves to a private or reserved address, or does not resolve") from None
        except ssl.SSLError as exc:
            if watchdog.fired:
                raise MediaUnavailable(TOO_SLOW) from None
            raise MediaRefused(f"the media server's TLS failed ({type(exc).__name__})") from None
        except (OSError, http.client.HTTPException) as exc:
            if watchdog.fired or isinstance(exc, TimeoutError):
                raise MediaUnavailable(TOO_SLOW) from None
            raise MediaUnavailable(f"the media server could not be read ({type(exc).__name__})") from None
        finally:
            if connection is not None:
                connection.close()
            elif sock is not None:
                sock.close()


def _read_capped(sock: socket.socket, response: http.client.HTTPResponse, max_bytes: int, deadline: Deadline,
                 watchdog: outbound.Watchdog) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        remaining = deadline.remaining()
        # The socket is closed for good once the response has read its last byte.
        if sock.fileno() != -1:
            sock.settimeout(remaining)
        chunk = response.read(CHUNK)
        # A socket shut down by the watchdog reads as the end of the body; it is not one.
        if watchdog.fired:
            raise MediaUnavailable(TOO_SLOW)
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
    if rows.changed(result) != 1:
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
    photo_id = tokens.new_public_id()
    pipeline.store.put(original_key(info, photo_id), data, info.content_type)
    # This worker claimed the media above, and a media's report is its foreign
    # key; the service deletes neither.
    media = session.get_one(RemoteMedia, remote_media_id)
    report = session.get_one(Report, media.report_id)
    last = session.scalar(select(func.max(Photo.position)).where(Photo.report_id == report.id))
    photo = Photo(public_id=photo_id, report=report, position=(last + 1) if last is not None else 0,
                  content_hash=info.sha256, content_type=info.content_type, byte_size=info.byte_size,
                  width=info.width, height=info.height, original_key=original_key(info, photo_id), state="stored")
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
