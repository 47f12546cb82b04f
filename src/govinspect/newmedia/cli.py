"""``govinspect newmedia``: collect posts of government new-media accounts and check them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from govinspect.config import ConfigError, load_settings
from govinspect.console import console, err
from govinspect.scoring.rates import percent_text

app = typer.Typer(
    help="政务新媒体：采集账号发布的信息（订阅源、网页、导入文件）并按指标检查。", no_args_is_help=True
)

AccountsOption = Annotated[
    Path | None,
    typer.Option("--accounts", help="先导入（或更新）此政务新媒体账号名录（可含“菜单”“采集地址”列）。"),
]
PostsOption = Annotated[
    list[Path] | None,
    typer.Option("--posts", help="导入平台后台或监测服务导出的文章列表（CSV、XLSX 或 JSON，可重复）。"),
]
AllowPrivateOption = Annotated[
    bool, typer.Option("--allow-private-networks", help="允许访问内网和本机地址（仅限内网订阅源或测试）。")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(Text.assemble(("错误：", "bold red"), message))
    return typer.Exit(code)


def _store():  # type: ignore[no-untyped-def]
    from govinspect.store import open_store
    from govinspect.store.db import StoreError

    try:
        return open_store(load_settings().database_url)
    except (ConfigError, StoreError) as exc:
        raise _fail(str(exc)) from exc


def _import_files(store, accounts: Path | None, posts: list[Path] | None) -> None:  # type: ignore[no-untyped-def]
    from govinspect.newmedia.accounts import AccountsImportError, import_accounts
    from govinspect.newmedia.collect import import_posts
    from govinspect.newmedia.imports import PostImportError
    from govinspect.registry.tabular import RegistryFileError

    if accounts is not None:
        try:
            done = import_accounts(store, accounts)
        except RegistryFileError as exc:
            raise _fail(str(exc)) from exc
        except AccountsImportError as exc:
            for error in exc.errors:
                err.print(Text(f"  {error}"))
            raise _fail(f"{exc}。请修改后重新导入。") from exc
        r = done.registry
        console.print(
            f"账号名录：新增 {r.created} 个，更新 {r.updated} 个，未变 {r.unchanged} 个；菜单或采集地址 {done.settings} 个"
        )
    for path in posts or []:
        try:
            report = import_posts(store, path)
        except PostImportError as exc:
            for error in exc.errors:
                err.print(Text(f"  {error}"))
            raise _fail(str(exc)) from exc
        s = report.stored
        console.print(
            Text(
                f"{path.name}：{report.posts} 篇文章（新增 {s.new_posts}，更新 {s.updated_posts}，未变 {s.unchanged_posts}），"
                f"涉及 {len(report.accounts)} 个账号"
                + (f"，其中 {len(report.unknown_accounts)} 个不在名录中" if report.unknown_accounts else "")
            )
        )


def _collect(store, allow_private: bool, concurrency: int, per_host: int, profile_name: str) -> None:  # type: ignore[no-untyped-def]
    from govinspect.newmedia.checks import settings_of
    from govinspect.newmedia.collect import CollectOptions, collect
    from govinspect.newmedia.http import FetchOptions
    from govinspect.views import progress_bar

    profile = _profile(profile_name)
    options = CollectOptions(
        fetch=FetchOptions(concurrency=concurrency, per_host=per_host, allow_private_networks=allow_private),
        closure_phrases=settings_of(profile).closure_phrases,
    )
    with progress_bar() as bar:
        task = bar.add_task("采集", total=None)
        report = collect(
            store, options, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    console.print(
        f"采集：{report.accounts} 个账号、{report.sources} 个来源；成功 {report.fetched}，未变化 {report.not_modified}，"
        f"失败 {report.failed}；新文章 {report.new_posts}，更新 {report.updated_posts}；"
        f"菜单链接 {report.menu_links} 个，无法打开 {report.menu_failed} 个"
    )
    for line in report.unknown_kinds[:10]:
        console.print(Text(f"注意：没有此类采集方式，已跳过：{line}", style="yellow"))


def _profile(name: str):  # type: ignore[no-untyped-def]
    from govinspect.newmedia.scoring import newmedia_profile
    from govinspect.scoring.profile import ProfileError, load_profile

    try:
        profile = load_profile(name, user_dir=load_settings().home / "profiles")
        newmedia_profile(profile)
    except (ProfileError, ConfigError) as exc:
        raise _fail(str(exc)) from exc
    return profile


@app.command("collect")
def collect_command(
    accounts: AccountsOption = None,
    posts: PostsOption = None,
    profile: Annotated[
        str, typer.Option("--profile", help="指标配置（读取账号注销提示用语）。")
    ] = "national-2019",
    allow_private: AllowPrivateOption = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=512, help="同时进行的请求数。")
    ] = 32,
    per_host: Annotated[
        int, typer.Option("--per-host", min=1, max=256, help="对同一主机同时进行的请求数。")
    ] = 8,
) -> None:
    """采集：导入名录和文章列表，读取每个账号的采集地址（只取新文章），检查菜单链接能否打开。"""
    store = _store()
    _import_files(store, accounts, posts)
    _collect(store, allow_private, concurrency, per_host, profile)


@app.command("check")
def check_command(
    as_of: Annotated[str, typer.Option("--as-of", help="监测时间点，格式 YYYY-MM-DD。")],
    accounts: AccountsOption = None,
    posts: PostsOption = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="按约定格式输出结果 JSON。")] = None,
    profile: Annotated[str, typer.Option("--profile", help="指标配置。")] = "national-2019",
    period: Annotated[
        str | None,
        typer.Option("--period", help="检查期：季度 2020Q1 或月份 2020-03（缺省为监测时间点所在季度）。"),
    ] = None,
    collect_first: Annotated[bool, typer.Option("--collect", help="检查前先联网采集一次。")] = False,
    from_sites: Annotated[
        bool,
        typer.Option(
            "--from-sites", help="与已抓取网站首页、新媒体矩阵页列出的账号核对（找出名录外的账号）。"
        ),
    ] = False,
    allow_private: AllowPrivateOption = False,
) -> None:
    """检查政务新媒体：按已采集和导入的文章判断更新、互动、内容和开设情况，评分并保存结果。"""
    from govinspect.newmedia.run import check_accounts, document
    from govinspect.runs.contract import write_json
    from govinspect.runs.period import PeriodError, check_as_of, parse_period, quarter_of
    from govinspect.views import progress_bar

    try:
        when = date.fromisoformat(as_of)
    except ValueError:
        raise typer.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--as-of") from None
    try:
        checked = parse_period(period) if period is not None else quarter_of(when)
        check_as_of(checked, when)
    except PeriodError as exc:
        raise _fail(f"--period：{exc}", code=2) from None
    chosen = _profile(profile)
    store = _store()
    _import_files(store, accounts, posts)
    if collect_first:
        _collect(store, allow_private, 32, 8, profile)
    seen = []
    if from_sites:
        from govinspect.newmedia.reconcile import seen_on_sites

        seen = seen_on_sites(store, load_settings().snapshots_dir)
        console.print(f"网站上列出的账号 {len(seen)} 个（按平台和名称与名录核对）")
    with progress_bar() as bar:
        task = bar.add_task("检查与评分", total=None)
        result = check_accounts(
            store, chosen, when, period=checked.text,
            progress=lambda done, total: bar.update(task, completed=done, total=total), seen=seen,
        )  # fmt: skip
    _print(result)
    if json_out is not None:
        write_json(json_out, document(result))
        console.print(f"结果已写入 {json_out}")


def _print(result) -> None:  # type: ignore[no-untyped-def]
    judged = [o for o in result.outcomes if o.judged]
    failed = [o for o in judged if o.score.verdict == "不合格"]
    table = Table(
        title=f"政务新媒体检查（监测时间点 {result.as_of}，指标 {result.profile.id}，任务 {result.run_id}）"
    )
    for column in ("平台", "账号名称", "账号ID", "结论", "单项否决", "问题"):
        table.add_column(column)
    for outcome in sorted(
        result.outcomes, key=lambda o: (o.score is None, o.score and o.score.verdict == "合格")
    ):
        if outcome.score is not None and outcome.score.verdict == "合格" and not outcome.findings:
            continue
        verdict = "—" if outcome.score is None else outcome.score.verdict
        table.add_row(
            Text(outcome.account.key.platform),
            Text(outcome.account.name),
            Text(outcome.account.key.account_id),
            Text(verdict, style="red" if verdict == "不合格" else "green" if verdict == "合格" else ""),
            Text("、".join(outcome.score.veto_names) if outcome.score else "—"),
            Text("、".join(dict.fromkeys(f.check.split(".", 1)[1] for f in outcome.findings)) or "—"),
        )
    if table.row_count:
        console.print(table)
    console.print(
        f"检查账号 {len(judged)} 个，不合格 {len(failed)} 个，合格率 {percent_text(len(judged) - len(failed), len(judged))}；"
        f"名录中运行但未采集到信息的账号 {result.not_collected} 个（未计入）"
    )
