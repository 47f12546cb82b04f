"""Network probes of how a site is served, run once per site after the crawl: its TLS certificate and IPv6.

TLS: one handshake verifying against the system CAs (and ``cafile``, if given) with the host name checked; when
verification fails, a second one without verification, so the certificate the server presents is still read
(subject, issuer, validity) and shown as evidence. IPv6: the host's AAAA records and a TCP connection to them,
judged only where this machine can tell: an IPv4 literal, no IPv6 route, a lookup that failed for want of DNS,
or a site that does not answer over IPv4 either is "not tested", never a finding.

Every address is passed through the SSRF guard (``fetch/guard.py``), IPv6 ones included. Probes are bounded
(timeouts per connection, a deadline per site) and never raise: a failure is recorded in the result.

The wall clock: a certificate expires in real time, so the probe records its own time (``probed_at``) and the
check judges validity against it. That is the one place a wall clock is right; INDICATORS.md §7 (``as_of``, no
wall clock) is about content staleness, which a stored run must judge the same way whenever it is re-scored.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import ssl
import time
import warnings
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from govinspect.extract.model import Certificate, Ipv6Probe, TlsProbe, Transport
from govinspect.fetch.guard import BlockedAddressError, GuardPolicy, address_problem, check_url

# DNS64 synthesises AAAA records in this prefix when a name has none (RFC 6147): not IPv6 service.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# Lookup answers that mean "no such record" (the name itself resolved over IPv4); others mean "no answer".
_NO_RECORD = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}
_NO_ROUTE = {errno.ENETUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}


@dataclass(frozen=True)
class TransportOptions:
    timeout: float = 10.0  # per connection (connect and handshake)
    deadline: float = 40.0  # per site, both probes together
    attempts: int = 2  # a failed IPv6 connection is tried again once, after retry_spacing
    retry_spacing: float = 1.0
    max_addresses: int = 3  # AAAA addresses tried
    cafile: str | None = None  # CAs trusted besides the system store (a private CA, the farm's; --ca-file)
    allow_private_networks: bool = False
    tls: bool = True
    ipv6: bool = True


class _Clock:
    def __init__(self, options: TransportOptions):
        self.options = options
        self.end = time.monotonic() + options.deadline

    def timeout(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("探测超出时限")
        return min(self.options.timeout, left)


def _now() -> datetime:
    return datetime.now(UTC)


def _verifying_context(cafile: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if cafile:
        context.load_verify_locations(cafile)
    return context


def _reading_context() -> ssl.SSLContext:
    """No verification and old protocols allowed: only to read the certificate a server presents."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            warnings.catch_warnings()
        ):  # deprecated protocols, on purpose: old servers still present certificates
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pass
    return context


def _handshake(address: str, port: int, host: str, context: ssl.SSLContext, clock: _Clock) -> bytes | None:
    """The DER certificate the server presents after a completed handshake."""
    with socket.create_connection((address, port), timeout=clock.timeout()) as raw:
        raw.settimeout(clock.timeout())
        with context.wrap_socket(raw, server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True)


def read_certificate(der: bytes) -> Certificate:
    cert = x509.load_der_x509_certificate(der)
    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        names = [
            *san.get_values_for_type(x509.DNSName),
            *(str(a) for a in san.get_values_for_type(x509.IPAddress)),
        ]
    except (x509.ExtensionNotFound, ValueError):
        pass
    return Certificate(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        names=tuple(names),
    )


def _address(url: str, policy: GuardPolicy) -> str:
    """An address of the URL's host (IPv4 first, as the crawl's), every one passed by the SSRF guard."""
    return str(min(check_url(url, policy), key=lambda a: a.version))


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.hostname or "", port or (443 if parts.scheme == "https" else 80)


def probe_tls(
    url: str, options: TransportOptions = TransportOptions(), clock: _Clock | None = None
) -> TlsProbe:
    """Verify the certificate of an https URL's host; read it even when verification fails."""
    clock = clock or _Clock(options)
    host, port = _host_port(url)
    probe = TlsProbe(host=host, port=port, probed_at=_now())
    try:
        address = _address(url, GuardPolicy(options.allow_private_networks))
    except BlockedAddressError as exc:
        return replace(probe, error=f"guard: {exc}")
    except (OSError, ValueError) as exc:
        return replace(probe, error=f"address: {exc}")
    der: bytes | None = None
    try:
        der = _handshake(address, port, host, _verifying_context(options.cafile), clock)
        probe = replace(probe, verified=True)
    except ssl.SSLCertVerificationError as exc:
        probe = replace(
            probe, verified=False, verify_error=str(exc.verify_message), verify_code=exc.verify_code
        )
    except ssl.SSLError as exc:  # a handshake that failed before any certificate was judged
        probe = replace(probe, error=f"handshake: {exc.reason or exc}")
    except (OSError, TimeoutError) as exc:
        return replace(probe, error=f"connect: {exc}")
    if der is None:
        try:
            der = _handshake(address, port, host, _reading_context(), clock)
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            note = f"certificate not read: {exc}"
            return replace(probe, error=f"{probe.error}; {note}" if probe.error else note)
    if der:
        try:
            probe = replace(probe, certificate=read_certificate(der))
        except ValueError as exc:
            note = f"certificate not parsed: {exc}"
            probe = replace(probe, error=f"{probe.error}; {note}" if probe.error else note)
    return probe


