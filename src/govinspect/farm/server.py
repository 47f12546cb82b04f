"""Serving a farm on loopback: one uvicorn server, one listening socket per live site (127.0.X.Y:PORT).

A raw ASGI app dispatches on the local address the request arrived on. It serves the built files (a URL
with a query string maps to ``path@query``), the dynamic search of each CMS style, HEAD, ETag/Last-Modified
with 304, gzip, and the behaviours: ``firewall`` (403 to any User-Agent without "Mozilla/"), ``slow``
(responses delayed, homepage the most), ``flaky`` (every Nth connection reset at accept, see
``FlakyHttpToolsProtocol``). A ``down`` site has no listener. The external origin (127.0.0.2) stands in for
the internet: most paths answer 200, the farm's broken external targets answer 404.

An https site (``FarmSite.tls``) is served over TLS on its own socket with its own certificate (farm/tls.py;
an ``expiring`` one is made when the server starts): :class:`FarmServer` adds those listeners to uvicorn's.
Clients trust the farm CA only if told to (``farm.ca_file``).

``/__farm__/ping`` answers 200 on every live site, bypassing firewall and delay (readiness checks).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import gzip
import http.client
import json
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from html import escape
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from govinspect.farm.model import Farm, FarmSite, load_farm
from govinspect.farm.newmedia import PREFIX as NEWMEDIA_PREFIX
from govinspect.farm.newmedia import NewMediaSite
from govinspect.farm.plan import EXTERNAL_HOST, host_for
from govinspect.farm.tls import server_context

PING = "/__farm__/ping"
_TEXT_TYPES = {
    ".css": "text/css",
    ".js": "application/javascript",
    ".png": "image/png",
    ".txt": "text/plain",
    ".json": "application/json",
}
_HTML_SUFFIXES = {".html", ".htm", ".shtml", ".jsp", ".do"}


class _SiteRuntime:
    def __init__(self, farm: Farm, site: FarmSite):
        self.site = site
        self.root = (farm.root / site.dir).resolve()
        self.html_type = "text/html" + (f"; charset={site.header_charset}" if site.header_charset else "")
        self.search_index_path = farm.root / "search" / f"{site.site_code}.json"
        self._index: list[list[str]] | None = None
        self.slow = farm.slow_seconds if site.behaviour == "slow" else 0.0

    def index(self) -> list[list[str]]:
        if self._index is None:
            self._index = json.loads(self.search_index_path.read_text("utf-8"))
        return self._index


class FarmApp:
    def __init__(self, farm: Farm):
        self.farm = farm
        self.sites = {s.host: _SiteRuntime(farm, s) for s in farm.sites if not s.down}
        self.external_host = farm.external_host
        self.external_404 = set(farm.external_404)
        self.newmedia = NewMediaSite(farm.root)  # /nm/… on the external origin (farm/newmedia.py)
        self._gzip: dict[tuple[str, int], bytes] = {}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        host = scope["server"][0] if scope.get("server") else ""
        method = scope["method"]
        head = method == "HEAD"
        if method not in ("GET", "HEAD"):
            await _respond(send, 405, "text/plain", b"method not allowed", head)
            return
        path = scope["path"]
        if path == PING:
            await _respond(send, 200, "text/plain", b"ok", head)
            return
        if host == self.external_host and path.startswith(NEWMEDIA_PREFIX):
            await self.newmedia(scope, receive, send)
            return
        if host == self.external_host:
            await self._external(send, path, head)
            return
        rt = self.sites.get(host)
        if rt is None:
            await _respond(send, 404, "text/plain", b"unknown site", head)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if rt.site.behaviour == "firewall" and "Mozilla/" not in headers.get("user-agent", ""):
            body = "<html><body><h1>403 Forbidden</h1><p>访问被拒绝</p></body></html>".encode()
            await _respond(send, 403, "text/html; charset=utf-8", body, head)
            return
        if rt.slow:
            await asyncio.sleep(rt.slow if path in ("/", rt.site.homepage) else rt.slow / 6)
        query = scope.get("query_string", b"").decode("latin-1")
        if rt.site.search_path and path == rt.site.search_path:
            await self._search(send, rt, query, head)
            return
        await self._file(send, rt, path, query, headers, head)

    async def _file(self, send, rt: _SiteRuntime, path: str, query: str, headers: dict, head: bool) -> None:
        rel = rt.site.homepage if path == "/" else path
        rel = rel.lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        if query:
            rel = f"{rel}@{unquote(query)}"
        if ".." in rel.split("/") or "\\" in rel:
            await self._not_found(send, head)
            return
        file = rt.root / rel
        try:
            st = file.stat()
        except OSError:
            await self._not_found(send, head)
            return
        if not file.is_file():
            await self._not_found(send, head)
            return
        suffix = Path(rel.split("@", 1)[0]).suffix
        ctype = (
            rt.html_type
            if (suffix in _HTML_SUFFIXES or "@" in rel)
            else _TEXT_TYPES.get(suffix, "application/octet-stream")
        )
        etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
        last_modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        extra = [
            (b"etag", etag.encode()),
            (b"last-modified", last_modified.encode()),
            (b"cache-control", b"max-age=60"),
        ]
        inm = headers.get("if-none-match")
        ims = headers.get("if-modified-since")
        if (inm and etag in inm) or (not inm and ims and _not_modified_since(ims, st.st_mtime)):
            await send({"type": "http.response.start", "status": 304, "headers": extra})
            await send({"type": "http.response.body", "body": b""})
            return
        body = file.read_bytes()
        if (
            "gzip" in headers.get("accept-encoding", "")
            and len(body) > 512
            and not ctype.startswith("image/")
        ):
            key = (str(file), st.st_mtime_ns)
            gz = self._gzip.get(key)
            if gz is None:
                if len(self._gzip) > 20000:
                    self._gzip.clear()
                gz = self._gzip[key] = gzip.compress(body, 5, mtime=0)
            body = gz
            extra += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
        await _respond(send, 200, ctype, body, head, extra)

    async def _not_found(self, send, head: bool) -> None:
        body = "<html><head><title>404</title></head><body><h1>404 Not Found</h1><p>您访问的页面不存在</p></body></html>"
        await _respond(send, 404, "text/html; charset=utf-8", body.encode(), head)

    async def _search(self, send, rt: _SiteRuntime, query: str, head: bool) -> None:
        words: list[str] = []
        for part in query.split("&"):
            key, _, raw = part.partition("=")
            if key == rt.site.search_param and raw:
                data = unquote_to_bytes(raw.replace("+", " "))
                try:
                    words.append(data.decode("utf-8"))
                except UnicodeDecodeError:
                    words.append(data.decode("gb18030", errors="replace"))
        q = " ".join(words).strip()
        hits = [e for e in rt.index() if q and q in e[0]] if q else []
        items = "\n".join(
            f'<li><a href="{escape(p, quote=True)}">{escape(t)}</a><span class="date">{d}</span></li>'
            for t, p, d in hits[:50]
        )
        cs = rt.site.meta_charset
        html = (
            f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" content="text/html; charset={cs}">'
            f"<title>搜索结果_{escape(rt.site.name)}</title></head><body>\n"
            f'<div class="search-result"><p>关键词：{escape(q)}　共找到{len(hits)}条结果</p>\n<ul>{items}</ul>'
            f"{'' if hits else '<p>未找到相关结果</p>'}</div>\n</body></html>\n"
        )
        await _respond(send, 200, rt.html_type, html.encode(rt.site.encoding, errors="replace"), head)

    async def _external(self, send, path: str, head: bool) -> None:
        if path in self.external_404:
            await self._not_found(send, head)
            return
        if path.startswith(("/403/", "/429/")):  # links.blocked defects: refused to every visitor
            status = int(path[1:4])
            body = "<html><head><meta charset='utf-8'><title>访问受限</title></head><body><p>访问受限</p></body></html>"
            await _respond(send, status, "text/html; charset=utf-8", body.encode(), head)
            return
        if path.startswith("/bc/"):
            body = "<html><head><meta charset='utf-8'><title>娱乐城</title></head><body><h1>在线娱乐 注册即送</h1></body></html>"
        elif path.startswith("/x/"):
            if path.endswith(".js"):
                await _respond(send, 200, "application/javascript", b"/* injected */ var _x = 1;", head)
                return
            body = "<html><body><script>var _x=1;</script></body></html>"
        elif path.endswith((".jpg", ".png", ".gif")):
            await _respond(send, 200, "image/png", b"\x89PNG\r\n\x1a\n", head)
            return
        else:
            body = f"<html><head><meta charset='utf-8'><title>外部网站</title></head><body><p>{escape(path)}</p></body></html>"
        await _respond(send, 200, "text/html; charset=utf-8", body.encode(), head)


def _not_modified_since(ims: str, mtime: float) -> bool:
    try:
        parsed = email.utils.parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    return parsed is not None and int(mtime) <= parsed.timestamp()


async def _respond(send, status: int, ctype: str, body: bytes, head: bool, extra: list | None = None) -> None:
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


def _flaky_protocol(flaky_hosts: set[str], every: int) -> type:
    counters: dict[str, int] = dict.fromkeys(flaky_hosts, 0)

    class FlakyHttpToolsProtocol(HttpToolsProtocol):
        """Resets every ``every``-th connection to a flaky site (RST, no response)."""

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            host = self.server[0] if self.server else None
            if host in counters:
                counters[host] += 1
                if counters[host] % every == 0:
                    sock = transport.get_extra_info("socket")
                    if sock is not None:
                        with contextlib.suppress(OSError):
                            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    transport.abort()

    return FlakyHttpToolsProtocol


def free_port(sites: int) -> int:
    """A port free on the external origin and on the address of each of ``sites`` sites (tests, benches)."""
    for _ in range(50):
        probe = socket.socket()
        probe.bind((EXTERNAL_HOST, 0))
        port = probe.getsockname()[1]
        probe.close()
        if all(_bindable(host_for(i), port) for i in range(sites)):
            return port
    raise RuntimeError("no free port for the farm")


def _bindable(host: str, port: int) -> bool:
    sock = socket.socket()
    try:
        sock.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def open_sockets(farm: Farm, port: int | None = None) -> list[socket.socket]:
    """Bind one listening socket per live site plus the external origin (loopback only)."""
    port = port or farm.port
    hosts = [farm.external_host] + [s.host for s in farm.sites if not s.down]
    socks = []
    try:
        for host in hosts:
            if not host.startswith("127."):
                raise ValueError(f"refusing to bind non-loopback address {host}")
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
            sock.listen(1024)
            sock.setblocking(False)
            socks.append(sock)
    except OSError as exc:
        for s in socks:
            s.close()
        raise OSError(f"无法绑定 {host}:{port}：{exc}") from exc
    return socks


def tls_contexts(farm: Farm) -> dict[str, ssl.SSLContext]:
    """The server-side TLS context of each live https site, by its address."""
    return {
        s.host: server_context(farm.root, farm.seed, s.site_code, s.host, s.name, s.tls)
        for s in farm.sites
        if s.tls is not None and not s.down
    }


class FarmServer(uvicorn.Server):
    """uvicorn with one TLS context per listening socket: uvicorn's own ``ssl`` setting is one for all."""

    def __init__(self, config: uvicorn.Config, tls: dict[str, ssl.SSLContext]):
        super().__init__(config)
        self.tls = tls

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        secure = [s for s in sockets or [] if s.getsockname()[0] in self.tls]
        await super().startup(sockets=[s for s in sockets or [] if s not in secure])
        loop = asyncio.get_running_loop()
        protocol = functools.partial(
            self.config.http_protocol_class,
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
        )
        for sock in secure:
            server = await loop.create_server(
                protocol, sock=sock, ssl=self.tls[sock.getsockname()[0]], backlog=self.config.backlog
            )
            self.servers.append(server)


