"""``govinspect text check`` through the real command."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from govinspect.cli import app

runner = CliRunner()


def test_json_lines_output() -> None:
    text = "增强“四个意识”\n增强“三个意识”\n国务院总理李克强主持会议\n"
    result = runner.invoke(
        app, ["text", "check", "-", "--lines", "--json", "--as-of", "2024-05-01", "--no-typos"], input=text
    )
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)["findings"]
    assert [(f["line"], f["check"], f["severity"], f["suggestion"]) for f in findings] == [
        (2, "content.serious_error", "veto", "四个意识"),
        (3, "content.serious_error", "veto", None),
    ]
    first = findings[0]
    assert set(first) == {"check", "severity", "line", "start", "end", "text", "suggestion", "message"}
    assert "三个意识\n"[0:4] == first["text"] and (first["start"], first["end"]) == (3, 7)


def test_plain_output_and_file(tmp_path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("国土资源部印发通知。", encoding="utf-8")
    result = runner.invoke(app, ["text", "check", str(path), "--as-of", "2020-01-01", "--no-typos"])
    assert result.exit_code == 0 and "自然资源部" in result.stdout and "单项否决" in result.stdout
    clean = runner.invoke(app, ["text", "check", str(path), "--as-of", "2017-01-01", "--no-typos"])
    assert clean.exit_code == 0 and "未发现问题" in clean.stdout
    missing = runner.invoke(app, ["text", "check", str(tmp_path / "none.txt")])
    assert missing.exit_code == 2
