"""Terminal views shared by the commands: progress bars and the inspection results table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from govinspect.checks.names import SEVERITY_NAMES, check_name
from govinspect.console import console
from govinspect.runs.contract import SiteOutcome
from govinspect.runs.show import StoredResult
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
            Text(outcome.site_code),
            Text(outcome.name),
            f"[green]{verdict}[/]" if verdict == "合格" else f"[red]{verdict}[/]",
            "—" if outcome.score.score is None else f"{outcome.score.score:.2f}",
            Text("、".join(outcome.score.veto_names) or "—"),
            str(severities.count("veto")),
            str(severities.count("deduction")),
            str(severities.count("notice")),
        )
    console.print(table)
    console.print(f"合格率：{passed}/{len(outcomes)} = {percent_text(passed, len(outcomes))}")


SEVERITY_ORDER = {"veto": 0, "deduction": 1, "notice": 2}
SEVERITY_STYLE = {"veto": "bold red", "deduction": "yellow", "notice": "cyan"}


def _evidence_text(evidence: dict[str, Any]) -> Text:
    """Crawled text is attacker-controlled: it goes into Text objects, never through Rich markup."""
    lines = []
    for key, value in evidence.items():
        if value in (None, "", [], {}):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if len(shown) > 300:
            shown = shown[:300] + "…"
        lines.append(f"{key}: {shown}")
    return Text("\n".join(lines))


def print_stored_result(result: StoredResult) -> None:
    verdict_style = "green" if result.verdict == "合格" else "red"
    header = Text()
    header.append(f"{result.name}（{result.site_code}）\n", style="bold")
    header.append(f"首页：{result.url}\n主办单位：{result.sponsor}\n")
    kind = {"rescore": "（重新评分）", "recheck": "（复查）", "import": "（导入）"}.get(result.run_kind, "")
    header.append(f"检查任务：{result.run_id}{kind}  监测时间点：{result.as_of}  指标：{result.profile}\n")
    header.append("结论：")
    header.append(result.verdict, style=f"bold {verdict_style}")
    if result.score is not None and result.part2 is not None and result.part3 is not None:
        header.append(f"  得分：{result.score:.2f}（扣分项 {result.part2:.2f} + 加分项 {result.part3:.2f}）")
    elif result.score is not None:  # an imported result without its breakdown (runs/importer.py)
        header.append(f"  得分：{result.score:.2f}")
    console.print(header)
    if result.vetoes and not result.fired:  # an imported result: the veto names without their rules
        console.print(Text(f"单项否决：{'、'.join(result.vetoes)}"), style="red")
    for fired in result.fired:
        console.print(
            Text(
                f"单项否决：{fired['name']}（规则 {fired['rule']} 第 {fired['condition'] + 1} 项条件，计 {fired['count']} 处）"
            ),
            style="red",
        )
    if result.deductions:
        deductions = Table("扣分项", "分组", "问题数", "扣分", title="扣分明细")
        for item in result.deductions:
            deductions.add_row(
                Text(item["item"]), Text(item["group"]), str(item["count"]), f"{item['points']:g}"
            )
        console.print(deductions)
    if not result.findings:
        console.print("未发现问题。")
        return
    findings = Table(title=f"问题与证据（共 {len(result.findings)} 条）", show_lines=True)
    for column in ("程度", "问题", "说明", "页面", "证据", "快照"):
        findings.add_column(column, overflow="fold")
    ordered = sorted(result.findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 3))
    for finding in ordered:
        findings.add_row(
            Text(
                SEVERITY_NAMES.get(finding.severity, finding.severity),
                style=SEVERITY_STYLE.get(finding.severity, ""),
            ),
            Text(check_name(finding.check)),
            Text(finding.message),
            Text(finding.url),
            _evidence_text(finding.evidence),
            "" if finding.snapshot_id is None else str(finding.snapshot_id),
        )
    console.print(findings)
