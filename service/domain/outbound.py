"""One outbound policy: every connection the server opens on someone's say-so goes through here.

Remote media (a client's ``media_url``), webhooks and push gateways (an
admin's subscriber URL) and the SMTP relay all connect through
:func:`connect`. A destination is allowed when it is a globally routable
unicast address, or when the operator named it (a network, or a host name)
in the policy. IPv6 forms that carry an IPv4 address (mapped, translated,
compatible, NAT64, 6to4, Teredo) are decided by the IPv4 address they carry,
so ``[::ffff:127.0.0.1]`` or ``[2002:7f00:1::]`` is loopback like
``127.0.0.1``. The check is made on every address a name resolves to, and the
socket goes to the very address that was checked and is checked again once
connected, so a name that answers with a public address first and a private
one the next time (DNS rebinding) gains nothing.

Errors: :class:`Refused` (the policy does not allow the destination, or the
name does not resolve; its message is the same whatever lies behind it) and
``OSError`` (``TimeoutError`` included) when an allowed destination cannot be
reached.

A socket timeout bounds each read, not an exchange: a peer that sends one byte
just inside every timeout holds a connection for as long as it likes. A
:class:`Watchdog` bounds the whole exchange: it shuts its sockets down when its
time is up, which wakes any read blocked on them. Connections that a guarded
requests session opens inside :func:`watched` are given to that watchdog.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

SETTING = "OUTBOUND_ALLOW_PRIVATE"
# The name tests used before the policy covered webhooks and mail; still read.
FORMER_SETTING = "MEDIA_FETCH_ALLOW_PRIVATE_FOR_TESTS"

_v4 = ipaddress.IPv4Network
_v6 = ipaddress.IPv6Network

# IPv4 ranges that are not globally routable unicast (IANA special-purpose
# registry, multicast and the reserved block). Python's own ``is_global``
# differs between patch releases, so the table is written out here.
NOT_PUBLIC_V4 = tuple(_v4(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
))
# Global unicast IPv6 is 2000::/3; inside it, the protocol assignments (2001::/23,
# Teredo's 2001::/32 aside), documentation and the local-use NAT64 prefix are not.
GLOBAL_UNICAST_V6 = _v6("2000::/3")
NOT_PUBLIC_V6 = tuple(_v6(n) for n in ("2001::/23", "2001:db8::/32", "3fff::/20", "64:ff9b:1::/48"))
TEREDO = _v6("2001::/32")
SIX_TO_FOUR = _v6("2002::/16")
NAT64 = _v6("64:ff9b::/96")
MAPPED = _v6("::ffff:0:0/96")
TRANSLATED = _v6("::ffff:0:0:0/96")
COMPATIBLE = _v6("::/96")

# The one answer for every refused destination: whether a private address
# exists, listens or answers is never told apart.
REFUSED = "refused by the outbound policy (not a public address, or the name does not resolve)"


class Refused(ValueError):
    """The policy does not allow this destination; ``reason`` says so in words fit for its sender."""

    def __init__(self, reason: str = REFUSED) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Policy:
    """The private networks and host names an operator allows besides public addresses; none by default."""

    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, text: str | Iterable[str] | None) -> Policy:
        """A policy from comma-separated networks, addresses and host names; ValueError on a malformed entry."""
        items = (text.split(",") if isinstance(text, str) else list(text)) if text else []
        networks: list[Network] = []
        hosts: set[str] = set()
        for item in (i.strip() for i in items):
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                if not _is_host_name(item):
                    raise ValueError(f"{item!r} is neither a network nor a host name") from None
                hosts.add(_normal_host(item))
        return cls(tuple(networks), frozenset(hosts))

    def allows(self, address: Address) -> bool:
        """True for a public unicast address, or one the operator named."""
        candidates = (address, *carried_ipv4(address))
        if any(a.version == n.version and a in n for a in candidates for n in self.networks):
            return True
        return is_public(address)

    def names(self, host: str) -> bool:
        """True when the operator named this host, so that it may resolve to private addresses."""
        return _normal_host(host) in self.hosts


def configured(config: Mapping[str, Any]) -> Policy:
    """The policy of the app's settings; ValueError on a malformed entry."""
    return Policy.parse(",".join(str(config.get(name) or "") for name in (SETTING, FORMER_SETTING)))


