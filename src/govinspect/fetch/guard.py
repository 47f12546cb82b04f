"""The SSRF guard: addresses users type in are fetched only when they resolve to public addresses.

The check is on every address the name resolves to (not on the name, which can say anything), and callers
apply it again to every redirect target. Operators inspecting sites on their own network, the farm and the
tests allow private networks explicitly.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services answer on link-local (covered) and on these addresses.
_METADATA = {ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")}
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: private in practice


class BlockedAddressError(Exception):
    """A URL resolves to an address the operator has not allowed; the message is shown to officials."""


class UnresolvableError(BlockedAddressError):
    """The name does not resolve: the site is unreachable, not forbidden."""


@dataclass(frozen=True, slots=True)
class GuardPolicy:
    allow_private_networks: bool = False


def address_problem(address: IPAddress) -> str | None:
    """Why this address must not be fetched from, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in _METADATA or (address.version == 4 and address in _SHARED):
        return "云平台元数据或运营商内网地址"
    if address.is_loopback:
        return "本机回环地址"
    if address.is_link_local:
        return "链路本地地址（含云平台元数据地址）"
    if address.is_private:
        return "内网（私有）地址"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "保留、组播或未指定地址"
    if not address.is_global:
        return "非公网地址"
    return None


Resolver = Callable[[str, int], Sequence[str]]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def check_url(url: str, policy: GuardPolicy, resolver: Resolver = system_resolver) -> list[IPAddress]:
    """Resolve a URL's host and refuse it unless every address is allowed; returns the addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedAddressError(f"只能访问 http 或 https 网址：{url}")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host, port)]
        except OSError as exc:
            raise UnresolvableError(f"无法解析域名 {host}：{exc}") from exc
        if not addresses:
            raise UnresolvableError(f"域名 {host} 没有解析到任何地址")
    if not policy.allow_private_networks:
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise BlockedAddressError(
                    f"{host} 解析到{problem} {address}，已拒绝访问（如确需检查内网网站，请使用 --allow-private-networks）"
                )
    return addresses
