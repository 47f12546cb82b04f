"""Working days under the State Council holiday schedule, with 调休 make-up days, and deadlines per INDICATORS §7.

Three layers, later ones winning date by date: chinesecalendar (the published notices it ships), the holiday file
shipped in this package (only for years chinesecalendar lacks, so an older chinesecalendar still has them), and the
user's holiday file (``$GOVINSPECT_HOME/holidays.yaml`` or a path given), which may add a year or correct a date.
A date in a year that no layer covers raises :class:`UncoveredYearError`: a guessed calendar would put a wrong
deadline into an official letter.
"""

from __future__ import annotations

import bisect
import importlib.metadata
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

from govinspect.workdays.holidayfile import (
    CalendarError,
    HolidayFile,
    HolidayFileError,
    parse_holiday_file,
    read_holiday_file,
)

USER_FILE_NAME = "holidays.yaml"
WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
BUILTIN_ORIGIN = "govinspect 内置节假日文件"


class UncoveredYearError(CalendarError):
    """No holiday data for a year the question touches; names the year and how to add it."""

    def __init__(self, year: int, covered: list[int], user_file: str) -> None:
        self.year = year
        have = f"{format_years(covered)}年" if covered else "无"
        super().__init__(
            f"没有 {year} 年的节假日安排数据，无法计算工作日（不作推测）。已有数据的年份：{have}。"
            f"请依据国务院办公厅《关于{year}年部分节假日安排的通知》，在节假日文件 {user_file} 中添加 {year} 年的"
            "放假日期和调休上班日期（格式见 README“节假日文件”一节），或升级 chinesecalendar"
            "（pip install -U chinesecalendar）。"
        )


@dataclass(frozen=True)
class YearSource:
    """Where a year's schedule comes from, for the ``years`` listing and for evidence."""

    year: int
    origin: str
    note: str
    corrected_by: str | None = None


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    kind: str  # 工作日 | 周末 | 节假日 | 调休上班
    name: str | None
    origin: str | None

    def describe(self) -> str:
        label = (
            f"{self.kind}（{self.name}）" if self.name and self.kind in ("节假日", "调休上班") else self.kind
        )
        return f"{self.day.isoformat()} {WEEKDAYS[self.day.weekday()]} {label}"


