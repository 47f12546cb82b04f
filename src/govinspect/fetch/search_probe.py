"""Sending a site's search requests after the crawl (the network half of ``search.broken``).

One request at a time, as a browser would send it (GET with the form's query, or a urlencoded POST, the
homepage as Referer), redirects followed by hand so the SSRF guard sees every hop, ``timeout`` seconds for each
whole answer, at most ``MAX_BODY`` bytes read; a failed request is asked again after ``retry_spacing``. After each answer the caller's ``judge`` says whether the article
was found; the next request (another article) is sent only while the answers say "not found": one success
settles it, and a search is never called broken on one article alone.

The requests are duck-typed (``url``, ``method``, ``body``, ``content_type``, ``referer``) so this module needs
nothing of extract/, which sits above it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar
from urllib.parse import urljoin

import httpx

from govinspect.fetch.guard import BlockedAddressError, GuardPolicy, check_url
from govinspect.fetch.linkcheck import DEFAULT_AGENT, LinkCheckOptions, classify, tls_settings

MAX_BODY = 2 * 1024 * 1024
MAX_REDIRECTS = 5


class SearchRequestLike(Protocol):
    url: str
    method: str
    body: bytes | None
    content_type: str | None
    referer: str | None


@dataclass
class SearchResponse:
    url: str  # after redirects
    status: int | None
    error: str | None = None  # an error class of fetch.linkcheck.classify, or "too_large"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


R = TypeVar("R")


async def _fetch(
    client: httpx.AsyncClient, request: SearchRequestLike, options: LinkCheckOptions, policy: GuardPolicy
) -> SearchResponse:
    url, method, body = request.url, request.method.upper(), request.body
    headers = {"Referer": request.referer} if request.referer else {}
    if body is not None and request.content_type:
        headers["Content-Type"] = request.content_type
    for _ in range(MAX_REDIRECTS + 1):
        try:
            await asyncio.to_thread(check_url, url, policy)
            async with (
                asyncio.timeout(options.timeout),
                client.stream(method, url, content=body, headers=headers) as response,
            ):
                status = response.status_code
                location = response.headers.get("location")
                if status in (301, 302, 303, 307, 308) and location:
                    url = urljoin(url, location)
                    if status in (301, 302, 303) and method == "POST":
                        method, body = "GET", None
                        headers.pop("Content-Type", None)
                    continue
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > MAX_BODY:
                        return SearchResponse(url, status, "too_large")
                return SearchResponse(
                    url,
                    status,
                    None if status < 400 else "http",
                    b"".join(chunks),
                    {k.lower(): v for k, v in response.headers.items()},
                )
        except TimeoutError:
            return SearchResponse(url, None, "timeout")
        except (httpx.HTTPError, BlockedAddressError, OSError) as exc:
            return SearchResponse(url, None, classify(exc))
        except (ValueError, UnicodeError):
            return SearchResponse(url, None, "invalid_url")
    return SearchResponse(url, None, "redirect_loop")


async def probe_search_async(
    requests: Sequence[SearchRequestLike],
    judge: Callable[[SearchRequestLike, SearchResponse], R],
    options: LinkCheckOptions,
) -> list[R]:
    results: list[R] = []
    if not requests:
        return results
    policy = GuardPolicy(options.allow_private_networks)
    headers = {"User-Agent": options.user_agent or DEFAULT_AGENT, "Accept": "text/html,*/*;q=0.8"}
    async with httpx.AsyncClient(
        timeout=options.timeout, headers=headers, follow_redirects=False, **tls_settings(options)
    ) as client:
        for request in requests:
            response = await _fetch(client, request, options, policy)
            if response.error not in (None, "blocked_ssrf", "invalid_url") or (response.status or 0) >= 500:
                # a failure is asked again after a spacing, as a link is: one dropped request is not a verdict
                await asyncio.sleep(options.retry_spacing)
                response = await _fetch(client, request, options, policy)
            result = judge(request, response)
            results.append(result)
            if getattr(result, "found", None) is not False:
                break  # found, or not judgeable (a refusal): another article would not change that
    return results


def probe_search(
    requests: Sequence[SearchRequestLike],
    judge: Callable[[SearchRequestLike, SearchResponse], R],
    options: LinkCheckOptions,
) -> list[R]:
    """Send the requests in order until one is judged found (or not judgeable); the judgements sent."""
    if not requests:
        return []
    return asyncio.run(probe_search_async(requests, judge, options))
