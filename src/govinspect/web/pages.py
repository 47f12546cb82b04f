"""The pages officials use: 总览, 网站, 检查任务, 指标, 用户, and signing in and out.

Every page depends on :func:`page_user` (or :func:`page_admin`); every form posts a CSRF token that
:func:`checked_form` compares with the session's before anything changes.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData

from govinspect.checks.names import CHECK_NAMES
from govinspect.scoring.profile import ProfileError, load_profile, shipped_profiles
from govinspect.store.models import Unit
from govinspect.store.results import Run
from govinspect.store.snapshots import SnapshotStore
from govinspect.store.users import ApiToken, Role, User
from govinspect.web import auth, data
from govinspect.web.app import SNAPSHOT_CSP, Forbidden, context, page_admin, page_user, render, safe_next
from govinspect.web.rectify_data import ticket_for_finding
from govinspect.web.sanitize import sanitise

router = APIRouter(include_in_schema=False)
User_ = Annotated[auth.Principal, Depends(page_user)]
Admin_ = Annotated[auth.Principal, Depends(page_admin)]


async def checked_form(request: Request, principal: User_) -> FormData:
    """The posted form, once its CSRF token matched the session's (else 403)."""
    form = await request.form()
    token = form.get("csrf_token") or request.headers.get("x-csrf-token")
    if not auth.csrf_matches(principal, token if isinstance(token, str) else None):
        raise Forbidden("表单已过期或来源不明，请刷新页面后重试")
    return form


Form_ = Annotated[FormData, Depends(checked_form)]


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0].strip("[]") if host.count(":") <= 1 or host.startswith("[") else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _cookie_warning(request: Request) -> str | None:
    """Secure cookies over plain HTTP are dropped by the browser (loopback excepted): say so, not fail mutely."""
    web = context(request)
    if web.secure_cookies and request.url.scheme == "http" and not _loopback(request.headers.get("host", "")):
        return (
            "当前通过 HTTP 访问，浏览器不会保存安全登录凭据，无法登录。请通过 HTTPS 访问本系统；"
            "确需在内网以 HTTP 运行时，请以 govinspect serve --http-cookies 启动。"
        )
    return None


# -- signing in and out ---------------------------------------------------------------------------------------


def _login_page(request: Request, next_: str, error: str | None = None, status: int = 200) -> Response:
    web = context(request)
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status,
        next=safe_next(next_),
        login_csrf=token,
        error=error,
        warning=_cookie_warning(request),
        no_users=_no_users(request),
    )
    response.set_cookie(
        web.login_cookie,
        token,
        max_age=3600,
        httponly=True,
        secure=web.secure_cookies,
        samesite="strict",
        path="/",
    )
    return response


def _no_users(request: Request) -> bool:
    with context(request).read() as session:
        return session.scalar(select(User.id).limit(1)) is None


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, next)


