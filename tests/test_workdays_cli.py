"""``govinspect workdays`` through the real command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govinspect.cli import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    return {"GOVINSPECT_HOME": str(tmp_path), "GOVINSPECT_CONFIG": ""}


def test_deadline_over_national_day(home: dict[str, str]) -> None:
    result = runner.invoke(app, ["workdays", "deadline", "2024-09-27", "5"], env=home)
    assert result.exit_code == 0, result.output
    assert "期限届满日：2024-10-10（星期四）" in result.stdout
    assert "2024-09-29 国庆节调休上班，计入" in result.stdout
    assert "2024-10-01 至 2024-10-07 国庆节放假，不计" in result.stdout


def test_deadline_in_calendar_days_moves_off_a_holiday(home: dict[str, str]) -> None:
    result = runner.invoke(app, ["workdays", "deadline", "2024-09-24", "7", "--calendar-days"], env=home)
    assert result.exit_code == 0, result.output
    assert "顺延" in result.stdout and "期限届满日：2024-10-08（星期二）" in result.stdout


def test_between(home: dict[str, str]) -> None:
    result = runner.invoke(app, ["workdays", "between", "2024-02-01", "2024-02-20"], env=home)
    assert result.exit_code == 0, result.output
    assert "10 个工作日" in result.stdout and "2024-02-04 春节调休上班，计入" in result.stdout
    backwards = runner.invoke(app, ["workdays", "between", "2024-02-20", "2024-02-01"], env=home)
    assert backwards.exit_code == 1 and "早于开始日期" in backwards.stderr


def test_years_and_user_file(home: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(app, ["workdays", "years"], env=home)
    assert result.exit_code == 0, result.output
    assert "2004" in result.stdout and "2026" in result.stdout and "chinesecalendar" in result.stdout
    (tmp_path / "holidays.yaml").write_text(
        "2027:\n  source: 测试用虚构[安排]\n  holidays: [2027-01-01..2027-01-03]\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["workdays", "years"], env=home)
    assert "2027" in result.stdout and "测试用虚构[安排]" in result.stdout
    deadline = runner.invoke(app, ["workdays", "deadline", "2026-12-31", "1"], env=home)
    assert deadline.exit_code == 0 and "2027-01-04（星期一）" in deadline.stdout


def test_uncovered_year_and_bad_input(home: dict[str, str], tmp_path: Path) -> None:
    result = runner.invoke(app, ["workdays", "deadline", "2026-12-20", "10"], env=home)
    assert result.exit_code == 1
    assert (
        "没有 2027 年的节假日安排数据" in result.stderr and str(tmp_path / "holidays.yaml") in result.stderr
    )
    bad = runner.invoke(app, ["workdays", "between", "2024-13-01", "2024-12-01"], env=home)
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("2027:\n  source: x\n  holidays: [2027-02-30]\n", encoding="utf-8")
    result = runner.invoke(app, ["workdays", "years", "--holidays", str(broken)], env=home)
    assert result.exit_code == 1 and "2027 年" in result.stderr and "2027-02-30" in result.stderr


def test_help_is_chinese() -> None:
    result = runner.invoke(app, ["workdays", "--help"])
    assert result.exit_code == 0 and "工作日" in result.stdout
