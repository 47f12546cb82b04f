"""Hostile and broken pages, robots.txt, the SSRF guard's parts, and the crawl on SQLite and PostgreSQL.

Two loopback sites: the hostile farm's index site (farm/hostile.py: a page for each per-request case under
``/case/<kind>`` — loops, endless redirects, 1 GB, an endless body, a gzip bomb, binaries, a byte every two
seconds, resets, broken chunking, a GBK page whose header and meta say UTF-8…) and a plain one with robots.txt
rules (``http.server`` in a thread). They are crawled together: the hostile one gets error classes, the plain
one is whole.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from twisted.internet.address import IPv4Address

from govinspect.farm.hostile import CASES, CHINESE_PATH, serving_hostile
from govinspect.fetch import spider
from govinspect.fetch.crawl import CrawlOptions, CrawlTarget, crawl
from govinspect.fetch.encoding import decode_html
from govinspect.fetch.links import extract_links
from govinspect.store import open_store
from govinspect.store.snapshots import SnapshotStore

PLAIN_HOME = b"""<html><head><meta charset="utf-8"></head><body>
<a href="/public/a.html">a</a> <a href="/private/b.html">b</a> <a href="list.jsp?id=7">list</a></body></html>"""


class Handler(BaseHTTPRequestHandler):
    """The plain site: robots.txt rules and three pages."""

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if path == "/robots.txt":
                return self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
            if path == "/":
                return self._send(200, PLAIN_HOME)
            if path in ("/public/a.html", "/private/b.html", "/list.jsp?id=7"):
                return self._send(200, f"<html><body>{path}</body></html>".encode())
            return self._send(404, b"not found")


@contextlib.contextmanager
def plain_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with serving_hostile(tmp_path_factory.mktemp("hostile"), kinds=[]) as farm, plain_site() as plain:
        yield farm.index_url, plain


FAST = {"delay": 0.0, "homepage_retry_spacing_s": 0.2, "allow_private_networks": True}


# What the crawl records for each per-request case's page (the TLS and whole-site traps have sites of their own).
EXPECTED = {
    "silent": "timeout",
    "slowloris": "timeout",
    "redirect_loop": "redirect_loop",
    "redirect_endless": "redirect_loop",
    "reset": "reset",
    "broken_chunked": "reset",
    "endless_stream": "too_large",
    "huge": "too_large",
    "gzip_bomb": "too_large",
    "binary_html": "binary",
    "wrong_type": "binary",
    "http10": None,
    "lying_charset": None,
    "invalid_bytes": None,
    "deep_nesting": None,
}


def test_every_per_request_case_has_an_expectation() -> None:
    assert set(EXPECTED) == {c.kind for c in CASES if c.per_request}


def test_hostile_pages_get_error_classes_and_do_not_hold_up_the_others(
    sites: tuple[str, str], tmp_path: Path
) -> None:
    hostile, plain = sites
    db = f"sqlite:///{tmp_path / 'g.db'}"
    started = time.monotonic()
    report = crawl(
        [CrawlTarget("1000000001", hostile), CrawlTarget("1000000002", plain)],
        CrawlOptions(**FAST, timeout=2.0, retries=1, max_response_bytes=1024 * 1024),
        database_url=db,
        snapshots_dir=tmp_path / "snap",
    )
    assert time.monotonic() - started < 60
    assert report.status == "finished"
    store = open_store(db)
    snaps = SnapshotStore(store, tmp_path / "snap")
    by_path = {s.url.removeprefix(hostile.rstrip("/")): s for s in snaps.pages(report.crawl_id, "1000000001")}
    got = {kind: by_path[f"/case/{kind}"].error for kind in EXPECTED}
    assert got == EXPECTED, {k: by_path[f"/case/{k}"].error_message for k in EXPECTED}
    binary = by_path["/case/binary_html"]  # redirected to …/index.html, which is a zip
    assert binary.body_sha256 is None and binary.status == 200
    # A GBK page whose header and meta both say UTF-8: stored as sent, its Chinese link still followed.
    lying = by_path["/case/lying_charset"]
    assert lying.encoding == "gb18030" and "异常测试县人民政府办公室".encode("gbk") in snaps.body(lying)
    assert by_path[quote(CHINESE_PATH)].status == 200
    pdf = by_path["/files/report.pdf"]
    assert (pdf.kind, pdf.method, pdf.status, pdf.body_sha256) == ("file", "HEAD", 200, None)
    hostile_report = report.sites["1000000001"]
    assert hostile_report.homepage_outcome == "ok"
    assert hostile_report.errors["too_large"] == 3 and hostile_report.errors["timeout"] == 2
    plain_report = report.sites["1000000002"]
    assert plain_report.errors == {"robots": 1} and plain_report.pages == 3
    store.dispose()


def test_robots_obeyed_when_on_and_ignored_when_off(sites: tuple[str, str], tmp_path: Path) -> None:
    _, plain = sites
    outcomes = {}
    for obey in (True, False):
        db = f"sqlite:///{tmp_path / f'{obey}.db'}"
        report = crawl(
            [CrawlTarget("1000000002", plain)],
            CrawlOptions(**FAST, obey_robots=obey),
            database_url=db,
            snapshots_dir=tmp_path / "snap",
        )
        assert report.settings["obey_robots"] is obey
        store = open_store(db)
        pages = SnapshotStore(store, tmp_path / "snap").pages(report.crawl_id)
        outcomes[obey] = {s.url.removeprefix(plain.rstrip("/")): (s.status, s.error) for s in pages}
        store.dispose()
    assert outcomes[True]["/private/b.html"] == (None, "robots")
    assert outcomes[False]["/private/b.html"] == (200, None)
    for obey in (True, False):
        assert outcomes[obey]["/public/a.html"] == (200, None)
        assert outcomes[obey]["/list.jsp?id=7"] == (200, None)  # query-string pages keep their id


def test_crawl_stores_on_sqlite_and_postgresql(
    sites: tuple[str, str], store_url: str, tmp_path: Path
) -> None:
    _, plain = sites
    report = crawl(
        [CrawlTarget("1000000002", plain)],
        CrawlOptions(**FAST),
        database_url=store_url,
        snapshots_dir=tmp_path / "snap",
    )
    assert report.status == "finished" and report.sites["1000000002"].pages == 3
    store = open_store(store_url)
    snaps = SnapshotStore(store, tmp_path / "snap")
    home = snaps.latest("1000000002", plain)
    assert home is not None and snaps.body(home) == PLAIN_HOME and home.kind == "homepage"
    assert snaps.crawl(report.crawl_id).summary["1000000002"]["homepage_outcome"] == "ok"  # type: ignore[union-attr]
    store.dispose()


# --- crawls cut short ---------------------------------------------------------------------------------


class ResettingHandler(Handler):
    """A homepage linking to twenty pages, each of which resets its connection."""

    def do_GET(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if self.path == "/":
                links = "".join(f'<a href="/r/{n}.html">r{n}</a>' for n in range(20))
                return self._send(200, f"<html><body>{links}</body></html>".encode())
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(self.connection.detach())  # the descriptor itself: an RST
            self.close_connection = True


@pytest.fixture(scope="module")
def cut_short(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """The calendar trap, the plain site and a site whose every page but the homepage resets."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), ResettingHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    root = tmp_path_factory.mktemp("hostile-calendar")
    try:
        with serving_hostile(root, kinds=["calendar"], index=False) as farm, plain_site() as plain:
            yield farm.by_kind("calendar").url, plain, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_each_site_says_how_its_crawl_ended(cut_short: tuple[str, str, str], tmp_path: Path) -> None:
    """The calendar trap spends its page budget with columns left (page_budget); the site whose pages reset is
    stopped after its consecutive failures (failures); the plain site is complete. The judge hears each outcome
    with the site (``outcomes``), and the crawl's stored summary keeps it."""
    calendar, plain, resetting = cut_short
    db = f"sqlite:///{tmp_path / 'g.db'}"
    heard: dict[str, dict] = {}
    announced: dict[str, dict] = {}
    report = crawl(
        [
            CrawlTarget("1000000001", calendar),
            CrawlTarget("1000000002", plain),
            CrawlTarget("1000000003", resetting),
        ],
        CrawlOptions(**FAST, max_pages=20, retries=0, max_consecutive_failures=3),
        database_url=db,
        snapshots_dir=tmp_path / "snap",
        outcomes=heard,
        site_done=lambda code, _crawl: announced.setdefault(code, dict(heard[code])),
    )
    assert report.status == "finished"
    assert announced == heard  # known before each site was announced
    trap, whole, failing = (heard[c] for c in ("1000000001", "1000000002", "1000000003"))
    assert trap["reason"] == "page_budget" and trap["pages"] == trap["max_pages"] == 20
    assert trap["unfetched_columns"] > 20 and all("/cal/" in url for url in trap["unfetched_sample"])
    assert whole["reason"] is None and whole["unfetched"] == 0 and whole["pages"] == 3
    assert failing["reason"] == "failures" and failing["detail"].startswith("unreachable: 连续 3 次请求失败")
    assert failing["pages"] == 1 and failing["unfetched"] > 0  # the rest dropped, and counted
    store = open_store(db)
    summary = SnapshotStore(store, tmp_path / "snap").crawl(report.crawl_id).summary  # type: ignore[union-attr]
    assert {code: site["outcome"]["reason"] for code, site in summary.items()} == {
        "1000000001": "page_budget",
        "1000000002": None,
        "1000000003": "failures",
    }
    store.dispose()


