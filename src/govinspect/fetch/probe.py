"""Availability probes: one GET of each site's homepage, the whole answer within a time limit (15 s).

A probe opens a connection of its own (no keep-alive between probes: a reused connection would hide a server
that refuses new ones), asks the SSRF guard (``fetch/guard.py``) before every hop, follows redirects itself,
and reads the homepage's body (up to ``max_body`` bytes): a page that sends its headers and then stalls has not
opened. The limit covers the whole probe (name lookup, every hop, the body); the wait for a free slot does not
count. Probes never raise: what happened is recorded in a ``ProbeResult``.

Certificates are not verified here: whether a certificate is valid is the transport check's question
(``checks/transport.py``), and a missing intermediate or a root absent from this machine's store must not make
a site "unreachable". A handshake that fails outright is a ``tls`` failure.

Error classes (stored with each probe): ``dns``, ``connect``, ``tls``, ``timeout``, ``reset``, ``http`` (a
status >= 400 other than a firewall's), ``redirect_loop``, ``blocked`` (401/403/412/429/451: a firewall's
answer, not an outage), ``blocked_ssrf`` (our own guard refused the address), ``invalid_url``, ``other``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from urllib.parse import urljoin

import httpx

from govinspect.fetch.guard import BlockedAddressError, GuardPolicy, check_url
from govinspect.fetch.linkcheck import DEFAULT_AGENT, classify

# A firewall's answers (as the crawl reads them, fetch/spider.py): the site is there but refuses us.
BLOCKED_STATUSES = frozenset({401, 403, 412, 429, 451})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_VANTAGE = "local"


@dataclass(frozen=True)
class ProbeOptions:
    timeout: float = 15.0  # the whole probe: lookup, every hop, the body
    max_redirects: int = 5
    max_body: int = 512 * 1024  # bytes read of the homepage; a longer page has opened
    concurrency: int = 64
    user_agent: str = DEFAULT_AGENT
    allow_private_networks: bool = False
    vantage: str = DEFAULT_VANTAGE


@dataclass(frozen=True)
class ProbeTarget:
    site_code: str
    url: str


@dataclass(frozen=True)
class ProbeResult:
    site_code: str
    url: str
    vantage: str
    probed_at: datetime  # when the probe started (UTC)
    status: int | None = None  # the last answer's status
    latency_ms: int | None = None  # until the body was read, or until the probe gave up
    error: str | None = None  # None: the homepage opened
    final_url: str | None = None
    message: str | None = None  # the error as the library said it (for a person; cut short)

    @property
    def ok(self) -> bool:
        return self.error is None


@cache
def _unverified_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Prober:
    """Probes with one client: one connection per probe, ``concurrency`` probes at a time."""

    def __init__(self, options: ProbeOptions):
        self.options = options
        self.policy = GuardPolicy(options.allow_private_networks)
        self.slots = asyncio.Semaphore(options.concurrency)
        # Name lookups for the guard in threads of their own: the loop's default pool (a few threads on a
        # small machine) would make probes queue for a lookup while their time limit runs.
        self.lookups = ThreadPoolExecutor(
            max_workers=min(options.concurrency, 64), thread_name_prefix="probe"
        )
        self.client = httpx.AsyncClient(
            timeout=options.timeout,
            limits=httpx.Limits(max_connections=options.concurrency, max_keepalive_connections=0),
            headers={
                "User-Agent": options.user_agent,
                "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                "Connection": "close",
            },
            follow_redirects=False,
            verify=_unverified_tls(),
            trust_env=False,
        )

    async def close(self) -> None:
        await self.client.aclose()
        self.lookups.shutdown(wait=False, cancel_futures=True)

    async def __aenter__(self) -> Prober:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _hops(self, url: str) -> tuple[int | None, str | None, str]:
        """(status, error, final URL) of one probe, following redirects with the guard on every hop."""
        loop = asyncio.get_running_loop()
        current = url
        for _ in range(self.options.max_redirects + 1):
            await loop.run_in_executor(self.lookups, check_url, current, self.policy)
            async with self.client.stream("GET", current) as response:
                status = response.status_code
                location = response.headers.get("location")
                if status in REDIRECTS and location:
                    current = urljoin(current, location)
                    continue
                if status < 400:
                    read = 0
                    async for chunk in response.aiter_raw():
                        read += len(chunk)
                        if read >= self.options.max_body:
                            break
                    return status, None, current
            if status in BLOCKED_STATUSES:
                return status, "blocked", current
            return status, "http", current
        return None, "redirect_loop", current

    async def probe(self, target: ProbeTarget) -> ProbeResult:
        async with self.slots:
            started = datetime.now(UTC)
            clock = time.monotonic()
            status: int | None = None
            error: str | None
            final: str | None = None
            message: str | None = None
            try:
                async with asyncio.timeout(self.options.timeout):
                    status, error, final = await self._hops(target.url)
                if error == "redirect_loop":
                    message = f"跳转超过 {self.options.max_redirects} 次仍未到达页面"
            except TimeoutError:
                error, message = "timeout", f"{self.options.timeout:g} 秒内未打开"
            except (httpx.HTTPError, BlockedAddressError, OSError) as exc:
                error = classify(exc)
                if error == "http":  # classify's default: an exception that is not a status
                    error = "other"
                message = str(exc) or type(exc).__name__
            except (ValueError, UnicodeError) as exc:  # a port that is not a number, a host IDNA refuses…
                error, message = "invalid_url", str(exc)
            latency = round((time.monotonic() - clock) * 1000)
        return ProbeResult(
            site_code=target.site_code,
            url=target.url,
            vantage=self.options.vantage,
            probed_at=started,
            status=status,
            latency_ms=latency,
            error=error,
            final_url=final,
            message=message[:500] if message else None,
        )


async def probe_sites_async(
    targets: Sequence[ProbeTarget],
    options: ProbeOptions,
    *,
    delays: Sequence[float] | None = None,
    stop: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ProbeResult]:
    """Probe every target once. ``delays``: seconds to wait before each target's probe (jitter within a round);
    ``stop``: asked before each probe starts — a probe not yet started when it says yes is left out."""
    results: list[ProbeResult | None] = [None] * len(targets)
    done = 0
    stopped = asyncio.Event()

    async def watch() -> None:
        while stop is not None and not stopped.is_set():
            if stop():
                stopped.set()
                return
            await asyncio.sleep(0.2)

    async with Prober(options) as prober:

        async def one(index: int, target: ProbeTarget) -> None:
            nonlocal done
            delay = delays[index] if delays else 0.0
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopped.wait(), delay)
            if stopped.is_set() or (stop is not None and stop()):
                return
            results[index] = await prober.probe(target)
            done += 1
            if progress:
                progress(done, len(targets))

        watcher = asyncio.create_task(watch())
        try:
            await asyncio.gather(*(one(i, t) for i, t in enumerate(targets)))
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
    return [r for r in results if r is not None]


def probe_sites(
    targets: Sequence[ProbeTarget],
    options: ProbeOptions,
    *,
    delays: Sequence[float] | None = None,
    stop: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[ProbeResult]:
    return asyncio.run(probe_sites_async(targets, options, delays=delays, stop=stop, progress=progress))
