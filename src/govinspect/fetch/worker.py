"""The crawl worker: one process, one Twisted reactor, one Scrapy crawl of many sites.

Started by ``fetch.crawl.crawl`` (multiprocessing, spawn). Snapshots are written by a writer thread in
batches (bodies to the blob store, rows in one transaction per batch), so the reactor never waits on the
database and a crawl killed half-way keeps everything committed so far. Progress and the final per-site
state go back to the parent on a multiprocessing queue.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from govinspect.store import open_store
from govinspect.store.snapshots import SnapshotRecord, SnapshotStore

log = logging.getLogger("govinspect.fetch.worker")

DOWNLOADER_MIDDLEWARES = {
    # Before robots.txt (100): a refused address never gets its robots.txt fetched either.
    "govinspect.fetch.spider.GuardMiddleware": 50,
}


def scrapy_settings(options: Any) -> dict[str, Any]:
    """Scrapy settings for a crawl (see the README of the fetch package in ``fetch.crawl``)."""
    return {
        "BOT_NAME": "govinspect",
        "USER_AGENT": options.user_agent,
        "ROBOTSTXT_OBEY": options.obey_robots,
        "ROBOTSTXT_USER_AGENT": "govinspect",
        # Politeness per host; many hosts in parallel.
        "CONCURRENT_REQUESTS": options.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.concurrency_per_host,
        "DOWNLOAD_DELAY": options.delay,
        "RANDOMIZE_DOWNLOAD_DELAY": True,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": options.delay,  # grows from there with the latency
        "AUTOTHROTTLE_MAX_DELAY": 10.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(options.concurrency_per_host),
        # Broad crawl: round-robin over hosts, breadth-first within a site.
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "REACTOR_THREADPOOL_MAXSIZE": 20,
        # Callbacks yield requests only; Scrapy's default of 100 starts 100 asyncio tasks per response.
        "CONCURRENT_ITEMS": 4,
        "WARN_ON_GENERATOR_RETURN_VALUE": False,  # re-parses the callback's source on every response
        # Limits.
        "DOWNLOAD_TIMEOUT": options.timeout,
        "DOWNLOAD_MAXSIZE": options.max_response_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": options.retries > 0,
        "RETRY_TIMES": options.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
        "REDIRECT_ENABLED": True,
        "REDIRECT_MAX_TIMES": options.max_redirects,
        "METAREFRESH_ENABLED": False,  # followed by the spider, so the forwarding page is stored too
        "COMPRESSION_ENABLED": True,
        "HTTPERROR_ALLOW_ALL": True,
        "COOKIES_ENABLED": True,
        "DEPTH_LIMIT": 0,  # the spider's own depth (pagination keeps its list's depth)
        "URLLENGTH_LIMIT": 2083,
        "CLOSESPIDER_TIMEOUT": options.max_crawl_seconds or 0,
        # SSRF guard at connect time.
        "TWISTED_DNS_RESOLVER": "govinspect.fetch.spider.GuardedResolver",
        "GOVINSPECT_ALLOW_PRIVATE_NETWORKS": options.allow_private_networks,
        "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # Scrapy 2.19's code-executing HTTP control server: never
        "MEMUSAGE_ENABLED": True,
        "MEMUSAGE_LIMIT_MB": options.max_memory_mb,
        "LOG_LEVEL": options.log_level,
        "LOG_ENABLED": options.log_level != "NONE",
        "LOG_INSTALL_ROOT_HANDLER": options.log_level != "NONE",
        "STATS_DUMP": False,
    }


@dataclass(frozen=True)
class SiteCrawled:
    """In the writer's queue after a site's last record: the site is announced once that record is stored."""

    site_code: str
    outcome: dict[str, Any] | None = None  # site_outcome(): how its crawl ended


def site_outcome(st: Any, options: Any, pages: int, requests: int) -> dict[str, Any]:
    """How a site's crawl ended, for the ``crawl.incomplete`` check: ``reason`` is None when it is complete,
    else ``failures`` (stopped after consecutive network failures), ``time_budget`` (its time ran out),
    ``page_budget`` (its page budget ran out while column pages were still unfetched: a crawler trap, a site of
    endless columns; a big site's articles beyond the budget are sampling, not a cut) or ``crawl_ended`` (the
    crawl itself stopped first: killed, over its time or memory limit). ``st``: the spider's SiteState."""
    stopped = st.stopped or ""
    if not st.finished:
        reason: str | None = "crawl_ended"
    elif stopped.startswith("unreachable"):
        reason = "failures"
    elif stopped.startswith("time_budget"):
        reason = "time_budget"
    elif st.unfetched_columns:
        reason = "page_budget"
    else:
        reason = None
    return {
        "reason": reason,
        "detail": st.stopped,
        "pages": pages,
        "requests": requests,
        "scheduled": st.scheduled,
        "max_pages": options.max_pages,
        "unfetched": st.unfetched,
        "unfetched_columns": st.unfetched_columns,
        "unfetched_sample": list(st.unfetched_sample),
        "elapsed_s": round(time.monotonic() - st.started, 1) if st.active else None,
        "time_budget_s": options.site_time_budget_s,
        "consecutive_failures": st.consecutive_failures,
    }


