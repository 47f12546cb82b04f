"""``govinspect report``: the circular (通报.docx, and 通报.pdf when LibreOffice is installed), its attachments
(通报附件.xlsx) and report.html, with charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from govinspect.config import ConfigError, load_settings
from govinspect.console import console, err
from govinspect.reports.figures import Figures, ReportError

app = typer.Typer(help="生成通报：通报正文（DOCX、PDF）、附件表格（XLSX）和网页版（HTML）。")

DEFAULT_WORKING_DAYS = 10
DOCX_NAME, XLSX_NAME, HTML_NAME = "通报.docx", "通报附件.xlsx", "report.html"


@dataclass(frozen=True)
class Written:
    docx: Path
    xlsx: Path
    html: Path
    pdf: Path | None = None
    note: str | None = None  # why there is no PDF
    charts: int = 0


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
    compare_to: tuple[str, ...] | list[str] = (),
    pdf: bool | None = None,
) -> Written:
    """Figures once, verified (``compare_to``: periods for 同比/环比); then :func:`write_circular`."""
    from govinspect.reports import figures as fig

    with store.session() as session:
        figures = fig.build(session, period=period, run_id=run_id, compare_to=compare_to)
    return write_circular(
        figures,
        out,
        template=template,
        issue_date=issue_date,
        deadline=deadline,
        scope=scope,
        issuer=issuer,
        pdf=pdf,
    )


def write_circular(
    figures: Figures,
    out: Path,
    *,
    template: Path | None = None,
    issue_date: date,
    deadline: date | None,
    scope: str = "全省",
    issuer: str = "",
    pdf: bool | None = None,
) -> Written:
    """Every output from verified figures: charts, the HTML and the DOCX are rendered and their text checked
    before anything is written. ``pdf``: None converts when LibreOffice is installed (else ``note`` says why
    not), True requires it, False skips it."""
    from govinspect.reports.charts import make_charts
    from govinspect.reports.circular import make_circular
    from govinspect.reports.docx import render_docx
    from govinspect.reports.html import render_html
    from govinspect.reports.pdf import INSTALL_HINT, convert_to_pdf, find_soffice
    from govinspect.reports.xlsx import write_xlsx

    circular = make_circular(figures, issue_date=issue_date, deadline=deadline, scope=scope, issuer=issuer)
    charts = make_charts(figures)
    page = render_html(circular, charts)
    out.mkdir(parents=True, exist_ok=True)
    docx_path, xlsx_path, html_path = out / DOCX_NAME, out / XLSX_NAME, out / HTML_NAME
    render_docx(circular, docx_path, template, charts)
    write_xlsx(circular.attachments, xlsx_path)
    html_path.write_text(page, encoding="utf-8")
    pdf_path, note = None, None
    if pdf is not False:
        if pdf is None and find_soffice() is None:
            note = f"未安装 LibreOffice，未生成 PDF（{INSTALL_HINT}）"
        else:
            pdf_path = convert_to_pdf(docx_path)
    return Written(docx_path, xlsx_path, html_path, pdf_path, note, len(charts))


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
    compare_to: Annotated[
        str | None,
        typer.Option(
            "--compare-to",
            help="对比的往期，逗号分隔，如 2019Q4,2019Q1（上一期为环比，上年同期为同比）",
        ),
    ] = None,
    pdf: Annotated[
        bool | None,
        typer.Option(
            "--pdf/--no-pdf", help="生成 PDF（需 LibreOffice；缺省：已安装时生成）", show_default=False
        ),
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
            compare_to=[p for p in (compare_to or "").replace("，", ",").split(",") if p.strip()],
            pdf=pdf,
        )
    except ReportError as exc:
        raise _fail(str(exc)) from exc
    finally:
        store.dispose()
    for path in (written.docx, written.pdf, written.xlsx, written.html):
        if path is not None:
            console.print(Text(f"已生成：{path}"))
    if written.note:
        console.print(Text(f"提示：{written.note}"))
    console.print(Text(f"整改期限：{due.year}年{due.month}月{due.day}日"))