def test_a_site_past_its_time_budget_says_so(cut_short: tuple[str, str, str], tmp_path: Path) -> None:
    """With a delay between requests the calendar cannot spend 40 pages in 1.5 s: its time budget stops it."""
    calendar, _, _ = cut_short
    heard: dict[str, dict] = {}
    options = {**FAST, "delay": 0.5}
    crawl(
        [CrawlTarget("1000000001", calendar)],
        CrawlOptions(**options, max_pages=40, site_time_budget_s=1.5),
        database_url=f"sqlite:///{tmp_path / 'g.db'}",
        snapshots_dir=tmp_path / "snap",
        outcomes=heard,
    )
    outcome = heard["1000000001"]
    assert outcome["reason"] == "time_budget", outcome
    assert outcome["detail"] == "time_budget: 超过单站时间预算 1.5 秒"
    assert 1 <= outcome["pages"] < 40 and outcome["time_budget_s"] == 1.5


# --- the guard's parts ----------------------------------------------------------------------------------


class _Receiver:
    def __init__(self) -> None:
        self.addresses: list = []
        self.complete = False

    def resolutionBegan(self, resolution) -> None:
        pass

    def addressResolved(self, address) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        self.complete = True


@pytest.mark.parametrize(
    ("answers", "allowed"),
    [
        (["93.184.216.34"], True),
        (["10.1.2.3"], False),
        (["93.184.216.34", "169.254.169.254"], False),  # one bad answer refuses the name
        (["127.0.0.1"], False),
    ],
)
def test_resolver_refuses_names_with_non_public_answers(answers: list[str], allowed: bool) -> None:
    host = f"rebind-{'-'.join(answers)}.example"
    for allow_private in (False, True):
        spider.BLOCKED_HOSTS.pop(host, None)
        receiver = _Receiver()
        guarded = spider._GuardedReceiver(receiver, host, allow_private)
        for a in answers:
            guarded.addressResolved(IPv4Address("TCP", a, 80))
        guarded.resolutionComplete()
        assert receiver.complete
        passes = allowed or allow_private
        assert len(receiver.addresses) == (len(answers) if passes else 0)
        assert (host in spider.BLOCKED_HOSTS) is not passes
    spider.BLOCKED_HOSTS.pop(host, None)


