"""Fetching feeds and pages for collection: conditional GET, the SSRF guard on every hop, bounded bodies.

One :class:`Http` per collection: an httpx client, a global and a per-host concurrency limit (an office's
RSSHub instance serves every account from one host, so its limit is an option), redirects followed by hand so
the guard sees each target, and a body cap (a feed is not a video).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from govinspect.fetch.guard import BlockedAddressError, GuardPolicy, check_url
from govinspect.fetch.linkcheck import DEFAULT_AGENT, classify

GUARD_TTL = 60.0


@dataclass(frozen=True)
class FetchOptions:
    timeout: float = 15.0
    concurrency: int = 32
    per_host: int = 8
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = DEFAULT_AGENT
    allow_private_networks: bool = False


@dataclass
class Fetched:
    url: str
    final_url: str
    status: int | None = None
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return self.status is not None and (200 <= self.status < 300 or self.status == 304)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class Http:
    def __init__(self, options: FetchOptions) -> None:
        self.options = options
        self.policy = GuardPolicy(options.allow_private_networks)
        self.overall = asyncio.Semaphore(options.concurrency)
        self.hosts: dict[str, asyncio.Semaphore] = {}
        self.guarded: dict[tuple[str, int], float] = {}
        self.client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Http:
        limits = httpx.Limits(
            max_connections=self.options.concurrency, max_keepalive_connections=self.options.concurrency
        )
        self.client = httpx.AsyncClient(
            timeout=self.options.timeout,
            limits=limits,
            headers={"User-Agent": self.options.user_agent, "Accept": "*/*"},
            follow_redirects=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def _guard(self, url: str) -> None:
        parts = urlsplit(url)
        key = ((parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80))
        loop = asyncio.get_running_loop()
        checked = self.guarded.get(key)
        if checked is not None and loop.time() - checked < GUARD_TTL:
            return
        await asyncio.to_thread(check_url, url, self.policy)
        self.guarded[key] = loop.time()

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """GET with If-None-Match/If-Modified-Since when known; a 304 comes back with an empty body."""
        assert self.client is not None, "use Http as an async context manager"
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(self.options.max_redirects + 1):
            try:
                await self._guard(current)
                host = urlsplit(current).netloc.lower()
                gate = self.hosts.setdefault(host, asyncio.Semaphore(self.options.per_host))
                async with (
                    gate,
                    self.overall,
                    asyncio.timeout(self.options.timeout),
                    self.client.stream("GET", current, headers=headers) as response,
                ):
                    status = response.status_code
                    location = response.headers.get("location")
                    if status in (301, 302, 303, 307, 308) and location:
                        current = urljoin(current, location)
                        continue
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > self.options.max_bytes:
                            return Fetched(url, current, status, "too_large", dict(response.headers))
                    error = None if status < 400 else "http"
                    return Fetched(url, current, status, error, dict(response.headers), bytes(body))
            except TimeoutError:
                return Fetched(url, current, None, "timeout")
            except (httpx.HTTPError, BlockedAddressError, OSError) as exc:
                return Fetched(url, current, None, classify(exc))
            except (ValueError, UnicodeError):
                return Fetched(url, current, None, "invalid_url")
        return Fetched(url, current, None, "redirect_loop")