def make_server(farm: Farm) -> uvicorn.Server:
    flaky = {s.host for s in farm.sites if s.behaviour == "flaky"}
    config = uvicorn.Config(
        FarmApp(farm),
        http=_flaky_protocol(flaky, farm.flaky_every),
        loop="uvloop",
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=15,
        backlog=1024,
    )
    return FarmServer(config, tls_contexts(farm))


def run(farm_dir: Path | str) -> None:
    """Serve until interrupted (blocking; used by the CLI and the child-process mode)."""
    farm = load_farm(farm_dir)
    socks = open_sockets(farm)
    server = make_server(farm)
    server.run(sockets=socks)


def wait_ready(farm: Farm, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    secure = {s.host for s in farm.sites if s.tls is not None}
    hosts = [farm.external_host] + [s.host for s in farm.sites if not s.down]
    pending = list(hosts)
    unverified = ssl._create_unverified_context()  # readiness only: the certificates are the farm's own
    while pending:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"farm server exited with code {proc.returncode}")
        host = pending[0]
        try:
            conn = (
                http.client.HTTPSConnection(host, farm.port, timeout=2, context=unverified)
                if host in secure
                else http.client.HTTPConnection(host, farm.port, timeout=2)
            )
            conn.request("GET", PING)
            ok = conn.getresponse().status == 200
            conn.close()
        except OSError:
            ok = False
        if ok:
            pending.pop(0)
            continue
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"farm server not ready after {timeout} s ({len(pending)} sites pending, e.g. {host})"
            )
        time.sleep(0.05)


