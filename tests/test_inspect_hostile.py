"""Whole sites that are hostile or broken, inspected beside a good farm site.

Each hostile site is a homepage on its own loopback address (so per-host politeness does not serialise them):
one never answers, one drips a byte at a time, one redirects in a loop, one sends 1 GB, one a gzip bomb, one
lies about its charset, one serves binary as HTML, one resets every connection. The run must finish, every
hostile site must get a finding or notice that says what happened, memory stays bounded, and the good site's
result is what it is when inspected alone.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import resource
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from govinspect.config import load_settings
from govinspect.farm import Farm
from govinspect.fetch.crawl import CrawlOptions
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.registry import service
from govinspect.registry.tabular import write_table
from govinspect.runs.inspect import InspectOptions, inspect_sites
from govinspect.store import open_store

BOMB = gzip.compress(b"<p>" + b"\0" * (64 * 1024 * 1024), 9)
LYING_NAME = "谎报编码县人民政府"
LYING_SPONSOR = "谎报编码县人民政府办公室"
LYING = (
    '<html><head><meta charset="utf-8"><title>谎报编码县人民政府</title></head><body>'
    "<ul><li><a href='/a.html'>县政府召开常务会议</a><span>2020-03-30</span></li></ul>"
    "<div class='footer'>主办单位：谎报编码县人民政府办公室 网站标识码：3611000099</div></body></html>"
).encode("gbk")


@dataclass(frozen=True)
class Hostile:
    kind: str
    host: str
    expect_error: frozenset[str]  # error classes the homepage attempts may record


KINDS = {
    "silent": {"timeout"},
    "drip": {"timeout", "reset"},
    "loop": {"redirect_loop"},
    "reset": {"reset"},
}
# The site answers, but with something that is not a readable page: a notice for a person, not an outage.
UNREADABLE = {"binary": {"binary"}, "huge": {"too_large"}, "bomb": {"too_large"}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):
            self._route(self.server.kind)  # type: ignore[attr-defined]

    def _head(self, status: int, length: int | None, **headers: str) -> None:
        self.send_response(status)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()

    def _route(self, kind: str) -> None:
        if self.path == "/robots.txt":
            self._head(404, 0)
            return
        if kind == "silent":
            time.sleep(60)  # accepts the connection, never answers
        elif kind == "drip":
            self._head(200, 100_000, Content_Type="text/html")
            for _ in range(120):
                self.wfile.write(b"<")
                self.wfile.flush()
                time.sleep(0.5)
        elif kind == "loop":
            self._head(302, 0, Location="/next" if self.path != "/next" else "/")
        elif kind == "huge":
            self._head(200, 1024**3, Content_Type="text/html")
            chunk = b"<p>" + b"x" * 65533
            for _ in range(1024**3 // len(chunk)):
                self.wfile.write(chunk)
        elif kind == "bomb":
            self._head(200, len(BOMB), Content_Type="text/html", Content_Encoding="gzip")
            self.wfile.write(BOMB)
        elif kind == "binary":
            body = bytes(range(256)) * 64
            self._head(200, len(body), Content_Type="text/html; charset=utf-8")
            self.wfile.write(body)
        elif kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # The file objects keep the socket open; closing the descriptor itself sends the RST.
            os.close(self.connection.detach())
            self.close_connection = True
        elif kind == "lying":
            body = LYING if self.path in ("/", "/index.html") else LYING.replace(b"<ul>", b"<div>")
            self._head(200, len(body), Content_Type="text/html; charset=utf-8")
            self.wfile.write(body)


@pytest.fixture(scope="module")
def hostile_sites() -> Iterator[dict[str, str]]:
    """kind -> homepage URL, each on its own loopback address."""
    servers, urls = [], {}
    for number, kind in enumerate([*KINDS, *UNREADABLE, "lying"], 1):
        server = ThreadingHTTPServer((f"127.0.9.{number}", 0), Handler)
        server.daemon_threads = True
        server.kind = kind  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        urls[kind] = f"http://127.0.9.{number}:{server.server_address[1]}/"
    yield urls
    for server in servers:
        server.shutdown()
        server.server_close()


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


def _register(store, urls: dict[str, str], folder: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The hostile sites go through the registry import like any other: a CSV file."""
    codes = {kind: f"36110000{number}" for number, kind in enumerate(urls, 90)}
    rows = [
        [
            codes[kind],
            LYING_NAME if kind == "lying" else f"异常网站{kind}",
            url,
            LYING_SPONSOR,
            "上饶市",
            "县级门户",
            "运行",
            "",
            "",
        ]
        for kind, url in urls.items()
    ]
    path = folder / "hostile.csv"
    write_table(
        path,
        [
            "网站标识码",
            "网站名称",
            "首页网址",
            "主办单位",
            "所属地区",
            "类别",
            "运行状态",
            "ICP备案号",
            "公安备案号",
        ],
        rows,
    )
    service.import_file(store, path)
    return codes


