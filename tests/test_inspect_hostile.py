"""Every site of the hostile farm (farm/hostile.py) inspected in one run beside a good farm site.

Each hostile site's homepage is its hostility: never answering, a byte every two seconds, redirect loops and
endless redirects, resets, broken chunking, an endless body, 1 GB, a gzip bomb, binaries named .html, the wrong
Content-Type, self-signed and expired certificates, HTTP/1.0 without a length, a page that lies about its
charset, invalid GBK/UTF-8 bytes, 10,000-deep nesting, 50,000 links, a calendar trap and a 9 MB robots.txt.
The run must finish within its budget, the memory of the whole process tree (PSS, sampled) stays bounded,
every hostile site gets a finding or notice that says what happened (or, for a page that can be read, is read
right), and the good site's result is what it is when inspected alone. A site whose crawl was cut short (the
calendar trap and the 50,000 links spend the page budget with columns left; a site past its time budget) gets a
``crawl.incomplete`` notice saying why; a site that is down gets its availability finding only.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
from sqlalchemy import select

from govinspect.config import load_settings
from govinspect.farm import Farm
from govinspect.farm.hostile import CASES, HostileFarm, serving_hostile
from govinspect.fetch.crawl import CrawlOptions
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.registry import service
from govinspect.runs.contract import site_entry
from govinspect.runs.inspect import InspectOptions, inspect_sites
from govinspect.runs.show import load_result
from govinspect.store import open_store
from govinspect.store.results import SiteResult
from govinspect.store.snapshots import SnapshotStore
from govinspect.store.users import Role
from govinspect.web.auth import Principal
from govinspect.web.data import Profiles, site_detail

pytestmark = pytest.mark.timeout(900)  # one module fixture runs both inspections: minutes on a loaded machine

OPTIONS = CrawlOptions(
    max_pages=40,
    delay=0.0,
    timeout=3.0,
    retries=1,
    homepage_attempts=2,
    homepage_retry_spacing_s=0.3,
    max_response_bytes=2 * 1024 * 1024,
    allow_private_networks=True,
    site_time_budget_s=60,
)
LINKS = LinkCheckOptions(retry_spacing=0.05, timeout=3)
BUDGET_S = 300  # without the timeouts and budgets: over half an hour (slowloris, silent) and a gigabyte
CRAWL_MB = 500  # the Scrapy worker: bodies are cut at 2 MB, decompression too
SELF_MB = 1000  # this process: the farm's threads, the store, the results
TREE_MB = 2500  # everything, the judges' text models included


class TreeMemory:
    """Samples this process and all its descendants: the PSS of the tree (proportional set size: shared pages
    split between their users, so the sum is the tree's real footprint) and each process's peak RSS, by role
    (``crawl``: the Scrapy worker, where hostile bodies land; ``self``: this process with the farm's threads)."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self.peak_pss = 0
        self.peak_rss: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _role(proc: psutil.Process, me: int) -> str:
        if proc.pid == me:
            return "self"
        cmd = " ".join(proc.cmdline())
        return "crawl" if "spawn_main" in cmd else "chromium" if "chrom" in cmd else "judge"

    def _sample(self) -> None:
        me = psutil.Process(os.getpid())
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                info = proc.memory_full_info()
                role = self._role(proc, me.pid)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            total += getattr(info, "pss", info.rss)
            self.peak_rss[role] = max(self.peak_rss.get(role, 0), info.rss)
        self.peak_pss = max(self.peak_pss, total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> TreeMemory:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def describe(self) -> str:
        roles = ", ".join(f"{k} {v / 2**20:.0f} MB" for k, v in sorted(self.peak_rss.items()))
        return f"peak PSS of the process tree {self.peak_pss / 2**20:.0f} MB; peak RSS by process: {roles}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileFarm]:
    with serving_hostile(tmp_path_factory.mktemp("hostile-farm"), index=False) as farm:
        yield farm


@pytest.fixture(scope="module")
def inspected(farm_server: Farm, hostile: HostileFarm, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("hostile-home")
    settings = load_settings(env={"GOVINSPECT_HOME": str(home)})
    store = open_store(settings.database_url)
    service.import_file(store, farm_server.registry_csv)
    service.import_file(store, hostile.registry_csv)  # the hostile sites come in like any other: a CSV file
    good = next(s for s in farm_server.sites if s.behaviour is None and s.tls is None).site_code
    # Chromium (rendering, veto screenshots) left out: it is not the crawler, and it doubles the test's time.
    options = InspectOptions(
        as_of=farm_server.as_of,
        crawl=OPTIONS,
        links=LINKS,
        ca_file=str(hostile.ca_file),
        render=False,
        screenshots=False,
    )
    alone = inspect_sites(store, settings, [good], options)
    started = time.monotonic()
    with TreeMemory() as memory:
        mixed = inspect_sites(store, settings, [good, *(s.code for s in hostile.sites)], options)
    elapsed = time.monotonic() - started
    print(
        f"\nhostile run: {len(hostile.sites)} hostile + 1 good site in {elapsed:.1f} s; {memory.describe()}"
    )
    if out := os.environ.get("GOVINSPECT_RELIABILITY_OUT"):  # bench/reliability.py puts these in the record
        path = Path(out)
        figures = json.loads(path.read_text()) if path.exists() else {}
        figures["hostile"] = {
            "sites": len(hostile.sites),
            "elapsed_s": elapsed,
            "budget_s": BUDGET_S,
            "peak_pss_mb": memory.peak_pss / 2**20,
            "peak_rss_mb": {k: v / 2**20 for k, v in memory.peak_rss.items()},
        }
        path.write_text(json.dumps(figures))
    yield hostile, good, alone, mixed, elapsed, memory, store, settings
    store.dispose()


def _outcome(result, code: str):  # type: ignore[no-untyped-def]
    return next(o for o in result.outcomes if o.site_code == code)


def _findings(outcome, check: str) -> list:  # type: ignore[no-untyped-def]
    return [f for f in outcome.findings if f.check == check]


# Sites whose crawl is cut short in the run, and why (crawl.incomplete): the traps fill the 40-page budget while
# column pages are still unfetched. Every other site is read whole, or is down (availability says it, alone).
CUT_SHORT = {"calendar": "page_budget", "links_50k": "page_budget"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.kind)
def test_each_hostile_site_gets_a_result_saying_what_happened(inspected, case) -> None:  # type: ignore[no-untyped-def]
    hostile, *_, mixed, _elapsed, _memory, _store, _settings = inspected
    outcome = _outcome(mixed, hostile.by_kind(case.kind).code)
    down = _findings(outcome, "availability.down_at_check")
    seen = [(f.check, f.message) for f in outcome.findings]
    incomplete = _findings(outcome, "crawl.incomplete")
    if case.kind in CUT_SHORT:
        (notice,) = incomplete
        assert notice.severity.value == "notice" and notice.evidence["reason"] == CUT_SHORT[case.kind]
        assert "页面预算用尽而仍有未抓取页面" in notice.message and notice.evidence["unfetched_columns"] > 0
        assert notice.evidence["pages"] <= notice.evidence["max_pages"] == OPTIONS.max_pages
    else:
        assert not incomplete, seen  # read whole, or down: never both findings
    if case.outcome == "down":
        assert len(down) == 1, seen
        errors = {a["error"] for a in down[0].evidence["attempts"]}
        # One attempt may time out instead on a loaded machine (each hop is a request): the other says why.
        assert errors & case.errors and errors <= case.errors | {"timeout"}, errors
        assert "均无法打开（" in down[0].message  # the reason, in words an official reads
        assert outcome.score.verdict == "不合格" and outcome.score.veto_names == ["站点无法访问"]
    elif case.outcome == "unreadable":
        assert len(down) == 1, seen
        errors = {a["error"] for a in down[0].evidence["attempts"]}
        assert errors & case.errors and errors <= case.errors | {"timeout"}, errors
        if "timeout" in errors:  # a loaded machine did not read 2 MB of an endless body in 3 s: not answered
            assert "均无法打开（" in down[0].message and "页面过大" in down[0].message
        else:
            assert down[0].severity.value == "notice" and "有响应但无法读取（" in down[0].message
            assert "站点无法访问" not in outcome.score.veto_names
    else:
        assert not down, seen
        # Read right: the footer's sponsor and site code were found on the page.
        assert not _findings(outcome, "footer.sponsor") and not _findings(outcome, "footer.site_code"), seen
        if case.outcome == "tls":
            (tls,) = _findings(outcome, "transport.tls")
            words = {"self_signed": "自签名", "expired": "证书已过期"}[case.tls]
            assert tls.message.startswith("HTTPS证书无效") and words in tls.message, tls.message


def test_traps_stay_within_the_page_budget(inspected) -> None:  # type: ignore[no-untyped-def]
    hostile, _, _, mixed, *_, store, settings = inspected
    snapshots = SnapshotStore(store, settings.snapshots_dir)
    for kind in ("calendar", "links_50k"):
        pages = snapshots.pages(mixed.crawl_id, hostile.by_kind(kind).code)
        fetched = {p.url for p in pages if p.kind in ("homepage", "page")}  # a homepage attempt retried: once
        assert 1 < len(fetched) <= OPTIONS.max_pages, (kind, len(fetched))


def test_the_cut_short_notice_is_stored_and_shown(inspected) -> None:  # type: ignore[no-untyped-def]
    """The notice is a stored finding like any other: ``show``, the JSON contract and the web page read it; the
    good site, whose 40 pages are the sampling the budget is for (its columns all read), has none."""
    hostile, good, alone, mixed, *_, store, _settings = inspected
    code = hostile.by_kind("calendar").code
    stored = load_result(store, code, mixed.run_id)
    (notice,) = [f for f in stored.findings if f.check == "crawl.incomplete"]
    assert notice.severity == "notice" and notice.evidence["reason"] == "page_budget"
    assert any("/cal/" in url for url in notice.evidence["unfetched_sample"])
    entry = site_entry(_outcome(mixed, code))
    assert [f["check"] for f in entry["findings"]].count("crawl.incomplete") == 1
    assert "crawl.incomplete" not in {f.check for f in load_result(store, good, mixed.run_id).findings}
    assert not _findings(_outcome(alone, good), "crawl.incomplete")
    with store.session() as session:  # the web page's site view lists it among its findings, by its name
        admin = Principal(1, "admin", "管理员", Role.ADMIN, None)
        page = site_detail(session, admin, code, Profiles(None), mixed.run_id)
        shown = [f for f in page.findings if f.check == "crawl.incomplete"]
        assert [(f.check_name, f.severity) for f in shown] == [("抓取未完成", "notice")]
    # The stored model keeps the crawl's outcome, so a re-score judges it again without crawling.
    with store.session() as session:
        model = session.scalar(
            select(SiteResult.model).where(SiteResult.run_id == mixed.run_id, SiteResult.site_code == code)
        )
    assert model["crawl"]["reason"] == "page_budget"


@pytest.fixture(scope="module")
def over_time(inspected):  # type: ignore[no-untyped-def]
    """The calendar alone, with a delay between requests and a 1.5-second time budget: the budget runs out long
    before its 40 pages."""
    hostile, _, _, _, _, _, store, settings = inspected
    code = hostile.by_kind("calendar").code
    crawl = replace(OPTIONS, delay=0.5, site_time_budget_s=1.5)
    options = InspectOptions(
        as_of=date(2020, 3, 31),
        crawl=crawl,
        links=LINKS,
        render=False,
        screenshots=False,
        text_checks=False,
    )
    return code, inspect_sites(store, settings, [code], options)


def test_a_site_past_its_time_budget_gets_the_notice(over_time) -> None:  # type: ignore[no-untyped-def]
    code, result = over_time
    (notice,) = _findings(_outcome(result, code), "crawl.incomplete")
    assert notice.evidence["reason"] == "time_budget" and notice.evidence["time_budget_s"] == 1.5
    assert "时间预算用尽（单站时间预算 1.5 秒）" in notice.message, notice.message
    assert 1 <= notice.evidence["pages"] < OPTIONS.max_pages


def test_the_good_site_is_judged_as_when_alone(inspected) -> None:  # type: ignore[no-untyped-def]
    _, good, alone, mixed, *_ = inspected

    def summary(result):  # type: ignore[no-untyped-def]
        # Which 40 of the site's pages fill the budget depends on timing, so compare what does not: the verdict,
        # the vetoes, and every finding about the homepage itself.
        outcome = _outcome(result, good)
        home = {f.url for f in outcome.findings if f.check == "availability.down_at_check"} | {
            urlsplit(outcome.url)._replace(path="/").geturl()
        }
        on_home = sorted(
            (f.check, f.message) for f in outcome.findings if f.url in home or f.url == outcome.url
        )
        return outcome.score.verdict, outcome.score.veto_names, on_home

    assert summary(mixed) == summary(alone)


def test_the_run_finishes_within_its_budget_and_memory_stays_bounded(inspected) -> None:  # type: ignore[no-untyped-def]
    _, _, _, _, elapsed, memory, *_ = inspected
    assert elapsed < BUDGET_S, elapsed
    # The farm streamed a gigabyte, an endless body and a gigabyte bomb; neither it (this process) nor the crawl
    # worker held any of them. The judges hold the text models; the sum is a sanity bound.
    assert memory.peak_rss["crawl"] < CRAWL_MB * 2**20, memory.describe()
    assert memory.peak_rss["self"] < SELF_MB * 2**20, memory.describe()
    assert memory.peak_pss < TREE_MB * 2**20, memory.describe()


def test_the_hostile_farm_never_holds_a_big_body(tmp_path: Path) -> None:
    """The farm's own side: serving the 1 GB case to a client that reads 50 MB adds little to this process."""
    import http.client

    with serving_hostile(tmp_path, kinds=["huge"], index=False) as farm:
        site = farm.by_kind("huge")
        before = psutil.Process().memory_info().rss
        conn = http.client.HTTPConnection(site.host, site.port, timeout=10)
        conn.request("GET", "/")
        response = conn.getresponse()
        assert response.getheader("Content-Length") == str(1024**3)
        for _ in range(50):
            assert len(response.read(2**20)) == 2**20
        conn.close()
        grown = psutil.Process().memory_info().rss - before
    assert grown < 64 * 2**20, grown / 2**20
