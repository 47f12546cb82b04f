"""Back-dating across runs, end to end: a loopback site inspected twice; between the runs an item appears in a
column under a date the first run's list already covered. The second run names it and the first run."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from govinspect.config import load_settings
from govinspect.fetch.crawl import CrawlOptions
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.registry import service
from govinspect.registry.tabular import write_table
from govinspect.runs.inspect import InspectOptions, inspect_sites
from govinspect.store import open_store

TODAY = date.today()  # the crawl's fetch day is the evidence's clock: the site's dates follow it
CODE = "3611000091"
HEADERS = [
    "网站标识码",
    "网站名称",
    "首页网址",
    "主办单位",
    "所属地区",
    "类别",
    "运行状态",
    "ICP备案号",
    "公安备案号",
]


def _article(n: str, day: date) -> bytes:
    return (
        f'<html><head><meta charset="utf-8"><title>工作动态{n}</title>'
        f'<meta name="PubDate" content="{day} 09:00"></head><body><h1>我县召开第{n}次工作会议</h1>'
        f"<div class='info'>发布时间：{day}</div><div id='zoom'><p>会议研究部署了有关工作。</p></div></body></html>"
    ).encode()


class Site:
    def __init__(self) -> None:
        self.items = [(f"{k}", TODAY - timedelta(days=1 + 6 * k)) for k in range(10)]

    def pages(self) -> dict[str, bytes]:
        items = sorted(self.items, key=lambda it: it[1], reverse=True)
        rows = "".join(
            f"<li><a href='/gzdt/{n}.html'>我县召开第{n}次工作会议</a><span>{d}</span></li>" for n, d in items
        )
        home = (
            '<html><head><meta charset="utf-8"><title>测试县人民政府</title></head><body>'
            "<div class='nav'><a href='/'>首页</a><a href='/gzdt/index.html'>工作动态</a></div>"
            f"<ul class='list'>{rows}</ul><div class='footer'>主办单位：测试县人民政府办公室</div></body></html>"
        ).encode()
        column = (
            '<html><head><meta charset="utf-8"><title>工作动态</title></head><body>'
            f"<h2>工作动态</h2><ul class='list'>{rows}</ul></body></html>"
        ).encode()
        pages = {"/": home, "/index.html": home, "/gzdt/index.html": column}
        pages.update({f"/gzdt/{n}.html": _article(n, d) for n, d in self.items})
        return pages


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = self.server.site.pages().get(self.path.split("?")[0])  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")


@pytest.fixture
def served() -> Iterator[tuple[Site, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.site = Site()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.site, f"http://127.0.0.1:{server.server_address[1]}/"  # type: ignore[attr-defined]
    server.shutdown()


def test_an_item_slipped_in_under_an_old_date_is_caught_by_the_next_run(served, tmp_path: Path) -> None:
    site, url = served
    settings = load_settings(env={"GOVINSPECT_HOME": str(tmp_path)})
    store = open_store(settings.database_url)
    registry = tmp_path / "sites.csv"
    write_table(
        registry,
        HEADERS,
        [[CODE, "测试县人民政府", url, "测试县人民政府办公室", "上饶市", "县级门户", "运行", "", ""]],
    )
    service.import_file(store, registry)
    options = InspectOptions(
        as_of=TODAY,
        crawl=CrawlOptions(max_pages=40, delay=0.0, timeout=3.0, retries=0, allow_private_networks=True),
        links=LinkCheckOptions(retry_spacing=0.05, timeout=3),
        text_checks=False,
        render=False,
        screenshots=False,
    )
    first = inspect_sites(store, settings, [CODE], options)
    assert not [f for o in first.outcomes for f in o.findings if f.check == "content.fake_date"]

    site.items.append(("late", TODAY - timedelta(days=40)))
    second = inspect_sites(store, settings, [CODE], options)
    found = [f for o in second.outcomes for f in o.findings if f.check == "content.fake_date"]
    assert [(f.url, str(f.severity)) for f in found] == [(url + "gzdt/late.html", "veto")]
    assert found[0].evidence["earlier_run"] == first.run_id
    assert second.outcomes[0].score.verdict == "不合格"
    store.dispose()
