"""``govinspect rectify …``: open tickets from a run, list them, re-check a site, remind units, show the audit
trail, the 找错 figures, and units' reminder addresses."""

from __future__ import annotations

import os
import re
from datetime import date
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy import select

from govinspect.config import ConfigError, Settings, load_settings
from govinspect.console import console, err
from govinspect.store import Store, open_store
from govinspect.store.db import StoreError

app = typer.Typer(
    help="整改与网民找错：下发整改、查看整改、自动复核、到期提醒、操作记录、找错统计。", no_args_is_help=True
)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(Text(f"错误：{message}", style="bold red"))
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


def _date(value: str | None, option: str) -> date:
    from govinspect.rectify.rules import today_in_beijing

    if value is None:
        return today_in_beijing()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("日期格式应为 YYYY-MM-DD", param_hint=option) from None


def _calendar(settings: Settings):  # type: ignore[no-untyped-def]
    from govinspect.workdays.holidayfile import CalendarError
    from govinspect.workdays.schedule import Calendar

    try:
        return Calendar.load(home=settings.home)
    except CalendarError as exc:
        raise _fail(str(exc)) from exc


def _rules(settings: Settings, profile_id: str):  # type: ignore[no-untyped-def]
    from govinspect.rectify.rules import Rules, RulesError
    from govinspect.scoring.profile import ProfileError, load_profile

    try:
        return Rules.of(load_profile(profile_id, user_dir=settings.home / "profiles"))
    except (ProfileError, RulesError) as exc:
        raise _fail(str(exc)) from exc


@app.command("open")
def open_tickets(
    run: Annotated[int, typer.Argument(help="检查任务编号。")],
    working_days: Annotated[
        int | None,
        typer.Option("--working-days", min=0, max=365, help="整改期限（工作日，默认取指标配置）。"),
    ] = None,
    today: Annotated[str | None, typer.Option("--date", help="下发日期 YYYY-MM-DD（默认今天）。")] = None,
) -> None:
    """按检查任务中的单项否决与扣分问题下发整改（每个问题一项；同一任务重复下发不会重复立项）。"""
    from govinspect.rectify.audit import Actor
    from govinspect.rectify.tickets import TicketError, open_from_run
    from govinspect.store.results import Run

    settings = _settings()
    db = _store(settings)
    with db.session() as session:
        found = session.get(Run, run)
        if found is None:
            raise _fail(f"没有检查任务 {run}")
        profile_id = found.profile
    days = working_days if working_days is not None else _rules(settings, profile_id).working_days
    calendar = _calendar(settings)
    try:
        with db.session() as session:
            report = open_from_run(
                session, run, Actor.command_line(), today=_date(today, "--date"), calendar=calendar,
                working_days=days,
            )  # fmt: skip
    except TicketError as exc:
        raise _fail(str(exc)) from exc
    deadline = report.deadline
    assert deadline is not None
    console.print(
        f"已下发整改 {len(report.opened)} 项，整改期限 {days} 个工作日，截止 {deadline.day:%Y-%m-%d}"
        + ("（暂按双休日推算：该年节假日安排尚未录入）" if deadline.provisional else "")
        + "。"
    )
    if report.already:
        console.print(f"本任务此前已下发 {report.already} 项，未重复立项。")
    if report.active_elsewhere:
        console.print(
            f"另有 {report.active_elsewhere} 项问题已有未销号的整改事项（来自此前的检查），未重复立项。"
        )
    if report.notices:
        console.print(f"提示级问题 {report.notices} 条未下发；检查人员核实后可在网页端逐条下发。")


@app.command("list")
def list_tickets(
    status: Annotated[
        str | None, typer.Option("--status", help="open（待整改）/ fixed（待复核）/ reopened / closed。")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="只列出已逾期的。")] = False,
    site: Annotated[str | None, typer.Option("--site", help="网站标识码。")] = None,
    today: Annotated[str | None, typer.Option("--date", help="以此日期判断逾期（默认今天）。")] = None,
) -> None:
    """列出整改事项。"""
    from govinspect.checks.names import check_name
    from govinspect.rectify.tickets import is_overdue
    from govinspect.store.models import Site
    from govinspect.store.rectify import TICKET_STATES, Ticket

    when = _date(today, "--date")
    db = _store(_settings())
    table = Table("编号", "网站", "问题", "状态", "期限", "逾期")
    shown = 0
    with db.session() as session:
        query = select(Ticket, Site.name).join(Site, Ticket.site_id == Site.id).order_by(Ticket.id)
        if status:
            if status not in TICKET_STATES:
                raise _fail(f"状态“{status}”无效：可用 {'、'.join(TICKET_STATES)}")
            query = query.where(Ticket.status == status)
        if site:
            query = query.where(Ticket.site_code == site)
        for ticket, name in session.execute(query):
            late = is_overdue(ticket, when)
            if overdue and not late:
                continue
            shown += 1
            table.add_row(
                str(ticket.id),
                Text(f"{name}（{ticket.site_code}）"),
                Text("网民找错留言" if ticket.source == "report" else check_name(ticket.check)),
                TICKET_STATES[ticket.status],
                f"{ticket.deadline:%Y-%m-%d}" + ("*" if ticket.deadline_provisional else ""),
                Text("逾期", style="bold red") if late else "",
            )
    console.print(table)
    console.print(f"共 {shown} 项。带 * 的期限暂按双休日推算（该年节假日安排尚未录入）。")


