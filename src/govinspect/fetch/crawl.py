"""Crawling sites into the snapshot store: the API the rest of govinspect calls.

``crawl(targets, options, database_url=…, snapshots_dir=…, progress=…)`` records a ``crawls`` row, runs
Scrapy in a separate process (``fetch.worker``; a Twisted reactor cannot restart in-process), forwards
progress, and returns a ``CrawlReport`` built from what was stored. Every request's outcome is a snapshot
(``store.snapshots``): pages with their bodies, failures with an error class.

Scrapy settings and why (``fetch.worker.scrapy_settings``):

* politeness per host: ``CONCURRENT_REQUESTS_PER_DOMAIN`` = ``concurrency_per_host`` (2), ``DOWNLOAD_DELAY``
  = ``delay`` (0.5 s, randomised) and AutoThrottle on, which stretches the delay on slow hosts; hosts are
  crawled in parallel (``CONCURRENT_REQUESTS`` = ``concurrency``) with the downloader-aware priority queue
  recommended for broad crawls, breadth-first within a site (FIFO queues, priority by depth);
* robots.txt (Protego) obeyed unless the operator turns it off, the choice is stored with the crawl;
* 15 s ``DOWNLOAD_TIMEOUT`` (whole download, so a site trickling a byte a second is cut too), 2 retries
  (not of the homepage, whose attempts are spaced and counted separately), ``DOWNLOAD_MAXSIZE`` 5 MB (also
  applied to gzip decompression: bombs stop there), 5 redirects, gzip/deflate/br;
* the SSRF guard twice: a name resolver that refuses non-public answers (the address checked is the one
  connected to, which also defeats DNS rebinding) and a downloader middleware that refuses literal non-public
  addresses and non-http schemes before robots.txt is even fetched — both for every redirect;
* failures are contained per site: a site that fails ``max_consecutive_failures`` network requests in a row,
  or runs past ``site_time_budget_s``, is stopped (its queued requests dropped) and the others go on.

Left for later: rendering with Chromium (extension point in ``fetch.spider``), fetching external link targets
(the link checks verify those), HEAD of files on other hosts.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from govinspect import __version__
from govinspect.store import open_store
from govinspect.store.models import Snapshot
from govinspect.store.snapshots import SnapshotStore

DEFAULT_USER_AGENT = (
    f"Mozilla/5.0 (compatible; govinspect/{__version__}; government website inspection) "
    "AppleWebKit/537.36 (KHTML, like Gecko)"
)


@dataclass(frozen=True)
class CrawlTarget:
    site_code: str
    start_url: str


@dataclass(frozen=True)
class CrawlOptions:
    max_pages: int = 200  # requests for pages per site (files checked by HEAD counted apart)
    max_depth: int = 4
    obey_robots: bool = True
    allow_private_networks: bool = False
    user_agent: str = DEFAULT_USER_AGENT
    concurrency_per_host: int = 2
    concurrency: int = 64
    delay: float = 0.5
    timeout: float = 15.0
    retries: int = 2
    max_response_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    conditional_get: bool = True
    homepage_attempts: int = 3
    homepage_retry_spacing_s: float = 10.0
    max_pagination_pages: int = 10  # JS-only pages scheduled per list (index_1 … index_10)
    max_file_checks: int = 30  # HEAD requests for same-site documents per site
    max_consecutive_failures: int = 10
    site_time_budget_s: float | None = 900.0  # from the site's first request
    max_active_sites: int | None = (
        None  # sites crawled at once (None: 2 × concurrency / concurrency_per_host)
    )
    max_crawl_seconds: float | None = None
    max_memory_mb: int = 1200  # the worker closes the crawl beyond this
    log_level: str = "CRITICAL"  # Scrapy logs every failed robots.txt at ERROR; the snapshots say it all

    def record(self) -> dict[str, Any]:
        """What the crawl row keeps (robots obeyed or not, budgets, user agent, private networks…)."""
        return asdict(self)


@dataclass(frozen=True)
class CrawlProgress:
    site_code: str
    pages: int  # fetched without error
    errors: int
    requests: int
    budget: int


@dataclass
class HomepageAttempt:
    attempt: int
    url: str
    fetched_at: str
    status: int | None
    error: str | None
    message: str | None
    elapsed_ms: int | None
    snapshot_id: int


@dataclass
class SiteReport:
    site_code: str
    start_url: str
    homepage_outcome: str  # ok | blocked (firewall answer) | failed | refused (SSRF guard) | robots | none
    homepage_failed_every_attempt: bool
    homepage_attempts: list[HomepageAttempt]
    homepage_url: str | None  # where the homepage ended up (after redirects)
    homepage_snapshot_id: int | None
    pages: int  # snapshots of pages fetched without error (incl. 304 reuses)
    not_modified: int
    requests: int
    files_checked: int
    errors: dict[str, int]
    blocked: bool  # some answer came from a firewall (401/403/412/429/451)
    stopped: str | None  # why the crawl of this site was cut short (time budget, unreachable)
    budget_exhausted: bool
    outcome: dict[str, Any] | None = None  # how its crawl ended: fetch.worker.site_outcome

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CrawlReport:
    crawl_id: int
    status: str  # finished | killed
    started_at: datetime
    finished_at: datetime | None
    settings: dict[str, Any]
    sites: dict[str, SiteReport] = field(default_factory=dict)
    written: int = 0
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "crawl_id": self.crawl_id,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "settings": self.settings,
            "sites": {k: v.to_json() for k, v in self.sites.items()},
            "problem": self.problem,
        }


def _ended_early(rows: list[Any], options: dict[str, Any]) -> dict[str, Any]:
    """The outcome of a site the worker never reported on (it died or was killed): cut short by the crawl's end."""
    return {
        "reason": "crawl_ended",
        "detail": None,
        "pages": sum(1 for r in rows if r.error is None and r.kind != "file"),
        "requests": len(rows),
        "max_pages": options.get("max_pages"),
        "time_budget_s": options.get("site_time_budget_s"),
    }


