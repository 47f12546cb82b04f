"""What the indicator profile says about rectification and error reports, and deadlines in working days.

Deadlines follow INDICATORS.md §7: the day of receipt is not counted and a deadline that falls on a holiday
moves to the next working day (workdays.schedule.Calendar). When the State Council has not yet published a
year's holidays (every December, next year's deadlines), a deadline is not refused: it is counted with
weekends only for that year and marked provisional, then recomputed once the schedule is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from govinspect.scoring.profile import Profile
from govinspect.workdays.schedule import Calendar, UncoveredYearError

BEIJING = ZoneInfo("Asia/Shanghai")


class RulesError(ValueError):
    """The profile lacks a value rectification needs; the message names the key."""


@dataclass(frozen=True)
class Rules:
    working_days: int  # rectification deadline for a finding
    remind_before_working_days: int
    report_working_days: int  # deadline for a report found 属实
    report_late_after_months: int  # resolved later than this counts against the office
    unresolved_points: float  # assessment: each 属实 report not resolved
    late_points: float  # assessment: each 属实 report resolved late

    @classmethod
    def of(cls, profile: Profile) -> Rules:
        rect, inbox, assess = (profile.section(n) for n in ("rectification", "jiucuo", "assessment"))

        def need(section: dict, name: str, key: str) -> float:
            value = section.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise RulesError(f"指标配置 {profile.id} 缺少或写错了 {name}.{key}（应为非负数）")
            return value

        return cls(
            working_days=int(need(rect, "rectification", "working_days")),
            remind_before_working_days=int(need(rect, "rectification", "remind_before_working_days")),
            report_working_days=int(need(inbox, "jiucuo", "reply_working_days")),
            report_late_after_months=int(need(inbox, "jiucuo", "late_after_months")),
            unresolved_points=float(need(assess, "assessment", "jiucuo_unresolved_points")),
            late_points=float(need(assess, "assessment", "jiucuo_late_points")),
        )


@dataclass(frozen=True)
class Deadline:
    day: date
    provisional: bool = False  # counted with weekends only for a year the calendar does not cover


def deadline_after(calendar: Calendar, start: date, working_days: int) -> Deadline:
    """``working_days`` working days after receipt on ``start``."""
    try:
        return Deadline(calendar.add_working_days(start, working_days))
    except UncoveredYearError:
        pass
    covered = set(calendar.covered_years())

    def working(day: date) -> bool:
        return calendar.is_working_day(day) if day.year in covered else day.weekday() < 5

    day = start
    if working_days == 0:
        while not working(day):
            day += timedelta(1)
        return Deadline(day, True)
    left = working_days
    while left:
        day += timedelta(1)
        left -= working(day)
    return Deadline(day, True)


def working_days_left(calendar: Calendar, today: date, deadline: date) -> int | None:
    """Working days from today to the deadline (negative when past it); None when the calendar cannot say."""
    try:
        if deadline >= today:
            return calendar.working_days_between(today, deadline)
        return -calendar.working_days_between(deadline, today)
    except UncoveredYearError:
        return None


def utc(moment: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive (they were written in UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def beijing_date(moment: datetime) -> date:
    return utc(moment).astimezone(BEIJING).date()


def today_in_beijing() -> date:
    return datetime.now(BEIJING).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(d, day.day))
        except ValueError:
            continue
    raise AssertionError("unreachable")