@app.command("recheck")
def recheck(
    site: Annotated[str, typer.Argument(help="网站标识码（复核该网站所有待复核的问题）。")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="复核的监测时间点 YYYY-MM-DD（默认今天）。")
    ] = None,
    max_pages: Annotated[
        int | None,
        typer.Option("--max-pages", min=1, max=100_000, help="抓取页面数（默认沿用原检查任务的）。"),
    ] = None,
) -> None:
    """重新抓取网站并按原检查项复核单位已报整改的问题：问题仍在则退回，已消除则销号。"""
    from govinspect.rectify.audit import Actor
    from govinspect.rectify.recheck import RecheckSettings, request_recheck, run_recheck
    from govinspect.rectify.tickets import TicketError
    from govinspect.store.models import Site
    from govinspect.views import progress_bar

    settings = _settings()
    db = _store(settings)
    when = _date(as_of, "--as-of")
    try:
        with db.session() as session:
            found = session.scalar(select(Site).where(Site.site_code == site))
            if found is None:
                raise _fail(f"名录中没有网站标识码 {site}")
            row, _created = request_recheck(session, found.id, Actor.command_line(), when)
            recheck_id = row.id
    except TicketError as exc:
        raise _fail(str(exc)) from exc
    with progress_bar() as bar:
        task = bar.add_task("复核抓取与检查", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"复核：{stage.split(':')[0]}")

        result = run_recheck(
            db, settings, recheck_id, RecheckSettings(max_pages=max_pages), progress=progress
        )
    if result.status == "failed":
        raise _fail(f"复核失败：{result.error}")
    names = {
        "closed": "复核通过，已销号",
        "reopened": "问题仍在，已退回整改",
        "uncovered": "未能抓取到问题页面，待检查人员核实",
    }
    counts: dict[str, int] = {}
    for outcome in result.outcome.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    console.print(f"复核任务 {result.run_id}（监测时间点 {when}）完成：")
    for key, label in names.items():
        if counts.get(key):
            console.print(f"  {label}：{counts[key]} 项")
    if not result.outcome:
        console.print("  没有需要判断的问题。")


@app.command("remind")
def remind(
    today: Annotated[str | None, typer.Option("--date", help="提醒日期（默认今天）。")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只列出将提醒的单位，不发邮件。")] = False,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="网页端地址（写入邮件中的链接），如 https://jiancha.example.gov.cn/"),
    ] = None,
    profile: Annotated[str, typer.Option("--profile", help="读取提醒提前量的指标配置。")] = "national-2019",
) -> None:
    """向整改期限已到或将到的主办单位发送提醒邮件（需配置 GOVINSPECT_SMTP_HOST；每项每天最多一次）。"""
    from govinspect.rectify.audit import Actor
    from govinspect.rectify.notify import NotifyError, SmtpConfig, send_reminders
    from govinspect.rectify.tickets import recompute_provisional

    settings = _settings()
    db = _store(settings)
    rules = _rules(settings, profile)
    calendar = _calendar(settings)
    try:
        smtp = SmtpConfig.from_env(dict(os.environ))
    except NotifyError as exc:
        raise _fail(str(exc)) from exc
    when = _date(today, "--date")
    with db.session() as session:
        recomputed = recompute_provisional(session, calendar)
        report = send_reminders(
            session, when, calendar, rules.remind_before_working_days, smtp, actor=Actor.command_line(),
            base_url=base_url, dry_run=dry_run,
        )  # fmt: skip
    if recomputed:
        console.print(f"已按新录入的节假日安排重算 {recomputed} 项整改期限。")
    verb = "将提醒" if dry_run or smtp is None else "已发送提醒"
    console.print(
        f"{verb} {report.units} 个单位（{report.tickets} 项整改）：{'、'.join(report.emails) or '—'}"
    )
    if smtp is None and not dry_run:
        console.print("未配置邮件服务器（GOVINSPECT_SMTP_HOST），未发送邮件；网页端仍会显示提醒。")
    if report.already_today:
        console.print(f"{report.already_today} 项今天已提醒过。")
    if report.no_contact:
        console.print(
            Text(
                f"以下单位有到期整改但未登记提醒邮箱：{'、'.join(report.no_contact)}（govinspect rectify contact）"
            )
        )
    for line in report.failed:
        err.print(Text(f"发送失败：{line}", style="red"))
    if report.failed:
        raise typer.Exit(1)


