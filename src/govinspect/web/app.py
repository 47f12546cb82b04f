"""The FastAPI application: server-rendered pages in Chinese (Jinja2 + htmx + ECharts, all served from here)
and the JSON API under ``/api/v1``.

Everything the pages show that came from a crawled page or the registry is escaped by Jinja2's autoescape; a
stored page itself is shown only through web/sanitize.py. Every response carries a Content-Security-Policy
that allows scripts from this server only (no inline script, no eval), so even a missed escape cannot run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from govinspect import __version__
from govinspect.config import Settings
from govinspect.rectify.recheck import RecheckRunner, RecheckSettings
from govinspect.rectify.rules import today_in_beijing
from govinspect.store import Store, open_store
from govinspect.store.users import ROLE_LABELS, Role
from govinspect.web.auth import Principal, session_principal
from govinspect.web.data import NotFound, OverviewCache, Profiles
from govinspect.web.launch import Launcher

HERE = Path(__file__).parent
STATIC = HERE / "static"
VENDOR = STATIC / "vendor"
VENDOR_FILES = ("htmx.min.js", "echarts.min.js")
TEMPLATES = HERE / "templates"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)
# The sanitised snapshot: no script at all, nothing fetched, a unique origin (sandbox).
SNAPSHOT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _sqlite_reader(store: Store) -> sessionmaker[Session] | None:
    """Sessions for the pages' reads on SQLite. The store begins every transaction IMMEDIATE (it takes the write
    lock, so two writers never deadlock); readers need no lock in WAL mode, and 20 users reading through the
    write lock queue behind each other. These connections begin DEFERRED and are read-only (query_only)."""
    if store.engine.url.get_backend_name() != "sqlite":
        return None
    engine = create_engine(store.engine.url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN")  # deferred: one consistent snapshot per request, no lock

    return sessionmaker(engine, expire_on_commit=False)


@dataclass
class WebContext:
    settings: Settings
    store: Store
    secure_cookies: bool = True
    # The day in Beijing: deadlines, overdue lists and the re-checks' monitoring date (tests fix it).
    today: Callable[[], date] = today_in_beijing
    recheck_settings: RecheckSettings | None = None
    profiles: Profiles = field(init=False)
    overview_cache: OverviewCache = field(default_factory=OverviewCache)
    _reader: sessionmaker[Session] | None = field(init=False, default=None)
    _runner: RecheckRunner | None = field(init=False, default=None)
    _launcher: Launcher | None = field(init=False, default=None)
    _calendar: object | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.profiles = Profiles(self.settings.home / "profiles")
        self._reader = _sqlite_reader(self.store)

    @property
    def runner(self) -> RecheckRunner:
        """Re-checks run in a background thread of this process (rectify/recheck.py), started on first use."""
        with self._lock:
            if self._runner is None:
                self._runner = RecheckRunner(self.store, self.settings, self.recheck_settings, self.today)
            return self._runner

    @property
    def launcher(self) -> Launcher:
        """Plans started from the web run as detached ``govinspect run start`` commands (web/launch.py)."""
        with self._lock:
            if self._launcher is None:
                self._launcher = Launcher(self.settings)
            return self._launcher

    def calendar(self):  # type: ignore[no-untyped-def]
        """The working-day calendar (chinesecalendar + holiday files), loaded once."""
        from govinspect.workdays.schedule import Calendar

        with self._lock:
            if self._calendar is None:
                self._calendar = Calendar.load(home=self.settings.home)
            return self._calendar

    @property
    def attachments_dir(self) -> Path:
        return self.settings.home / "attachments"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only (writes go through ``store.session()``)."""
        if self._reader is None:
            with self.store.session() as session:
                yield session
            return
        with self._reader() as session:  # closing (not rolling back) keeps loaded objects readable
            yield session

    @property
    def cookie_name(self) -> str:
        # __Host-: the browser refuses it unless Secure, Path=/ and no Domain (no sibling host can plant one).
        return "__Host-gi_session" if self.secure_cookies else "gi_session"

    @property
    def login_cookie(self) -> str:
        return "__Host-gi_login" if self.secure_cookies else "gi_login"


class LoginRequired(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, message: str = "您没有权限访问此页面") -> None:
        super().__init__(message)
        self.message = message


def context(request: Request) -> WebContext:
    return request.app.state.web


def vendor_missing() -> list[str]:
    return [name for name in VENDOR_FILES if not (VENDOR / name).is_file()]


def mark(value: object, phrase: str | None) -> Markup:
    """``value`` escaped, every occurrence of ``phrase`` wrapped in <mark> (both escaped)."""
    text = "" if value is None else str(value)
    if not phrase or phrase not in text:
        return escape(text)
    parts = [escape(p) for p in text.split(phrase)]
    return Markup(f"<mark>{escape(phrase)}</mark>").join(parts)


def http_url(value: object) -> str | None:
    """The value when it is an http(s) address (safe to link to), else None: a page may carry any scheme."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) and len(text) < 4000 else None


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.filters["mark"] = mark
    env.filters["http_url"] = http_url
    env.filters["score"] = lambda v: "—" if v is None else f"{v:.2f}"
    env.filters["points"] = lambda v: f"{v:g}"
    env.filters["when"] = lambda v: "—" if v is None else v.strftime("%Y-%m-%d %H:%M")
    env.filters["q"] = lambda v: quote(str(v), safe="")
    env.globals["ROLE_LABELS"] = {r.value: label for r, label in ROLE_LABELS.items()}
    env.globals["Role"] = Role
    env.globals["version"] = __version__
    env.globals["vendor_missing"] = vendor_missing
    return templates


def nav_counts(request: Request, principal: Principal) -> dict[str, int]:
    """The figures beside 整改 and 找错 in the menu: overdue tickets in the user's scope, reports to triage."""
    from sqlalchemy import func, select

    from govinspect.store.models import Site
    from govinspect.store.rectify import NEW, OPEN, REOPENED, ErrorReport, Ticket

    web = context(request)
    with web.read() as session:
        overdue = select(func.count(Ticket.id)).join(Site, Ticket.site_id == Site.id)
        overdue = overdue.where(Ticket.status.in_((OPEN, REOPENED)), Ticket.deadline < web.today())
        if not principal.sees_all:
            overdue = overdue.where(Site.unit_id.in_(sorted(principal.unit_ids or ())))
        counts = {"overdue": session.scalar(overdue) or 0}
        if principal.role is not Role.UNIT:
            counts["triage"] = session.scalar(
                select(func.count(ErrorReport.id)).where(ErrorReport.status == NEW)
            )
    return counts


