"""Inspection periods (检查期): a quarter (2020Q1) or a month (2020-03). Every run belongs to one.

Circulars are issued per quarter (some provinces also per month), and a report covers the finished runs of one
period; so the period is stored on each run in one canonical spelling (``2020Q1``, ``2020-03``) whatever the
operator typed (``2020q1``, ``2020-3``, ``202003``, ``2020年第一季度``, ``2020年3月``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

CN_QUARTERS = "一二三四"
FIRST_YEAR, LAST_YEAR = 2000, 2099

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*Q\s*([1-4])$", re.IGNORECASE)
_CN_QUARTER = re.compile(r"^(\d{4})\s*年\s*第?\s*([一二三四1-4])\s*季度?$")
_MONTH = re.compile(r"^(\d{4})(?:\s*[-/.]\s*M?|-?M)(\d{1,2})$|^(\d{4})(\d{2})$", re.IGNORECASE)
_CN_MONTH = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月(?:份)?$")
FORMAT_HINT = "季度写作 2020Q1（Q1–Q4），月份写作 2020-03"


class PeriodError(ValueError):
    """A period that cannot be read; the message is for an official, in Chinese."""


@dataclass(frozen=True, slots=True)
class Period:
    year: int
    quarter: int | None = None  # 1..4, or None for a month
    month: int | None = None  # 1..12, or None for a quarter

    @property
    def text(self) -> str:
        """The canonical spelling stored on runs and plans."""
        if self.quarter is not None:
            return f"{self.year}Q{self.quarter}"
        return f"{self.year}-{self.month:02d}"

    @property
    def label(self) -> str:
        """As a circular writes it: 2020年第一季度, 2020年3月."""
        if self.quarter is not None:
            return f"{self.year}年第{CN_QUARTERS[self.quarter - 1]}季度"
        return f"{self.year}年{self.month}月"

    @property
    def start(self) -> date:
        month = (self.quarter - 1) * 3 + 1 if self.quarter is not None else self.month
        assert month is not None
        return date(self.year, month, 1)

    @property
    def end(self) -> date:
        """The last day of the period."""
        if self.quarter is not None:
            last_month = self.quarter * 3
        else:
            assert self.month is not None
            last_month = self.month
        if last_month == 12:
            return date(self.year, 12, 31)
        return date(self.year, last_month + 1, 1) - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.text


def quarter_of(day: date) -> Period:
    return Period(day.year, quarter=(day.month - 1) // 3 + 1)


def parse_period(value: str) -> Period:
    """Read a quarter or a month in any of the usual spellings; anything else is a :class:`PeriodError`."""
    text = (value or "").strip()
    if not text:
        raise PeriodError(f"检查期不能为空：{FORMAT_HINT}")
    if m := _QUARTER.match(text):
        year, quarter, month = int(m[1]), int(m[2]), None
    elif m := _CN_QUARTER.match(text):
        part = m[2]
        year, quarter, month = (
            int(m[1]),
            (CN_QUARTERS.index(part) + 1 if part in CN_QUARTERS else int(part)),
            None,
        )
    elif (m := _MONTH.match(text)) or (m := _CN_MONTH.match(text)):
        year_text, month_text = (m[1], m[2]) if m[1] else (m[3], m[4])
        year, quarter, month = int(year_text), None, int(month_text)
        if not 1 <= month <= 12:
            raise PeriodError(f"检查期“{text}”的月份 {month} 不在 1–12 之间：{FORMAT_HINT}")
    else:
        raise PeriodError(f"检查期“{text}”格式不对：{FORMAT_HINT}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"检查期“{text}”的年份 {year} 不在 {FIRST_YEAR}–{LAST_YEAR} 之间")
    return Period(year, quarter=quarter, month=month)


def check_as_of(period: Period, as_of: date) -> None:
    """A run of a period cannot look at the site before the period began (a 2020Q1 run dated 2019-12-31 is a
    typo in one of the two); a date after the period's end is allowed: circulars are often checked late."""
    if as_of < period.start:
        raise PeriodError(
            f"监测时间点 {as_of.isoformat()} 早于检查期 {period.text}（{period.label}）的开始日期 "
            f"{period.start.isoformat()}，请核对 --as-of 与 --period"
        )
