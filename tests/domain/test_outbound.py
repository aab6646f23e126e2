"""The outbound policy: globally routable unicast only, IPv6 forms judged by the IPv4 address they carry."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from config.settings import load_settings
from service.domain import outbound
from service.domain.outbound import Policy, Refused

# Each of these reaches (or would reach, through a NAT64 gateway, a 6to4 or
# Teredo relay) an address that is not public: loopback, a private network,
# the cloud metadata address, or a range that is not routable at all.
NOT_PUBLIC = [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "192.0.0.8",
    "198.18.0.1", "240.0.0.1", "255.255.255.255", "224.0.0.1",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "100::1", "2001:db8::1", "3fff::1",
    # IPv4-mapped and IPv4-translated
    "::ffff:127.0.0.1", "::ffff:a9fe:a9fe", "::ffff:0:7f00:1", "::ffff:0:a00:1",
    # IPv4-compatible (deprecated)
    "::127.0.0.1", "::7f00:1", "::a00:1",
    # NAT64, the well-known prefix and the local-use one
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1", "64:ff9b:1::7f00:1", "64:ff9b:1::5db8:d822",
    # 6to4
    "2002:7f00:1::", "2002:a9fe:a9fe::1", "2002:c0a8:101::1",
    # Teredo: a client at 127.0.0.1 behind a public server, and a public client behind a private server
    "2001:0:4136:e378:8000:63bf:80ff:fffe", "2001:0:a00:1:8000:63bf:a247:2bdd",
    # site-local (deprecated)
    "fec0::1", "fec0:1::7f00:1",
]
PUBLIC = ["93.184.216.34", "2606:4700::1111", "2400:cb00::1", "::ffff:93.184.216.34", "64:ff9b::5db8:d822",
          "2002:5db8:d822::1", "2001:0:4136:e378:8000:63bf:a247:2bdd"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_addresses_that_are_not_globally_routable_unicast_are_refused(address: str) -> None:
    assert not Policy().allows(ipaddress.ip_address(address))
    with pytest.raises(Refused):
        outbound.check_url(f"http://[{address}]/hook" if ":" in address else f"http://{address}/hook", Policy())


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_and_forms_that_carry_one_are_allowed(address: str) -> None:
    assert Policy().allows(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_a_name_resolving_to_an_address_that_is_not_public_is_refused(address: str) -> None:
    with pytest.raises(Refused) as refused:
        outbound.resolve("hooks.example.jp", 443, Policy(), resolver=lambda host, port: ["93.184.216.34", address])
    assert refused.value.reason == outbound.REFUSED


def test_embedded_forms_are_decided_by_the_ipv4_address_they_carry() -> None:
    carried = {a: outbound.carried_ipv4(ipaddress.ip_address(a)) for a in (
        "::127.0.0.1", "::ffff:127.0.0.1", "::ffff:0:7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::",
        "2001:0:4136:e378:8000:63bf:80ff:fffe")}
    assert {a: [str(v) for v in values] for a, values in carried.items()} == {
        "::127.0.0.1": ["127.0.0.1"], "::ffff:127.0.0.1": ["127.0.0.1"], "::ffff:0:7f00:1": ["127.0.0.1"],
        "64:ff9b::7f00:1": ["127.0.0.1"], "2002:7f00:1::": ["127.0.0.1"],
        "2001:0:4136:e378:8000:63bf:80ff:fffe": ["65.54.227.120", "127.0.0.1"]}


def test_an_operator_names_private_networks_and_hosts_that_may_be_reached() -> None:
    policy = Policy.parse(" 127.0.0.1/32, 10.20.0.0/16 ,hooks.city.internal ")
    assert policy.allows(ipaddress.ip_address("127.0.0.1"))
    # A network named in IPv4 also covers the IPv6 forms of its addresses.
    assert policy.allows(ipaddress.ip_address("::ffff:10.20.3.4"))
    assert not policy.allows(ipaddress.ip_address("10.21.0.1"))
    assert outbound.resolve("HOOKS.city.internal.", 80, policy, resolver=lambda h, p: ["172.16.9.9"]) == [
        ipaddress.ip_address("172.16.9.9")]
    with pytest.raises(Refused):
        outbound.resolve("other.city.internal", 80, policy, resolver=lambda h, p: ["172.16.9.9"])
    for mistyped in ("10.0.0.0/8, not a host!", "10.0.0.300", "10.0.0.0/33"):
        with pytest.raises(ValueError, match="neither a network nor a host name"):
            Policy.parse(mistyped)
    # A mistyped setting stops the app at start, naming its variable.
    with pytest.raises(ValueError, match="MACHIKOE_OUTBOUND_ALLOW_PRIVATE"):
        load_settings({"MACHIKOE_OUTBOUND_ALLOW_PRIVATE": "127.0.0.1,192.168.1.0/33"})


def test_the_policy_is_read_from_the_setting_and_from_its_former_name() -> None:
    assert Policy().networks == outbound.configured({"OUTBOUND_ALLOW_PRIVATE": ""}).networks == ()
    assert outbound.configured({"OUTBOUND_ALLOW_PRIVATE": "127.0.0.1"}).networks == (ipaddress.ip_network("127.0.0.1/32"),)
    assert outbound.configured({"MEDIA_FETCH_ALLOW_PRIVATE_FOR_TESTS": "10.0.0.0/8"}).networks == (
        ipaddress.ip_network("10.0.0.0/8"),)


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.05)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join(2)
    server.close()
    for sock in accepted:
        sock.close()


def test_connect_goes_to_the_address_that_was_checked(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    sock = outbound.connect("media.example.jp", port, Policy.parse("127.0.0.1/32"), timeout=2, resolver=rebinding)
    with sock:
        assert sock.getpeername() == ("127.0.0.1", port)
    # One lookup per connection: the address checked is the address connected to.
    assert calls == ["media.example.jp"]
    with pytest.raises(Refused):
        outbound.connect("127.0.0.1", port, Policy(), timeout=2)


def test_a_slow_lookup_ends_at_the_time_limit() -> None:
    def slow(host: str, port: int) -> list[str]:
        time.sleep(3)
        return ["93.184.216.34"]

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        outbound.connect("slow-dns.example.jp", 80, Policy(), timeout=0.5, resolver=slow)
    assert time.monotonic() - started < 0.9