def test_guard_middleware_refuses_literals_and_schemes() -> None:
    from scrapy import Request

    guard = spider.GuardMiddleware(allow_private=False)
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://10.0.0.1/",
        "ftp://x.gov.cn/",
    ):
        with pytest.raises(spider.SSRFRefused):
            guard.process_request(Request(url))
    guard.process_request(Request("http://93.184.216.34/"))
    spider.GuardMiddleware(allow_private=True).process_request(Request("http://10.0.0.1/"))


# --- pure parts -----------------------------------------------------------------------------------------


def test_trs_and_other_cms_patterns_without_a_browser() -> None:
    page = "http://www.x.gov.cn/col/col123/index.html"
    classic = '<script>createPageHTML(4, 0, "index", "html");</script>'
    assert extract_links(classic, page).pagination == [
        f"http://www.x.gov.cn/col/col123/index_{i}.html" for i in (1, 2, 3)
    ]
    variant = "<script>createPageHTML('page_div',3, 1,'index','shtml',45);</script>"
    assert extract_links(variant, page).pagination == [
        "http://www.x.gov.cn/col/col123/index_1.shtml",
        "http://www.x.gov.cn/col/col123/index_2.shtml",
    ]
    old = "<script>var currentPage = 0; var countPage = 3//共多少页</script>"
    assert extract_links(old, "http://www.x.gov.cn/tzgg/index.htm").pagination == [
        "http://www.x.gov.cn/tzgg/index_1.htm",
        "http://www.x.gov.cn/tzgg/index_2.htm",
    ]
    assert (
        len(extract_links('createPageHTML(500, 0, "index", "html")', page, pagination_limit=10).pagination)
        == 10
    )
    hanweb = (
        '<script type="text/xml"><datastore><recordset><record><![CDATA[<li><a href="/art/2020/3/1/art_1_2.html">'
        "标题</a></li>]]></record></recordset></datastore></script>"
    )
    assert extract_links(hanweb, page).pages == ["http://www.x.gov.cn/art/2020/3/1/art_1_2.html"]
    forward = '<script>window.location.href="/index.shtml";</script><meta http-equiv="Refresh" content="0; url=/a.html">'
    assert extract_links(forward, "http://x.gov.cn/").redirects == [
        "http://x.gov.cn/a.html",
        "http://x.gov.cn/index.shtml",
    ]
    links = extract_links(
        '<a href="list.jsp?id=12&amp;page=2#top">l</a><a href="/f.PDF">f</a><a href="javascript:void(0)">j</a>'
        '<a href="mailto:a@b">m</a><base href="http://x.gov.cn/sub/">',
        "http://x.gov.cn/",
    )
    assert links.pages == ["http://x.gov.cn/sub/list.jsp?id=12&page=2"] and links.files == [
        "http://x.gov.cn/f.PDF"
    ]


def test_decoding_survives_lying_charsets() -> None:
    text = "<meta charset=utf-8>政府网站"
    assert decode_html(text.encode("gbk"), "text/html; charset=utf-8") == (text, "gb18030")
    assert decode_html(text.encode("gbk"), "text/html; charset=iso-8859-1")[1] == "gb18030"
    assert decode_html(text.encode(), "text/html; charset=gbk") == (text, "utf-8")
    assert decode_html("<meta charset=gb2312>𠀀".encode("gb18030"))[1] == "gb18030"
