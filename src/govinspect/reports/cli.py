"""``govinspect report``: the circular (通报.docx), its attachments (通报附件.xlsx) and report.html."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from govinspect.config import ConfigError, load_settings
from govinspect.console import console, err
from govinspect.reports.figures import ReportError

app = typer.Typer(help="生成通报：通报正文（DOCX）、附件表格（XLSX）和网页版（HTML）。")

DEFAULT_WORKING_DAYS = 10
DOCX_NAME, XLSX_NAME, HTML_NAME = "通报.docx", "通报附件.xlsx", "report.html"


@dataclass(frozen=True)
class Written:
    docx: Path
    xlsx: Path
    html: Path


def _fail(message: str) -> typer.Exit:
    err.print(Text.assemble(("错误：", "bold red"), message))
    return typer.Exit(1)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"{option} 的日期格式应为 YYYY-MM-DD：{value}") from exc


def resolve_deadline(
    issue_date: date, deadline: date | None, working_days: int | None, holidays: Path | None = None
) -> date:
    """A given date wins; otherwise ``working_days`` (default 10) after the issue date, the issue day not
    counted and holidays skipped (the working-day calendar)."""
    if deadline is not None:
        if deadline < issue_date:
            raise ReportError(f"整改期限 {deadline.isoformat()} 早于成文日期 {issue_date.isoformat()}")
        return deadline
    from govinspect.workdays.holidayfile import CalendarError
    from govinspect.workdays.schedule import Calendar

    n = DEFAULT_WORKING_DAYS if working_days is None else working_days
    try:
        return Calendar.load(holidays).add_working_days(issue_date, n)
    except CalendarError as exc:
        raise ReportError(f"无法计算整改期限：{exc}") from exc


def write_report(
    store,  # type: ignore[no-untyped-def]
    out: Path,
    *,
    period: str | None = None,
    run_id: int | None = None,
    template: Path | None = None,
    issue_date: date,
    deadline: date,
    scope: str = "全省",
    issuer: str = "",
) -> Written:
    """Figures once, verified; then every output is rendered and checked before any file is written."""
    from govinspect.reports import figures as fig
    from govinspect.reports.circular import make_circular
    from govinspect.reports.docx import render_docx
    from govinspect.reports.html import render_html
    from govinspect.reports.xlsx import write_xlsx

    with store.session() as session:
        figures = fig.build(session, period=period, run_id=run_id)
    circular = make_circular(figures, issue_date=issue_date, deadline=deadline, scope=scope, issuer=issuer)
    page = render_html(circular)
    out.mkdir(parents=True, exist_ok=True)
    written = Written(out / DOCX_NAME, out / XLSX_NAME, out / HTML_NAME)
    render_docx(circular, written.docx, template)
    write_xlsx(circular.attachments, written.xlsx)
    written.html.write_text(page, encoding="utf-8")
    return written


@app.callback(invoke_without_command=True)
def report(
    out: Annotated[Path, typer.Option("--out", help="输出目录（不存在则创建）", file_okay=False)],
    period: Annotated[str | None, typer.Option("--period", help="检查期：季度 2020Q1 或月份 2020-03")] = None,
    run: Annotated[int | None, typer.Option("--run", help="检查任务编号（代替 --period）")] = None,
    template: Annotated[
        Path | None, typer.Option("--template", help="自己的通报模板（docxtpl 格式的 DOCX）", dir_okay=False)
    ] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="整改期限，YYYY-MM-DD")] = None,
    deadline_working_days: Annotated[
        int | None,
        typer.Option(
            "--deadline-working-days",
            min=0,
            help=f"整改期限为成文日期后若干个工作日（当天不计，遇节假日顺延；缺省 {DEFAULT_WORKING_DAYS}）",
        ),
    ] = None,
    issue_date: Annotated[
        str | None, typer.Option("--date", help="成文日期，YYYY-MM-DD（缺省为今天）")
    ] = None,
    scope: Annotated[str, typer.Option("--scope", help="通报范围的称谓，如“全省”“全市”")] = "全省",
    issuer: Annotated[str, typer.Option("--issuer", help="发文机关，如“省政府办公厅”")] = "",
    holidays: Annotated[
        Path | None, typer.Option("--holidays", help="节假日文件（YAML），用于计算整改期限", dir_okay=False)
    ] = None,
) -> None:
    """按检查结果生成通报：正文、附件表格与网页版；所有数字自检一致后才写出文件。"""
    if (period is None) == (run is None):
        raise _fail("请指定 --period（检查期）或 --run（检查任务编号）之一")
    if deadline is not None and deadline_working_days is not None:
        raise _fail("--deadline 与 --deadline-working-days 只能指定一个")
    from govinspect.store import open_store
    from govinspect.store.db import StoreError

    day = _day(issue_date, "--date") or date.today()
    try:
        due = resolve_deadline(day, _day(deadline, "--deadline"), deadline_working_days, holidays)
        store = open_store(load_settings().database_url)
    except (ReportError, ConfigError, StoreError) as exc:
        raise _fail(str(exc)) from exc
    try:
        written = write_report(
            store,
            out,
            period=period,
            run_id=run,
            template=template,
            issue_date=day,
            deadline=due,
            scope=scope,
            issuer=issuer,
        )
    except ReportError as exc:
        raise _fail(str(exc)) from exc
    finally:
        store.dispose()
    for path in (written.docx, written.xlsx, written.html):
        console.print(Text(f"已生成：{path}"))
    console.print(Text(f"整改期限：{due.year}年{due.month}月{due.day}日"))
