"""The SSRF guard refuses private, loopback, link-local and metadata addresses by resolved address."""

from __future__ import annotations

import ipaddress

import pytest

from govinspect.fetch.guard import BlockedAddressError, GuardPolicy, address_problem, check_url

STRICT = GuardPolicy()
OPEN = GuardPolicy(allow_private_networks=True)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.0.3.7",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.100.100.200",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fc00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is not None
    with pytest.raises(BlockedAddressError):
        check_url(f"http://[{address}]/" if ":" in address else f"http://{address}/", STRICT)


@pytest.mark.parametrize("address", ["202.96.128.86", "61.135.169.121", "2400:da00::6666"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


def test_the_resolved_address_counts_not_the_name() -> None:
    # A public-looking government name that resolves to loopback is refused …
    def to_loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with pytest.raises(BlockedAddressError, match="回环"):
        check_url("http://www.example.gov.cn/", STRICT, resolver=to_loopback)

    # … and one resolving to a public address and a private one is refused too (DNS rebinding halves).
    def mixed(host: str, port: int) -> list[str]:
        return ["202.96.128.86", "192.168.0.10"]

    with pytest.raises(BlockedAddressError, match="内网"):
        check_url("http://www.example.gov.cn/", STRICT, resolver=mixed)

    def public(host: str, port: int) -> list[str]:
        return ["202.96.128.86"]

    assert [str(a) for a in check_url("https://www.example.gov.cn/x", STRICT, resolver=public)] == [
        "202.96.128.86"
    ]


def test_localhost_resolves_and_is_refused_unless_allowed() -> None:
    with pytest.raises(BlockedAddressError):
        check_url("http://localhost:18080/", STRICT)
    assert all(a.is_loopback for a in check_url("http://localhost:18080/", OPEN))


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/", "javascript:alert(1)", "http:///nohost", "file:///etc/passwd"]
)
def test_only_http_urls(url: str) -> None:
    with pytest.raises(BlockedAddressError, match="http"):
        check_url(url, OPEN)


def test_unresolvable_names_are_reported() -> None:
    def fails(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(BlockedAddressError, match="无法解析"):
        check_url("http://no-such-site.gov.cn/", STRICT, resolver=fails)
