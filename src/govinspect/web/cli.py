"""``govinspect serve`` (the dashboard and the API) and ``govinspect user …`` (accounts, from the server's shell:
the first administrator is created here)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import select

from govinspect.config import ConfigError, Settings, load_settings
from govinspect.console import console, err
from govinspect.store import Store, open_store
from govinspect.store.db import StoreError
from govinspect.store.models import Unit
from govinspect.store.users import ROLE_LABELS, Role, User

ROLE_NAMES = {**{r.value: r for r in Role}, **{label: r for r, label in ROLE_LABELS.items()}}

users_app = typer.Typer(
    help="网页端账号：新建（含第一个管理员）、列出、重设密码、创建 API 令牌。", no_args_is_help=True
)


def _fail(message: str) -> typer.Exit:
    err.print(Text(f"错误：{message}", style="bold red"))
    return typer.Exit(1)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise _fail(str(exc)) from exc


def _store(settings: Settings) -> Store:
    try:
        return open_store(settings.database_url)
    except StoreError as exc:
        raise _fail(str(exc)) from exc


def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址（内网服务可用 0.0.0.0）。")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="监听端口。")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=32, help="服务进程数。")] = 1,
    http_cookies: Annotated[
        bool,
        typer.Option(
            "--http-cookies",
            help="登录凭据不加 Secure 标记，供只能以 HTTP 访问的内网使用（凭据可能被同网段窃听，建议改用 HTTPS）。",
        ),
    ] = False,
) -> None:
    """启动网页端（总览、网站、检查任务、指标、用户）与 /api/v1 数据接口。"""
    import uvicorn

    from govinspect.web.app import app_from_environment, create_app, vendor_missing

    settings = _settings()
    db = _store(settings)
    with db.session() as session:
        has_users = session.scalar(select(User.id).limit(1)) is not None
    if not has_users:
        console.print("系统中还没有账号：请先运行 govinspect user add 用户名 --role admin 创建管理员。")
    if missing := vendor_missing():
        console.print(
            f"前端组件未安装（{'、'.join(missing)}）：图表与局部刷新不可用。请在项目目录运行 make assets。"
        )
    if http_cookies:
        console.print("注意：登录凭据未加 Secure 标记，只应在可信的内网以 HTTP 使用。")
    console.print(f"网页端：http://{host}:{port}/   数据接口说明：http://{host}:{port}/api/v1/openapi.json")
    if workers > 1:
        db.dispose()
        os.environ["GOVINSPECT_HTTP_COOKIES"] = "1" if http_cookies else "0"
        uvicorn.run(
            f"{app_from_environment.__module__}:{app_from_environment.__name__}",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            log_level="warning",
        )
        return
    uvicorn.run(
        create_app(settings, store=db, secure_cookies=not http_cookies),
        host=host,
        port=port,
        proxy_headers=True,
        log_level="warning",
    )


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")


@users_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名（字母、数字、点、下划线、连字符）。")],
    role: Annotated[
        str, typer.Option("--role", help="admin（管理员）/ inspector（检查人员）/ unit（主办单位用户）。")
    ],
    name: Annotated[str, typer.Option("--name", help="姓名或单位名称（显示用）。")] = "",
    unit: Annotated[
        list[str] | None,
        typer.Option("--unit", help="主办单位名称（名录中的“主办单位”，可重复；主办单位用户必填）。"),
    ] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码。")] = False,
) -> None:
    """新建网页端账号。"""
    from govinspect.web.auth import AuthError, create_user

    chosen = ROLE_NAMES.get(role.strip())
    if chosen is None:
        raise _fail(f"角色“{role}”无效：可用 admin、inspector、unit")
    db = _store(_settings())
    with db.session() as session:
        units = []
        for unit_name in unit or []:
            found = session.scalar(select(Unit).where(Unit.name == unit_name.strip()))
            if found is None:
                raise _fail(f"名录中没有主办单位“{unit_name}”")
            units.append(found.id)
    password = _password(password_stdin)
    try:
        with db.session() as session:
            user = create_user(session, username, name or username, chosen, password, units)
            created = (user.username, ROLE_LABELS[chosen])
    except AuthError as exc:
        raise _fail(str(exc)) from exc
    console.print(Text(f"已创建账号 {created[0]}（{created[1]}）。"))


@users_app.command("list")
def user_list() -> None:
    """列出网页端账号。"""
    db = _store(_settings())
    table = Table("用户名", "姓名", "角色", "主办单位", "状态", "最近登录")
    with db.session() as session:
        for user in session.scalars(select(User).order_by(User.username)):
            table.add_row(
                Text(user.username),
                Text(user.display_name),
                ROLE_LABELS[Role(user.role)],
                Text("、".join(u.name for u in user.units) or "—"),
                "启用" if user.active else "已停用",
                user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "—",
            )
    console.print(table)


@users_app.command("passwd")
def user_passwd(
    username: Annotated[str, typer.Argument(help="用户名。")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码。")] = False,
    enable: Annotated[bool, typer.Option("--enable", help="同时启用被停用的账号。")] = False,
) -> None:
    """重设账号密码（该账号的登录会话随之失效）。"""
    from govinspect.web.auth import AuthError, normalise_username, update_user

    db = _store(_settings())
    password = _password(password_stdin)
    try:
        with db.session() as session:
            user = session.scalar(select(User).where(User.username == normalise_username(username)))
            if user is None:
                raise AuthError(f"没有账号“{username}”")
            update_user(session, user, password=password, active=True if enable else None)
    except AuthError as exc:
        raise _fail(str(exc)) from exc
    console.print(Text(f"已重设 {username} 的密码。"))


@users_app.command("token")
def user_token(
    username: Annotated[str, typer.Argument(help="用户名。")],
    name: Annotated[str, typer.Option("--name", help="令牌名称（用途）。")] = "API",
) -> None:
    """为账号创建 API 令牌（只显示这一次）。"""
    from govinspect.web.auth import create_api_token, normalise_username

    db = _store(_settings())
    with db.session() as session:
        user = session.scalar(select(User).where(User.username == normalise_username(username)))
        if user is None:
            raise _fail(f"没有账号“{username}”")
        token = create_api_token(session, user, name)
    console.print("新令牌（只显示这一次，请妥善保存）：")
    console.print(Text(token))
