"""``govinspect workdays``: deadlines and working-day counts an official can check against the holiday notice."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from govinspect.config import ConfigError
from govinspect.console import console, err
from govinspect.workdays.holidayfile import CalendarError
from govinspect.workdays.schedule import WEEKDAYS, Calendar, DayInfo

app = typer.Typer(
    help="工作日与期限：按国务院节假日安排（含调休上班日）计算办理期限和工作日天数。", no_args_is_help=True
)

HolidaysOption = Annotated[
    Path | None,
    typer.Option(
        "--holidays",
        help="节假日文件（YAML）；缺省使用 $GOVINSPECT_HOME/holidays.yaml（如存在）",
        dir_okay=False,
    ),
]


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from exc


def _show(day: date) -> str:
    return f"{day.isoformat()}（{WEEKDAYS[day.weekday()]}）"


def _calendar(holidays: Path | None) -> Calendar:
    try:
        return Calendar.load(holidays)
    except (CalendarError, ConfigError) as exc:
        raise _fail(str(exc)) from exc


def _fail(message: str) -> typer.Exit:
    err.print(Text.assemble(("错误：", "bold red"), message))
    return typer.Exit(1)


def _print_special(days: list[DayInfo]) -> None:
    """Holidays grouped into runs, make-up days one by one: what the count skipped and what it counted."""
    if not days:
        console.print("期间没有节假日或调休上班日。", highlight=False)
        return
    runs: list[list[DayInfo]] = []
    for info in days:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and info.kind == last.kind == "节假日"
            and info.name == last.name
            and (info.day - last.day).days == 1
        ):
            runs[-1].append(info)
        else:
            runs.append([info])
    for run in runs:
        first, last = run[0], run[-1]
        span = (
            first.day.isoformat() if len(run) == 1 else f"{first.day.isoformat()} 至 {last.day.isoformat()}"
        )
        what = "放假，不计" if first.kind == "节假日" else "调休上班，计入"
        name = f"{first.name}" if first.name else ""
        console.print(Text(f"  {span} {name}{what}"))


@app.command("deadline")
def deadline(
    start: Annotated[str, typer.Argument(help="收到（受理）日期，YYYY-MM-DD；当天不计")],
    n: Annotated[int, typer.Argument(help="期限天数（缺省为工作日）", min=0)],
    calendar_days: Annotated[
        bool, typer.Option("--calendar-days", help="按自然日计算；期限届满日遇节假日顺延至下一个工作日")
    ] = False,
    holidays: HolidaysOption = None,
) -> None:
    """计算办理期限：收到当天不计，期限届满日遇节假日顺延。"""
    day = _day(start)
    cal = _calendar(holidays)
    try:
        due = cal.add_calendar_days(day, n) if calendar_days else cal.add_working_days(day, n)
        special = cal.special_days(day, due)
    except CalendarError as exc:
        raise _fail(str(exc)) from exc
    unit = "个自然日" if calendar_days else "个工作日"
    console.print(f"收到日期：{_show(day)}，期限 {n} {unit}（收到当天不计）", highlight=False)
    if calendar_days and due != day + timedelta(n):
        console.print("届满日适逢节假日或周末，顺延至下一个工作日。", highlight=False)
    console.print(Text.assemble("期限届满日：", (_show(due), "bold")))
    _print_special(special)


@app.command("between")
def between(
    a: Annotated[str, typer.Argument(help="开始日期（如收到日期），YYYY-MM-DD；当天不计")],
    b: Annotated[str, typer.Argument(help="结束日期（如答复日期），YYYY-MM-DD；当天计入")],
    holidays: HolidaysOption = None,
) -> None:
    """两个日期之间的工作日天数（开始当天不计，结束当天计入）。"""
    first, last = _day(a), _day(b)
    if last < first:
        raise _fail(f"结束日期 {last.isoformat()} 早于开始日期 {first.isoformat()}")
    cal = _calendar(holidays)
    try:
        count = cal.working_days_between(first, last)
        special = cal.special_days(first, last)
    except CalendarError as exc:
        raise _fail(str(exc)) from exc
    console.print(
        Text.assemble(f"{_show(first)} 至 {_show(last)}：", (str(count), "bold"), " 个工作日（开始当天不计）")
    )
    _print_special(special)


@app.command("years")
def years(holidays: HolidaysOption = None) -> None:
    """列出有节假日安排数据的年份及其来源。"""
    cal = _calendar(holidays)
    table = Table(title="节假日安排数据")
    for column in ("年份", "来源", "依据", "更正"):
        table.add_column(column)
    for source in cal.year_sources():
        table.add_row(
            *(Text(v) for v in (str(source.year), source.origin, source.note, source.corrected_by or ""))
        )
    console.print(table)
    console.print(
        Text(f"超出以上年份的日期无法计算，请在 {cal.user_file} 中按国务院办公厅通知添加该年安排。")
    )
