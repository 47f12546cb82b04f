"""Chromium for the few pages that need JavaScript, and for screenshots of veto findings.

Playwright for Python drives Debian's ``chromium`` (``/usr/bin/chromium``); ``playwright install`` is never run.
When Chromium is absent, :func:`find_chromium` says so and callers record that rendering and screenshots were
skipped: nothing else in govinspect needs a browser.

Crawled pages are attacker-controlled, and a browser runs their scripts. So:

* every request the browser makes goes through a small HTTP proxy in this process (``_GuardProxy``), loopback
  included (``<-loopback>``), and the proxy applies the SSRF guard (``fetch.guard``) to every request *and to
  every redirect hop* (Playwright's request routing never sees redirects), then connects to the address it
  checked — so a name that re-resolves to a private address between check and connect (DNS rebinding) gains
  nothing. Responses are cut at ``max_page_bytes``;
* Playwright routing also sees every request the page starts (documents, frames, scripts, XHR/fetch, images):
  it refuses non-http(s) schemes and what the guard refuses before anything leaves the browser, drops media
  (and images and fonts when only the HTML is wanted), and caps the number of requests per page;
* WebSockets are answered by a mock and never reach the network; service workers are blocked; downloads are
  refused; popups are closed; dialogs are dismissed (Playwright's default with no listener);
* each page gets a fresh browser context (no cookies or storage shared between sites) and a hard time budget
  (``page_timeout_s``, 15 s): a page still busy then is closed, scripts that loop forever included.

One ``BrowserSession`` holds one Chromium for a whole run; it runs Playwright's async API on a private event
loop, so the callers stay synchronous and a hung page can be closed from outside.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from govinspect.fetch.crawl import DEFAULT_USER_AGENT
from govinspect.fetch.guard import BlockedAddressError, GuardPolicy, IPAddress, UnresolvableError, check_url

CHROMIUM = "/usr/bin/chromium"
Guard = Callable[[str], Sequence[IPAddress]]  # raises BlockedAddressError for a refused URL

_HEAD_LIMIT = 64 * 1024
_NO_BODY = frozenset({204, 304})
_STRIP_REQUEST_HEADERS = frozenset({"proxy-connection", "proxy-authorization", "connection", "keep-alive"})


def find_chromium(path: str = CHROMIUM) -> str | None:
    """The Chromium executable, or None when it is not installed (then nothing is rendered)."""
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def unavailable_reason(path: str = CHROMIUM) -> str:
    return f"未找到 Chromium（{path}），需要 JavaScript 的页面未渲染，否决项未截图"


_BROWSER_SERVICES = ("google.com", "googleapis.com", "gstatic.com", "chrome.com")


def _browser_service(url: str) -> bool:
    """Chromium's own background traffic (component updates, sign-in): refused like everything else, but not
    something the page did."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in _BROWSER_SERVICES)


class BrowserUnavailable(RuntimeError):
    """Chromium is missing or does not start; the message is shown to officials."""


@dataclass(frozen=True)
class BrowserOptions:
    allow_private_networks: bool = False
    chromium: str = CHROMIUM
    user_agent: str = DEFAULT_USER_AGENT
    page_timeout_s: float = 15.0  # navigation + scripts + reading the DOM or taking the picture
    settle_s: float = 3.0  # after "load", wait at most this long for the network to fall idle
    max_page_bytes: int = 5 * 1024 * 1024  # each response, and the rendered HTML
    max_requests_per_page: int = 300
    viewport: tuple[int, int] = (1280, 900)
    max_screenshot_height: int = 4000
    launch_timeout_s: float = 30.0


@dataclass
class Rendered:
    """The page after its scripts ran (``html``), or why there is none (``error`` class, Chinese ``message``)."""

    url: str
    final_url: str | None = None
    status: int | None = None
    html: str | None = None
    error: str | None = None  # blocked_ssrf | timeout | too_large | download | connect | other
    message: str | None = None
    blocked: list[str] = field(default_factory=list)  # URLs the guard refused while the page loaded
    requests: int = 0
    elapsed_ms: int = 0


@dataclass
class Shot:
    url: str
    path: Path | None = None
    final_url: str | None = None
    status: int | None = None
    error: str | None = None
    message: str | None = None
    error_page: bool = False  # the page did not open; the picture shows the browser's error page
    elapsed_ms: int = 0


@dataclass
class _PageState:
    main_url: str
    requests: int = 0
    blocked: list[str] = field(default_factory=list)
    main_refused: str | None = None
    too_large: bool = False