def summarise(
    snapshots: SnapshotStore,
    crawl_id: int,
    targets: Sequence[CrawlTarget],
    worker_sites: dict[str, dict[str, Any]] | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, SiteReport]:
    """Per-site reports from the stored snapshots (so a killed crawl is summarised from what it kept)."""
    worker_sites = worker_sites or {}
    options = options or {}
    query = (
        select(
            Snapshot.id,
            Snapshot.site_code,
            Snapshot.kind,
            Snapshot.url,
            Snapshot.final_url,
            Snapshot.status,
            Snapshot.error,
            Snapshot.error_message,
            Snapshot.attempt,
            Snapshot.fetched_at,
            Snapshot.elapsed_ms,
            Snapshot.not_modified,
        )
        .where(Snapshot.crawl_id == crawl_id)
        .order_by(Snapshot.id)
    )
    rows: dict[str, list[Any]] = {t.site_code: [] for t in targets}
    with snapshots.store.session() as session:
        for row in session.execute(query):
            rows.setdefault(row.site_code, []).append(row)
    out: dict[str, SiteReport] = {}
    for target in targets:
        mine = rows.get(target.site_code, [])
        attempts = [
            HomepageAttempt(
                attempt=r.attempt,
                url=r.url,
                fetched_at=r.fetched_at.isoformat(),
                status=r.status,
                error=r.error,
                message=r.error_message,
                elapsed_ms=r.elapsed_ms,
                snapshot_id=r.id,
            )
            for r in mine
            if r.kind == "homepage" and r.url == target.start_url
        ]
        ok = [r for r in mine if r.kind == "homepage" and r.error is None]
        errors = Counter(r.error for r in attempts if r.error)
        if not attempts:
            outcome = "none"
        elif any(a.error is None for a in attempts):
            outcome = "ok"
        elif errors.get("blocked"):
            outcome = "blocked"
        elif errors.get("blocked_ssrf"):
            outcome = "refused"
        elif errors.get("robots"):
            outcome = "robots"
        else:
            outcome = "failed"
        info = worker_sites.get(target.site_code, {})
        page_errors = Counter(r.error for r in mine if r.error)
        out[target.site_code] = SiteReport(
            site_code=target.site_code,
            start_url=target.start_url,
            homepage_outcome=outcome,
            homepage_failed_every_attempt=outcome == "failed",
            homepage_attempts=attempts,
            homepage_url=ok[-1].final_url if ok else None,
            homepage_snapshot_id=ok[-1].id if ok else None,
            pages=sum(1 for r in mine if r.error is None and r.kind != "file"),
            not_modified=sum(1 for r in mine if r.not_modified),
            requests=len(mine),
            files_checked=sum(1 for r in mine if r.kind == "file"),
            errors=dict(sorted(page_errors.items())),
            blocked=bool(page_errors.get("blocked")),
            stopped=info.get("stopped"),
            budget_exhausted=bool(info.get("budget_exhausted")),
            outcome=info.get("outcome") or _ended_early(mine, options),
        )
    return out


