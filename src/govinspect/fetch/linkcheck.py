"""Checking link targets: GET (headers only) with spaced retries, politeness per host, the SSRF guard on every hop.

Each attempt, redirects included per hop, gets ``timeout`` seconds for the whole answer (not per read).

HEAD is not used: many government servers answer it 404/405 while GET works. A target that fails is asked
again after ``retry_spacing`` seconds, so a link is reported broken only on two failures (the checks decide).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from urllib.parse import urljoin, urlsplit

import httpx

from govinspect.fetch.guard import BlockedAddressError, GuardPolicy, UnresolvableError, check_url

DEFAULT_AGENT = "Mozilla/5.0 (compatible; govinspect/0.1; government website inspection)"
FAILING_STATUSES = frozenset({404, 410, 500, 502, 503, 504})
GUARD_TTL = 30.0  # seconds a host's checked addresses are trusted within one batch


@dataclass(frozen=True)
class LinkCheckOptions:
    timeout: float = 15.0
    attempts: int = 2
    retry_spacing: float = 2.0
    max_redirects: int = 5
    concurrency: int = 16
    per_host: int = 2
    user_agent: str = DEFAULT_AGENT
    allow_private_networks: bool = False
    ca_file: str | None = None  # CAs trusted besides the system store (--ca-file)
    # netlocs (host:port) whose certificate is not verified: the inspected site's own, which the crawl fetched
    # without verifying; transport.tls judges that certificate once, a link is not broken for it
    unverified_hosts: frozenset[str] = frozenset()


@dataclass
class LinkResult:
    url: str
    statuses: list[int | None] = field(default_factory=list)
    errors: list[str | None] = field(default_factory=list)
    final_url: str | None = None

    @property
    def failed(self) -> bool:
        status = self.statuses[-1] if self.statuses else None
        return status is None or status in FAILING_STATUSES


def classify(exc: BaseException) -> str:
    """An error class a person can read in a report: dns, connect, timeout, reset, tls, …"""
    text = str(exc).lower()
    if isinstance(exc, BlockedAddressError):
        return "dns" if isinstance(exc, UnresolvableError) else "blocked_ssrf"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.TooManyRedirects):
        return "redirect_loop"
    if isinstance(exc, ssl.SSLError) or "ssl" in text or "certificate" in text:
        return "tls"
    if isinstance(exc, httpx.ConnectError):
        if "name or service not known" in text or "nodename" in text or "getaddrinfo" in text:
            return "dns"
        return "connect"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return "reset"
    return "http"


@cache
def _tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle costs more than checking a site's links."""
    context = httpx.create_ssl_context()
    if ca_file:
        context.load_verify_locations(ca_file)
    return context


def tls_settings(options: LinkCheckOptions, limits: httpx.Limits | None = None) -> dict:  # type: ignore[type-arg]
    """httpx client arguments: verify against the system store and ``ca_file``, except ``unverified_hosts``."""
    unverified = ssl._create_unverified_context() if options.unverified_hosts else None
    mounts = {
        f"https://{host}": httpx.AsyncHTTPTransport(verify=unverified, limits=limits or httpx.Limits())
        for host in sorted(options.unverified_hosts)
    }
    return {"verify": _tls_context(options.ca_file), "mounts": mounts or None}


class _Checker:
    def __init__(self, options: LinkCheckOptions):
        self.options = options
        self.policy = GuardPolicy(options.allow_private_networks)
        self.overall = asyncio.Semaphore(options.concurrency)
        self.hosts: dict[str, asyncio.Semaphore] = {}
        self.resolved: dict[tuple[str, int], tuple[float, asyncio.Future[None]]] = {}

    async def _guard(self, url: str) -> None:
        """The SSRF guard, with one name lookup (in a thread) per host and port for ``GUARD_TTL`` seconds
        instead of one per target: a site's hundred targets share it. A failure is shared only by the
        targets waiting on that lookup; the next attempt (the spaced retry) looks the name up again."""
        parts = urlsplit(url)
        try:
            key = ((parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80))
        except ValueError:  # a malformed port: let the guard say what is wrong
            key = (url, 0)
        loop = asyncio.get_running_loop()
        entry = self.resolved.get(key)
        if entry is None or loop.time() - entry[0] > GUARD_TTL:
            pending: asyncio.Future[None] = loop.create_future()
            self.resolved[key] = (loop.time(), pending)
            try:
                await asyncio.to_thread(check_url, url, self.policy)
            except Exception as exc:
                self.resolved.pop(key, None)
                pending.set_exception(exc)
            except BaseException:
                self.resolved.pop(key, None)
                pending.cancel()
                raise
            else:
                pending.set_result(None)
        else:
            pending = entry[1]
        await asyncio.shield(pending)

    def _host_gate(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc.lower()
        return self.hosts.setdefault(host, asyncio.Semaphore(self.options.per_host))

    async def _once(self, client: httpx.AsyncClient, url: str) -> tuple[int | None, str | None, str]:
        current = url
        for _ in range(self.options.max_redirects + 1):
            try:
                await self._guard(current)
                # httpx's timeout is per read: a server trickling its headers a byte at a time would hold the
                # check for ever. The whole answer gets ``timeout`` seconds (the wait for a slot does not count).
                async with (
                    self._host_gate(current),
                    self.overall,
                    asyncio.timeout(self.options.timeout),
                    client.stream("GET", current) as response,
                ):
                    status = response.status_code
                    location = response.headers.get("location")
            except TimeoutError:
                return None, "timeout", current
            except (httpx.HTTPError, BlockedAddressError, OSError) as exc:
                return None, classify(exc), current
            except (ValueError, UnicodeError):  # a port that is not a number, a host IDNA refuses…
                return None, "invalid_url", current
            if status in (301, 302, 303, 307, 308) and location:
                current = urljoin(current, location)
                continue
            return status, None if status < 400 else "http", current
        return None, "redirect_loop", current

    async def check(self, client: httpx.AsyncClient, url: str) -> LinkResult:
        result = LinkResult(url)
        for attempt in range(self.options.attempts):
            if attempt:
                await asyncio.sleep(self.options.retry_spacing)
            status, error, final = await self._once(client, url)
            result.statuses.append(status)
            result.errors.append(error)
            result.final_url = final
            if not result.failed:
                break
        return result


async def check_links_async(
    urls: Iterable[str], options: LinkCheckOptions, progress: Callable[[int, int], None] | None = None
) -> dict[str, LinkResult]:
    unique = list(dict.fromkeys(urls))
    checker = _Checker(options)
    limits = httpx.Limits(max_connections=options.concurrency, max_keepalive_connections=options.concurrency)
    headers = {"User-Agent": options.user_agent, "Accept": "text/html,*/*;q=0.8"}
    results: dict[str, LinkResult] = {}
    async with httpx.AsyncClient(
        timeout=options.timeout,
        limits=limits,
        headers=headers,
        follow_redirects=False,
        **tls_settings(options, limits),
    ) as client:

        async def one(url: str) -> None:
            results[url] = await checker.check(client, url)
            if progress:
                progress(len(results), len(unique))

        await asyncio.gather(*(one(u) for u in unique))
    return {u: results[u] for u in unique}


def check_links(
    urls: Iterable[str], options: LinkCheckOptions, progress: Callable[[int, int], None] | None = None
) -> dict[str, LinkResult]:
    return asyncio.run(check_links_async(urls, options, progress))