class Writer(threading.Thread):
    """Stores records in batches off the reactor thread."""

    def __init__(
        self,
        snapshots: SnapshotStore,
        batch: int = 200,
        interval: float = 1.0,
        announce: Callable[[str, dict[str, Any] | None], None] | None = None,
    ):
        super().__init__(name="govinspect-snapshot-writer", daemon=True)
        self.snapshots = snapshots
        self.batch = batch
        self.interval = interval
        self.inbox: queue.Queue[SnapshotRecord | SiteCrawled | None] = queue.Queue(maxsize=1000)
        self.error: BaseException | None = None
        self.written = 0
        self.announce = announce
        self.announced: set[str] = set()

    def put(self, record: SnapshotRecord | SiteCrawled) -> None:
        self.inbox.put(record)

    def close(self) -> None:
        self.inbox.put(None)
        self.join()

    def _flush(self, pending: list[SnapshotRecord]) -> None:
        if not pending:
            return
        try:
            self.snapshots.save_many(pending)
            self.written += len(pending)
        except Exception as exc:  # keep crawling; the parent reports the loss
            log.exception("snapshot batch of %d not stored", len(pending))
            self.error = exc
        pending.clear()

    def run(self) -> None:
        pending: list[SnapshotRecord] = []
        last = time.monotonic()
        while True:
            try:
                item = self.inbox.get(timeout=self.interval)
            except queue.Empty:
                item = ...  # type: ignore[assignment]
            if item is None:
                self._flush(pending)
                return
            if isinstance(item, SnapshotRecord):
                pending.append(item)
            elif isinstance(item, SiteCrawled):
                self._flush(pending)  # its records first: the judge reads them as soon as it hears
                last = time.monotonic()
                self.announced.add(item.site_code)
                if self.announce is not None:
                    self.announce(item.site_code, item.outcome)
            if len(pending) >= self.batch or (pending and time.monotonic() - last >= self.interval):
                self._flush(pending)
                last = time.monotonic()


def main(job: dict[str, Any], out: Any) -> None:
    """Run one crawl; ``out`` receives ("progress", code, pages, errors, requests) and ("done", info)."""
    from scrapy.crawler import CrawlerProcess

    from govinspect.fetch.crawl import CrawlOptions
    from govinspect.fetch.spider import GovSpider

    options: CrawlOptions = job["options"]
    store = open_store(job["database_url"])
    snapshots = SnapshotStore(store, Path(job["snapshots_dir"]))
    codes = [code for code, _ in job["targets"]]
    validators = snapshots.validators(codes) if options.conditional_get else {}
    writer = Writer(snapshots, announce=lambda code, outcome: out.put(("site", code, outcome)))
    writer.start()
    counts: dict[str, list[int]] = {code: [0, 0, 0] for code in codes}  # pages, errors, requests
    last_sent: dict[str, float] = {}

    def report(code: str) -> None:
        c = counts[code]
        out.put(("progress", code, c[0], c[1], c[2]))
        last_sent[code] = time.monotonic()

    def sink(record: SnapshotRecord) -> None:
        writer.put(record)
        c = counts[record.site_code]
        c[2] += 1
        if record.error is None and record.kind != "file":
            c[0] += 1
        elif record.error is not None:
            c[1] += 1
        # At most a few messages a second per site: the parent only draws a bar.
        if time.monotonic() - last_sent.get(record.site_code, 0.0) >= 0.25:
            report(record.site_code)

    process = CrawlerProcess(settings=scrapy_settings(options))
    crawler = process.create_crawler(GovSpider)

    settled: dict[str, dict[str, Any]] = {}  # as each site was announced

    def outcome(code: str) -> dict[str, Any] | None:
        spider = crawler.spider
        if code in settled or spider is None or code not in spider.sites:
            return settled.get(code)
        c = counts[code]
        found = site_outcome(spider.sites[code], options, c[0], c[2])
        if spider.sites[code].finished:
            settled[code] = found
        return found

    process.crawl(
        crawler,
        targets=job["targets"],
        options=options,
        crawl_id=job["crawl_id"],
        sink=sink,
        validators=validators,
        load_body=lambda sha: snapshots.blobs.get(sha, options.max_response_bytes * 4),
        site_done=lambda code: writer.put(SiteCrawled(code, outcome(code))),
    )
    process.start()
    writer.close()
    for code in codes:
        report(code)
        if code not in writer.announced:  # the crawl ended before the site settled (stopped, killed)
            out.put(("site", code, outcome(code)))
    spider = crawler.spider
    sites = {}
    if spider is not None:
        for code, st in spider.sites.items():
            sites[code] = {
                "stopped": st.stopped,
                "scheduled": st.scheduled,
                "budget_exhausted": st.scheduled >= options.max_pages,
                "allowed_hosts": sorted(st.allowed),
                "files_checked": st.files_checked,
                "outcome": outcome(code),
            }
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    out.put(
        (
            "done",
            {
                "reason": reason,
                "sites": sites,
                "written": writer.written,
                "writer_error": repr(writer.error) if writer.error else None,
                "options": asdict(options),
            },
        )
    )
    store.dispose()
