"""``govinspect text check``: the Chinese text checks on a file or standard input."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="中文文本检查：严重表述错误、错别字、个人信息、敏感表述。", no_args_is_help=True)

_SEVERITY = {"veto": "单项否决", "deduction": "扣分", "notice": "提示"}


def _parse_date(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from exc


@app.command("check")
def check(
    file: Annotated[str, typer.Argument(help="文本文件（UTF-8），“-”为标准输入")] = "-",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="文本所对应的日期（发布日期；缺省为今天），YYYY-MM-DD")
    ] = None,
    lines: Annotated[bool, typer.Option("--lines", help="每行作为一段独立文本检查")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    no_typos: Annotated[bool, typer.Option("--no-typos", help="不检查错别字")] = False,
) -> None:
    """检查一段文本，列出发现的问题。"""
    from govinspect.text.check import check_text, typo_unavailable_reason

    day = _parse_date(as_of)
    if file == "-":
        content = sys.stdin.read()
    else:
        path = Path(file)
        if not path.is_file():
            typer.echo(f"错误：找不到文件 {file}", err=True)
            raise typer.Exit(2)
        content = path.read_text(encoding="utf-8", errors="replace")
    chunks = list(enumerate(content.splitlines(), start=1)) if lines else [(None, content)]
    rows = []
    for number, chunk in chunks:
        for f in check_text(chunk, as_of=day, typos=not no_typos):
            rows.append(
                {
                    "check": f.check,
                    "severity": f.severity,
                    "line": number,
                    "start": f.start,
                    "end": f.end,
                    "text": f.text,
                    "suggestion": f.suggestion,
                    "message": f.message,
                }
            )
    if not no_typos and (reason := typo_unavailable_reason()):
        typer.echo(f"提示：错别字检查不可用（{reason}），其余检查照常进行。", err=True)
    if as_json:
        sys.stdout.write(json.dumps({"findings": rows}, ensure_ascii=False, indent=1) + "\n")
        return
    if not rows:
        typer.echo("未发现问题。")
        return
    for row in rows:
        where = f"第{row['line']}行 " if row["line"] is not None else ""
        typer.echo(
            f"{where}[{_SEVERITY.get(row['severity'], row['severity'])}] {row['check']} "
            f"{row['start']}-{row['end']} “{row['text']}”：{row['message']}"
        )
    typer.echo(f"共 {len(rows)} 处。")