def render(request: Request, name: str, status_code: int = 200, **values: object) -> Response:
    principal: Principal | None = getattr(request.state, "principal", None)
    templates: Jinja2Templates = request.app.state.templates
    if principal is not None and "nav_counts" not in values:
        values["nav_counts"] = nav_counts(request, principal)
    return templates.TemplateResponse(
        request,
        name,
        {"user": principal, "csrf": principal.csrf_token if principal else None, **values},
        status_code=status_code,
    )


def page_user(request: Request) -> Principal:
    """The signed-in user of a page, or a redirect to the sign-in page."""
    web = context(request)
    principal = session_principal(web.store, request.cookies.get(web.cookie_name))
    if principal is None:
        raise LoginRequired()
    request.state.principal = principal
    return principal


def page_admin(request: Request) -> Principal:
    principal = page_user(request)
    if not principal.is_admin:
        raise Forbidden("只有管理员可以管理用户")
    return principal


def safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//host`` or a scheme) is a place to go back to after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]


class SecurityHeaders:
    """Plain ASGI (cheaper than BaseHTTPMiddleware): security headers on every response, and unsafe methods
    from another origin refused before any route sees them (CSRF tokens are checked by the routes too)."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if scope["method"] in UNSAFE and not _same_origin(scope, headers):
            response = Response("跨站请求已拒绝", status_code=403, media_type="text/plain; charset=utf-8")
            await response(scope, receive, self._wrap(send, scope))
            return
        await self.app(scope, receive, self._wrap(send, scope))

    @staticmethod
    def _wrap(send, scope):  # type: ignore[no-untyped-def]
        static = scope.get("path", "").startswith("/static/")

        async def wrapped(message) -> None:  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                present = {k.lower() for k, _ in raw}
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"SAMEORIGIN",
                    b"referrer-policy": b"same-origin",
                    b"cross-origin-opener-policy": b"same-origin",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), payment=()",
                }
                if not static:
                    extra[b"cache-control"] = b"no-store"
                raw += [(k, v) for k, v in extra.items() if k not in present]
                message = {**message, "headers": raw}
            await send(message)

        return wrapped


def _same_origin(scope, headers: dict[str, str]) -> bool:  # type: ignore[no-untyped-def]
    """Browsers send Origin with every POST; one that names another host (or "null") is another site's form.
    Behind a reverse proxy, the proxy must pass the original Host header."""
    if headers.get("sec-fetch-site") == "cross-site":
        return False
    origin = headers.get("origin")
    if origin is None:
        return True  # not a browser's cross-origin request; the route's CSRF token still has to match
    if origin == "null":
        return False
    return origin.split("://", 1)[-1].rstrip("/") == headers.get("host", "")


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    secure_cookies: bool = True,
    today: Callable[[], date] | None = None,
    recheck_settings: RecheckSettings | None = None,
) -> FastAPI:
    """``today``: the date deadlines and re-checks use (default: today in Beijing); ``recheck_settings``: how
    re-checks crawl (default: as the run that found the problem)."""
    from govinspect.web import api, inbox_pages, newmedia_pages, pages, rectify_pages, report_pages, run_pages

    app = FastAPI(
        title="govinspect API",
        version=__version__,
        description="政府网站检查系统的数据接口：网站、检查任务、问题与证据。认证：`Authorization: Bearer <令牌>`"
        "（管理员在“用户”页面为账号创建令牌）；令牌的权限与其账号相同，主办单位用户只能读取本单位网站。",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # Swagger UI and ReDoc load from a CDN; the intranet has none. The JSON is served.
        redoc_url=None,
    )
    app.state.web = WebContext(
        settings,
        store or open_store(settings.database_url),
        secure_cookies,
        today or today_in_beijing,
        recheck_settings,
    )
    app.state.templates = _templates()
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(STATIC), check_dir=False), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(run_pages.router)
    app.include_router(rectify_pages.router)
    app.include_router(inbox_pages.router)
    app.include_router(inbox_pages.public)
    app.include_router(report_pages.router)
    app.include_router(newmedia_pages.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = f"/login?next={quote(safe_next(target), safe='')}"
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": location})
        return RedirectResponse(location, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return render(request, "error.html", 403, title="无权访问", message=exc.message)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, _exc: NotFound) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "未找到"}, status_code=404)
        return render(
            request, "error.html", 404, title="未找到", message="没有找到该内容，或您没有查看它的权限。"
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        titles = {403: "无权访问", 404: "未找到", 405: "不支持的请求"}
        message = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else None
        return render(
            request,
            "error.html",
            exc.status_code,
            title=titles.get(exc.status_code, "请求有误"),
            message=message or "没有找到该内容，或您没有查看它的权限。",
        )

    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory govinspect.web.app:app_from_environment`` (several worker processes)."""
    from govinspect.config import load_settings

    return create_app(load_settings(), secure_cookies=os.environ.get("GOVINSPECT_HTTP_COOKIES") != "1")
