"""Terminal views shared by the commands: progress bars and the inspection results table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from govinspect.console import console
from govinspect.runs.contract import SiteOutcome
from govinspect.scoring.rates import percent_text


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def print_outcomes(outcomes: Sequence[SiteOutcome], profile: str, as_of: date, run_id: int) -> None:
    table = Table(title=f"检查结果（监测时间点 {as_of}，指标 {profile}，任务 {run_id}）")
    for column in ("网站标识码", "网站名称", "结论", "得分", "单项否决", "否决项", "扣分项", "提示"):
        table.add_column(
            column, justify="right" if column in ("得分", "否决项", "扣分项", "提示") else "left"
        )
    passed = 0
    for outcome in outcomes:
        severities = [s.value for s in outcome.score.severities]
        verdict = outcome.score.verdict
        passed += verdict == "合格"
        table.add_row(
            outcome.site_code,
            outcome.name,
            f"[green]{verdict}[/]" if verdict == "合格" else f"[red]{verdict}[/]",
            "—" if outcome.score.score is None else f"{outcome.score.score:.2f}",
            "、".join(outcome.score.veto_names) or "—",
            str(severities.count("veto")),
            str(severities.count("deduction")),
            str(severities.count("notice")),
        )
    console.print(table)
    console.print(f"合格率：{passed}/{len(outcomes)} = {percent_text(passed, len(outcomes))}")
