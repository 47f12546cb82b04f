"""The working-day calendar on real State Council schedules, the holiday YAML, and years with no data."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from govinspect.workdays import (
    Calendar,
    HolidayFileError,
    UncoveredYearError,
    format_years,
    read_holiday_file,
    schedule,
)
from govinspect.workdays.holidayfile import parse_holiday_file

# A made-up 2027 schedule (the real one is not published yet): only the mechanism is under test.
FICTIONAL_2027 = """\
2027:
  source: 测试用的虚构安排（非真实通知）
  holidays:
    - {name: 元旦, dates: 2027-01-01..2027-01-03}
    - {name: 春节, dates: 2027-02-06..2027-02-12}
    - 2027-10-01..2027-10-07
  workdays:
    - 2027-02-14
    - {name: 国庆节, dates: 2027-10-09}
"""


@pytest.fixture(scope="module")
def cal() -> Calendar:
    return Calendar.build()


def d(text: str) -> date:
    return date.fromisoformat(text)


def write(tmp_path: Path, text: str, name: str = "holidays.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- real schedules --------------------------------------------------------------------------------------------


def test_2020_spring_festival_extension(cal: Calendar) -> None:
    # 国办发明电〔2020〕1号 extended the holiday to 2 February; the make-up Saturday 1 February was cancelled.
    assert cal.is_working_day(d("2020-01-19"))  # make-up Sunday before the holiday
    assert not cal.is_working_day(d("2020-01-31"))
    assert not cal.is_working_day(d("2020-02-01"))
    assert cal.is_working_day(d("2020-02-03"))
    assert cal.add_working_days(d("2020-01-22"), 3) == d("2020-02-04")
    assert cal.working_days_between(d("2020-01-23"), d("2020-02-03")) == 1


def test_2024_make_up_sunday_and_spring_festival(cal: Calendar) -> None:
    info = cal.day_info(d("2024-02-04"))
    assert info.working and info.kind == "调休上班" and info.name == "春节"
    assert cal.is_working_day(d("2024-02-18"))
    assert not any(cal.is_working_day(d("2024-02-12") + timedelta(n)) for n in range(5))
    assert not cal.is_working_day(d("2024-02-03"))  # an ordinary Saturday
    assert cal.working_days_between(d("2024-02-01"), d("2024-02-20")) == 10
    # Friday 2 February + 1 working day is the make-up Sunday, not Monday.
    assert cal.add_working_days(d("2024-02-02"), 1) == d("2024-02-04")


def test_national_day_week(cal: Calendar) -> None:
    assert cal.is_working_day(d("2024-09-29"))  # Sunday make-up day
    assert [cal.is_working_day(d("2024-10-01") + timedelta(n)) for n in range(8)] == [False] * 7 + [True]
    assert cal.is_working_day(d("2024-10-12"))  # Saturday make-up day
    assert cal.add_working_days(d("2024-09-27"), 5) == d("2024-10-10")
    assert cal.add_working_days(d("2024-09-30"), 1) == d("2024-10-08")
    assert cal.working_days_between(d("2024-09-30"), d("2024-10-08")) == 1
    assert cal.working_days_between(d("2024-09-27"), d("2024-10-12")) == 7
    assert cal.day_info(d("2024-10-03")).describe() == "2024-10-03 星期四 节假日（国庆节）"


def test_2015_victory_day_holiday(cal: Calendar) -> None:
    assert not cal.is_working_day(d("2015-09-03")) and not cal.is_working_day(d("2015-09-04"))
    assert cal.is_working_day(d("2015-09-06"))


def test_receipt_day_not_counted_and_deadline_moves_off_holidays(cal: Calendar) -> None:
    assert cal.working_days_between(d("2024-05-06"), d("2024-05-06")) == 0
    assert cal.add_working_days(d("2024-05-06"), 0) == d("2024-05-06")
    assert cal.add_working_days(d("2024-10-01"), 0) == d("2024-10-08")
    assert cal.next_working_day(d("2024-10-05")) == d("2024-10-08")
    # received on a holiday: the first working day after it is day 1
    assert cal.add_working_days(d("2024-10-03"), 1) == d("2024-10-08")
    # natural-day deadline landing in the National Day holiday moves to the next working day
    assert cal.add_calendar_days(d("2024-09-24"), 7) == d("2024-10-08")
    assert cal.add_calendar_days(d("2024-09-23"), 7) == d("2024-09-30")
    assert cal.add_working_days(datetime(2024, 9, 27, 17, 30), 5) == d("2024-10-10")
    with pytest.raises(ValueError):
        cal.add_working_days(d("2024-01-02"), -1)
    with pytest.raises(ValueError):
        cal.working_days_between(d("2024-01-05"), d("2024-01-02"))


def test_agrees_with_chinesecalendar_every_day(cal: Calendar) -> None:
    day = d("2004-01-01")
    while day <= d("2026-12-31"):
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(1)
    assert cal.covered_years() == list(range(2004, 2027))


def test_between_and_add_are_inverse(cal: Calendar) -> None:
    start = d("2023-12-20")
    for n in range(0, 300, 7):
        due = cal.add_working_days(start, n)
        assert cal.is_working_day(due)
        assert cal.working_days_between(start, due) == n


def test_special_days_lists_holidays_and_make_up_days(cal: Calendar) -> None:
    kinds = [(i.day.isoformat(), i.kind) for i in cal.special_days(d("2024-09-27"), d("2024-10-12"))]
    assert kinds[0] == ("2024-09-29", "调休上班") and kinds[-1] == ("2024-10-12", "调休上班")
    assert sum(k == "节假日" for _, k in kinds) == 7


# -- years with no data ----------------------------------------------------------------------------------------


def test_uncovered_year_is_an_error_not_a_guess(cal: Calendar) -> None:
    with pytest.raises(UncoveredYearError) as info:
        cal.is_working_day(d("2027-01-04"))
    assert info.value.year == 2027
    message = str(info.value)
    assert "2027 年" in message and "holidays.yaml" in message and "2004–2026年" in message
    assert "国务院办公厅《关于2027年部分节假日安排的通知》" in message
    with pytest.raises(UncoveredYearError, match="2003 年"):
        cal.is_working_day(d("2003-06-02"))


def test_ranges_crossing_into_an_uncovered_year(cal: Calendar) -> None:
    with pytest.raises(UncoveredYearError, match="2027 年") as info:
        cal.add_working_days(d("2026-12-28"), 10)
    assert info.value.year == 2027
    with pytest.raises(UncoveredYearError, match="2027 年"):
        cal.working_days_between(d("2026-12-01"), d("2027-01-05"))
    with pytest.raises(UncoveredYearError, match="2003 年"):
        cal.working_days_between(d("2003-12-30"), d("2004-01-05"))
    with pytest.raises(UncoveredYearError, match="2027 年"):
        cal.add_calendar_days(d("2026-12-28"), 7)
    # within the covered range, right up to the end
    assert cal.add_working_days(d("2026-12-28"), 3) == d("2026-12-31")


# -- the holiday YAML ------------------------------------------------------------------------------------------


def test_user_file_adds_a_future_year(tmp_path: Path) -> None:
    cal = Calendar.load(write(tmp_path, FICTIONAL_2027))
    assert cal.covered_years()[-1] == 2027
    assert not cal.is_working_day(d("2027-01-01"))
    assert cal.is_working_day(d("2027-02-14"))  # a Sunday make-up day
    assert cal.day_info(d("2027-02-08")).name == "春节"
    assert cal.day_info(d("2027-10-04")).name is None and not cal.is_working_day(d("2027-10-04"))
    # Mon 28 Dec 2026 + 5: 29, 30, 31 Dec, (1–3 Jan off), 4, 5 Jan
    assert cal.add_working_days(d("2026-12-28"), 5) == d("2027-01-05")
    assert cal.working_days_between(d("2027-02-05"), d("2027-02-15")) == 2
    source = cal.year_sources()[-1]
    assert source.year == 2027 and source.origin == str(tmp_path / "holidays.yaml") and "虚构" in source.note
    with pytest.raises(UncoveredYearError, match="2028 年"):
        cal.add_working_days(d("2027-12-20"), 30)


def test_user_file_found_in_home(tmp_path: Path) -> None:
    write(tmp_path, FICTIONAL_2027)
    assert 2027 in Calendar.load(home=tmp_path).covered_years()
    assert Calendar.load(home=tmp_path / "empty").covered_years()[-1] == 2026


def test_gap_year_is_not_bridged(tmp_path: Path) -> None:
    text = "2028:\n  source: 测试用虚构安排\n  holidays: [2028-01-01..2028-01-03]\n"
    cal = Calendar.load(write(tmp_path, text))
    assert 2028 in cal.covered_years() and 2027 not in cal.covered_years()
    with pytest.raises(UncoveredYearError, match="2027 年") as info:
        cal.add_working_days(d("2026-12-30"), 5)
    assert info.value.year == 2027
    assert "2004–2026、2028年" in str(info.value)


def test_user_file_corrects_a_covered_year(tmp_path: Path) -> None:
    text = "2020:\n  source: 某省延长春节假期的通知\n  holidays:\n    - {name: 春节延长, dates: 2020-02-03..2020-02-09}\n"
    cal = Calendar.load(write(tmp_path, text))
    assert not cal.is_working_day(d("2020-02-03"))
    assert cal.add_working_days(d("2020-01-22"), 3) == d("2020-02-11")
    source = next(s for s in cal.year_sources() if s.year == 2020)
    assert source.origin.startswith("chinesecalendar") and "某省延长春节假期的通知" in (
        source.corrected_by or ""
    )
    # cancelling a holiday by listing it as a working day is allowed when a lower layer has it as a holiday
    undo = "2024:\n  source: 更正\n  workdays:\n    - 2024-10-07\n"
    assert Calendar.load(write(tmp_path, undo, "undo.yaml")).is_working_day(d("2024-10-07"))


def test_shipped_file_agrees_with_chinesecalendar() -> None:
    shipped = schedule._shipped_file()
    assert sorted(shipped.years) == [2025, 2026]
    for year, block in shipped.years.items():
        marks = {e.day: e.working for e in block.entries}
        day = date(year, 1, 1)
        while day.year == year:
            assert marks.get(day, day.weekday() < 5) == chinese_calendar.is_workday(day), day
            day += timedelta(1)


def test_shipped_file_fills_years_an_older_chinesecalendar_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    real = schedule._chinesecalendar_layer

    def up_to_2024() -> tuple[dict, dict]:
        marks, sources = real()
        kept = {k: v for k, v in marks.items() if k.year <= 2024}
        return kept, {y: s for y, s in sources.items() if y <= 2024}

    monkeypatch.setattr(schedule, "_chinesecalendar_layer", up_to_2024)
    cal = Calendar.build()
    assert cal.covered_years()[-1] == 2026
    assert cal.year_sources()[-1].origin == schedule.BUILTIN_ORIGIN
    assert cal.day_info(d("2025-01-26")).kind == "调休上班"
    assert not cal.is_working_day(d("2026-02-23"))
    assert cal.add_working_days(d("2025-09-29"), 3) == d("2025-10-10")


def test_file_format_forms(tmp_path: Path) -> None:
    text = "# 注释\n2027:\n  source: x\n  holidays: [2027-1-1, 2027-02-06 至 2027-02-08, '2027-05-01~2027-05-03']\n"
    parsed = read_holiday_file(write(tmp_path, text))
    assert [e.day.isoformat() for e in parsed.years[2027].entries][:2] == ["2027-01-01", "2027-02-06"]
    assert len(parsed.years[2027].entries) == 7
    assert parse_holiday_file("", "empty.yaml").years == {}
    assert parse_holiday_file("# 只有注释\n", "c.yaml").years == {}
    # December dates of the previous year belong to a year's notice (元旦 before 1 January)
    ny = "2019:\n  source: x\n  holidays: [2018-12-30..2019-01-01]\n  workdays: [2018-12-29]\n"
    assert len(parse_holiday_file(ny, "ny.yaml").years[2019].entries) == 4


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (
            "2027:\n  source: x\n  holidays:\n    - 2027-01-01\n    - 2027-02-30\n",
            ["2027 年", "第 2 项", "2027-02-30", "不存在", "第 5 行"],
        ),
        ("2027:\n  holidays: [2027-01-01]\n", ["2027 年", "缺少 source", "第 1 行"]),
        ("2027:\n  source: x\n  holiday: [2027-01-01]\n", ["未知字段“holiday”", "第 3 行"]),
        ("2027:\n  source: x\n  holidays: [2027-02-12..2027-02-06]\n", ["第 1 项", "结束日期早于开始日期"]),
        ("2027:\n  source: x\n  holidays: [2026-05-01]\n", ["2026-05-01 不属于 2027 年"]),
        ("2027:\n  source: x\n  holidays: [2027-01-01..2027-03-01]\n", ["疑为笔误"]),
        ("2027:\n  source: x\n  holidays: [next friday]\n", ["“next friday”", "无法识别"]),
        ("2027:\n  source: x\n  holidays: 2027-01-01\n", ["holidays 应为列表"]),
        ("2027:\n  source: x\n  holidays:\n    - {name: 春节}\n", ["缺少 dates", "第 4 行"]),
        ("2027:\n  source: x\n  holidays:\n    - {when: 2027-01-01}\n", ["未知字段“when”"]),
        ("27:\n  source: x\n", ["“27”不是年份"]),
        ("2027:\n  source: x\n  holidays: [2027-01-01]\n2027:\n  source: y\n", ["年份重复", "第 4 行"]),
        ("2027:\n  source: x\n  holidays: [2027-01-01\n", ["YAML 格式错误"]),
        ("- 2027-01-01\n", ["顶层应为按年份分节的映射"]),
        (
            "2027:\n  source: x\n  holidays: [2027-02-06..2027-02-12]\n  workdays: [2027-02-07]\n",
            ["2027-02-07 同时列为放假和调休上班", "调休上班日期 workdays 第 1 项", "第 3 行"],
        ),
    ],
)
def test_malformed_file_names_file_year_and_entry(tmp_path: Path, body: str, fragments: list[str]) -> None:
    path = write(tmp_path, body)
    with pytest.raises(HolidayFileError) as info:
        Calendar.load(path)
    message = str(info.value)
    assert message.startswith(f"节假日文件 {path}")
    for fragment in fragments:
        assert fragment in message, message


def test_entries_that_can_only_be_typos(tmp_path: Path) -> None:
    # a make-up "working day" on a weekday that is already a working day: probably the wrong date
    weekday = FICTIONAL_2027.replace("    - 2027-02-14\n", "    - 2027-02-15\n")
    with pytest.raises(
        HolidayFileError, match=r"2027 年，调休上班日期 workdays 第 1 项“2027-02-15”：.*星期一"
    ):
        Calendar.load(write(tmp_path, weekday))
    with pytest.raises(HolidayFileError, match="2027 年：该年没有列出任何放假日期"):
        Calendar.load(write(tmp_path, "2027:\n  source: x\n  workdays: [2027-02-14]\n", "w.yaml"))
    with pytest.raises(HolidayFileError, match="文件不存在"):
        Calendar.load(tmp_path / "missing.yaml")
    bad = tmp_path / "gbk.yaml"
    bad.write_bytes("2027:\n  source: 国务院办公厅关于节假日安排的通知\n".encode("gbk"))
    with pytest.raises(HolidayFileError, match="UTF-8"):
        Calendar.load(bad)


def test_format_years() -> None:
    assert format_years([2004, 2005, 2006, 2028, 2030, 2031]) == "2004–2006、2028、2030–2031"