def format_years(years: list[int]) -> str:
    """2004–2026、2028: runs of consecutive years collapsed."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and runs[-1][1] == year - 1:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    return "、".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


_Mark = tuple[bool, str | None, str]  # working, holiday name, origin


class Calendar:
    """An immutable working-day calendar; build it once (``Calendar.load``) and pass it to the checks."""

    def __init__(self, marks: dict[date, _Mark], sources: dict[int, YearSource], user_file: str) -> None:
        self._marks = marks
        self._sources = dict(sorted(sources.items()))
        self._covered = frozenset(sources)
        self.user_file = user_file
        ordinals: list[int] = []
        for year in self._sources:
            day = date(year, 1, 1)
            while day.year == year:
                mark = marks.get(day)
                if mark[0] if mark else day.weekday() < 5:
                    ordinals.append(day.toordinal())
                day += timedelta(1)
        self._working = ordinals

    # -- construction ---------------------------------------------------------------------------------------

    @classmethod
    def load(cls, extra: Path | None = None, *, home: Path | None = None) -> Calendar:
        """chinesecalendar + the shipped file + a user file: ``extra`` if given (it must exist), else
        ``home/holidays.yaml`` when present (``home`` defaults to the configured ``GOVINSPECT_HOME``)."""
        if extra is not None:
            return cls.build(read_holiday_file(extra), user_file=str(extra))
        if home is None:
            from govinspect.config import load_settings

            home = load_settings().home
        path = home / USER_FILE_NAME
        user = read_holiday_file(path) if path.is_file() else None
        return cls.build(user, user_file=str(path))

    @classmethod
    def build(cls, user: HolidayFile | None = None, *, user_file: str | None = None) -> Calendar:
        marks, sources = _chinesecalendar_layer()
        shipped = _shipped_file()
        fill = HolidayFile(shipped.path, {y: b for y, b in shipped.years.items() if y not in sources})
        _apply(fill, marks, sources, BUILTIN_ORIGIN, keep=frozenset(sources))
        if user is not None:
            _apply(user, marks, sources, user.path)
        return cls(marks, sources, user_file or (user.path if user else f"$GOVINSPECT_HOME/{USER_FILE_NAME}"))

    # -- questions ------------------------------------------------------------------------------------------

    def covered_years(self) -> list[int]:
        return list(self._sources)

    def year_sources(self) -> list[YearSource]:
        return list(self._sources.values())

    def _require(self, *years: int) -> None:
        for year in years:
            if year not in self._covered:
                raise UncoveredYearError(year, self.covered_years(), self.user_file)

    def _require_span(self, first: date, last: date) -> None:
        self._require(*range(first.year, last.year + 1))

    def day_info(self, day: date | datetime) -> DayInfo:
        day = _as_date(day)
        self._require(day.year)
        mark = self._marks.get(day)
        weekend = day.weekday() >= 5
        if mark is None:
            return DayInfo(day, not weekend, "周末" if weekend else "工作日", None, None)
        working, name, origin = mark
        if working:
            return DayInfo(day, True, "调休上班" if weekend else "工作日", name, origin)
        return DayInfo(day, False, "节假日", name, origin)

    def is_working_day(self, day: date | datetime) -> bool:
        return self.day_info(day).working

    def working_days_between(self, start: date | datetime, end: date | datetime) -> int:
        """Working days after ``start`` up to and including ``end`` (the day of receipt is not counted)."""
        start, end = _as_date(start), _as_date(end)
        if end < start:
            raise ValueError(f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}")
        self._require_span(start, end)
        return bisect.bisect_right(self._working, end.toordinal()) - bisect.bisect_right(
            self._working, start.toordinal()
        )

    def add_working_days(self, start: date | datetime, n: int) -> date:
        """The deadline ``n`` working days after receipt on ``start`` (receipt day not counted); ``n = 0`` is the
        receipt day itself, or the next working day when it is a holiday."""
        start = _as_date(start)
        if n < 0:
            raise ValueError(f"工作日数不能为负数：{n}")
        self._require(start.year)
        ordinal = start.toordinal()
        index = bisect.bisect_right(self._working, ordinal) + n - 1
        if n == 0:
            index = bisect.bisect_left(self._working, ordinal)
        if index >= len(self._working):
            raise UncoveredYearError(self._first_gap_after(start.year), self.covered_years(), self.user_file)
        deadline = date.fromordinal(self._working[index])
        self._require_span(start, deadline)
        return deadline

    def next_working_day(self, day: date | datetime) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        return self.add_working_days(day, 0)

    def add_calendar_days(self, start: date | datetime, days: int) -> date:
        """A deadline in natural days (“7 日内”): ``start + days``, moved to the next working day if it falls on a
        holiday or weekend."""
        if days < 0:
            raise ValueError(f"天数不能为负数：{days}")
        start = _as_date(start)
        self._require(start.year)
        return self.next_working_day(start + timedelta(days))

    def special_days(self, start: date | datetime, end: date | datetime) -> list[DayInfo]:
        """Holidays and make-up working days in (start, end], the days that make a count differ from Mon–Fri."""
        start, end = _as_date(start), _as_date(end)
        self._require_span(start, end)
        found = []
        for day in sorted(d for d in self._marks if start < d <= end):
            info = self.day_info(day)
            if info.kind in ("节假日", "调休上班"):
                found.append(info)
        return found

    def _first_gap_after(self, year: int) -> int:
        while year in self._covered:
            year += 1
        return year


def _chinesecalendar_layer() -> tuple[dict[date, _Mark], dict[int, YearSource]]:
    from chinese_calendar import constants

    names = {h.value: h.chinese for h in constants.Holiday}
    try:
        version = importlib.metadata.version("chinesecalendar")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - vendored copies
        version = "?"
    origin = f"chinesecalendar {version}"
    marks: dict[date, _Mark] = {d: (False, names.get(v, v), origin) for d, v in constants.holidays.items()}
    marks.update({d: (True, names.get(v, v), origin) for d, v in constants.workdays.items()})
    first, last = min(constants.holidays).year, max(constants.holidays).year
    note = "国务院办公厅当年《部分节假日安排的通知》"
    sources = {y: YearSource(y, origin, note) for y in range(first, last + 1)}
    return marks, sources


def _shipped_file() -> HolidayFile:
    text = resources.files("govinspect.workdays").joinpath(USER_FILE_NAME).read_text(encoding="utf-8")
    return parse_holiday_file(text, f"{BUILTIN_ORIGIN}（govinspect/workdays/{USER_FILE_NAME}）")


def _apply(
    file: HolidayFile,
    marks: dict[date, _Mark],
    sources: dict[int, YearSource],
    origin: str,
    keep: frozenset[int] = frozenset(),
) -> None:
    """Lay a holiday file over the layers below it, refusing entries that can only be typos; dates in ``keep``
    years are left as they are (the shipped file only fills years chinesecalendar lacks)."""
    for year, block in file.years.items():
        block = replace(block, entries=tuple(e for e in block.entries if e.day.year not in keep))
        new_year = year not in sources
        if new_year and not any(not e.working and e.day.year == year for e in block.entries):
            raise HolidayFileError(
                file.path,
                "该年没有列出任何放假日期；新增年份须按通知列出全部放假日期",
                year=year,
                line=block.line,
            )
        for entry in block.entries:
            below = marks.get(entry.day)
            if entry.working and entry.day.weekday() < 5 and not (below and not below[0]):
                raise HolidayFileError(
                    file.path,
                    f"{entry.day.isoformat()} 是{WEEKDAYS[entry.day.weekday()]}，本来就是工作日；"
                    "调休上班日应为周六或周日，请核对通知",
                    year=year,
                    entry=entry.label,
                    line=entry.line,
                )
        for entry in block.entries:
            marks[entry.day] = (entry.working, entry.name, origin)
        if new_year:
            sources[year] = YearSource(year, origin, block.source)
        else:
            sources[year] = replace(sources[year], corrected_by=f"{origin}（{block.source}）")
