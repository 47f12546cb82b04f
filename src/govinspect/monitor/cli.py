"""``govinspect probe``, ``monitor``, ``uptime`` and ``worker`` (registered in cli.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from govinspect.config import ConfigError, Settings, load_settings
from govinspect.console import console, err
from govinspect.fetch.probe import DEFAULT_VANTAGE
from govinspect.scoring.profile import Profile, ProfileError, load_profile
from govinspect.scoring.rates import percent_text
from govinspect.store import Store, open_store
from govinspect.store.db import StoreError

VantageOption = Annotated[
    list[str] | None,
    typer.Option(
        "--vantage",
        help="监测点名称（如 telecom-guangzhou）。本机探测时为本机的标记；使用任务队列时可重复，每个监测点各探测一轮。",
    ),
]
AllowPrivate = Annotated[
    bool,
    typer.Option("--allow-private-networks", help="允许访问内网和本机地址（仅限本辖区内网网站或测试）。"),
]
ProfileOption = Annotated[str, typer.Option("--profile", help="指标配置（探测时限、每天探测次数等）。")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]错误：[/]{message}", highlight=False)
    return typer.Exit(code)


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


def _profile(name: str, settings: Settings) -> Profile:
    try:
        return load_profile(name, user_dir=settings.home / "profiles")
    except ProfileError as exc:
        raise _fail(str(exc)) from exc


def _vantages(given: list[str] | None) -> list[str]:
    from govinspect.tasks import VantageError, check_vantage

    names = list(dict.fromkeys(given or [DEFAULT_VANTAGE]))
    try:
        return [check_vantage(n) for n in names]
    except VantageError as exc:
        raise _fail(str(exc), code=2) from exc


def probe(
    all_sites: Annotated[bool, typer.Option("--all", help="探测名录中所有运行中的网站。")] = False,
    site: Annotated[list[str] | None, typer.Option("--site", help="按网站标识码探测（可重复）。")] = None,
    rounds: Annotated[int, typer.Option("--rounds", min=1, max=1000, help="探测轮数。")] = 1,
    spacing: Annotated[
        float, typer.Option("--spacing", min=0, help="相邻两轮之间的间隔秒数（默认一轮结束即开始下一轮）。")
    ] = 0.0,
    vantage: VantageOption = None,
    profile: ProfileOption = "national-2019",
    allow_private: AllowPrivate = False,
) -> None:
    """可用性探测：访问每个网站的首页（时限按指标配置，默认 15 秒），记录状态、耗时与错误类别。"""
    import time

    from govinspect.monitor.rounds import UnknownSitesError, probe_targets
    from govinspect.tasks import RoundRequest, enqueue_probe_round, probe_round

    if all_sites == bool(site):
        raise _fail("请用 --all 或 --site 指定要探测的网站（二者选一）", code=2)
    settings = _settings()
    db = _store(settings)
    rules = _profile(profile, settings).section("availability")
    vantages = _vantages(vantage)
    codes = list(dict.fromkeys(site)) if site else None
    try:
        targets = probe_targets(db, codes)
    except UnknownSitesError as exc:
        raise _fail(str(exc)) from exc
    if not targets:
        raise _fail("名录中没有运行中的网站")
    request = RoundRequest(
        site_codes=codes,
        timeout=float(rules.get("timeout_seconds", 15)),
        allow_private_networks=allow_private,
    )
    if settings.broker_url:
        queued = RoundRequest(
            **{**request.__dict__, "site_codes": [t.site_code for t in targets]}
        )  # in chunks
        ids = []
        for number in range(rounds):
            ids += enqueue_probe_round(
                settings.broker_url, queued, vantages, countdown=number * spacing if spacing else None
            )
        console.print(
            f"已提交 {rounds} 轮探测（{len(targets)} 个网站，监测点：{'、'.join(vantages)}），共 {len(ids)} 个任务；"
            "结果由 govinspect worker 写入数据库"
        )
        return
    if len(vantages) > 1:
        raise _fail("本机探测只能有一个监测点标记；多个监测点需使用任务队列（GOVINSPECT_BROKER_URL）", code=2)
    request = RoundRequest(**{**request.__dict__, "vantage": vantages[0]})
    results = []
    for number in range(rounds):
        if number and spacing:
            time.sleep(spacing)
        report = probe_round(db, request)
        results.extend(report.results)
        if rounds > 1:
            failed = len(report.results) - report.opened
            console.print(f"第 {number + 1} 轮：{len(report.results)} 个网站，{failed} 个未能打开")
    _print_probes(results)


def _print_probes(results: list) -> None:  # type: ignore[type-arg]
    from govinspect.checks.availability import ERROR_WORDS

    by_site: dict[str, list] = {}  # type: ignore[type-arg]
    for result in results:
        by_site.setdefault(result.site_code, []).append(result)
    table = Table(title=f"可用性探测（监测点：{results[0].vantage if results else '—'}）")
    for column in ("网站标识码", "探测", "打开", "未打开", "最近一次", "平均耗时"):
        table.add_column(
            column, justify="right" if column in ("探测", "打开", "未打开", "平均耗时") else "left"
        )
    for code, probes in by_site.items():
        opened = [p for p in probes if p.ok]
        last = probes[-1]
        if last.ok:
            shown = f"HTTP {last.status}"
        elif last.error in ("http", "blocked"):
            shown = f"HTTP {last.status}" + ("（疑似防火墙拦截）" if last.error == "blocked" else "")
        elif last.error == "blocked_ssrf":
            shown = "内网地址，已拒绝（--allow-private-networks）"
        else:
            shown = ERROR_WORDS.get(last.error or "other", last.error or "")
        mean = sum(p.latency_ms or 0 for p in opened) / len(opened) if opened else None
        table.add_row(
            code,
            str(len(probes)),
            str(len(opened)),
            str(len(probes) - len(opened)),
            shown,
            f"{mean:.0f} ms" if mean is not None else "—",
        )
    console.print(table)


RoundsPerDay = Annotated[
    int | None,
    typer.Option("--rounds-per-day", min=1, help="每天探测轮数（缺省按指标配置 monitor 一节）。"),
]
CrawlEvery = Annotated[
    str | None, typer.Option("--crawl", help="定期检查：daily、weekly 或 none（缺省按指标配置）。")
]
CrawlMaxPages = Annotated[
    int, typer.Option("--max-pages", min=1, help="定期检查时每个网站最多抓取的页面数。")
]


def monitor(
    profile: ProfileOption = "national-2019",
    vantage: VantageOption = None,
    allow_private: AllowPrivate = False,
    rounds_per_day: RoundsPerDay = None,
    crawl: CrawlEvery = None,
    max_pages: CrawlMaxPages = 200,
) -> None:
    """持续监测：按随机间隔每天多轮探测所有运行中的网站，并按指标配置定期检查；Ctrl-C 停止。"""
    from govinspect.monitor.scheduler import Monitor, MonitorError, MonitorOptions, Schedule

    settings = _settings()
    db = _store(settings)
    loaded = _profile(profile, settings)
    try:
        schedule = Schedule.from_profile(loaded, rounds_per_day=rounds_per_day, crawl=crawl)
    except MonitorError as exc:
        raise _fail(str(exc), code=2) from exc
    vantages = _vantages(vantage)
    if len(vantages) > 1 and not settings.broker_url:
        raise _fail("本机监测只能有一个监测点标记；多个监测点需使用任务队列（GOVINSPECT_BROKER_URL）", code=2)
    options = MonitorOptions(
        profile=profile, vantages=vantages, allow_private_networks=allow_private, max_pages=max_pages
    )
    runner = Monitor(
        db, settings, loaded, schedule, options, say=lambda text: console.print(text, highlight=False)
    )
    crawl_text = {"daily": "每天", "weekly": f"每周（{schedule.crawl_weekday}）", "none": "不"}[
        schedule.crawl
    ]
    mode = "提交到任务队列" if settings.broker_url else "在本机执行"
    console.print(
        f"持续监测：每天 {schedule.rounds_per_day} 轮探测（约每 {schedule.interval / 60:.0f} 分钟，随机偏移"
        f" ±{schedule.jitter:.0%}），{crawl_text}定期检查"
        + (f"（{schedule.crawl_hour:02d}:{schedule.crawl_minute:02d}）" if schedule.crawl != "none" else "")
        + f"；{mode}；按 Ctrl-C 停止",
        highlight=False,
    )
    runner.run()
    console.print("已停止")


def uptime(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="监测时间点 YYYY-MM-DD（缺省为今天）。")
    ] = None,
    site: Annotated[list[str] | None, typer.Option("--site", help="只看这些网站（可重复）。")] = None,
    profile: ProfileOption = "national-2019",
) -> None:
    """可用率：监测时间点之前一周（按指标配置）每个网站的探测次数、未打开次数与可用率。"""
    from govinspect.checks.availability import PROBE_ZONE
    from govinspect.monitor.history import weekly_uptime

    settings = _settings()
    loaded = _profile(profile, settings)
    try:
        when = date.fromisoformat(as_of) if as_of else datetime.now(PROBE_ZONE).date()
    except ValueError:
        raise typer.BadParameter("日期格式应为 YYYY-MM-DD", param_hint="--as-of") from None
    rules = loaded.section("availability")
    limit = float(rules.get("failure_ratio", 0.05))
    per_day = int(rules.get("probes_per_day", 20))
    summaries = weekly_uptime(_store(settings), when, loaded, site or None)
    if not summaries:
        console.print("这段时间没有探测记录（govinspect probe 或 govinspect monitor 会写入）")
        return
    first = next(iter(summaries.values()))
    table = Table(title=f"可用率 {first.start}至{first.end}")
    for column in ("网站标识码", "探测", "未打开", "可用率", "监测点", "监测是否充足"):
        table.add_column(column)
    for code, summary in summaries.items():
        short = summary.days_short(per_day)
        over = summary.ratio is not None and summary.ratio >= limit
        rate = percent_text(summary.probes - summary.failures, summary.probes)
        table.add_row(
            code,
            str(summary.probes),
            str(summary.failures),
            f"[red]{rate}[/]" if over else rate,
            "、".join(summary.vantages) or "—",
            "是" if not short else f"否（{len(short)} 天少于 {per_day} 次）",
        )
    console.print(table)


def worker(
    vantage: Annotated[
        str, typer.Option("--vantage", help="本机所在的监测点（网络），记录在每次探测中。")
    ] = DEFAULT_VANTAGE,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, max=64, help="并发进程数。")] = 2,
    loglevel: Annotated[str, typer.Option("--loglevel", help="日志级别。")] = "INFO",
) -> None:
    """任务队列工作进程（Celery）：执行队列中的探测与检查任务；需设置 GOVINSPECT_BROKER_URL。"""
    from govinspect.tasks import VantageError, check_vantage, start_worker

    settings = _settings()
    if not settings.broker_url:
        raise _fail("未设置任务队列地址：请设置 GOVINSPECT_BROKER_URL（如 redis://127.0.0.1:6379/0）", code=2)
    try:
        check_vantage(vantage)
    except VantageError as exc:
        raise _fail(str(exc), code=2) from exc
    _store(settings).dispose()  # migrate the shared database once, here, before the pool starts
    start_worker(settings, vantage, concurrency, loglevel)


def beat(
    profile: ProfileOption = "national-2019",
    vantage: VantageOption = None,
    allow_private: AllowPrivate = False,
    rounds_per_day: RoundsPerDay = None,
    crawl: CrawlEvery = None,
    max_pages: CrawlMaxPages = 200,
    loglevel: Annotated[str, typer.Option("--loglevel", help="日志级别。")] = "INFO",
) -> None:
    """多机持续监测的定时器（Celery beat）：按指标配置定时提交探测、定期检查与数据清理任务，由 govinspect worker 执行；整个部署只运行一个。"""
    from govinspect.monitor.beat import beat_schedule, run_beat
    from govinspect.monitor.scheduler import MonitorError, MonitorOptions, Schedule

    settings = _settings()
    if not settings.broker_url:
        raise _fail(
            "未设置任务队列地址：请设置 GOVINSPECT_BROKER_URL；单机监测请用 govinspect monitor", code=2
        )
    _store(settings).dispose()  # the shared database exists and is migrated before any job runs
    loaded = _profile(profile, settings)
    try:
        schedule = Schedule.from_profile(loaded, rounds_per_day=rounds_per_day, crawl=crawl)
    except MonitorError as exc:
        raise _fail(str(exc), code=2) from exc
    options = MonitorOptions(
        profile=profile,
        vantages=_vantages(vantage),
        allow_private_networks=allow_private,
        max_pages=max_pages,
    )
    entries = beat_schedule(schedule, options)
    console.print(
        f"定时器：每天 {schedule.rounds_per_day} 轮探测（监测点：{'、'.join(options.vantages)}），"
        f"定期检查 {schedule.crawl}，每天 04:17 清理过期数据；任务由 govinspect worker 执行；按 Ctrl-C 停止",
        highlight=False,
    )
    run_beat(settings.broker_url, entries, settings.home / "celerybeat-schedule", loglevel=loglevel)


snapshots_app = typer.Typer(help="网页快照：按保留规则清理旧快照。", no_args_is_help=True)


@snapshots_app.command("prune")
def snapshots_prune(
    keep_days: Annotated[
        int | None,
        typer.Option("--keep-days", min=0, help="保留最近多少天的快照（缺省按指标配置，120 天）。"),
    ] = None,
    keep_inspections: Annotated[
        int | None,
        typer.Option(
            "--keep-inspections", min=1, help="每个网站无论新旧都保留最近几次抓取的快照（缺省 4 次）。"
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只统计将删除的快照，不删除。")] = False,
    sweep: Annotated[
        bool,
        typer.Option(
            "--sweep",
            help="另清理本机数据目录中已无快照记录引用、超过一天的正文文件（多台 worker 时在每台上定期运行）。",
        ),
    ] = False,
    profile: ProfileOption = "national-2019",
) -> None:
    """清理旧的网页快照及其正文文件；每个网站最近几次抓取的快照和作为问题证据的快照始终保留。"""
    from govinspect.monitor.scheduler import MonitorError, Schedule
    from govinspect.store.retention import prune_snapshots, sweep_bodies

    settings = _settings()
    try:
        schedule = Schedule.from_profile(_profile(profile, settings))
    except MonitorError as exc:
        raise _fail(str(exc), code=2) from exc
    report = prune_snapshots(
        _store(settings),
        settings.snapshots_dir,
        keep_days=schedule.snapshot_keep_days if keep_days is None else keep_days,
        keep_crawls=keep_inspections or schedule.snapshot_keep_crawls,
        dry_run=dry_run,
    )
    verb = "将删除" if dry_run else "已删除"
    console.print(
        f"{verb} {report.before:%Y-%m-%d %H:%M} 之前的网页快照 {report.snapshots} 条，"
        f"正文文件 {report.bodies} 个（{report.body_bytes / 1e6:.1f} MB）；"
        f"保留其中属于各网站最近几次抓取的 {report.kept_recent} 条、作为问题证据的 {report.kept_evidence} 条。",
        highlight=False,
    )
    if sweep:
        files, size = sweep_bodies(_store(settings), settings.snapshots_dir, dry_run=dry_run)
        console.print(
            f"本机{verb}已无快照引用的正文文件 {files} 个（{size / 1e6:.1f} MB）。", highlight=False
        )
