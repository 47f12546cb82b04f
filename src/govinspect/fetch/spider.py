"""The Scrapy side of a crawl: the spider, the SSRF guard (a resolver and a downloader middleware), failure
classes, and the rules that keep one broken site from holding up the others.

Runs only inside the crawl worker process (``fetch.worker``); ``fetch.crawl`` is the API.

Extension point for JavaScript rendering: a page whose links only a browser can see is, today, stored as
fetched. Rendering belongs in a downloader middleware placed after ``GuardMiddleware`` that, for requests
with ``meta["gi_render"]`` set, fetches through Playwright/Chromium (scrapy-playwright's download handler) and
returns an ``HtmlResponse``; ``GovSpider.parse`` would set that flag for pages matching a list of known
JS-only CMS markers. Not implemented.
"""

from __future__ import annotations

import heapq
import ipaddress
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url
from zope.interface import implementer, provider

from govinspect.fetch.encoding import decode_html, header_charset, meta_charset
from govinspect.fetch.guard import address_problem
from govinspect.fetch.links import MAX_LINKS, absolute, extract_links, is_file_url
from govinspect.store.snapshots import SnapshotRecord, Validators

# A firewall's or WAF's answer: the site is up but refuses us. Not a failure of the site.
BLOCKED_STATUSES = frozenset({401, 403, 412, 429, 451})
NETWORK_ERRORS = frozenset({"dns", "connect", "tls", "timeout", "reset"})

# Hosts the resolver refused, host → reason (the worker process is single-crawl).
BLOCKED_HOSTS: dict[str, str] = {}


# --- the SSRF guard -------------------------------------------------------------------------------------


class SSRFRefused(IgnoreRequest):
    """The URL's address is not public and private networks are not allowed."""


class SiteStopped(IgnoreRequest):
    """The site ran out of its time budget or failed too often in a row; queued requests are dropped."""


@provider(IResolutionReceiver)
class _GuardedReceiver:
    def __init__(self, receiver: Any, host: str, allow_private: bool):
        self.receiver = receiver
        self.host = host
        self.allow_private = allow_private
        self.addresses: list[Any] = []

    def resolutionBegan(self, resolution: Any) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: Any) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        problem = None
        if not self.allow_private:
            for address in self.addresses:
                try:
                    ip = ipaddress.ip_address(str(address.host).split("%", 1)[0])
                except ValueError:
                    problem = f"无法识别的地址 {address.host}"
                    break
                reason = address_problem(ip)
                if reason:
                    problem = f"{self.host} 解析到{reason} {ip}，已拒绝访问"
                    break
        if problem:
            BLOCKED_HOSTS[self.host] = problem
        else:
            for address in self.addresses:
                self.receiver.addressResolved(address)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedResolver:
    """Refuses non-public answers at connect time: the address checked is the address connected to, so a
    name that resolves differently on a second lookup (DNS rebinding) cannot slip through."""

    def __init__(self, reactor_: Any, allow_private: bool):
        self.reactor = reactor_
        self.original = reactor_.nameResolver
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        return cls(reactor, crawler.settings.getbool("GOVINSPECT_ALLOW_PRIVATE_NETWORKS"))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: Any,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Any = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        return self.original.resolveHostName(
            _GuardedReceiver(resolutionReceiver, hostName, self.allow_private),
            hostName,
            portNumber,
            addressTypes,
            transportSemantics,
        )


