"""The hostile farm: sites that are broken or malicious on purpose, one per case, each on its own loopback address.

Why: a crawler of thousands of sites it does not control meets all of these; the inspection must finish within
its budget, keep its memory bounded, say what happened to each, and leave the other sites' results alone
(tests/test_inspect_hostile.py proves it; docs/RELIABILITY.md records it).

Each case (:data:`CASES`) is a site whose homepage *is* the hostility (so the site's result says what
happened), served by one small threaded ``http.server`` per address (``127.0.9.N``): a blocking handler per
connection is the simplest way to drip bytes, reset sockets, speak HTTP/1.0 or send broken chunking, which an
ASGI server would not let us do. Large bodies are streamed in chunks and the gzip bomb is a ~1 MB buffer
made once, so the farm itself never holds the gigabyte.

An ``index`` site links to every per-request case under ``/case/<kind>`` (one site, many hostile pages: the
crawl tests use it). Pages that can be read carry a footer with the registered sponsor and site code, so
reading them right is visible in the result (no footer finding).
"""

from __future__ import annotations

import contextlib
import gzip
import os
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from govinspect.farm.tls import CA_FILE, ca_certificate, pem, server_context, site_files
from govinspect.registry.tabular import write_table
from govinspect.registry.validate import SITE_HEADERS

HOST_PREFIX = "127.0.9."
SPONSOR = "异常测试县人民政府办公室"
REGION = "上饶市"
CHINESE_PATH = "/中文栏目/index.html"
GIB = 1024**3


@dataclass(frozen=True)
class HostileCase:
    """``outcome``: what the inspection must make of the site — ``down`` (站点无法访问 with the reason),
    ``unreadable`` (a notice: it answered with something that is not a readable page), ``tls`` (a
    transport.tls finding: the page is read, the certificate judged) or ``read`` (the page is read right
    despite the hostility: no availability finding, the footer's sponsor found)."""

    kind: str
    what: str  # Chinese, for the registry name and the CLI table
    outcome: str
    errors: frozenset[str] = frozenset()  # error classes the homepage attempts may record
    tls: str | None = None
    per_request: bool = True  # also served under /case/<kind> of the index site


def _case(kind: str, what: str, outcome: str, *errors: str, **kw: object) -> HostileCase:
    return HostileCase(kind, what, outcome, frozenset(errors), **kw)  # type: ignore[arg-type]


CASES: tuple[HostileCase, ...] = (
    _case("silent", "接受连接但从不应答", "down", "timeout"),
    _case("slowloris", "每两秒发送一个字节", "down", "timeout", "reset"),
    _case("redirect_loop", "两个地址互相跳转", "down", "redirect_loop"),
    _case("redirect_endless", "无穷跳转（每次跳到新地址）", "down", "redirect_loop"),
    _case("reset", "每个连接都被重置", "down", "reset"),
    _case("broken_chunked", "分块传输编码损坏", "down", "reset", "other"),
    _case("endless_stream", "无长度且永不结束的响应", "unreadable", "too_large"),
    _case("huge", "1 GB 响应", "unreadable", "too_large"),
    _case("gzip_bomb", "gzip 炸弹（解压后 1 GB）", "unreadable", "too_large"),
    _case("binary_html", "以 .html 命名的二进制文件", "unreadable", "binary"),
    _case("wrong_type", "网页以 application/octet-stream 发送", "unreadable", "binary"),
    _case("tls_self_signed", "HTTPS 自签名证书", "tls", tls="self_signed", per_request=False),
    _case("tls_expired", "HTTPS 证书已过期", "tls", tls="expired", per_request=False),
    _case("http10", "HTTP/1.0 无 Content-Length", "read"),
    _case("lying_charset", "GBK 网页声称 UTF-8", "read"),
    _case("invalid_bytes", "含非法 GBK/UTF-8 字节", "read"),
    _case("deep_nesting", "HTML 嵌套 10000 层", "read"),
    _case("links_50k", "一个页面 50000 个链接", "read", per_request=False),
    _case("calendar", "无穷日历陷阱", "read", per_request=False),
    _case("big_robots", "数 MB 的 robots.txt", "read", per_request=False),
)
BY_KIND = {c.kind: c for c in CASES}


def site_code(number: int) -> str:
    """The registry code of the Nth hostile site (10 digits, 上饶市 prefix)."""
    return f"3611{900 + number:06d}"


def site_name(case: HostileCase) -> str:
    return f"异常网站{case.kind}（{case.what}）"


