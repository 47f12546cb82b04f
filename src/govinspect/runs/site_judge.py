"""After the crawl, each site is judged on its own: read its snapshots, extract, verify its links, read its words,
check and score. That work is CPU-bound (HTML parsing) with network waits (the spaced second request of a link
check) and shares nothing between sites, so it runs in a pool of worker processes; the parent keeps what must be
single (the browser, the writes of results) and consumes the judgements in site order, so a run's output does not
depend on which worker finished first.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govinspect.checks.finding import Finding
from govinspect.checks.registry import run_checks
from govinspect.extract.model import CrawlOutcome, Expected, SiteModel
from govinspect.extract.search import judge_result, with_probes
from govinspect.fetch.linkcheck import check_links
from govinspect.fetch.search_probe import probe_search
from govinspect.fetch.transport import TransportOptions, probe_transport
from govinspect.monitor.history import probe_history
from govinspect.runs.content_step import scan_site
from govinspect.runs.history import earlier_lists
from govinspect.runs.model_builder import Override, SiteExtraction, StoredPage
from govinspect.runs.serialize import read_dataclass
from govinspect.scoring.engine import SiteScore, score_site
from govinspect.scoring.profile import Profile, load_profile
from govinspect.store import Store, open_store
from govinspect.store.models import utcnow
from govinspect.store.snapshots import SnapshotStore

if TYPE_CHECKING:
    from govinspect.runs.inspect import InspectOptions


def _headers(raw: dict[str, Any]) -> dict[str, str]:
    flat = {}
    for key, value in (raw or {}).items():
        flat[str(key).lower()] = value[0] if isinstance(value, list) and value else str(value)
    return flat


def stored_pages(snapshots: SnapshotStore, crawl_id: int, site_code: str) -> list[StoredPage]:
    pages = []
    for row in snapshots.pages(crawl_id, site_code):
        pages.append(
            StoredPage(
                snapshot_id=row.id,
                url=row.url,
                final_url=row.final_url,
                kind=row.kind,
                status=row.status,
                error=row.error,
                headers=_headers(row.headers),
                attempt=row.attempt,
                fetched_at=row.fetched_at,
                load_body=lambda row=row: snapshots.body(row),
            )
        )
    return pages


def crawl_outcome(record: dict[str, Any] | None) -> CrawlOutcome | None:
    """The crawl's record of how a site's crawl ended, as the model keeps it (read_dataclass leaves out the keys
    it does not hold, such as ``scheduled``)."""
    return read_dataclass(CrawlOutcome, record) if record else None


def judge(model: SiteModel, profile: Profile, as_of: date) -> tuple[list[Finding], SiteScore]:
    findings = run_checks(model, profile, as_of)
    return findings, score_site(findings, profile, has_services=model.expected.has_services)


@dataclass(frozen=True)
class SiteJob:
    site_code: str
    url: str
    region: str
    expected: Expected
    overrides: dict[str, Override]
    crawl: dict[str, Any] | None = None  # how the site's crawl ended (fetch.worker.site_outcome)


@dataclass
class SiteJudgement:
    model: SiteModel
    findings: list[Finding]
    score: SiteScore


@dataclass(frozen=True)
class JudgeContext:
    """Everything a worker needs, picklable: it opens its own store and loads the profile itself."""

    database_url: str
    snapshots_dir: Path
    crawl_id: int
    profile: str
    profiles_dir: Path
    options: InspectOptions


@dataclass
class _Judge:
    context: JudgeContext
    store: Store
    snapshots: SnapshotStore
    profile: Profile

    @classmethod
    def open(cls, context: JudgeContext, store: Store | None = None) -> _Judge:
        opened = store or open_store(context.database_url)
        return cls(
            context,
            opened,
            SnapshotStore(opened, context.snapshots_dir),
            load_profile(context.profile, user_dir=context.profiles_dir),
        )

    def __call__(self, job: SiteJob) -> SiteJudgement:
        options = self.context.options
        links = replace(options.links, allow_private_networks=options.crawl.allow_private_networks)
        stored = stored_pages(self.snapshots, self.context.crawl_id, job.site_code)
        extraction = SiteExtraction.read(job.expected, job.url, stored, self.profile, options.as_of)
        ca_file = options.ca_file or links.ca_file
        # the site's own certificate is judged once, by transport.tls: its links and search do not fail for it
        links = replace(links, ca_file=ca_file, unverified_hosts=frozenset(extraction.site_hosts))
        verified = check_links(extraction.link_targets(options.max_external_links), links)
        model = extraction.model(verified, job.overrides)
        earlier = earlier_lists(
            self.store, job.site_code, before=utcnow(), exclude_crawl=self.context.crawl_id
        )
        model = replace(model, history=earlier)
        # the week of availability probes before as_of (govinspect probe/monitor), judged by availability.unreachable
        model = replace(model, probes=probe_history(self.store, job.site_code, options.as_of, self.profile))
        model = replace(model, crawl=crawl_outcome(job.crawl))
        searches, why_not = extraction.search_requests(model)  # site search: recent titles, SSRF-guarded
        model = with_probes(model, probe_search(searches, judge_result, links), why_not)
        probes = TransportOptions(
            timeout=links.timeout, allow_private_networks=links.allow_private_networks, cafile=ca_file
        )
        model = replace(model, transport=probe_transport(model.transport, model.homepage.url, probes))
        if options.text_checks:
            model = replace(model, content=scan_site(extraction, job.region))
        findings, score = judge(model, self.profile, options.as_of)
        return SiteJudgement(model, findings, score)


_worker: dict[str, _Judge] = {}
JUDGE_NICENESS = 5


def _init_worker(context: JudgeContext) -> None:
    # Judging overlaps the crawl (runs/inspect.py): the crawl, which waits on the network and keeps every site's
    # clock running, goes first when both want the CPU.
    with contextlib.suppress(OSError):
        os.nice(JUDGE_NICENESS)
    _worker["judge"] = _Judge.open(context)


def _judge_in_worker(job: SiteJob) -> SiteJudgement:
    return _worker["judge"](job)


def default_workers(sites: int) -> int:
    """One process per core, at most three (each holds the text models: memory stays bounded); in-process for a
    few sites."""
    if sites < 4:
        return 1
    return max(1, min(3, os.cpu_count() or 1, sites))


class _InProcess:
    def __init__(self, judge: _Judge) -> None:
        self.judge = judge

    def submit(self, job: SiteJob) -> Future[SiteJudgement]:
        future: Future[SiteJudgement] = Future()
        try:
            future.set_result(self.judge(job))
        except Exception as exc:
            future.set_exception(exc)
        return future


class _Pool:
    def __init__(self, executor: ProcessPoolExecutor) -> None:
        self.executor = executor

    def submit(self, job: SiteJob) -> Future[SiteJudgement]:
        return self.executor.submit(_judge_in_worker, job)


JudgePool = _InProcess | _Pool


class JudgeQueue:
    """Sites wait here between their crawl and a free judge. While the crawl runs, one judge fewer than the pool
    holds works (the pool spawns its workers as work needs them), so the crawler and Chromium keep a core and the
    run's peak memory holds one judge's heap less. When the crawl ends, all of them, with as many sites again
    queued in the pool: a judge that finishes while this process takes screenshots starts the next site at once
    (a 26-site inspection took 52 s instead of 58)."""

    def __init__(self, pool: JudgePool, workers: int) -> None:
        self.pool = pool
        self.workers = workers
        self.crawling = True
        self.waiting: deque[SiteJob] = deque()
        self.judging: dict[str, Future[SiteJudgement]] = {}  # submitted and not yet taken

    def add(self, job: SiteJob) -> None:
        self.waiting.append(job)
        self._submit()

    def crawl_ended(self) -> None:
        self.crawling = False
        self._submit()

    def __len__(self) -> int:
        return len(self.waiting) + len(self.judging)

    def take(self, *, wait: bool) -> Iterator[tuple[str, SiteJudgement]]:
        """The judged sites: those done, or with ``wait`` every site, in the order they were submitted."""
        while ready := [code for code, future in self.judging.items() if wait or future.done()][:1]:
            judged = self.judging.pop(ready[0]).result()
            self._submit()
            yield ready[0], judged

    def _submit(self) -> None:
        in_flight = max(1, self.workers - 1) if self.crawling else 2 * self.workers
        while self.waiting and len(self.judging) < in_flight:
            job = self.waiting.popleft()
            self.judging[job.site_code] = self.pool.submit(job)


def _pool_context(text_checks: bool) -> multiprocessing.context.BaseContext:
    """Workers start from a fork server (the parent has threads: Scrapy, the browser, so it never forks itself)
    that has loaded the text checks' data first, so the workers share it; spawn where there is no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    if text_checks:
        ctx.set_forkserver_preload(["govinspect.runs.judge_preload"])
    return ctx


@contextmanager
def judges(context: JudgeContext, workers: int, store: Store) -> Iterator[_InProcess | _Pool]:
    """``submit(job)`` gives a future judgement; with one worker the work is done in this process, at once."""
    if workers <= 1:
        yield _InProcess(_Judge.open(context, store))
        return
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_pool_context(context.options.text_checks),
        initializer=_init_worker,
        initargs=(context,),
    )
    try:
        yield _Pool(executor)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