def _lookup(host: str, port: int, family: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))


def _route_problem(address: str, port: int) -> str | None:
    """Why this machine cannot test an IPv6 address: no route to it, or only a non-global source address for a
    global destination (which cannot reach the Internet without translation). A UDP connect sends nothing."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as udp:
            udp.connect((address, port))
            source = ipaddress.ip_address(udp.getsockname()[0].split("%", 1)[0])
    except OSError as exc:
        return f"本机无到 {address} 的IPv6路由（{exc.strerror or exc}）"
    target = ipaddress.ip_address(address)
    if target.is_global and not source.is_global:
        return f"本机没有公网IPv6地址（源地址 {source}），无法测试 {address}"
    return None


def _connect(address: str, port: int, family: int, clock: _Clock) -> None:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(clock.timeout())
        sock.connect((address, port))


def _ipv4_answers(url: str, host: str, port: int, options: TransportOptions, clock: _Clock) -> bool:
    """The control: the same host and port over IPv4, so an IPv6 failure is the site's, not the network's."""
    try:
        addresses = [
            a for a in map(str, check_url(url, GuardPolicy(options.allow_private_networks))) if "." in a
        ]
    except (BlockedAddressError, OSError, ValueError):
        return False
    for address in addresses[: options.max_addresses]:
        try:
            _connect(address, port, socket.AF_INET, clock)
            return True
        except (OSError, TimeoutError):
            continue
    return False


def probe_ipv6(
    url: str, options: TransportOptions = TransportOptions(), clock: _Clock | None = None
) -> Ipv6Probe:
    """Whether the URL's host has an AAAA record and answers over IPv6 (a TCP connection to its port)."""
    clock = clock or _Clock(options)
    host, port = _host_port(url)
    probe = Ipv6Probe(host=host, port=port, status="not_tested", probed_at=_now())
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and literal.version == 4:
        return replace(probe, reason="网址为IPv4地址，无从测试IPv6")
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = _lookup(host, port, socket.AF_INET6)
        except socket.gaierror as exc:
            if exc.errno not in _NO_RECORD:
                return replace(probe, reason=f"AAAA查询失败：{exc}")
            try:
                _lookup(host, port, socket.AF_INET)
            except OSError as again:
                return replace(probe, reason=f"域名解析失败，无从判断：{again}")
            return replace(probe, status="no_aaaa", reason=f"{host} 没有AAAA记录")
        except OSError as exc:
            return replace(probe, reason=f"AAAA查询失败：{exc}")
        if addresses and all(any(ipaddress.ip_address(a) in net for net in _NAT64) for a in addresses):
            return replace(
                probe,
                status="no_aaaa",
                addresses=tuple(addresses),
                reason="仅有DNS64合成的地址，没有AAAA记录",
            )
    probe = replace(probe, addresses=tuple(addresses))
    notes: list[str] = []
    tested = 0
    for address in addresses[: options.max_addresses]:
        problem = address_problem(ipaddress.ip_address(address))
        if problem and not options.allow_private_networks:
            notes.append(f"{address}：{problem}，已拒绝访问")
            continue
        route = _route_problem(address, port)
        if route:
            notes.append(route)
            continue
        tested += 1
        for attempt in range(options.attempts):
            if attempt:
                time.sleep(min(options.retry_spacing, max(0.0, clock.end - time.monotonic())))
            try:
                _connect(address, port, socket.AF_INET6, clock)
                return replace(probe, status="served", reason=None)
            except (OSError, TimeoutError) as exc:
                if isinstance(exc, OSError) and exc.errno in _NO_ROUTE:
                    notes.append(f"本机无到 {address} 的IPv6路由（{exc.strerror}）")
                    tested -= 1
                    break
                if attempt == options.attempts - 1:
                    notes.append(
                        f"{address}:{port} 连接失败：{exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}"
                    )
    if not tested:
        return replace(probe, reason="；".join(notes) or "没有可测试的IPv6地址")
    if literal is None and not _ipv4_answers(url, host, port, options, clock):
        return replace(probe, reason="；".join([*notes, "IPv4也无法连接，无从判断"]))
    return replace(probe, status="unreachable", reason="；".join(notes))


def probe_transport(transport: Transport, url: str, options: TransportOptions) -> Transport:
    """Both probes of a site whose homepage answered at ``url`` (its final URL). Never raises."""
    if transport.scheme not in ("http", "https"):
        return transport
    clock = _Clock(options)
    tls = ipv6 = None
    if options.tls and transport.scheme == "https":
        try:
            tls = probe_tls(url, options, clock)
        except Exception as exc:  # a probe must not fail the run: the error is the result
            tls = TlsProbe(*_host_port(url), _now(), error=f"probe: {exc!r}")
    if options.ipv6:
        try:
            ipv6 = probe_ipv6(url, options, clock)
        except Exception as exc:
            ipv6 = Ipv6Probe(*_host_port(url), "not_tested", reason=f"探测出错：{exc!r}", probed_at=_now())
    return replace(transport, tls=tls, ipv6=ipv6)
