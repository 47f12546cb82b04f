"""The holiday YAML: one block per year, typed in from the State Council's annual holiday notice.

The file is the way a new year's schedule gets in before chinesecalendar ships it, so a mistake in it becomes a
wrong deadline in an official letter. It is therefore read strictly: every problem names the file, the year, the
entry and its line. Dates are parsed here, not by YAML (YAML would reject 2027-02-30 before we could say where)::

    2027:
      source: 国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕N号）
      holidays:                                  # 放假日期：单日、区间（含两端）或带名称
        - 2027-01-01
        - 2027-02-05..2027-02-11
        - {name: 国庆节, dates: 2027-10-01..2027-10-07}
      workdays:                                  # 调休上班的周末日期
        - 2027-02-14
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml

MAX_RANGE_DAYS = 31
_BLOCK_KEYS = ("source", "holidays", "workdays")
_ENTRY_KEYS = ("dates", "name")
_DATE = r"(\d{4})-(\d{1,2})-(\d{1,2})"
_DATE_RE = re.compile(rf"^{_DATE}$")
_RANGE_RE = re.compile(rf"^{_DATE}\s*(?:\.\.|~|～|至)\s*{_DATE}$")
_LIST_LABEL = {"holidays": "放假日期 holidays", "workdays": "调休上班日期 workdays"}


class CalendarError(Exception):
    """A working-day question that cannot be answered truthfully; the message is for officials, in Chinese."""


class HolidayFileError(CalendarError):
    """A holiday file that is unreadable or wrong; says which file, year, entry and line."""

    def __init__(
        self,
        path: str,
        problem: str,
        *,
        year: int | None = None,
        entry: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path, self.problem, self.year, self.entry, self.line = path, problem, year, entry, line
        where = [f"节假日文件 {path}"]
        if line is not None:
            where.append(f"第 {line} 行")
        if year is not None:
            where.append(f"{year} 年")
        if entry is not None:
            where.append(entry)
        super().__init__("，".join(where) + f"：{problem}")


@dataclass(frozen=True)
class Entry:
    """One date of a block, traced to the entry it came from (a range gives one Entry per day)."""

    day: date
    working: bool
    name: str | None
    line: int
    label: str


@dataclass(frozen=True)
class YearBlock:
    year: int
    source: str
    entries: tuple[Entry, ...]
    line: int


@dataclass(frozen=True)
class HolidayFile:
    path: str
    years: dict[int, YearBlock]


def read_holiday_file(path: Path) -> HolidayFile:
    """Read and validate a holiday file; a missing or undecodable file is an error naming it."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise HolidayFileError(str(path), "文件不存在") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise HolidayFileError(str(path), f"无法读取（应为 UTF-8 编码的 YAML）：{exc}") from exc
    return parse_holiday_file(text, str(path))


def parse_holiday_file(text: str, path: str) -> HolidayFile:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise HolidayFileError(path, f"YAML 格式错误（{problem}）", line=line) from exc
    if root is None or (isinstance(root, yaml.ScalarNode) and root.value == ""):
        return HolidayFile(path, {})
    if not isinstance(root, yaml.MappingNode):
        raise HolidayFileError(
            path, "顶层应为按年份分节的映射，如“2027:”后接该年的 source、holidays、workdays", line=1
        )
    years: dict[int, YearBlock] = {}
    for key, value in root.value:
        year = _year_key(key, path)
        if year in years:
            raise HolidayFileError(
                path, f"年份重复（第 {years[year].line} 行已有该年）", year=year, line=_line(key)
            )
        years[year] = _block(year, value, path, _line(key))
    _no_conflicts(years, path)
    return HolidayFile(path, years)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _year_key(node: yaml.Node, path: str) -> int:
    raw = node.value if isinstance(node, yaml.ScalarNode) else "…"
    if not (isinstance(node, yaml.ScalarNode) and re.fullmatch(r"\d{4}", raw) and 1949 <= int(raw) <= 2200):
        raise HolidayFileError(path, f"“{raw}”不是年份；顶层的键应为四位年份，如 2027", line=_line(node))
    return int(raw)