class GuardMiddleware:
    """Every request, including every redirect and robots.txt: only http(s); literal non-public addresses
    refused before any connection; requests of a stopped site dropped; the send time noted."""

    def __init__(self, allow_private: bool, crawler: Any = None):
        self.allow_private = allow_private
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> GuardMiddleware:
        return cls(crawler.settings.getbool("GOVINSPECT_ALLOW_PRIVATE_NETWORKS"), crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SSRFRefused(f"只能访问 http 或 https 网址：{request.url[:200]}")
        host = parts.hostname
        if host in BLOCKED_HOSTS:
            raise SSRFRefused(BLOCKED_HOSTS[host])
        if not self.allow_private:
            try:
                literal = ipaddress.ip_address(host)
            except ValueError:
                literal = None
            if literal is not None:
                problem = address_problem(literal)
                if problem:
                    raise SSRFRefused(
                        f"{host} 是{problem}，已拒绝访问（如确需检查内网网站，请使用 --allow-private-networks）"
                    )
        # Scrapy >= 2.13 no longer passes the spider to middlewares: it is the crawler's.
        spider = spider if spider is not None else getattr(self.crawler, "spider", None)
        site = request.meta.get("gi_site")
        owner = getattr(spider, "sites", {}).get(site) if spider is not None else None
        if owner is not None and owner.stopped and request.meta.get("gi_kind") != "homepage":
            raise SiteStopped(owner.stopped)
        request.meta.setdefault("gi_t0", time.monotonic())


# --- failures -------------------------------------------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        for reason in getattr(e, "reasons", None) or []:
            stack.append(getattr(reason, "value", reason))
        stack.extend([e.__cause__, e.__context__])  # type: ignore[list-item]


def classify_failure(failure: Failure, host: str | None) -> tuple[str, str]:
    """An error class (see store.snapshots.ERROR_CLASSES) and a message for a failed request."""
    exc = failure.value
    message = f"{type(exc).__name__}: {exc}"[:1000]
    names = [type(e).__name__ for e in _chain(exc)]
    text = " ".join(str(e) for e in _chain(exc)).lower()
    if isinstance(exc, SSRFRefused):
        return "blocked_ssrf", str(exc)
    if (
        host
        and host in BLOCKED_HOSTS
        and any(n in ("DNSLookupError", "CannotResolveHostError") for n in names)
    ):
        return "blocked_ssrf", BLOCKED_HOSTS[host]
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in text:
            return "robots", message
        if "redirect" in text:
            return "redirect_loop", message
        if "maxsize" in text or "max size" in text:
            return "too_large", message
        return "other", message
    if "max size" in text or "maxsize" in text or "DownloadCancelledError" in names:
        # Scrapy cancels a download only for its size (timeouts have their own error)
        return "too_large", message
    for n in names:
        if n in ("DNSLookupError", "CannotResolveHostError", "DNSNameError", "gaierror"):
            return "dns", message
    for n in names:
        if "SSL" in n or "TLS" in n or (n in ("Error",) and "ssl" in text):
            return "tls", message
    if "ssl" in text or "certificate" in text or "handshake" in text:
        return "tls", message
    for n in names:
        if "Timeout" in n or "TimedOut" in n:
            return "timeout", message
    if "took longer than" in text:
        return "timeout", message
    for n in names:
        if n in ("ConnectionRefusedError", "DownloadConnectionRefusedError", "ConnectError", "NoRouteError"):
            return "connect", message
    for n in names:
        if n in (
            "ConnectionLost",
            "ConnectionDone",
            "ResponseFailed",
            "ResponseNeverReceived",
            "_DataLoss",
            "ResponseDataLossError",
            "ConnectionAborted",
            "ConnectionResetError",
            "DownloadFailedError",
        ):
            return "reset", message
    return "other", message


def status_error(status: int) -> str | None:
    if status in BLOCKED_STATUSES:
        return "blocked"
    if status >= 400:
        return "http"
    return None


@lru_cache(maxsize=100_000)
def netloc_key(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    if port is None or (parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443):
        return host
    return f"{host}:{port}"


def _headers(response: Response, limit: int = 200) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, values in list(response.headers.items())[:limit]:
        key = name.decode("latin-1").lower()[:200]
        out[key] = [v.decode("latin-1")[:2000] for v in values[:20]]
    return out


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _is_textual(content_type: str | None, body: bytes) -> bool:
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype and not (
        ctype.startswith("text/") or ctype in ("application/xhtml+xml", "application/xml", "application/json")
    ):
        return False
    return b"\x00" not in body[:2048]


# --- what to fetch first -------------------------------------------------------------------------------
#
# A site has far more pages than the budget (200 by default), so the order matters: the checks need the
# homepage, the 网站地图, every column's list page (newest date, blank or not), the first pagination page,
# the newest detail pages of each column (metadata, their links), and only then the rest. Each site keeps its
# own frontier (a heap by these priorities) and hands Scrapy only a few requests at a time (``_pump``): the
# budget is spent when a URL leaves the frontier, so it covers the most useful pages known at that moment.
# (Scrapy's own priority queue would not do: its engine pulls up to CONCURRENT_REQUESTS requests ahead into
# the downloader, so a site crawled alone would spend its budget on whatever it found first.) A page's role
# is read from its URL's shape (the rules of ``extract.columns`` for articles, copied: fetch sits below
# extract) and from the page that linked it.

_HOME_ALIAS = re.compile(
    r"^/(?:(?:index|default|main|home)\.(?:s?html?|jsp|aspx?|php))?$", re.I
)  # / or /index.html
URL_LENGTH_LIMIT = 2083  # Scrapy's UrlLengthMiddleware would drop longer ones silently
_ARTICLE_URL = re.compile(
    r"/art_\d+_\d+\.|/art/\d{4}/|/content[_-]\d+|/content\.jsp|/t\d{8}_\d+|/\d{4}-\d{2}/\d{2}/|"
    r"/\d{4}/\d{2}/?\d{2}/|/20\d{6}/|/c\d+[a-]\d+/page\.htm|/info/\d+/\d+\.htm|/news/\d{5,}|detail|"
    r"showinfo|[?&](?:articleid|newsid|infoid|docid|contentid|aid)=|/\d{6,}\.s?html?$",
    re.I,
)
_PAGINATION_URL = re.compile(
    r"[_-](?P<n>\d{1,4})\.(?:s?html?|jsp|aspx?|php)$|"
    r"[?&](?:page|pageno|pagenum|pageindex|curpage|currentpage|pn|p)=(?P<q>\d{1,5})(?:&|$)",
    re.I,
)
_SITEMAP_URL = re.compile(r"sitemap|site_map|webmap|/wzdt(?:[/._]|$)|/zddt(?:[/._]|$)", re.I)
_ANCHOR = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*["']?([^"'\s>]+)[^>]*>(.{0,400}?)</a\s*>""", re.I | re.S)
_TAG = re.compile(r"<[^>]*>|&nbsp;|\s+")
_SITEMAP_TEXT = re.compile(r"网站地图|站点地图|网站导航")
# Columns an inspector reads first and the indicators time most strictly (动态要闻: 2 weeks; 通知公告: 6 months):
# their older pages come before the older pages of other columns. A crawl-order hint only; the column
# classes that judge staleness are the profile's.
_HOT_TEXT = re.compile(r"要闻|动态|新闻|资讯|通知|公告|公示")
# Message boards: the interaction checks read every list page (an unanswered message of last summer sits on
# page 3), but the rows carry what they need, so the detail pages can wait.
_BOARD_TEXT = re.compile(r"留言|咨询|信箱|问政|建言|写信|投诉")
# Policy documents, their interpretations, service guides and surveys: each detail page is evidence of its own
# (文号 and links both ways, a guide's elements, a survey's period), so all of a list's items come before other
# articles.
_DEEP_TEXT = re.compile(r"政策文件|规范性文件|政府文件|文件|解读|办事指南|服务指南|指南|征集|调查|征求意见")
HOT = frozenset({"hot", "hotpage"})
BOARD = frozenset({"board", "boardpage"})
DEEP = frozenset({"deep", "deeppage"})
_LISTS = frozenset({"list", "pagination", "sitemap", *HOT, *BOARD, *DEEP})
_PAGE_OF = {"hot": "hotpage", "hotpage": "hotpage", "board": "boardpage", "boardpage": "boardpage"}
_PAGE_OF |= {"deep": "deeppage", "deeppage": "deeppage"}


def url_role(url: str, parent: str) -> str:
    """``article`` (a detail page), ``pagination`` / ``hotpage`` (a further page of a list, of a hot list)
    or ``list`` (a column)."""
    if _ARTICLE_URL.search(url):
        return "article"
    m = _PAGINATION_URL.search(url)
    if m and parent in _LISTS:
        number = int(m.group("n") or m.group("q"))
        # list_2.html is a page of a list; node_1234.html is a column of its own
        if 0 < number <= 200:
            return _PAGE_OF.get(parent, "pagination")
    return "list"


def anchor_roles(text: str, page_url: str) -> dict[str, str]:
    """On a homepage or site map: URL → ``sitemap`` or ``hot`` (a news or notice column), from the anchor
    texts."""
    out: dict[str, str] = {}
    for m in islice(_ANCHOR.finditer(text), MAX_LINKS):  # a trap page's 50,000 anchors: the first are enough
        label = _TAG.sub("", m.group(2))
        if not label or len(label) > 30:
            continue
        role = next(
            (
                name
                for name, pattern in (
                    ("sitemap", _SITEMAP_TEXT),
                    ("board", _BOARD_TEXT),
                    ("deep", _DEEP_TEXT),
                    ("hot", _HOT_TEXT),
                )
                if pattern.search(label)
            ),
            None,
        )
        if role is None:
            continue
        url = absolute(page_url, m.group(1).replace("&amp;", "&"))
        if url and not _ARTICLE_URL.search(url):
            out.setdefault(url, role)
    return out


def _pagination_priority(role: str, number: int) -> int:
    """The n-th further page of a list: the first one soon after the columns, the rest late."""
    n = min(number, 50)
    if role in BOARD:
        return 530 if number == 1 else 490 - n  # every page of a board before the articles
    if role in ("hot", "deep"):
        return 520 if number == 1 else 260 - n
    if role in ("list", "home", "sitemap"):
        return 500 if number == 1 else 150 - n
    if role in ("hotpage", "deeppage"):
        return 250 - n
    return 100 - n


def _link_priority(role: str, child: str, articles_before: int) -> int:
    """Priority of a link of ``child`` role found on a page of ``role``; ``articles_before``: article
    links seen earlier on the page (lists put the newest first)."""
    i = min(articles_before, 50)
    if child == "sitemap":
        return 800
    if child in ("list", "hot", "board", "deep"):
        bonus = 0 if child == "list" else 20
        base = {"home": 700, "sitemap": 650, "list": 400, "hot": 400, "pagination": 300, "hotpage": 300}
        return base.get(role, 250) + bonus
    if child in ("pagination", "hotpage", "boardpage", "deeppage"):
        if role in BOARD:
            return 490
        return 450 if role in ("list", "hot", "deep", "sitemap", "home") else 100
    # article pages
    if role == "home":
        return 300 - i
    if role == "list":
        return (350 if articles_before < 5 else 200) - i
    if role == "hot":
        return (350 if articles_before < 5 else 280) - i
    if role in DEEP:
        return 345 - i // 10
    if role in BOARD:
        return (300 if articles_before < 3 else 150) - i
    if role == "hotpage":
        return 270 - i
    if role in ("sitemap", "pagination"):
        return 100 - i
    return 50


# --- the spider -----------------------------------------------------------------------------------------


@dataclass
class SiteState:
    code: str
    start_url: str
    allowed: set[str]
    started: float = field(default_factory=time.monotonic)  # when the site was given its first request
    scheduled: int = 0  # page requests handed to Scrapy (the budget), the homepage included
    queued: int = 0  # URLs ever put in the frontier
    frontier: list[tuple[int, int, str, int, str, str]] = field(default_factory=list)  # heap, see _pump
    inflight: int = 0  # page requests handed to Scrapy and not yet answered
    files_checked: int = 0
    seen: set[str] = field(default_factory=set)  # canonical URLs requested
    looked_at: set[str] = field(default_factory=set)  # URLs as found, to skip the known ones cheaply
    consecutive_failures: int = 0
    stopped: str | None = None
    homepage_attempts: int = 0
    homepage_done: bool = False
    outstanding: int = 0  # requests of every kind made and not yet answered (pages, homepages, HEADs)
    timers: int = 0  # homepage retries waiting to be sent
    active: bool = False  # among the sites being crawled (the window of ``max_active_sites``)
    finished: bool = False  # announced through ``site_done``
    # Found and never fetched (budget spent, site stopped), counted up to MAX_UNFETCHED: ``unfetched_columns`` are
    # column pages (not further pages of a list, not articles), which a crawl that samples a big site still reads
    # first, so any left means the pages read are not the site's columns (a crawler trap, a stopped site).
    unfetched: int = 0
    unfetched_columns: int = 0
    unfetched_sample: list[str] = field(default_factory=list)  # a few of those columns, for the evidence


MAX_UNFETCHED = 2_000  # counted after the budget is spent: evidence, not a census
_COLUMN_ROLES = frozenset({"list", "sitemap", "hot", "board", "deep"})


def _unfetched(site: SiteState, found: Iterable[tuple[str, str]]) -> None:
    """Counts URLs (with their roles) that will never be fetched (not /index.html beside /: the homepage again)."""
    for url, role in found:
        parts = urlsplit(url)
        if _HOME_ALIAS.match(parts.path) and not parts.query:
            continue
        site.unfetched += 1
        if role in _COLUMN_ROLES:
            site.unfetched_columns += 1
            if len(site.unfetched_sample) < 5:
                site.unfetched_sample.append(url)


def _left_in(frontier: Iterable[tuple[int, int, str, int, str, str]]) -> Iterator[tuple[str, str]]:
    return ((url, role) for _, _, url, _, _, role in frontier)


Sink = Callable[[SnapshotRecord], None]
SiteDone = Callable[[str], None]
Loader = Callable[[str], bytes | None]


class GovSpider(scrapy.Spider):
    name = "govinspect"

    def __init__(
        self,
        *,
        targets: list[tuple[str, str]],
        options: Any,
        crawl_id: int,
        sink: Sink,
        validators: dict[tuple[str, str], Validators],
        load_body: Loader,
        site_done: SiteDone | None = None,
        **kwargs: Any,
    ):
        """``site_done(code)``: called once per site when nothing of it is left to fetch, so the judging of the
        sites crawled first overlaps the crawl of the rest (runs/inspect.py)."""
        super().__init__(**kwargs)
        self.site_done = site_done
        self.options = options
        self.crawl_id = crawl_id
        self.sink = sink
        self.validators = validators
        self.load_body = load_body
        self.sites: dict[str, SiteState] = {
            code: SiteState(code, url, {netloc_key(url)}) for code, url in targets
        }
        self.waiting = list(self.sites.values())  # not started yet, in the order given
        self.waiting.reverse()
        self.timers = 0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> GovSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    def _idle(self) -> None:
        if self.timers:
            raise DontCloseSpider
        # A request Scrapy dropped without a callback would leave its site waiting: start it again.
        woken = False
        for site in self.sites.values():
            if not site.active or site.finished:
                continue
            site.inflight = site.outstanding = 0
            for request in self._pump(site):
                self.crawler.engine.crawl(request)
                woken = True
            self._settle(site)
        if self.waiting:
            for request in self._activate():
                self.crawler.engine.crawl(request)
            woken = True
        if woken:
            raise DontCloseSpider

    def _window(self) -> int:
        """How many sites are crawled at once: enough to keep every download slot busy, so that a site's time
        budget counts from its own start, and sites finish (and are judged) one after another, not all at the
        end of a long crawl."""
        opts = self.options
        if getattr(opts, "max_active_sites", None):
            return opts.max_active_sites
        return max(8, 2 * opts.concurrency // max(1, opts.concurrency_per_host))

    def _activate(self) -> Iterator[Request]:
        active = sum(1 for s in self.sites.values() if s.active and not s.finished)
        while self.waiting and active < self._window():
            site = self.waiting.pop()
            site.active = True
            site.started = time.monotonic()
            site.seen.add(canonicalize_url(site.start_url))
            site.scheduled = 1  # the homepage is a page of the budget
            active += 1
            yield self._homepage_request(site, 1)

    def _settle(self, site: SiteState) -> None:
        """Announce the site once nothing of it is in flight, waiting or left in its frontier; start the next."""
        if site.finished or site.outstanding > 0 or site.timers > 0:
            return
        if site.frontier and not site.stopped and site.scheduled < self.options.max_pages:
            return
        site.finished = True
        if self.site_done is not None:
            self.site_done(site.code)
        for request in self._activate():
            self.crawler.engine.crawl(request)

    async def start(self):  # type: ignore[override]
        for request in self._activate():
            yield request

    # requests ------------------------------------------------------------------------------------------
    def _request(
        self, site: SiteState, url: str, *, depth: int, kind: str, referrer: str | None, **kw: Any
    ) -> Request:
        meta = {"gi_site": site.code, "gi_depth": depth, "gi_kind": kind, "gi_url": url, "gi_ref": referrer}
        meta.update(kw.pop("meta", {}))
        headers = {}
        if referrer:
            headers["Referer"] = referrer
        site.outstanding += 1
        prior = self.validators.get((site.code, url)) if self.options.conditional_get else None
        if prior is not None and kind != "file":
            if prior.etag:
                headers["If-None-Match"] = prior.etag
            if prior.last_modified:
                headers["If-Modified-Since"] = prior.last_modified
            meta["gi_prior"] = prior
        return Request(
            url,
            callback=self.parse,
            errback=self.failed,
            meta=meta,
            headers=headers,
            dont_filter=True,
            **kw,
        )

    def _homepage_request(self, site: SiteState, attempt: int) -> Request:
        site.homepage_attempts = attempt
        return self._request(
            site,
            site.start_url,
            depth=0,
            kind="homepage",
            referrer=None,
            priority=1000,
            meta={"dont_retry": True, "gi_attempt": attempt},
        )

    def _retry_homepage_later(self, site: SiteState) -> None:
        self.timers += 1
        site.timers += 1

        def fire() -> None:
            self.timers -= 1
            site.timers -= 1
            self.crawler.engine.crawl(self._homepage_request(site, site.homepage_attempts + 1))

        from twisted.internet import reactor  # the one Scrapy installed

        reactor.callLater(self.options.homepage_retry_spacing_s, fire)  # type: ignore[attr-defined]

    def _over_time(self, site: SiteState) -> bool:
        budget = self.options.site_time_budget_s
        if budget and not site.stopped and time.monotonic() - site.started > budget:
            site.stopped = f"time_budget: 超过单站时间预算 {budget:g} 秒"
        return site.stopped is not None

    def _follow(
        self, site: SiteState, response_url: str, links: Any, depth: int, role: str, text: str
    ) -> Iterator[Request]:
        opts = self.options
        if self._over_time(site):
            return
        # JS pagination stays at the depth of its list; it is the same list.
        for number, url in enumerate(links.pagination, 1):
            priority = _pagination_priority(role, number) - depth
            self._new(site, url, depth, response_url, priority, _PAGE_OF.get(role, "pagination"))
        if depth + 1 <= opts.max_depth:
            named = anchor_roles(text, response_url) if role in ("home", "sitemap") else {}
            articles = 0
            for url in links.pages:
                if is_file_url(url):
                    continue
                child = url_role(url, role)
                if child == "list" and (role == "home" or url in named):
                    child = named.get(url) or ("sitemap" if _SITEMAP_URL.search(url) else "list")
                priority = _link_priority(role, child, articles) - (depth + 1)
                if _HOME_ALIAS.match(urlsplit(url).path) and not urlsplit(url).query:
                    priority = -50  # /index.html beside /: the homepage again, as a rule
                if child == "article":
                    articles += 1
                self._new(site, url, depth + 1, response_url, priority, child)
        for url in links.files:
            if site.files_checked >= opts.max_file_checks or netloc_key(url) not in site.allowed:
                continue
            key = canonicalize_url(url)
            if key in site.seen:
                continue
            site.seen.add(key)
            site.files_checked += 1
            yield self._request(
                site, url, depth=depth + 1, kind="file", referrer=response_url, method="HEAD", priority=-100
            )

    def _new(self, site: SiteState, url: str, depth: int, referrer: str, priority: int, role: str) -> None:
        """Puts a URL in the site's frontier (once)."""
        if url in site.looked_at or netloc_key(url) not in site.allowed or len(url) > URL_LENGTH_LIMIT:
            return
        left = self.options.max_pages - site.scheduled
        if left <= 0 and site.unfetched >= MAX_UNFETCHED:  # beyond it the count is a floor; sets stay bounded
            return
        site.looked_at.add(url)
        key = canonicalize_url(url)
        if key in site.seen:
            return
        site.seen.add(key)
        if left <= 0:  # found once the budget is spent: counted, never fetched
            _unfetched(site, [(url, role)])
            return
        site.queued += 1
        heapq.heappush(site.frontier, (-priority, site.queued, url, depth, referrer, role))
        if len(site.frontier) > 2 * left + 64:
            # Only the best ``left`` can still be fetched: later finds only add competition. Bounds memory.
            site.frontier.sort()
            _unfetched(site, _left_in(site.frontier[left:]))
            del site.frontier[left:]

    def _pump(self, site: SiteState) -> Iterator[Request]:
        """Hands Scrapy the site's most useful URLs, a few at a time (enough to keep its slot busy)."""
        window = max(2, 2 * self.options.concurrency_per_host)
        while site.frontier and site.inflight < window:
            if site.scheduled >= self.options.max_pages or site.stopped:
                _unfetched(site, _left_in(site.frontier))
                site.frontier.clear()
                return
            neg, _, url, depth, referrer, role = heapq.heappop(site.frontier)
            site.scheduled += 1
            site.inflight += 1
            yield self._request(
                site, url, depth=depth, kind="page", referrer=referrer, priority=-neg, meta={"gi_role": role}
            )

    # outcomes ------------------------------------------------------------------------------------------
    def _record(self, request: Request, **fields: Any) -> SnapshotRecord:
        meta = request.meta
        t0 = meta.get("gi_t0")
        latency = meta.get("download_latency")
        elapsed = int(latency * 1000) if latency is not None else None
        if elapsed is None and t0:
            elapsed = int((time.monotonic() - t0) * 1000)
        record = SnapshotRecord(
            site_code=meta["gi_site"],
            url=meta["gi_url"],
            crawl_id=self.crawl_id,
            kind=meta["gi_kind"],
            method=request.method,
            fetched_at=datetime.now(UTC),
            elapsed_ms=elapsed,
            depth=meta["gi_depth"],
            attempt=meta.get("gi_attempt", 1),
            referrer=meta.get("gi_ref"),
            **fields,
        )
        self.sink(record)
        return record

    def parse(self, response: Response) -> Iterator[Request]:  # type: ignore[override]
        site = self.sites[response.meta["gi_site"]]
        site.outstanding = max(0, site.outstanding - 1)
        yield from self._parse(response)
        self._settle(site)

    def failed(self, failure: Failure) -> Iterator[Request]:
        site = self.sites[failure.request.meta["gi_site"]]  # type: ignore[attr-defined]
        site.outstanding = max(0, site.outstanding - 1)
        yield from self._failed(failure)
        self._settle(site)

    def _parse(self, response: Response) -> Iterator[Request]:
        request = response.request
        assert request is not None
        meta = response.meta
        site = self.sites[meta["gi_site"]]
        kind, depth = meta["gi_kind"], meta["gi_depth"]
        site.consecutive_failures = 0
        if kind == "page":
            site.inflight = max(0, site.inflight - 1)
        headers = _headers(response)
        ctype = _first(headers, "content-type")
        status = response.status
        error = status_error(status)
        prior: Validators | None = meta.get("gi_prior")
        body = response.body
        fields: dict[str, Any] = {
            "final_url": response.url,
            "status": status,
            "error": error,
            "headers": headers,
            "content_type": ctype,
            "etag": _first(headers, "etag"),
            "last_modified": _first(headers, "last-modified"),
        }
        if status == 304 and prior is not None:
            fields |= {"body_sha256": prior.body_sha256, "body_size": prior.body_size, "not_modified": True}
            fields["etag"] = fields["etag"] or prior.etag
            fields["last_modified"] = fields["last_modified"] or prior.last_modified
            try:
                body = self.load_body(prior.body_sha256) or b""
            except (OSError, ValueError):
                body = b""
        text = None
        if request.method == "HEAD":
            pass
        elif not _is_textual(ctype, body):
            fields |= {"error": error or "binary", "body_size": len(body)}
            if not error:
                fields["error_message"] = f"不是网页：{(ctype or '?')[:80]}，{len(body)} 字节"
            body = b""
        else:
            fields["declared_charset"] = header_charset(ctype) or meta_charset(body)
            if status != 304:
                fields["body"] = body
            text, fields["encoding"] = decode_html(body, ctype)
        if kind == "homepage":
            if status < 400 or status == 304:
                site.homepage_done = True
                site.allowed.add(netloc_key(response.url))
                for hop in meta.get("redirect_urls", []):
                    site.allowed.add(netloc_key(hop))
            elif (
                (status not in BLOCKED_STATUSES or status == 429)
                and meta.get("gi_attempt", 1) < self.options.homepage_attempts
                and meta.get("gi_url") == site.start_url
            ):
                self._retry_homepage_later(site)
        self._record(request, **fields)
        if text is None or error or netloc_key(response.url) not in site.allowed:
            yield from self._pump(site)
            return
        links = extract_links(
            text,
            response.url,
            encoding=fields.get("encoding") or "utf-8",
            pagination_limit=self.options.max_pagination_pages,
        )
        if depth == 0 and links.redirects:
            # A homepage that forwards by meta refresh or script: the target is the homepage too.
            for url in links.redirects[:2]:
                key = canonicalize_url(url)
                if key in site.seen:
                    continue
                site.seen.add(key)
                site.allowed.add(netloc_key(url))
                yield self._request(site, url, depth=0, kind="homepage", referrer=response.url, priority=900)
        role = "home" if kind == "homepage" else meta.get("gi_role") or url_role(response.url, "list")
        yield from self._follow(site, response.url, links, depth, role, text)
        yield from self._pump(site)

    def _failed(self, failure: Failure) -> Iterator[Request]:
        request: Request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        site = self.sites[meta["gi_site"]]
        if meta["gi_kind"] == "page":
            site.inflight = max(0, site.inflight - 1)
        if isinstance(failure.value, SiteStopped):
            if meta["gi_kind"] == "page":  # scheduled, then dropped: never fetched
                _unfetched(site, [(meta["gi_url"], meta.get("gi_role") or "list")])
            _unfetched(site, _left_in(site.frontier))
            site.frontier.clear()
            return
        host = urlsplit(request.url).hostname
        error, message = classify_failure(failure, host)
        self._record(request, error=error, error_message=message, final_url=request.url)
        if error in NETWORK_ERRORS:
            site.consecutive_failures += 1
            limit = self.options.max_consecutive_failures
            if limit and site.consecutive_failures >= limit and not site.stopped:
                site.stopped = f"unreachable: 连续 {site.consecutive_failures} 次请求失败（{error}）"
        if (
            meta["gi_kind"] == "homepage"
            and meta.get("gi_url") == site.start_url
            and error not in ("blocked_ssrf", "robots")
            and meta.get("gi_attempt", 1) < self.options.homepage_attempts
        ):
            self._retry_homepage_later(site)
        yield from self._pump(site)