class ServerHandle:
    def __init__(self, farm: Farm):
        self.farm = farm
        self.sites = farm.sites

    def url(self, site: FarmSite, path: str = "/") -> str:
        return site.base_url + path


@contextlib.contextmanager
def serving(
    farm_dir: Path | str, *, ready_timeout: float = 30, mode: str = "thread"
) -> Iterator[ServerHandle]:
    """Serve a built farm in a background thread (default) or a child process (``mode="process"``).

    Returns only when every live site answers; stops cleanly on exit.
    """
    farm = load_farm(farm_dir)
    handle = ServerHandle(farm)
    if mode == "process":
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from govinspect.farm.server import run; run(sys.argv[1])",
                str(farm.root),
            ],
            stdin=subprocess.DEVNULL,
        )
        try:
            wait_ready(farm, ready_timeout, proc)
            yield handle
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return
    socks = open_sockets(farm)
    server = make_server(farm)
    errors: list[BaseException] = []

    def target() -> None:
        try:
            import uvloop

            loop = uvloop.new_event_loop()
            asyncio.set_event_loop(loop)
            loop.run_until_complete(server.serve(sockets=socks))
            loop.close()
        except BaseException as exc:  # surfaced to the caller below
            errors.append(exc)

    thread = threading.Thread(target=target, name="govinspect-farm-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + ready_timeout
        while not server.started:
            if errors or not thread.is_alive():
                raise RuntimeError(f"farm server failed to start: {errors[:1]}")
            if time.monotonic() > deadline:
                raise TimeoutError("farm server did not start")
            time.sleep(0.01)
        wait_ready(farm, max(1.0, deadline - time.monotonic()))
        yield handle
    finally:
        server.should_exit = True
        thread.join(15)
        for s in socks:
            with contextlib.suppress(OSError):
                s.close()


if __name__ == "__main__":
    run(sys.argv[1])