def _block(year: int, node: yaml.Node, path: str, line: int) -> YearBlock:
    if not isinstance(node, yaml.MappingNode):
        raise HolidayFileError(
            path, "应为包含 source、holidays、workdays 的映射", year=year, line=_line(node)
        )
    fields: dict[str, yaml.Node] = {}
    for key, value in node.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else "…"
        if name not in _BLOCK_KEYS:
            raise HolidayFileError(
                path, f"未知字段“{name}”（可用：{'、'.join(_BLOCK_KEYS)}）", year=year, line=_line(key)
            )
        if name in fields:
            raise HolidayFileError(path, f"字段“{name}”重复", year=year, line=_line(key))
        fields[name] = value
    source = fields.get("source")
    if source is None:
        raise HolidayFileError(path, "缺少 source（依据的国务院办公厅通知名称和文号）", year=year, line=line)
    if not isinstance(source, yaml.ScalarNode) or not source.value.strip():
        raise HolidayFileError(
            path, "source 应为一段非空文字（通知名称和文号）", year=year, line=_line(source)
        )
    entries: list[Entry] = []
    for list_name in ("holidays", "workdays"):
        value = fields.get(list_name)
        if value is None or (isinstance(value, yaml.ScalarNode) and value.tag == "tag:yaml.org,2002:null"):
            continue
        if not isinstance(value, yaml.SequenceNode):
            raise HolidayFileError(
                path, f"{list_name} 应为列表（每项以“- ”开头）", year=year, line=_line(value)
            )
        for index, item in enumerate(value.value, start=1):
            entries.extend(_entry(year, list_name, index, item, path))
    return YearBlock(year, source.value.strip(), tuple(entries), line)


def _entry(year: int, list_name: str, index: int, node: yaml.Node, path: str) -> list[Entry]:
    label = f"{_LIST_LABEL[list_name]} 第 {index} 项"
    name: str | None = None
    dates_node = node
    if isinstance(node, yaml.MappingNode):
        keyed = {k.value if isinstance(k, yaml.ScalarNode) else "…": (k, v) for k, v in node.value}
        unknown = [k for k in keyed if k not in _ENTRY_KEYS]
        if unknown:
            raise HolidayFileError(
                path,
                f"未知字段“{unknown[0]}”（可用：dates、name）",
                year=year,
                entry=label,
                line=_line(keyed[unknown[0]][0]),
            )
        if "dates" not in keyed:
            raise HolidayFileError(path, "缺少 dates（日期或区间）", year=year, entry=label, line=_line(node))
        if "name" in keyed:
            name_node = keyed["name"][1]
            if not isinstance(name_node, yaml.ScalarNode) or not name_node.value.strip():
                raise HolidayFileError(
                    path, "name 应为非空文字", year=year, entry=label, line=_line(name_node)
                )
            name = name_node.value.strip()
        dates_node = keyed["dates"][1]
    if not isinstance(dates_node, yaml.ScalarNode):
        raise HolidayFileError(
            path,
            "应为日期（2027-01-01）、区间（2027-02-05..2027-02-11）或 {name: 春节, dates: …}",
            year=year,
            entry=label,
            line=_line(dates_node),
        )
    raw = dates_node.value.strip()
    label = f"{label}“{raw}”"
    line = _line(dates_node)

    def fail(problem: str) -> HolidayFileError:
        return HolidayFileError(path, problem, year=year, entry=label, line=line)

    if match := _RANGE_RE.match(raw):
        first, last = _date(match.groups()[:3], fail), _date(match.groups()[3:], fail)
        if last < first:
            raise fail("区间的结束日期早于开始日期")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise fail(f"区间长达 {(last - first).days + 1} 天，疑为笔误；确为长假请分段列出")
    elif match := _DATE_RE.match(raw):
        first = last = _date(match.groups(), fail)
    else:
        raise fail("无法识别；日期写作 2027-01-01，区间写作 2027-02-05..2027-02-11")
    days = [first + timedelta(n) for n in range((last - first).days + 1)]
    for day in (first, last):
        if not date(year - 1, 12, 1) <= day <= date(year, 12, 31):
            raise fail(
                f"{day.isoformat()} 不属于 {year} 年的安排（每年一节只列该年日期，以及上一年 12 月里"
                "由该年通知安排的日期，如元旦前的调休）"
            )
    working = list_name == "workdays"
    return [Entry(day, working, name, line, label) for day in days]


def _date(parts: tuple[str, ...], fail: Callable[[str], HolidayFileError]) -> date:
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError as exc:
        raise fail(f"日期 {'-'.join(parts)} 不存在") from exc


def _no_conflicts(years: dict[int, YearBlock], path: str) -> None:
    """The same date as holiday in one place and working day in another is a typo we must not resolve by order."""
    seen: dict[date, tuple[Entry, int]] = {}
    for year, block in years.items():
        for entry in block.entries:
            prior = seen.get(entry.day)
            if prior is not None and prior[0].working != entry.working:
                other, other_year = prior
                raise HolidayFileError(
                    path,
                    f"{entry.day.isoformat()} 同时列为放假和调休上班（另见 {other_year} 年 {other.label}，"
                    f"第 {other.line} 行）",
                    year=year,
                    entry=entry.label,
                    line=entry.line,
                )
            seen.setdefault(entry.day, (entry, year))