@router.post("/login")
async def login(request: Request) -> Response:
    web = context(request)
    form = await request.form()
    next_ = str(form.get("next") or "/")
    cookie = request.cookies.get(web.login_cookie)
    submitted = form.get("csrf_token")
    if not cookie or not isinstance(submitted, str) or not secrets.compare_digest(cookie, submitted):
        return _login_page(request, next_, "页面已过期，请重新输入用户名和密码", 403)
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    if not username or not password:
        return _login_page(request, next_, "请输入用户名和密码", 400)
    outcome = auth.authenticate(web.store, username, password, _client(request))
    if outcome.user_id is None:
        return _login_page(request, next_, outcome.error, 429 if outcome.locked else 401)
    token = auth.start_session(web.store, outcome.user_id, _client(request))
    response = RedirectResponse(safe_next(next_), status_code=303)
    response.set_cookie(
        web.cookie_name,
        token,
        max_age=int(auth.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        secure=web.secure_cookies,
        samesite="lax",
        path="/",
    )
    response.delete_cookie(web.login_cookie, path="/", secure=web.secure_cookies, httponly=True)
    return response


@router.post("/logout")
def logout(request: Request, _form: Form_) -> Response:
    web = context(request)
    token = request.cookies.get(web.cookie_name)
    if token:
        auth.end_session(web.store, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(web.cookie_name, path="/", secure=web.secure_cookies, httponly=True)
    return response


# -- 总览 ---------------------------------------------------------------------------------------------------------


@router.get("/")
def overview_page(request: Request, user: User_, sel: str | None = None) -> Response:
    web = context(request)
    with web.read() as session:
        view = data.overview(session, user, web.overview_cache, sel)
    charts = None
    if view.figures is not None:
        figures = view.figures
        charts = {
            "regions": {
                "labels": [r.label for r in figures.region_rows],
                "checked": [r.checked for r in figures.region_rows],
                "failed": [r.failed for r in figures.region_rows],
            },
            "categories": {
                "labels": [c.label.removesuffix("网站") for c in view.categories],
                "checked": [c.checked for c in view.categories],
                "failed": [c.failed for c in view.categories],
            },
            "trend": {
                "labels": [t.label for t in view.trend],
                "rates": [
                    None if t.checked == 0 else round(100 * t.passed / t.checked, 2) for t in view.trend
                ],
            },
            "vetoes": {"labels": [g.name for g in view.vetoes], "counts": [g.count for g in view.vetoes]},
        }
    template = "_overview_body.html" if request.headers.get("hx-request") else "overview.html"
    return render(request, template, view=view, charts=charts, nav="overview")


# -- 网站 ---------------------------------------------------------------------------------------------------------


@router.get("/sites")
def sites_page(
    request: Request,
    user: User_,
    q: str = "",
    region: str = "",
    category: str = "",
    verdict: str = "",
    unit: str = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    web = context(request)
    filters = data.SiteFilter(
        q=q[:100],
        region=region,
        category=category,
        verdict=verdict if verdict in data.VERDICTS else "",
        unit=int(unit) if unit.isdigit() else None,
        page=page,
    )
    with web.read() as session:
        listing = data.list_sites(session, user, filters)
        options = data.filter_options(session, user)
    template = "_site_table.html" if request.headers.get("hx-request") else "sites.html"
    return render(request, template, listing=listing, options=options, nav="sites")


@router.get("/sites/{site_code}")
def site_page(request: Request, user: User_, site_code: str, run: int | None = None) -> Response:
    web = context(request)
    with web.read() as session:
        detail = data.site_detail(session, user, site_code, web.profiles, run)
    return render(request, "site.html", site=detail, nav="sites")


@router.get("/findings/{finding_id}")
def finding_page(request: Request, user: User_, finding_id: int) -> Response:
    web = context(request)
    with web.read() as session:
        detail = data.finding_detail(session, user, finding_id)
        ticket_id = ticket_for_finding(session, finding_id, detail.site_code, detail.run_id)
    return render(request, "finding.html", detail=detail, f=detail.finding, ticket_id=ticket_id, nav="sites")


@router.get("/findings/{finding_id}/snapshot")
def finding_snapshot(request: Request, user: User_, finding_id: int) -> Response:
    """The finding's page as stored, sanitised, in a document that may not run anything (see sanitize.py)."""
    web = context(request)
    with web.read() as session:
        detail = data.finding_detail(session, user, finding_id)
    if detail.snapshot is None:
        raise data.NotFound(str(finding_id))
    body = SnapshotStore(web.store, web.settings.snapshots_dir).body(detail.snapshot)
    if body is None:
        raise data.NotFound(str(finding_id))
    shown = sanitise(
        body,
        content_type=detail.snapshot.content_type,
        highlight=detail.finding.highlight,
        note=f"检查时保存的页面（{detail.snapshot.fetched_at:%Y-%m-%d %H:%M}）：已去除脚本、样式、图片与链接，"
        "仅供核对文字；黄色标记为问题所在。",
    )
    return Response(
        shown.html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": SNAPSHOT_CSP},
    )


@router.get("/findings/{finding_id}/screenshot")
def finding_screenshot(request: Request, user: User_, finding_id: int) -> Response:
    web = context(request)
    with web.read() as session:
        detail = data.finding_detail(session, user, finding_id)
    relative = detail.finding.screenshot
    if not relative:
        raise data.NotFound(str(finding_id))
    root = (web.settings.home / "screenshots").resolve()
    path = (web.settings.home / relative).resolve()
    if not path.is_relative_to(root) or path.suffix.lower() != ".png" or not path.is_file():
        raise data.NotFound(str(finding_id))
    return FileResponse(path, media_type="image/png")


# -- 检查任务: web/run_pages.py ------------------------------------------------------------------------------


# -- 指标 ---------------------------------------------------------------------------------------------------------


@router.get("/profile")
def profile_page(request: Request, user: User_, id: str | None = None) -> Response:
    web = context(request)
    with web.read() as session:
        latest = session.scalar(select(Run.profile).where(Run.status == "finished").order_by(Run.id.desc()))
    active = latest or "national-2019"
    user_dir = web.settings.home / "profiles"
    available = sorted(
        set(shipped_profiles()) | ({p.stem for p in user_dir.glob("*.y*ml")} if user_dir.is_dir() else set())
    )
    chosen = id if id in available else active
    try:
        profile = load_profile(chosen, user_dir=user_dir)
        error = None
    except ProfileError as exc:
        profile, error = None, str(exc)

    def where_text(key: str, values: tuple[str, ...]) -> str:
        """A veto condition's evidence filter in words: 栏目类别为动态要闻、通知公告、政策文件."""
        if key == "column_class" and profile is not None:
            names = [c.name if (c := profile.column_class(v)) else v for v in values]
            return f"栏目类别为{'、'.join(names)}"
        if key == "many_missing":
            return "缺失要素较多的"
        return f"{key} 为 {'/'.join(values)}"

    return render(
        request,
        "profile.html",
        where_text=where_text,
        profile=profile,
        error=error,
        active=active,
        chosen=chosen,
        available=available,
        names=CHECK_NAMES,
        nav="profile",
    )


# -- 用户 (administrators) and one's own account -----------------------------------------------------------------


def _units(request: Request) -> list[tuple[int, str]]:
    with context(request).read() as session:
        return [(u.id, u.name) for u in session.scalars(select(Unit).order_by(Unit.name))]


def _users_page(request: Request, error: str | None = None, status: int = 200, **values: object) -> Response:
    with context(request).read() as session:
        users = list(session.scalars(select(User).order_by(User.username)))
        rows = [
            {
                "id": u.id,
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "units": [x.name for x in u.units],
                "active": u.active,
                "last_login_at": u.last_login_at,
            }
            for u in users
        ]
    return render(
        request, "users.html", status, users=rows, units=_units(request), error=error, nav="users", **values
    )


@router.get("/users")
def users_page(request: Request, _admin: Admin_) -> Response:
    return _users_page(request)


def _unit_ids(form: FormData) -> list[int]:
    return [int(v) for v in form.getlist("units") if isinstance(v, str) and v.isdigit()]


@router.post("/users")
def create_user(request: Request, _admin: Admin_, form: Form_) -> Response:
    values = {k: str(form.get(k) or "") for k in ("username", "display_name", "role", "password")}
    if values["role"] not in {r.value for r in Role}:
        return _users_page(request, "请选择角色", 400, form=values)
    try:
        with context(request).store.session() as session:
            auth.create_user(
                session,
                values["username"],
                values["display_name"],
                values["role"],
                values["password"],
                _unit_ids(form),
            )
    except auth.AuthError as exc:
        return _users_page(request, str(exc), 400, form=values)
    return RedirectResponse("/users", status_code=303)


def _user_page(
    request: Request, user_id: int, error: str | None = None, status: int = 200, **values: object
) -> Response:
    with context(request).read() as session:
        user = session.get(User, user_id)
        if user is None:
            raise data.NotFound(str(user_id))
        account = {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "unit_ids": {u.id for u in user.units},
            "active": user.active,
        }
        tokens = list(
            session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc()))
        )
    return render(
        request,
        "user_edit.html",
        status,
        account=account,
        tokens=tokens,
        units=_units(request),
        error=error,
        nav="users",
        **values,
    )


@router.get("/users/{user_id}")
def user_page(request: Request, _admin: Admin_, user_id: int) -> Response:
    return _user_page(request, user_id)


@router.post("/users/{user_id}")
def update_user(request: Request, admin: Admin_, form: Form_, user_id: int) -> Response:
    role = str(form.get("role") or "")
    active = form.get("active") == "1"
    password = str(form.get("password") or "") or None
    try:
        with context(request).store.session() as session:
            user = session.get(User, user_id)
            if user is None:
                raise data.NotFound(str(user_id))
            if role not in {r.value for r in Role}:
                raise auth.AuthError("请选择角色")
            leaves_admins = user.role == Role.ADMIN.value and (role != Role.ADMIN.value or not active)
            if leaves_admins and user.active and auth.active_admins(session) <= 1:
                raise auth.AuthError("这是唯一启用的管理员账号，不能停用或改为其他角色")
            auth.update_user(
                session,
                user,
                display_name=str(form.get("display_name") or ""),
                role=role,
                unit_ids=_unit_ids(form),
                active=active,
                password=password,
            )
    except auth.AuthError as exc:
        return _user_page(request, user_id, str(exc), 400)
    return RedirectResponse(f"/users/{user_id}?saved=1", status_code=303)


@router.post("/users/{user_id}/tokens")
def create_token(request: Request, _admin: Admin_, form: Form_, user_id: int) -> Response:
    with context(request).store.session() as session:
        user = session.get(User, user_id)
        if user is None:
            raise data.NotFound(str(user_id))
        token = auth.create_api_token(session, user, str(form.get("name") or "API"))
    return _user_page(request, user_id, new_token=token)


@router.post("/users/{user_id}/tokens/{token_id}/revoke")
def revoke_token(request: Request, _admin: Admin_, _form: Form_, user_id: int, token_id: int) -> Response:
    with context(request).store.session() as session:
        auth.revoke_api_token(session, token_id, user_id)
    return RedirectResponse(f"/users/{user_id}", status_code=303)


@router.get("/account")
def account_page(request: Request, user: User_) -> Response:
    return render(request, "account.html", nav="account")


@router.post("/account/password")
def change_password(request: Request, user: User_, form: Form_) -> Response:
    web = context(request)
    current, new, again = (str(form.get(k) or "") for k in ("current", "password", "again"))
    if new != again:
        return render(request, "account.html", 400, error="两次输入的新密码不一致", nav="account")
    check = auth.authenticate(web.store, user.username, current, _client(request))
    if check.user_id != user.user_id:
        return render(request, "account.html", 400, error=check.error or "当前密码不正确", nav="account")
    try:
        with web.store.session() as session:
            account = session.get(User, user.user_id)
            assert account is not None
            auth.update_user(session, account, password=new)
    except auth.AuthError as exc:
        return render(request, "account.html", 400, error=str(exc), nav="account")
    response = RedirectResponse("/login?changed=1", status_code=303)
    response.delete_cookie(web.cookie_name, path="/", secure=web.secure_cookies, httponly=True)
    return response


@router.get("/soon/{what}")
def coming_soon(request: Request, user: User_, what: str) -> Response:
    """Old menu links: 通报 and 新媒体 have their pages now."""
    targets = {"circular": "/reports", "newmedia": "/newmedia"}
    if what not in targets:
        raise data.NotFound(what)
    return RedirectResponse(targets[what], status_code=303)