def carried_ipv4(address: Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address carries (Teredo carries its server's and its client's); none for others."""
    if isinstance(address, ipaddress.IPv4Address):
        return ()
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in MAPPED or address in TRANSLATED or address in COMPATIBLE or address in NAT64:
        return (low32,)
    if address in SIX_TO_FOUR:
        return (ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF),)
    if address in TEREDO:
        server, client = address.teredo or (low32, low32)
        return (server, client)
    return ()


def is_public(address: Address) -> bool:
    """Whether ``address`` is globally routable unicast, embedded IPv4 forms judged by what they carry."""
    if isinstance(address, ipaddress.IPv4Address):
        return not any(address in n for n in NOT_PUBLIC_V4)
    carried = carried_ipv4(address)
    if carried:
        return all(is_public(a) for a in carried)
    return address in GLOBAL_UNICAST_V6 and not any(address in n for n in NOT_PUBLIC_V6)


def literal_address(host: str) -> Address | None:
    """The address a URL's host spells out, or None for a name."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def check_host(host: str, policy: Policy) -> None:
    """Refuse, before any lookup, a host that is a refused literal address or a ``localhost`` name."""
    if policy.names(host):
        return
    literal = literal_address(host)
    if literal is not None and not policy.allows(literal):
        raise Refused("the address is private or reserved")
    name = _normal_host(host)
    if literal is None and (name == "localhost" or name.endswith(".localhost")):
        raise Refused("the address is private or reserved")


def check_url(url: str, policy: Policy) -> None:
    """Refuse an http(s) URL whose host is refused before any lookup (see :func:`check_host`)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        raise Refused("the URL is malformed") from None
    if not host:
        raise Refused("the URL has no host")
    check_host(host, policy)


def resolve(host: str, port: int, policy: Policy, *, timeout: float | None = None,
            resolver: Resolver | None = None) -> list[Address]:
    """Every address ``host`` resolves to, each one allowed by the policy; Refused when one is not.

    One refused address among allowed ones is enough to refuse: nobody outside
    chooses which address a later connection uses. The lookup takes at most
    ``timeout`` seconds (TimeoutError).
    """
    check_host(host, policy)
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    found = _lookup(resolver or _getaddrinfo, host, port, timeout)
    addresses = [literal_address(a) for a in found]
    if not addresses or None in addresses:
        raise Refused()
    checked = [a for a in addresses if a is not None]
    if not policy.names(host) and not all(policy.allows(a) for a in checked):
        raise Refused()
    return checked


def connect(host: str, port: int, policy: Policy, *, timeout: float, resolver: Resolver | None = None) -> socket.socket:
    """A TCP connection to an allowed address of ``host``, made within ``timeout`` seconds, lookup included.

    Raises Refused, TimeoutError, or OSError when no allowed address accepts.
    """
    deadline = time.monotonic() + timeout
    addresses = resolve(host, port, policy, timeout=timeout, resolver=resolver)
    failure: OSError = OSError(f"no address of {host} accepts connections")
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"connecting to {host} took longer than {timeout:g} s")
        try:
            sock = socket.create_connection((str(address), port), remaining)
        except OSError as exc:
            failure = exc
            continue
        # The peer is the address checked above; checking it again costs nothing
        # and holds even if name resolution is replaced one day.
        peer = literal_address(str(sock.getpeername()[0]))
        if peer is None or not (policy.names(host) or policy.allows(peer)):
            sock.close()
            raise Refused()
        return sock
    raise failure


class Watchdog:
    """Shuts the sockets it watches down ``seconds`` after it starts, so that no read outlives the deadline."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> bool:
        """Watch ``sock`` too; False when the time is already up (``sock`` is then shut down)."""
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shut_down(sock)
        return not fired

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut_down(sock)

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._timer.cancel()


def _shut_down(sock: socket.socket) -> None:
    # The plain socket's shutdown, also for a TLS socket: it wakes a reader
    # blocked in another thread without touching the TLS state.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_watchdog: contextvars.ContextVar[Watchdog | None] = contextvars.ContextVar("outbound_watchdog", default=None)


@contextlib.contextmanager
def watched(seconds: float) -> Iterator[Watchdog]:
    """Bound everything a guarded requests session does inside to ``seconds`` in all.

    Send ``Connection: close`` with such requests: a connection kept from an
    earlier request would not be watched.
    """
    with Watchdog(seconds) as watchdog:
        token = _watchdog.set(watchdog)
        try:
            yield watchdog
        finally:
            _watchdog.reset(token)


def guard(session: requests.Session, policy: Policy) -> requests.Session:
    """Make every connection of this requests session go through the policy; return the session.

    Proxies from the environment are ignored: through a proxy the connection
    would go to wherever the proxy takes it, unchecked.
    """
    adapter = _GuardedAdapter(policy)
    session.trust_env = False
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _GuardedConnection:
    """urllib3's way to open a socket, replaced by :func:`connect` (mixed into its HTTP and HTTPS connections)."""

    policy: Policy

    def _new_conn(self) -> socket.socket:
        conn: Any = self
        timeout = conn.timeout if isinstance(conn.timeout, (int, float)) else None
        try:
            sock = connect(conn._dns_host, conn.port, self.policy, timeout=timeout if timeout is not None else 30.0)
        except TimeoutError as exc:
            raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out. (connect timeout={timeout})") from exc
        except OSError as exc:
            raise NewConnectionError(conn, f"Failed to establish a new connection: {exc}") from exc
        for option in conn.socket_options or ():
            sock.setsockopt(*option)
        watchdog = _watchdog.get()
        if watchdog is not None and not watchdog.watch(sock):
            sock.close()
            raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out (the exchange's time was up)")
        return sock


class _GuardedAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, policy: Policy) -> None:
        # Set before the base class builds its pool manager, which reads it.
        self.policy = policy
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        members = {"policy": self.policy}
        http_connection = type("GuardedHTTPConnection", (_GuardedConnection, HTTPConnection), members)
        https_connection = type("GuardedHTTPSConnection", (_GuardedConnection, HTTPSConnection), members)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_connection}),
            "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_connection}),
        }

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.ProxyManager:
        raise Refused("connections through a proxy are not allowed by the outbound policy")


def _getaddrinfo(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused() from None
    return [str(info[4][0]) for info in infos]


def _lookup(resolver: Resolver, host: str, port: int, timeout: float | None) -> list[str]:
    """The resolver's answer within ``timeout``: getaddrinfo has no time limit of its own, so it runs in a thread."""
    if timeout is None:
        return resolver(host, port)
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(resolver(host, port))
        except BaseException as exc:  # noqa: BLE001  (handed over to the waiting thread, raised there)
            outcome.append(exc)

    # A lookup that outlives its deadline ends on its own; nobody waits for it.
    thread = threading.Thread(target=run, name="machikoe-resolve", daemon=True)
    thread.start()
    thread.join(max(0.0, timeout))
    if not outcome:
        raise TimeoutError(f"looking up {host} took longer than {timeout:g} s")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def _is_host_name(text: str) -> bool:
    """Letters, digits and hyphens in dot-separated labels; a last label of digits only is a mistyped address."""
    labels = text.rstrip(".").split(".")
    return (all(0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() for label in labels)
            and not labels[-1].isdigit())


def _normal_host(host: str) -> str:
    return host.strip().rstrip(".").lower()