def _error_class(exc: BaseException) -> str:
    text = str(exc)
    if "ERR_BLOCKED_BY_CLIENT" in text:
        return "blocked_ssrf"
    if "Download is starting" in text:
        return "download"
    if isinstance(exc, asyncio.TimeoutError) or "Timeout" in text or "ERR_TIMED_OUT" in text:
        return "timeout"
    if "ERR_NAME_NOT_RESOLVED" in text:
        return "dns"
    if any(code in text for code in ("ERR_CONNECTION", "ERR_EMPTY_RESPONSE", "ERR_TUNNEL", "ERR_PROXY")):
        return "connect"
    return "other"


_MESSAGES = {
    "blocked_ssrf": "地址被安全策略拒绝（内网或保留地址）",
    "download": "页面是文件下载，未打开",
    "timeout": "页面在时限内未完成加载",
    "dns": "域名无法解析",
    "connect": "无法连接网站",
    "too_large": "页面过大，已放弃",
    "other": "浏览器打开页面失败",
}


class _GuardProxy:
    """An HTTP/1.1 forward proxy for Chromium that applies the SSRF guard to every request and redirect hop.

    Plain HTTP requests are forwarded one per upstream connection (``Connection: close``), the response framed
    by Content-Length, chunked encoding or EOF and cut at ``max_bytes``; HTTPS arrives as CONNECT and is tunnelled
    to the checked address with the same byte cap.
    """

    def __init__(self, guard: Guard, max_bytes: int, timeout: float):
        self.guard = guard
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.blocked: list[str] = []
        self.cut: list[str] = []
        self.unreachable: list[str] = []  # answered with the proxy's own 502 note
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await asyncio.wait_for(self._one(reader, writer), self.timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _refuse(self, writer: asyncio.StreamWriter, status: str) -> None:
        writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
        with contextlib.suppress(OSError):
            await writer.drain()

    async def _check(self, url: str) -> list[IPAddress] | None:
        try:
            return list(await asyncio.to_thread(self.guard, url))
        except BlockedAddressError:
            self.blocked.append(url)
            return None

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > _HEAD_LIMIT:
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            host = host.strip("[]")
            url = f"https://{host}:{port}/" if ":" not in host else f"https://[{host}]:{port}/"
            addresses = await self._check(url)
            if not addresses:
                await self._refuse(writer, "403 Forbidden")
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(str(addresses[0]), int(port))
            except OSError:
                await self._refuse(writer, "502 Bad Gateway")
                return
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            await self._tunnel(reader, writer, up_reader, up_writer, url)
            return
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            await self._refuse(writer, "400 Bad Request")
            return
        if any(k.lower() == "upgrade" for k, _ in headers):
            await self._refuse(writer, "403 Forbidden")  # WebSockets are mocked in the browser
            return
        addresses = await self._check(target)
        if not addresses:
            await self._refuse(writer, "403 Forbidden")
            return
        length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
        if any(k.lower() == "transfer-encoding" for k, _ in headers) or length > self.max_bytes:
            await self._refuse(writer, "501 Not Implemented")
            return
        body = await reader.readexactly(length) if length else b""
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        out = [f"{method} {path} HTTP/1.1"]
        out += [f"{k}: {v}" for k, v in headers if k.lower() not in _STRIP_REQUEST_HEADERS]
        out.append("Connection: close")
        try:
            up_reader, up_writer = await asyncio.open_connection(str(addresses[0]), parts.port or 80)
        except OSError as exc:
            self.unreachable.append(target)
            note = f"govinspect：无法连接 {parts.netloc}（{exc.strerror or exc}）".encode()
            writer.write(
                b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
                + f"Content-Length: {len(note)}\r\n\r\n".encode()
                + note
            )
            await writer.drain()
            return
        try:
            up_writer.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
            await up_writer.drain()
            await self._relay_response(up_reader, writer, method, target)
        finally:
            with contextlib.suppress(Exception):
                up_writer.close()

    async def _relay_response(
        self, up: asyncio.StreamReader, writer: asyncio.StreamWriter, method: str, url: str
    ) -> None:
        head = await up.readuntil(b"\r\n\r\n")
        if len(head) > _HEAD_LIMIT:
            return
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        if int(fields.get("content-length") or 0) > self.max_bytes:
            self.cut.append(url)  # announced too large: refused before a byte of it is relayed
            await self._refuse(writer, "502 Bad Gateway")
            return
        # tell Chromium this connection ends with the response: the body is framed as upstream framed it
        kept = [
            line for line in lines[1:] if line and not line.lower().startswith(("connection:", "keep-alive:"))
        ]
        writer.write(("\r\n".join([lines[0], *kept, "Connection: close"]) + "\r\n\r\n").encode("latin-1"))
        if method == "HEAD" or status in _NO_BODY or 100 <= status < 200:
            await writer.drain()
            return
        sent = 0

        async def send(data: bytes) -> None:
            nonlocal sent
            sent += len(data)
            if sent > self.max_bytes:
                self.cut.append(url)
                raise ValueError("response too large")
            writer.write(data)
            await writer.drain()

        if "chunked" in fields.get("transfer-encoding", "").lower():
            while True:
                size_line = await up.readuntil(b"\r\n")
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                await send(size_line)
                if size == 0:
                    while (trailer := await up.readuntil(b"\r\n")) != b"\r\n":
                        await send(trailer)
                    await send(b"\r\n")
                    return
                await send(await up.readexactly(size + 2))
        if "content-length" in fields:
            remaining = int(fields["content-length"])
            while remaining > 0:
                data = await up.read(min(65536, remaining))
                if not data:
                    return
                remaining -= len(data)
                await send(data)
            return
        while data := await up.read(65536):
            await send(data)

    async def _tunnel(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
        url: str,
    ) -> None:
        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, cap: bool) -> None:
            total = 0
            while data := await src.read(65536):
                total += len(data)
                if cap and total > self.max_bytes:
                    self.cut.append(url)
                    return
                dst.write(data)
                await dst.drain()

        tasks = [
            asyncio.ensure_future(pipe(reader, up_writer, False)),
            asyncio.ensure_future(pipe(up_reader, writer, True)),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(Exception):
                up_writer.close()


class BrowserSession:
    """One Chromium for a run: ``render(url)`` and ``screenshot(url, path)``, each page in a fresh context."""

    def __init__(self, options: BrowserOptions | None = None, *, guard: Guard | None = None):
        self.options = options or BrowserOptions()
        policy = GuardPolicy(self.options.allow_private_networks)
        self.guard: Guard = guard or (lambda url: check_url(url, policy))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._proxy: _GuardProxy | None = None
        self.pages = 0

    # life cycle -----------------------------------------------------------------------------------------
    def __enter__(self) -> BrowserSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def started(self) -> bool:
        return self._browser is not None

    def start(self) -> None:
        """Launch Chromium (idempotent); raises BrowserUnavailable with a message for officials."""
        if self._browser is not None:
            return
        if find_chromium(self.options.chromium) is None:
            raise BrowserUnavailable(unavailable_reason(self.options.chromium))
        self._loop = asyncio.new_event_loop()
        try:
            self._run(self._start(), self.options.launch_timeout_s)
        except Exception as exc:
            self.close()
            raise BrowserUnavailable(f"Chromium 无法启动：{exc}") from exc

    async def _start(self) -> None:
        from playwright.async_api import async_playwright

        self._proxy = _GuardProxy(self.guard, self.options.max_page_bytes, self.options.page_timeout_s + 5)
        port = await self._proxy.start()
        self._playwright = await async_playwright().start()
        args = [
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--lang=zh-CN",
            "--js-flags=--max-old-space-size=256",
            "--disable-background-networking",
            "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
            "--disable-component-update",
            "--disable-sync",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--disable-default-apps",
            "--no-pings",
            "--no-first-run",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to start its sandbox as root
        self._browser = await self._playwright.chromium.launch(
            executable_path=self.options.chromium,
            args=args,
            proxy={"server": f"http://127.0.0.1:{port}", "bypass": "<-loopback>"},
            timeout=self.options.launch_timeout_s * 1000,
        )

    def close(self) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(Exception):
            self._run(self._stop(), 20)
        self._loop.close()
        self._loop = None
        self._browser = self._playwright = self._proxy = None

    async def _stop(self) -> None:
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await self._browser.close()
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                await self._playwright.stop()
        if self._proxy is not None:
            await self._proxy.close()

    def _run(self, coro: Any, timeout: float) -> Any:
        assert self._loop is not None
        return self._loop.run_until_complete(asyncio.wait_for(coro, timeout))

    # pages ----------------------------------------------------------------------------------------------
    def render(self, url: str) -> Rendered:
        """The page's HTML after its scripts ran, within the page budget; never raises for a bad page."""
        self.start()
        result = Rendered(url)
        work = lambda page, state: self._render(page, state, result)  # noqa: E731
        return self._run(self._page(url, work, result), self.options.page_timeout_s + 10)

    def screenshot(self, url: str, path: Path | str) -> Shot:
        """A PNG of the page as a visitor sees it (top of the page, at most ``max_screenshot_height`` px)."""
        self.start()
        shot = Shot(url)
        work = lambda page, state: self._shoot(page, state, Path(path), shot)  # noqa: E731
        return self._run(self._page(url, work, shot), self.options.page_timeout_s + 10)

    async def _page(self, url: str, work: Callable[[Any, _PageState], Any], result: Rendered | Shot) -> Any:
        started = time.monotonic()
        self.pages += 1
        state = _PageState(url)
        assert self._proxy is not None
        proxy_blocked = len(self._proxy.blocked)
        proxy_cut = len(self._proxy.cut)
        proxy_unreachable = len(self._proxy.unreachable)
        context = await self._browser.new_context(
            accept_downloads=False,
            service_workers="block",
            user_agent=self.options.user_agent,
            viewport={"width": self.options.viewport[0], "height": self.options.viewport[1]},
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            ignore_https_errors=True,  # pages are shown as past the warning; transport.tls judges the certificate
        )
        try:
            drop = {"media"} if isinstance(result, Shot) else {"media", "image", "font"}
            await context.route("**/*", lambda route: self._route(route, state, drop))
            await context.route_web_socket("**/*", lambda ws: None)  # mocked: never reaches the network
            await context.add_init_script("window.open = function () { return null; };")  # no popups
            page = await context.new_page()
            page.on("popup", lambda popup: asyncio.ensure_future(popup.close()))
            try:
                await asyncio.wait_for(work(page, state), self.options.page_timeout_s)
            except Exception as exc:
                result.error = "blocked_ssrf" if state.main_refused else _error_class(exc)
                result.message = state.main_refused or _MESSAGES[result.error]
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(context.close(), 5)
        hops = [u for u in self._proxy.blocked[proxy_blocked:] if not _browser_service(u)]
        blocked = state.blocked + hops
        if result.error is not None and hops and not state.main_refused:
            result.error = "blocked_ssrf"  # a redirect (or a frame) went where the guard refuses to go
            result.message = f"页面跳转到被安全策略拒绝的地址：{hops[0]}"
        cut = self._proxy.cut[proxy_cut:]  # the document itself was cut at max_page_bytes: no partial pages
        if isinstance(result, Rendered) and (url in cut or result.final_url in cut):
            result.error, result.message, result.html = "too_large", _MESSAGES["too_large"], None
        if isinstance(result, Shot) and result.url in self._proxy.unreachable[proxy_unreachable:]:
            result.error_page, result.error = True, "connect"
            result.message = "无法连接网站，截图为连接失败的说明页"
        if isinstance(result, Rendered):
            result.blocked = list(dict.fromkeys(blocked))
            result.requests = state.requests
        result.elapsed_ms = int((time.monotonic() - started) * 1000)
        return result

    async def _route(self, route: Any, state: _PageState, drop: set[str]) -> None:
        request = route.request
        url = request.url
        if url.startswith(("data:", "blob:")):
            await route.continue_()
            return
        state.requests += 1
        main = request.is_navigation_request() and url == state.main_url and state.requests == 1
        if not main and (
            request.resource_type in drop or state.requests > self.options.max_requests_per_page
        ):
            await route.abort("blockedbyclient")
            return
        try:
            await asyncio.to_thread(self.guard, url)
        except BlockedAddressError as exc:
            state.blocked.append(url)
            if main and not isinstance(exc, UnresolvableError):
                state.main_refused = str(exc)
            await route.abort("namenotresolved" if isinstance(exc, UnresolvableError) else "blockedbyclient")
            return
        await route.continue_()

    async def _open(self, page: Any, url: str) -> Any:
        response = await page.goto(url, wait_until="load", timeout=self.options.page_timeout_s * 1000)
        with contextlib.suppress(Exception):
            await page.wait_for_load_state("networkidle", timeout=self.options.settle_s * 1000)
        return response

    async def _render(self, page: Any, state: _PageState, result: Rendered) -> None:
        response = await self._open(page, result.url)
        result.status = response.status if response is not None else None
        result.final_url = page.url
        size = await page.evaluate(
            "() => document.documentElement ? document.documentElement.outerHTML.length : 0"
        )
        if size > self.options.max_page_bytes:
            result.error, result.message = "too_large", _MESSAGES["too_large"]
            return
        result.html = await page.content()

    async def _shoot(self, page: Any, state: _PageState, path: Path, shot: Shot) -> None:
        try:
            response = await self._open(page, shot.url)
            shot.status = response.status if response is not None else None
            shot.final_url = page.url
        except Exception as exc:
            if state.main_refused or "ERR_BLOCKED_BY_CLIENT" in str(exc) or "Download" in str(exc):
                raise
            # the page did not open: the browser's own error page is the evidence
            shot.error_page = True
            shot.error = _error_class(exc)
            shot.message = f"{_MESSAGES[shot.error]}，截图为浏览器错误页"
        height = 0
        with contextlib.suppress(Exception):  # an error page may still be replacing the document
            await page.wait_for_load_state("load", timeout=2000)
            height = await page.evaluate(
                "() => Math.max(document.documentElement ? document.documentElement.scrollHeight : 0,"
                " document.body ? document.body.scrollHeight : 0)"
            )
        width, view_height = self.options.viewport
        height = max(view_height, min(int(height or 0), self.options.max_screenshot_height))
        path.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(
            path=str(path),
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": height},
            animations="disabled",
            timeout=self.options.page_timeout_s * 1000,
        )
        shot.path = path