@app.command("contact")
def contact(
    unit: Annotated[str, typer.Argument(help="主办单位名称（名录中的“主办单位”）。")],
    email: Annotated[str, typer.Argument(help="接收整改提醒的电子邮箱。")],
    name: Annotated[str | None, typer.Option("--name", help="联系人。")] = None,
) -> None:
    """登记主办单位接收整改提醒的电子邮箱。"""
    from govinspect.rectify.notify import NotifyError, set_contact

    db = _store(_settings())
    try:
        with db.session() as session:
            set_contact(session, unit, email, name)
    except NotifyError as exc:
        raise _fail(str(exc)) from exc
    console.print(Text(f"已登记 {unit} 的提醒邮箱 {email}。"))


@app.command("audit")
def audit(
    ticket: Annotated[int | None, typer.Option("--ticket", help="只看该整改事项。")] = None,
    report: Annotated[int | None, typer.Option("--report", help="只看该网民留言。")] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=100_000, help="最多显示多少条（最新的）。")
    ] = 200,
) -> None:
    """显示操作记录（谁在何时做了什么；只能追加，不能修改或删除）。"""
    from govinspect.rectify.audit import ACTIONS
    from govinspect.rectify.rules import BEIJING
    from govinspect.rectify.rules import utc as as_utc
    from govinspect.store.rectify import AuditEvent

    db = _store(_settings())
    table = Table("时间", "操作人", "操作", "整改事项", "留言", "说明")
    with db.session() as session:
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if ticket is not None:
            query = query.where(AuditEvent.ticket_id == ticket)
        if report is not None:
            query = query.where(AuditEvent.report_id == report)
        rows = list(session.scalars(query))
    for row in reversed(rows):
        table.add_row(
            f"{as_utc(row.at).astimezone(BEIJING):%Y-%m-%d %H:%M:%S}",
            Text(row.actor),
            ACTIONS.get(row.action, row.action),
            str(row.ticket_id or ""),
            str(row.report_id or ""),
            Text((row.note or "")[:80]),
        )
    console.print(table)


def _span(value: str) -> tuple[date, date, str]:
    from govinspect.runs.period import PeriodError, parse_period

    text = value.strip()
    if m := re.fullmatch(r"(\d{4})\s*年?(度)?", text):
        year = int(m[1])
        return date(year, 1, 1), date(year, 12, 31), f"{year}年"
    try:
        period = parse_period(text)
    except PeriodError as exc:
        raise typer.BadParameter(f"{exc}；全年写作 2020", param_hint="--period") from None
    return period.start, period.end, period.label


@app.command("stats")
def stats(
    period: Annotated[str, typer.Option("--period", help="年份 2020、季度 2020Q1 或月份 2020-03。")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="统计截止日期（默认今天）。")] = None,
    profile: Annotated[str, typer.Option("--profile", help="读取考核分值的指标配置。")] = "national-2019",
) -> None:
    """“我为政府网站找错”留言统计：受理、属实、涉及单位、已整改，以及年度考核扣分（未办结、超期办结）。"""
    from govinspect.rectify.inbox import inbox_stats

    start, end, label = _span(period)
    settings = _settings()
    db = _store(settings)
    rules = _rules(settings, profile)
    with db.session() as session:
        figures = inbox_stats(session, start, end, as_of=_date(as_of, "--as-of"), rules=rules)
    table = Table("项目", "数量")
    for name, value in (
        ("受理留言", figures.received),
        ("其中重复留言", figures.duplicates),
        ("待核实", figures.pending),
        ("属实", figures.valid),
        ("不属实", figures.invalid),
        ("涉及单位", len(figures.units)),
        ("已整改", figures.fixed),
        ("未整改", figures.unresolved),
        (f"超过{figures.late_after_months}个月办结", figures.late),
    ):
        table.add_row(name, str(value))
    console.print(f"{label}“我为政府网站找错”留言（统计截至 {figures.as_of}）")
    console.print(table)
    console.print(Text(figures.circular_text()))
    console.print(
        f"年度考核：未办结 {figures.unresolved} 条 × -{figures.unresolved_points:g} 分，"
        f"超期办结 {figures.late} 条 × -{figures.late_points:g} 分，合计 -{figures.deduction:g} 分。"
    )
