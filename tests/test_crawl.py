"""The crawl against the farm on loopback: every page stored as served, TRS JavaScript pagination, GBK bytes,
down / firewall / slow / flaky sites, conditional GET, budgets, the SSRF guard, a killed crawl."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from govinspect.farm import Farm, FarmSite
from govinspect.fetch.crawl import CrawlOptions, CrawlProgress, CrawlReport, CrawlTarget, crawl
from govinspect.store import open_store
from govinspect.store.models import Crawl, Snapshot
from govinspect.store.snapshots import SnapshotStore

NOT_A_BROWSER = "govinspect-test/1.0 (no browser)"  # the firewall site answers 403 to this
FAST = {"delay": 0.0, "homepage_retry_spacing_s": 0.3, "allow_private_networks": True, "timeout": 10.0}
SKIP_DIRS = {"css", "js", "images"}


def options(**kw) -> CrawlOptions:
    return CrawlOptions(**(FAST | {"user_agent": NOT_A_BROWSER} | kw))


def targets(sites: list[FarmSite]) -> list[CrawlTarget]:
    return [CrawlTarget(s.site_code, s.url) for s in sites]


def served_pages(farm: Farm, site: FarmSite) -> dict[str, Path]:
    """URL path (with query) → file on disk, for every HTML page the farm serves for the site."""
    root = farm.site_dir(site)
    out = {}
    for f in root.rglob("*"):
        rel = f.relative_to(root).as_posix()
        if f.is_file() and rel.split("/")[0] not in SKIP_DIRS and rel != "robots.txt":
            out["/" + rel.replace("@", "?", 1)] = f
    return out


@dataclass
class Crawled:
    farm: Farm
    report: CrawlReport
    snaps: SnapshotStore
    db: str
    snap_dir: Path
    progress: list[CrawlProgress]
    announced: list[tuple[str, int, float]]  # site_done: site, its snapshots stored by then, when
    ended: float

    def site(self, behaviour: str) -> FarmSite:
        return next(s for s in self.farm.sites if s.behaviour == behaviour)

    def fetched(self, site: FarmSite) -> dict[str, Snapshot]:
        out = {}
        for snap in self.snaps.pages(self.report.crawl_id, site.site_code):
            if snap.status == 200 and snap.method == "GET":
                out[snap.final_url.removeprefix(site.base_url)] = snap
        return out


@pytest.fixture(scope="module")
def crawled(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    out = tmp_path_factory.mktemp("crawl")
    db = f"sqlite:///{out / 'g.db'}"
    seen: list[CrawlProgress] = []
    announced: list[tuple[str, int, float]] = []
    reader = open_store(db)

    def site_done(code: str, crawl_id: int) -> None:
        with reader.session() as session:
            stored = session.scalar(
                select(func.count()).where(Snapshot.crawl_id == crawl_id, Snapshot.site_code == code)
            )
        announced.append((code, stored or 0, time.monotonic()))

    report = crawl(
        targets(farm_server.sites),
        options(max_pages=400, max_depth=8, concurrency_per_host=8),
        database_url=db,
        snapshots_dir=out / "snap",
        progress=seen.append,
        site_done=site_done,
    )
    ended = time.monotonic()
    reader.dispose()
    store = open_store(db)
    yield Crawled(
        farm_server, report, SnapshotStore(store, out / "snap"), db, out / "snap", seen, announced, ended
    )
    store.dispose()


def test_every_page_is_stored_as_served(crawled: Crawled) -> None:
    farm = crawled.farm
    assert crawled.report.status == "finished" and crawled.report.problem is None
    checked = 0
    for site in farm.sites:
        if site.down or site.behaviour == "firewall":
            continue
        fetched = crawled.fetched(site)
        served = served_pages(farm, site)
        missing = sorted(set(served) - set(fetched))
        assert not missing, (site.site_code, site.behaviour, missing[:5])
        for path, file in served.items():
            assert crawled.snaps.body(fetched[path]) == file.read_bytes(), path
        report = crawled.report.sites[site.site_code]
        assert report.homepage_outcome == "ok" and not report.homepage_failed_every_attempt
        assert report.pages >= len(served) and report.stopped is None
        checked += 1
    assert checked >= 8


def test_trs_javascript_pagination_is_followed(crawled: Crawled) -> None:
    farm = crawled.farm
    trs = [s for s in farm.sites if s.style == "trs" and not s.down and s.behaviour != "firewall"]
    later = 0
    for site in trs:
        fetched = crawled.fetched(site)
        served = served_pages(farm, site)
        # only createPageHTML(...) leads there: no page names index_1.html in a link
        assert not any(b"index_1." in f.read_bytes() for f in served.values())
        for path in served:
            if "/index_" in path:
                assert path in fetched
                assert fetched[path].depth == fetched[path.rsplit("/", 1)[0] + "/index.html"].depth
                later += 1
    assert later >= 3


def test_gbk_pages_keep_their_raw_bytes(crawled: Crawled) -> None:
    gbk = [s for s in crawled.farm.sites if s.encoding == "gbk" and not s.down and s.behaviour != "firewall"]
    assert gbk
    for site in gbk:
        home = crawled.fetched(site)[site.homepage]
        raw = (crawled.farm.site_dir(site) / site.homepage.lstrip("/")).read_bytes()
        body = crawled.snaps.body(home)
        assert body == raw
        assert site.name in body.decode("gbk")
        assert home.encoding == "gb18030"


def test_down_site_fails_every_spaced_homepage_attempt(crawled: Crawled) -> None:
    down = next(s for s in crawled.farm.sites if s.down)
    report = crawled.report.sites[down.site_code]
    assert report.homepage_outcome == "failed" and report.homepage_failed_every_attempt
    assert [a.error for a in report.homepage_attempts] == ["connect"] * 3
    assert [a.attempt for a in report.homepage_attempts] == [1, 2, 3]
    snaps = [crawled.snaps.get(a.snapshot_id) for a in report.homepage_attempts]
    gaps = [(b.fetched_at - a.fetched_at).total_seconds() for a, b in itertools.pairwise(snaps)]
    assert all(g >= 0.25 for g in gaps), gaps


def test_firewall_answer_is_blocked_not_down(crawled: Crawled) -> None:
    site = crawled.site("firewall")
    report = crawled.report.sites[site.site_code]
    assert report.homepage_outcome == "blocked" and not report.homepage_failed_every_attempt
    assert report.blocked and [(a.status, a.error) for a in report.homepage_attempts] == [(403, "blocked")]


def test_slow_and_flaky_sites_complete(crawled: Crawled) -> None:
    for behaviour in ("slow", "flaky"):
        site = crawled.site(behaviour)
        report = crawled.report.sites[site.site_code]
        assert report.homepage_outcome == "ok" and report.stopped is None
        assert set(served_pages(crawled.farm, site)) <= set(crawled.fetched(site))


def test_crawl_row_and_progress(crawled: Crawled) -> None:
    row = crawled.snaps.crawl(crawled.report.crawl_id)
    assert row is not None and row.status == "finished" and row.finished_at is not None
    assert row.settings["obey_robots"] is True and row.settings["allow_private_networks"] is True
    assert row.settings["user_agent"] == NOT_A_BROWSER and row.settings["max_pages"] == 400
    assert set(row.summary) == {s.site_code for s in crawled.farm.sites}
    last: dict[str, CrawlProgress] = {}
    for p in crawled.progress:
        assert p.requests >= last.get(p.site_code, p).requests
        last[p.site_code] = p
    for code, report in crawled.report.sites.items():
        assert last[code].pages == report.pages


def test_each_site_is_announced_once_with_all_its_snapshots_stored(crawled: Crawled) -> None:
    """inspect judges a site as soon as it is announced, while the others are crawled: by then every snapshot of
    the site must be stored, and the quick sites must not wait for the slow one."""
    codes = [code for code, _, _ in crawled.announced]
    assert sorted(codes) == sorted(s.site_code for s in crawled.farm.sites)
    final = {code: report.requests for code, report in crawled.report.sites.items()}
    with crawled.snaps.store.session() as session:
        stored = dict(
            session.execute(
                select(Snapshot.site_code, func.count())
                .where(Snapshot.crawl_id == crawled.report.crawl_id)
                .group_by(Snapshot.site_code)
            ).all()
        )
    for code, count, _ in crawled.announced:
        assert count == stored.get(code, 0), (code, count, stored.get(code), final.get(code))
    slow = crawled.site("slow").site_code
    slow_at = next(t for code, _, t in crawled.announced if code == slow)
    assert sum(t < slow_at for _, _, t in crawled.announced) >= len(codes) // 2


def test_second_crawl_uses_conditional_get_and_reuses_bodies(crawled: Crawled) -> None:
    sites = [s for s in crawled.farm.sites if not s.behaviour][:2]
    blobs_before = sorted(p.name for p in crawled.snap_dir.rglob("*.gz"))
    second = crawl(
        targets(sites),
        options(max_pages=400, max_depth=8),
        database_url=crawled.db,
        snapshots_dir=crawled.snap_dir,
    )
    assert second.status == "finished"
    assert sorted(p.name for p in crawled.snap_dir.rglob("*.gz")) == blobs_before
    for site in sites:
        first_urls = {s.url for s in crawled.snaps.pages(crawled.report.crawl_id, site.site_code)}
        again = crawled.snaps.pages(second.crawl_id, site.site_code)
        assert {s.url for s in again} == first_urls  # links found through the stored bodies
        not_modified = [s for s in again if s.status == 304]
        assert len(not_modified) >= len(again) - 2 and all(s.not_modified for s in not_modified)
        home = next(s for s in again if s.kind == "homepage")
        previous = crawled.snaps.latest(site.site_code, home.url, with_body=True)
        assert home.status == 304 and crawled.snaps.body(home) == crawled.snaps.body(previous)
        assert second.sites[site.site_code].not_modified == len(not_modified)


def test_page_budget_and_depth_limit(farm_server: Farm, tmp_path: Path) -> None:
    site = next(s for s in farm_server.sites if s.style == "trs" and not s.behaviour)
    report = crawl(
        targets([site]),
        options(max_pages=12, max_depth=1),
        database_url=f"sqlite:///{tmp_path / 'g.db'}",
        snapshots_dir=tmp_path / "snap",
    )
    store = open_store(f"sqlite:///{tmp_path / 'g.db'}")
    pages = [s for s in SnapshotStore(store, tmp_path / "snap").pages(report.crawl_id) if s.kind != "file"]
    assert len(pages) == 12 and report.sites[site.site_code].budget_exhausted
    assert max(s.depth for s in pages) == 1
    store.dispose()
    deep = crawl(
        targets([site]),
        options(max_pages=400, max_depth=1),
        database_url=f"sqlite:///{tmp_path / 'h.db'}",
        snapshots_dir=tmp_path / "snap2",
    )
    store = open_store(f"sqlite:///{tmp_path / 'h.db'}")
    pages = SnapshotStore(store, tmp_path / "snap2").pages(deep.crawl_id)
    assert {s.depth for s in pages} == {0, 1}
    home = SnapshotStore(store, tmp_path / "snap2").body(next(s for s in pages if s.kind == "homepage"))
    assert home is not None
    for snap in pages:
        if snap.depth == 1 and "/index_" not in snap.url:  # pagination keeps its list's depth
            assert snap.url.removeprefix(site.base_url).encode() in home, snap.url
    assert len(pages) < len(served_pages(farm_server, site))
    assert not deep.sites[site.site_code].budget_exhausted
    store.dispose()


def test_sites_are_crawled_a_window_at_a_time(farm_server: Farm, tmp_path: Path) -> None:
    """With ``max_active_sites`` 2, no third site starts before one of two has finished: a site's time budget
    runs from its own start, and sites finish one after another."""
    sites = [s for s in farm_server.sites if not s.behaviour][:4]
    db = f"sqlite:///{tmp_path / 'g.db'}"
    finished: dict[str, float] = {}
    report = crawl(
        targets(sites),
        options(max_pages=8, max_active_sites=2),
        database_url=db,
        snapshots_dir=tmp_path / "snap",
        site_done=lambda code, _crawl: finished.setdefault(code, time.time()),
    )
    store = open_store(db)
    spans: dict[str, list[float]] = {}
    for snap in SnapshotStore(store, tmp_path / "snap").pages(report.crawl_id):
        at = snap.fetched_at.timestamp()
        low, high = spans.setdefault(snap.site_code, [at, at])
        spans[snap.site_code] = [min(low, at), max(high, at)]
    store.dispose()
    assert set(spans) == set(finished) == {s.site_code for s in sites}
    for code, (first, _) in spans.items():
        # every site that had finished before this one started, plus two running at most
        running = [c for c, (f, last) in spans.items() if c != code and f <= first < last]
        assert len(running) <= 1, (code, running)


def test_without_private_networks_every_farm_url_is_refused(farm_server: Farm, tmp_path: Path) -> None:
    live = [s for s in farm_server.sites if not s.down][:4]
    report = crawl(
        [*targets(live), CrawlTarget("9999999999", f"http://localhost:{farm_server.port}/")],
        options(allow_private_networks=False),
        database_url=f"sqlite:///{tmp_path / 'g.db'}",
        snapshots_dir=tmp_path / "snap",
    )
    assert report.status == "finished"
    store = open_store(f"sqlite:///{tmp_path / 'g.db'}")
    with store.session() as session:
        rows = list(session.scalars(select(Snapshot)))
    assert len(rows) == len(live) + 1
    assert {(r.error, r.status, r.body_sha256) for r in rows} == {("blocked_ssrf", None, None)}
    for code, site in report.sites.items():
        assert site.homepage_outcome == "refused" and not site.homepage_failed_every_attempt, code
        assert len(site.homepage_attempts) == 1
    assert "本机回环地址" in report.sites["9999999999"].homepage_attempts[0].message  # via the resolver
    assert not (tmp_path / "snap").exists() or not list((tmp_path / "snap").rglob("*.gz"))
    store.dispose()


class _Stop(Exception):
    pass


def test_a_killed_crawl_leaves_a_consistent_database(farm_server: Farm, tmp_path: Path) -> None:
    site = next(s for s in farm_server.sites if s.behaviour == "slow")
    db = f"sqlite:///{tmp_path / 'g.db'}"

    def stop_after_some(p: CrawlProgress) -> None:
        if p.pages >= 5:
            raise _Stop

    with pytest.raises(_Stop):
        crawl(
            targets([site]),
            options(max_pages=400),
            database_url=db,
            snapshots_dir=tmp_path,
            progress=stop_after_some,
        )
    store = open_store(db)
    snaps = SnapshotStore(store, tmp_path)
    with store.session() as session:
        crawl_row = session.scalar(select(Crawl))
        count = session.scalar(select(func.count()).select_from(Snapshot))
    assert crawl_row is not None and crawl_row.status == "killed" and crawl_row.finished_at is not None
    assert 5 <= (count or 0) < 100
    for snap in snaps.pages(crawl_row.id):
        assert snap.status != 200 or snaps.body(snap)
    assert crawl_row.summary[site.site_code]["pages"] == count
    store.dispose()


def test_the_budget_goes_to_columns_their_next_page_and_newest_articles_first(
    farm_server: Farm, tmp_path: Path
) -> None:
    """With a budget far below the site's size, the pages the checks need are fetched: every column linked
    from the homepage and the second page of every paginated list — before the homepage's article links,
    which a breadth-first crawl would take first (they sit one level up)."""
    site = next(s for s in farm_server.sites if s.style == "trs" and not s.behaviour)
    served = served_pages(farm_server, site)
    home = (farm_server.site_dir(site) / site.homepage.lstrip("/")).read_text(errors="replace")
    columns = {p for p in served if p.startswith("/col/") and p.endswith("/index.html") and f'"{p}"' in home}
    second_pages = {p for p in served if p.endswith("/index_1.html")}
    assert len(columns) >= 10 and second_pages
    budget = 1 + len(columns) + len(second_pages) + 3
    db = f"sqlite:///{tmp_path / 'g.db'}"
    report = crawl(
        targets([site]),
        options(max_pages=budget, max_depth=4, concurrency_per_host=1),
        database_url=db,
        snapshots_dir=tmp_path / "snap",
    )
    store = open_store(db)
    fetched = {
        s.url.removeprefix(site.base_url)
        for s in SnapshotStore(store, tmp_path / "snap").pages(report.crawl_id)
        if s.kind != "file"
    }
    store.dispose()
    assert len(fetched) == budget and report.sites[site.site_code].budget_exhausted
    assert columns <= fetched, sorted(columns - fetched)
    assert second_pages <= fetched, sorted(second_pages - fetched)


@pytest.mark.parametrize(
    ("url", "parent", "role"),
    [
        ("http://www.zgsr.gov.cn/art/2020/3/9/art_123_456.html", "list", "article"),  # TRS / 大汉
        ("http://www.gd.gov.cn/zwgk/tzgg/202003/t20200309_12345.html", "list", "article"),  # TRS WCM
        ("http://www.gov.cn/xinwen/2020-03/09/content_5488.htm", "home", "article"),
        ("http://www.xx.gov.cn/module/content.jsp?id=40803", "list", "article"),
        ("http://www.xx.gov.cn/news/detail?infoid=88", "list", "article"),
        ("http://www.zgsr.gov.cn/col/col1234/index.html", "home", "list"),
        ("http://www.zgsr.gov.cn/col/col1234/index_1.html", "list", "pagination"),
        ("http://www.gd.gov.cn/zwgk/tzgg/index_2.html", "list", "pagination"),
        ("http://www.xx.gov.cn/module/list.jsp?id=12&page=2", "list", "pagination"),
        ("http://www.xx.gov.cn/node_1234.htm", "list", "list"),  # a column id, not a page number
        ("http://www.gd.gov.cn/zwgk/tzgg/index_2.html", "home", "list"),
        ("http://www.gd.gov.cn/zwgk/tzgg/index_2.html", "hot", "hotpage"),
    ],
)
def test_url_roles_decide_what_is_fetched_first(url: str, parent: str, role: str) -> None:
    from govinspect.fetch.spider import _link_priority, url_role

    assert url_role(url, parent) == role
    # a column outranks the second page of a list, which outranks the newest articles of a list
    assert _link_priority("home", "list", 0) > _link_priority("list", "pagination", 0)
    assert _link_priority("list", "pagination", 0) > _link_priority("list", "article", 0)
    assert _link_priority("list", "article", 0) > _link_priority("list", "article", 5)
    assert _link_priority("home", "sitemap", 0) > _link_priority("home", "list", 0)


def test_news_and_notice_columns_older_pages_come_before_other_columns_tails() -> None:
    from govinspect.fetch.spider import _link_priority, _pagination_priority, anchor_roles

    home = (
        '<ul class="nav"><li><a href="/col/col12/index.html"><span>政务要闻</span></a></li>'
        "<li><a href='/zwgk/tzgg/'>通知公告</a></li><li><a href=\"/col/col30/\">机构概况</a></li>"
        '<li><a href="/art/2020/3/9/art_12_1.html">省政府召开新闻发布会</a></li></ul>'
        '<div class="foot"><a href="/sitemap.html">网站地图</a></div>'
    )
    roles = anchor_roles(home, "http://www.xx.gov.cn/index.html")
    assert roles == {
        "http://www.xx.gov.cn/col/col12/index.html": "hot",
        "http://www.xx.gov.cn/zwgk/tzgg/": "hot",
        "http://www.xx.gov.cn/sitemap.html": "sitemap",
    }
    # the 6th article of a news list and the articles of its 2nd page before the 6th article of another list
    assert _link_priority("hot", "article", 5) > _link_priority("list", "article", 5)
    assert _link_priority("hotpage", "article", 0) > _link_priority("list", "article", 5)
    assert _pagination_priority("hot", 2) > _pagination_priority("list", 2)
    # but every column's newest articles first
    assert _link_priority("list", "article", 4) > _link_priority("hotpage", "article", 0)


def test_boards_every_page_and_policy_lists_every_item_come_before_other_articles() -> None:
    """An unanswered message of last summer sits on a board's 3rd page; a policy list's 8th document and its
    interpretation are evidence of their own. Both outrank the tails of other lists."""
    from govinspect.fetch.spider import _link_priority, _pagination_priority, anchor_roles, url_role

    home = (
        '<ul class="nav"><li><a href="/hdjl/zxzx/">在线咨询</a></li><li><a href="/hdjl/ldxx/">局长信箱</a></li>'
        '<li><a href="/zwgk/zcwj/">政策文件</a></li><li><a href="/zwgk/zcjd/">政策解读</a></li>'
        '<li><a href="/bsfw/bszn/">办事指南</a></li><li><a href="/xwzx/gzdt/">工作动态</a></li></ul>'
    )
    roles = anchor_roles(home, "http://www.xx.gov.cn/")
    assert roles == {
        "http://www.xx.gov.cn/hdjl/zxzx/": "board",
        "http://www.xx.gov.cn/hdjl/ldxx/": "board",
        "http://www.xx.gov.cn/zwgk/zcwj/": "deep",
        "http://www.xx.gov.cn/zwgk/zcjd/": "deep",
        "http://www.xx.gov.cn/bsfw/bszn/": "deep",
        "http://www.xx.gov.cn/xwzx/gzdt/": "hot",
    }
    assert url_role("http://www.xx.gov.cn/hdjl/zxzx/list_3.html", "board") == "boardpage"
    assert url_role("http://www.xx.gov.cn/zwgk/zcwj/index_1.html", "deep") == "deeppage"
    # a board's 3rd page before any list's articles; its messages' pages after them
    assert _pagination_priority("boardpage", 3) > _link_priority("hot", "article", 0)
    assert _link_priority("board", "boardpage", 0) > _link_priority("hot", "article", 0)
    assert _link_priority("board", "article", 5) < _link_priority("list", "article", 5)
    # the 9th document of a policy list before the 6th article of a news list, after every column's newest
    assert _link_priority("deep", "article", 8) > _link_priority("hot", "article", 5)
    assert _link_priority("list", "article", 4) > _link_priority("deep", "article", 8)


def test_homepage_aliases_are_fetched_last() -> None:
    """/ and /index.html are one page on nearly every site: the second spelling must not cost the budget
    a column."""
    from govinspect.fetch.spider import _HOME_ALIAS

    assert all(
        _HOME_ALIAS.match(p) for p in ("/", "/index.html", "/index.shtml", "/default.aspx", "/INDEX.HTM")
    )
    assert not any(_HOME_ALIAS.match(p) for p in ("/col/index.html", "/index_1.html", "/xxgk/"))