@pytest.fixture(scope="module")
def inspected(farm_server: Farm, hostile_sites: dict[str, str], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("hostile-home")
    settings = load_settings(env={"GOVINSPECT_HOME": str(home)})
    store = open_store(settings.database_url)
    service.import_file(store, farm_server.registry_csv)
    codes = _register(store, hostile_sites, home)
    good = next(s for s in farm_server.sites if s.behaviour is None).site_code
    options = InspectOptions(as_of=farm_server.as_of, crawl=OPTIONS, links=LINKS)
    alone = inspect_sites(store, settings, [good], options)
    started = time.monotonic()
    mixed = inspect_sites(store, settings, [good, *codes.values()], options)
    elapsed = time.monotonic() - started
    yield codes, good, alone, mixed, elapsed
    store.dispose()


def _outcome(mixed, code: str):  # type: ignore[no-untyped-def]
    return next(o for o in mixed.outcomes if o.site_code == code)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_hostile_homepage_gets_a_finding_saying_what_happened(inspected, kind: str) -> None:  # type: ignore[no-untyped-def]
    codes, _, _, mixed, _ = inspected
    outcome = _outcome(mixed, codes[kind])
    down = [f for f in outcome.findings if f.check == "availability.down_at_check"]
    assert len(down) == 1, [(f.check, f.message) for f in outcome.findings]
    errors = {a["error"] for a in down[0].evidence["attempts"]}
    assert errors <= KINDS[kind] and errors, errors
    assert "（" in down[0].message  # the message names what went wrong, in words an official reads
    assert outcome.score.verdict == "不合格" and outcome.score.veto_names == ["站点无法访问"]


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
def test_an_unreadable_homepage_is_a_notice_saying_why(inspected, kind: str) -> None:  # type: ignore[no-untyped-def]
    codes, _, _, mixed, _ = inspected
    outcome = _outcome(mixed, codes[kind])
    down = [f for f in outcome.findings if f.check == "availability.down_at_check"]
    assert len(down) == 1, [(f.check, f.message) for f in outcome.findings]
    assert {a["error"] for a in down[0].evidence["attempts"]} == UNREADABLE[kind]
    assert down[0].severity.value == "notice" and "无法读取" in down[0].message
    assert "站点无法访问" not in outcome.score.veto_names


def test_a_page_that_lies_about_its_charset_is_read_right(inspected) -> None:  # type: ignore[no-untyped-def]
    codes, _, _, mixed, _ = inspected
    outcome = _outcome(mixed, codes["lying"])
    assert not [f for f in outcome.findings if f.check == "availability.down_at_check"]
    assert not [f for f in outcome.findings if f.check == "footer.sponsor"], outcome.findings
    assert not [
        f for f in outcome.findings if f.check == "footer.site_code" and "3611000099" not in f.message
    ]


def test_the_good_site_is_judged_as_when_alone(inspected) -> None:  # type: ignore[no-untyped-def]
    _, good, alone, mixed, _ = inspected

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
    *_, elapsed = inspected
    # Budgets: 3 s timeouts, two homepage attempts, a 60 s per-site budget; the drip and silent sites would take
    # minutes (and the huge one a gigabyte) if a budget were not enforced.
    assert elapsed < 120, elapsed
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mb < 800, peak_mb  # the crawl worker never held the gigabyte or the bomb