def page(case_kind: str, code: str, body: str = "", *, title: str | None = None) -> str:
    """A readable page with the footer an inspection looks for."""
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title or "异常测试县人民政府"}</title>'
        f"</head><body><ul><li><a href='/a.html'>县政府召开常务会议（{case_kind}）</a><span>2020-03-30</span>"
        f"</li></ul>{body}<div class='footer'>主办单位：{SPONSOR} 网站标识码：{code}</div></body></html>"
    )


@lru_cache(maxsize=1)
def gzip_bomb(size: int = GIB) -> bytes:
    """Gzip that inflates to ``size`` bytes (``<p>`` then NULs): members of 16 MiB, one made and repeated
    (RFC 1952 allows several members; every gzip reader takes them), so it costs ~1 MB and a tenth of a second
    to make."""
    member = 16 << 20
    first = gzip.compress(b"<p>" + b"\0" * (member - 3), 9, mtime=0)
    rest = gzip.compress(b"\0" * member, 9, mtime=0)
    return first + rest * (size // member - 1)


# --- the handler -----------------------------------------------------------------------------------------


class HostileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileServer  # type: ignore[assignment]

    def log_message(self, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self._route()

    # helpers
    def send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def head(self, status: int, length: int | None, **headers: str) -> None:
        self.send_response(status)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()

    def _route(self) -> None:
        server = self.server
        path = self.path
        if server.kind == "index":
            if path == "/robots.txt":
                return self.send(404, b"")
            if path == "/":
                return self.send(200, index_page().encode())
            for case in CASES:
                base = f"/case/{case.kind}"
                if case.per_request and (path == base or path.startswith(base + "/")):
                    return HANDLERS[case.kind](self, path.removeprefix(base) or "/", base)
            if path == quote(CHINESE_PATH):
                return self.send(200, "<html><body>中文栏目</body></html>".encode())
            if path == "/files/report.pdf":
                return self.send(200, b"%PDF-1.4 ...", "application/pdf")
            return self.send(404, b"not found")
        if path == "/robots.txt" and server.kind != "big_robots":
            return self.send(404, b"")
        return HANDLERS[server.kind](self, path, "")


Handler = Callable[[HostileHandler, str, str], None]


def _silent(h: HostileHandler, path: str, base: str) -> None:
    h.server.stopping.wait(1800)  # accepts the connection, never answers (for half an hour)


def _slowloris(h: HostileHandler, path: str, base: str) -> None:
    h.head(200, 100_000, Content_Type="text/html")
    for _ in range(1000):  # half an hour for the first thousand bytes
        h.wfile.write(b"<")
        h.wfile.flush()
        if h.server.stopping.wait(2.0):
            return


def _redirect_loop(h: HostileHandler, path: str, base: str) -> None:
    h.head(302, 0, Location=f"{base}/next" if path != "/next" else f"{base}/")


def _redirect_endless(h: HostileHandler, path: str, base: str) -> None:
    step = int(path.rsplit("/", 1)[-1]) if path.startswith("/r/") and path[3:].isdigit() else 0
    h.head(302, 0, Location=f"{base}/r/{step + 1}")


def _reset(h: HostileHandler, path: str, base: str) -> None:
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # The file objects keep the socket open; closing the descriptor itself sends the RST.
    os.close(h.connection.detach())
    h.close_connection = True


def _broken_chunked(h: HostileHandler, path: str, base: str) -> None:
    h.head(200, None, Content_Type="text/html; charset=utf-8", Transfer_Encoding="chunked")
    first = b"<html><body><p>"
    h.wfile.write(b"%x\r\n%s\r\n" % (len(first), first))
    h.wfile.write(b"zz-not-hex\r\ngarbage\r\n")  # an invalid chunk size, then the connection ends
    h.wfile.flush()
    h.close_connection = True


def _endless_stream(h: HostileHandler, path: str, base: str) -> None:
    h.head(200, None, Content_Type="text/html", Connection="close")
    chunk = b"<p>" + b"y" * 65533
    while not h.server.stopping.is_set():
        h.wfile.write(chunk)
    h.close_connection = True


def _huge(h: HostileHandler, path: str, base: str) -> None:
    h.head(200, GIB, Content_Type="text/html")
    chunk = b"<p>" + b"x" * 65533
    for _ in range(GIB // len(chunk)):
        if h.server.stopping.is_set():
            return
        h.wfile.write(chunk)


def _gzip_bomb(h: HostileHandler, path: str, base: str) -> None:
    h.send(200, gzip_bomb(), "text/html", Content_Encoding="gzip")


def _binary_html(h: HostileHandler, path: str, base: str) -> None:
    if not path.endswith(".html"):
        h.head(302, 0, Location=f"{base}/index.html")
        return
    zip_header = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 64
    h.send(200, zip_header, "text/html; charset=utf-8")


def _wrong_type(h: HostileHandler, path: str, base: str) -> None:
    h.send(200, page("wrong_type", h.server.code).encode(), "application/octet-stream")


def _readable(h: HostileHandler, path: str, base: str) -> None:
    """The TLS sites: an ordinary page, the certificate is the problem."""
    h.send(200, page(h.server.kind, h.server.code).encode())


def _http10(h: HostileHandler, path: str, base: str) -> None:
    body = page("http10", h.server.code).encode()
    head = b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n\r\n"
    h.wfile.write(head if h.command == "HEAD" else head + body)
    h.wfile.flush()
    h.close_connection = True


def _lying_charset(h: HostileHandler, path: str, base: str) -> None:
    body = page("lying_charset", h.server.code, f'<a href="{CHINESE_PATH}">中文栏目</a>').encode("gbk")
    h.send(200, body, "text/html; charset=utf-8")


def _invalid_bytes(h: HostileHandler, path: str, base: str) -> None:
    text = page("invalid_bytes", h.server.code, "<p>@@</p>").replace("utf-8", "gbk").encode("gbk")
    # Invalid GBK (a lead byte then an ASCII quote, 0x80, 0xFF) and invalid UTF-8 (a lone continuation, an
    # overlong form, a truncated sequence) in the middle of the page.
    bad = b"\x81\x22\x80\xff" + b"\x80\xc0\xaf\xe4\xb8" + b"\xfe\xfe\xfe" * 100
    h.send(200, text.replace(b"@@", bad), "text/html; charset=gbk")


def _deep_nesting(h: HostileHandler, path: str, base: str) -> None:
    depth = 10_000
    nested = "<div>" * depth + "<p>最深处</p>" + "</div>" * depth
    h.send(200, page("deep_nesting", h.server.code, nested).encode())


def _links_50k(h: HostileHandler, path: str, base: str) -> None:
    if path.startswith("/p/"):
        return h.send(200, page("links_50k", h.server.code, title="链接页").encode())
    links = "".join(f'<a href="/p/{n}.html">第{n}页</a>' for n in range(50_000))
    h.send(200, page("links_50k", h.server.code, links).encode())


def _calendar(h: HostileHandler, path: str, base: str) -> None:
    """Every day links to the day before and after, every month to its days and the months around it:
    an endless site for anything that follows links without a budget."""
    day = 0
    if path.startswith("/cal/") and path[5:].split(".")[0].lstrip("-").isdigit():
        day = int(path[5:].split(".")[0])
    links = "".join(f'<a href="/cal/{day + d}.html">第{day + d}天</a>' for d in (-31, -1, 1, 31))
    links += "".join(f'<a href="/cal/{day * 100 + d}.html">{d}日</a>' for d in range(1, 32))
    h.send(200, page("calendar", h.server.code, links, title=f"日历 {day}").encode())


def _robots_lines(start: int, stop: int) -> bytes:
    return "".join(f"Disallow: /private/{n}/\n" for n in range(start, stop)).encode()


ROBOTS_RULES = 400_000  # about 9 MB


def _big_robots(h: HostileHandler, path: str, base: str) -> None:
    if path == "/robots.txt":
        step = 10_000
        size = len(b"User-agent: *\n") + sum(
            len(_robots_lines(n, n + step)) for n in range(0, ROBOTS_RULES, step)
        )
        h.head(200, size, Content_Type="text/plain")
        h.wfile.write(b"User-agent: *\n")
        for n in range(0, ROBOTS_RULES, step):  # made and sent in pieces: never held whole
            h.wfile.write(_robots_lines(n, n + step))
        return
    h.send(200, page("big_robots", h.server.code).encode())


HANDLERS: dict[str, Handler] = {
    "silent": _silent,
    "slowloris": _slowloris,
    "redirect_loop": _redirect_loop,
    "redirect_endless": _redirect_endless,
    "reset": _reset,
    "broken_chunked": _broken_chunked,
    "endless_stream": _endless_stream,
    "huge": _huge,
    "gzip_bomb": _gzip_bomb,
    "binary_html": _binary_html,
    "wrong_type": _wrong_type,
    "tls_self_signed": _readable,
    "tls_expired": _readable,
    "http10": _http10,
    "lying_charset": _lying_charset,
    "invalid_bytes": _invalid_bytes,
    "deep_nesting": _deep_nesting,
    "links_50k": _links_50k,
    "calendar": _calendar,
    "big_robots": _big_robots,
}
assert set(HANDLERS) == set(BY_KIND)


def index_page() -> str:
    """The index site's homepage: a link to every per-request case, a Chinese path and a document."""
    links = " ".join(f'<a href="/case/{c.kind}">{c.kind}</a>' for c in CASES if c.per_request)
    return (
        f'<html><head><meta charset="utf-8"></head><body>{links} <a href="{CHINESE_PATH}">中文栏目</a> '
        '<a href="/files/report.pdf">report</a></body></html>'
    )


# --- serving -----------------------------------------------------------------------------------------------


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], kind: str, code: str, tls: ssl.SSLContext | None = None):
        super().__init__(address, HostileHandler)
        self.kind = kind
        self.code = code
        self.tls = tls
        self.stopping = threading.Event()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that give up on a hostile answer (resets, unknown CA alerts) are the point

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        if self.tls is not None:
            # The handshake happens in the handler's thread, on its first read: a client that stalls it holds
            # one thread, not the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address


@dataclass
class HostileSite:
    number: int
    case: HostileCase
    host: str
    port: int
    code: str

    @property
    def url(self) -> str:
        scheme = "https" if self.case.tls else "http"
        return f"{scheme}://{self.host}:{self.port}/"


@dataclass
class HostileFarm:
    root: Path
    sites: list[HostileSite] = field(default_factory=list)
    index_url: str = ""

    @property
    def registry_csv(self) -> Path:
        return self.root / "registry.csv"

    @property
    def ca_file(self) -> Path:
        return self.root / CA_FILE

    def by_kind(self, kind: str) -> HostileSite:
        return next(s for s in self.sites if s.case.kind == kind)


def write_registry(farm: HostileFarm) -> Path:
    rows = [
        [s.code, site_name(s.case), s.url, SPONSOR, REGION, "县级门户", "运行", "", ""] for s in farm.sites
    ]
    write_table(farm.registry_csv, list(SITE_HEADERS), rows)
    return farm.registry_csv


@contextlib.contextmanager
def serving_hostile(
    root: Path | str, *, kinds: list[str] | None = None, seed: int = 7, port: int = 0, index: bool = True
) -> Iterator[HostileFarm]:
    """Serve the hostile sites (all, or ``kinds``) in threads, each on ``127.0.9.N`` (N from 1); write
    ``registry.csv`` and the CA the TLS cases are signed by (``ca.pem``, the farm CA of ``seed``) into
    ``root``. ``port`` 0: a free port per site."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / CA_FILE).write_bytes(pem(ca_certificate(seed)))
    farm = HostileFarm(root)
    servers: list[HostileServer] = []
    chosen = [c for c in CASES if kinds is None or c.kind in kinds]
    if any(c.kind == "gzip_bomb" for c in chosen) or index:
        gzip_bomb()  # made before serving: its first client should not wait for it
    try:
        for number, case in enumerate(CASES, 1):
            if case not in chosen:
                continue
            host = f"{HOST_PREFIX}{number}"
            code = site_code(number)
            context = None
            if case.tls:
                for name, data in site_files(seed, code, host, SPONSOR, case.tls, None).items():
                    (root / name).parent.mkdir(parents=True, exist_ok=True)
                    (root / name).write_bytes(data)
                context = server_context(root, seed, code, host, SPONSOR, case.tls)
            server = HostileServer((host, port), case.kind, code, context)
            servers.append(server)
            farm.sites.append(HostileSite(number, case, host, server.server_address[1], code))
        if index:
            server = HostileServer((f"{HOST_PREFIX}100", port), "index", site_code(100))
            servers.append(server)
            farm.index_url = f"http://{HOST_PREFIX}100:{server.server_address[1]}/"
        for server in servers:
            threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
        write_registry(farm)
        yield farm
    finally:
        for server in servers:
            server.stopping.set()
            server.shutdown()
            server.server_close()


def run(
    root: Path | str,
    *,
    port: int = 0,
    seed: int = 7,
    announce: Callable[[HostileFarm], None] | None = None,
) -> None:
    """Serve until interrupted (``govinspect farm hostile``)."""
    with serving_hostile(root, port=port, seed=seed) as farm:
        if announce:
            announce(farm)
        while True:
            time.sleep(3600)
