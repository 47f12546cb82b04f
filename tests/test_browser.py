"""The browser session against a real HTTP server on loopback, and the pure detector of pages that need JS.

Browser tests use Debian's /usr/bin/chromium and skip, saying so, where it is not installed.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from govinspect.extract.page import parse_page
from govinspect.fetch.browser import (
    BrowserOptions,
    BrowserSession,
    BrowserUnavailable,
    find_chromium,
)
from govinspect.fetch.guard import BlockedAddressError, GuardPolicy, check_url
from govinspect.runs.render_step import column_needs_rendering, homepage_needs_rendering

needs_chromium = pytest.mark.skipif(
    find_chromium() is None, reason="未安装 Chromium（/usr/bin/chromium），跳过浏览器测试"
)

ALLOWED, REFUSED = "127.0.0.1", "127.0.0.3"

PAGES: dict[str, bytes] = {
    "/": b"""<html><head><meta charset="utf-8"><title>t</title></head><body>
<div id="list" class="list-con"></div>
<script>
var x = new XMLHttpRequest(); x.open("GET", "/data.json");
x.onload = function () { var d = JSON.parse(x.responseText);
  document.getElementById("list").innerHTML = "<ul><li><a href='/a1.html'>" + d.title + "</a><span>2020-03-01</span></li></ul>"; };