def crawl(
    targets: Sequence[CrawlTarget],
    options: CrawlOptions,
    *,
    database_url: str,
    snapshots_dir: Path,
    progress: Callable[[CrawlProgress], None] | None = None,
    site_done: Callable[[str, int], None] | None = None,
    outcomes: dict[str, dict[str, Any]] | None = None,
) -> CrawlReport:
    """Crawl the sites in a worker process into the snapshot store; returns when it is done.

    ``site_done(code, crawl_id)`` is called (in this thread) as soon as a site's snapshots are all stored, while
    the other sites are still being crawled: at most once per site, and for every site by the time this returns
    (for a site the crawl never finished too, when its process ended early). ``outcomes``, when given, receives
    each site's crawl outcome (how its crawl ended: fetch.worker.site_outcome) before ``site_done`` is called for
    it."""
    from govinspect.fetch import worker

    targets = list(targets)
    codes = [t.site_code for t in targets]
    if len(set(codes)) != len(codes):
        raise ValueError("每个网站标识码只能出现一次")
    store = open_store(database_url)
    snapshots = SnapshotStore(store, snapshots_dir)
    crawl_id = snapshots.start_crawl(options.record() | {"sites": len(targets)})
    job = {
        "targets": [(t.site_code, t.start_url) for t in targets],
        "options": options,
        "crawl_id": crawl_id,
        "database_url": database_url,
        "snapshots_dir": str(snapshots_dir),
    }
    context = multiprocessing.get_context("spawn")
    inbox = context.Queue()
    proc = context.Process(target=worker.main, args=(job, inbox), name=f"govinspect-crawl-{crawl_id}")
    done: dict[str, Any] | None = None
    status = "killed"
    problem: str | None = None
    hard_deadline = time.monotonic() + options.max_crawl_seconds + 120 if options.max_crawl_seconds else None

    announced: set[str] = set()
    sites: dict[str, SiteReport] = {}  # summarised once the crawl has ended
    received: dict[str, dict[str, Any]] = {}  # the worker's outcome of each site, as it announced it

    def announce(code: str, outcome: dict[str, Any] | None = None) -> None:
        if code in announced or code not in codes:
            return
        announced.add(code)
        if outcome:
            received[code] = outcome
        if outcomes is not None:
            report = sites.get(code)
            outcomes[code] = outcome or (report.outcome if report else None) or {"reason": "crawl_ended"}
        if site_done is not None:
            site_done(code, crawl_id)

    def handle(message: tuple) -> None:
        nonlocal done
        if message[0] == "progress" and progress is not None:
            _, code, pages, errors, requests = message
            progress(CrawlProgress(code, pages, errors, requests, options.max_pages))
        elif message[0] == "site":
            announce(message[1], message[2] if len(message) > 2 else None)
        elif message[0] == "done":
            done = message[1]

    try:
        proc.start()
        while True:
            try:
                handle(inbox.get(timeout=0.2))
                continue
            except queue.Empty:
                pass
            if not proc.is_alive():
                break
            if hard_deadline and time.monotonic() > hard_deadline:
                problem = "爬取进程超过时间上限，已终止"
                break
        with contextlib.suppress(queue.Empty):
            while True:
                handle(inbox.get(timeout=0.5))
    finally:
        if proc.is_alive():
            # SIGTERM once: Scrapy closes the spider gracefully; twice: it stops the reactor without waiting
            # for requests in flight. Either way the writer then stores what it holds. Keep reading the
            # queue meanwhile: a child blocked on a full pipe would never exit.
            for grace in (2.0, 20.0):
                proc.terminate()
                deadline = time.monotonic() + grace
                while proc.is_alive() and time.monotonic() < deadline:
                    with contextlib.suppress(queue.Empty, Exception):
                        message = inbox.get(timeout=0.1)
                        if message[0] == "done":
                            done = message[1]
            if proc.is_alive():
                proc.kill()
        proc.join()
        if done is not None and done.get("reason") == "finished" and proc.exitcode == 0:
            status = "finished"
        elif problem is None:
            reason = (done or {}).get("reason")
            problem = f"爬取未正常结束（退出码 {proc.exitcode}，原因 {reason}）"
        if done and done.get("writer_error"):
            problem = f"部分快照未能保存：{done['writer_error']}"
        sites.update(summarise(snapshots, crawl_id, targets, (done or {}).get("sites"), options.record()))
        for code, outcome in received.items():  # also when the worker died after announcing them
            sites[code].outcome = outcome
        summary = {code: report.to_json() for code, report in sites.items()}
        snapshots.finish_crawl(crawl_id, status, summary)
        row = snapshots.crawl(crawl_id)
        inbox.close()
        store.dispose()
    assert row is not None
    for code in codes:
        announce(code)
    return CrawlReport(
        crawl_id=crawl_id,
        status=status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        settings=row.settings,
        sites=sites,
        written=(done or {}).get("written", 0),
        problem=problem,
    )