x.send();
fetch("http://REFUSED:PORT/steal").catch(function () {});
try { new WebSocket("ws://REFUSED:PORT/ws"); } catch (e) {}
window.open("http://ALLOWED:PORT/popup");
alert("dialog");
</script>
<img src="http://REFUSED:PORT/pixel.png">
<iframe src="/hop"></iframe>
</body></html>""",
    "/data.json": '{"title": "关于开展安全检查的通知"}'.encode(),
    "/loop": b"<html><body><p>busy</p><script>while (true) {}</script></body></html>",
    "/big": b"<html><body>" + b"<p>x</p>" * 40_000 + b"</body></html>",
}


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[tuple[str, str]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        host, port = self.server.server_address[:2]
        self.hits.append((host, self.path))
        if self.path == "/hop":
            self.send_response(302)
            self.send_header("Location", f"http://{REFUSED}:{port}/secret")
            self.end_headers()
            return
        body = PAGES.get(self.path, b"ok")
        body = body.replace(b"REFUSED", REFUSED.encode()).replace(b"ALLOWED", ALLOWED.encode())
        body = body.replace(b"PORT", str(port).encode())
        self.send_response(200)
        ctype = "application/json" if self.path.endswith(".json") else "text/html; charset=utf-8"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def servers() -> Iterator[int]:
    first = http.server.ThreadingHTTPServer((ALLOWED, 0), _Handler)
    port = first.server_address[1]
    second = http.server.ThreadingHTTPServer((REFUSED, port), _Handler)
    for server in (first, second):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port
    for server in (first, second):
        server.shutdown()
        server.server_close()


def _guard(url: str):  # type: ignore[no-untyped-def]
    """The real guard with private networks allowed, except one loopback address that stands for a refused one."""
    if f"//{REFUSED}:" in url:
        raise BlockedAddressError(f"{REFUSED} 已拒绝访问")
    return check_url(url, GuardPolicy(allow_private_networks=True))


@pytest.fixture(scope="module")
def session() -> Iterator[BrowserSession]:
    if find_chromium() is None:
        pytest.skip("未安装 Chromium（/usr/bin/chromium），跳过浏览器测试")
    options = BrowserOptions(
        allow_private_networks=True, page_timeout_s=6, settle_s=1.5, max_page_bytes=100_000
    )
    with BrowserSession(options, guard=_guard) as browser:
        yield browser


@needs_chromium
def test_render_runs_scripts_and_every_refused_request_stays_unsent(servers: int, session) -> None:  # type: ignore[no-untyped-def]
    _Handler.hits.clear()
    result = session.render(f"http://{ALLOWED}:{servers}/")
    assert result.error is None and result.status == 200
    assert "关于开展安全检查的通知" in (result.html or "")  # filled in by the XHR
    page = parse_page(result.url, result.html.encode(), headers={"content-type": "text/html; charset=utf-8"})
    assert any(
        link.url.endswith("/a1.html") for link in page.links
    )  # the script's link, as extraction sees it
    # fetch, image, WebSocket and the redirect hop of the iframe all aimed at the refused address: none was sent
    assert [h for h in _Handler.hits if h[0] == REFUSED] == []
    assert f"http://{REFUSED}:{servers}/steal" in result.blocked
    assert f"http://{REFUSED}:{servers}/secret" in result.blocked  # a redirect hop: refused by the proxy
    assert (ALLOWED, "/popup") not in _Handler.hits  # window.open never opens anything


@needs_chromium
def test_a_refused_page_is_never_requested(servers: int) -> None:
    _Handler.hits.clear()
    with BrowserSession(BrowserOptions(allow_private_networks=False, page_timeout_s=5)) as browser:
        result = browser.render(f"http://{ALLOWED}:{servers}/")
    assert result.error == "blocked_ssrf" and result.html is None
    assert "--allow-private-networks" in (result.message or "")
    assert _Handler.hits == []


@needs_chromium
def test_a_redirect_to_a_refused_address_fails_the_page(servers: int, session) -> None:  # type: ignore[no-untyped-def]
    _Handler.hits.clear()
    result = session.render(f"http://{ALLOWED}:{servers}/hop")
    assert result.error == "blocked_ssrf" and result.html is None
    assert (REFUSED, "/secret") not in _Handler.hits


@needs_chromium
def test_endless_scripts_and_huge_pages_are_cut(servers: int, session) -> None:  # type: ignore[no-untyped-def]
    looping = session.render(f"http://{ALLOWED}:{servers}/loop")
    assert looping.error == "timeout" and looping.html is None
    assert looping.elapsed_ms < 15_000
    big = session.render(f"http://{ALLOWED}:{servers}/big")  # 320 KB against a 100 KB cap
    assert big.error == "too_large" and big.html is None
    again = session.render(f"http://{ALLOWED}:{servers}/")  # the session survives both
    assert again.error is None and "关于开展安全检查的通知" in (again.html or "")


@needs_chromium
def test_screenshots(servers: int, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shot = session.screenshot(f"http://{ALLOWED}:{servers}/", tmp_path / "a" / "page.png")
    assert shot.error is None and shot.path is not None
    assert shot.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # nothing listens there: the picture shows that the page does not open, and says so
    dead = session.screenshot(f"http://{ALLOWED}:9/", tmp_path / "dead.png")
    assert dead.error_page and dead.path is not None and dead.message


def test_missing_chromium_is_reported_not_raised_later(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-chromium")
    assert find_chromium(missing) is None
    with pytest.raises(BrowserUnavailable, match="未找到 Chromium"):
        BrowserSession(BrowserOptions(chromium=missing)).start()


# the detector: pure, on raw HTML --------------------------------------------------------------------------------


def _page(html: str):  # type: ignore[no-untyped-def]
    return parse_page("http://www.example.gov.cn/col/col12/index.html", html.encode("utf-8"))


FRAME = (
    "<html><head><title>通知公告</title></head><body><div class='nav'><a href='/'>首页</a></div>"
    "<div class='main'>{}</div></body></html>"
)


def test_detector_picks_lists_drawn_by_scripts() -> None:
    ajax = FRAME.format(
        "<div class='news-list' id='newsList'></div><script>$.ajax({url: '/api/list?col=12', "
        "success: function (d) { $('#newsList').html(d); }});</script>"
    )
    assert column_needs_rendering(_page(ajax)) == "empty_list_loader"
    external = FRAME.format("<ul class='list' id='infoList'></ul><script src='/js/column.js'></script>")
    assert column_needs_rendering(_page(external)) == "empty_list_container"


def test_detector_leaves_static_pages_alone() -> None:
    rows = "".join(
        f"<li><a href='/art/2020/3/{d}/art_12_{d}.html'>关于开展第{d}批安全生产检查的通知</a><span>2020-03-{d:02d}</span></li>"
        for d in range(1, 6)
    )
    listed = FRAME.format(f"<ul class='list'>{rows}</ul><script>document.write('共1页');</script>")
    assert column_needs_rendering(_page(listed)) is None  # items are there already
    blank = FRAME.format("<div class='list'>暂无信息</div>")
    assert column_needs_rendering(_page(blank)) is None  # blank, and no script could change that
    counter = FRAME.format("<div class='list'>暂无信息</div><script>var visits = 1;</script>")
    assert column_needs_rendering(_page(counter)) is None  # a script that loads nothing


def test_detector_picks_a_homepage_drawn_by_scripts() -> None:
    shell = "<html><body><div id='app'></div><script src='/static/app.js'></script></body></html>"
    assert homepage_needs_rendering(_page(shell)) == "homepage_scripted"
    text = "".join(f"<p>政务要闻第{i}条：全市召开安全生产工作会议，部署下一阶段工作。</p>" for i in range(5))
    full = f"<html><body>{text}<script src='/js/jquery.js'></script></body></html>"
    assert homepage_needs_rendering(_page(full)) is None


def test_the_newest_unfetched_items_of_a_rendered_list_are_followed() -> None:
    from datetime import UTC, date, datetime

    from govinspect.runs.render_step import unfetched_items
    from govinspect.store.snapshots import SnapshotRecord

    rows = [
        ("/art/1.html", "2020-03-20"),  # fetched by the crawl already
        ("/art/2.html", "2020-03-18"),
        ("/art/3.pdf", "2020-03-17"),  # a document, not a page
        ("http://other.example/x.html", "2020-03-16"),  # another host
        ("/art/4.html", "2020-03-15"),
        ("/art/5.html", "2020-03-01"),
        ("/art/6.html", "2020-02-01"),
    ]
    items = "".join(
        f'<li><a href="{href}">第{n}条通知标题内容</a><span>{day}</span></li>'
        for n, (href, day) in enumerate(rows)
    )
    body = f"<html><body><div class='list'><ul>{items}</ul></div></body></html>".encode()
    base = "http://127.0.0.9:8000"
    record = SnapshotRecord(
        site_code="x",
        url=f"{base}/col/tzgg/index.html",
        crawl_id=1,
        kind="rendered",
        status=200,
        body=body,
        headers={"content-type": ["text/html; charset=utf-8"]},
        fetched_at=datetime.now(UTC),
    )
    got = unfetched_items([record], {f"{base}/art/1.html"}, date(2020, 3, 31), per_list=3)
    assert got == [(f"{base}/art/{n}.html", record.url) for n in (2, 4, 5)]
