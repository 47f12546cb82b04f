"""互动回应: no effective channel, messages overdue or answered slowly, surveys without a published result; and
the message statistics a circular prints.

Thresholds are the profile's ``interaction`` section; working days follow the holiday calendar
(:class:`govinspect.workdays.schedule.Calendar`, the day of receipt not counted). A year the calendar has no data
for is never guessed: such a reply becomes a notice that says so, with its calendar-day count.

Windows: overdue messages, slow replies and surveys are judged over the year before ``as_of`` (the indicator's
wording for overdue messages, kept for the other two so an old board is not re-judged every quarter); items
dated after ``as_of`` are left out, so a run can be re-scored for an earlier time point.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from statistics import fmean

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import Interaction, Message, SiteModel
from govinspect.scoring.profile import Profile
from govinspect.workdays.holidayfile import CalendarError
from govinspect.workdays.schedule import Calendar, UncoveredYearError

__all__ = [
    "InteractionStats",
    "UnitStats",
    "check_no_channel",
    "check_reply_overdue",
    "check_reply_slow",
    "check_survey_feedback",
    "default_calendar",
    "interaction_stats",
]

# Fewer visible links than this on a homepage: it is likely built by scripts, so a channel may exist unseen.
MIN_HOME_LINKS = 10


@cache
def default_calendar() -> Calendar:
    """The working-day calendar with the user's holiday file; without it when that file cannot be read."""
    try:
        return Calendar.load()
    except CalendarError:
        return Calendar.build()


def _settings(profile: Profile) -> dict:
    return dict(profile.section("interaction"))


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in range(day.day, 0, -1):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - day 1 always exists


def _window_start(as_of: date) -> date:
    return _add_months(as_of, -12)


def _label(message: Message) -> str:
    return f"留言“{message.title[:40]}”" if message.title else "留言"


# ---------------------------------------------------------------------------------------------------------------


def check_no_channel(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    """No online consultation/suggestion channel: no link naming one, no message board. 信访 and 纪检/举报
    channels do not count. Judged only when the homepage was read; a homepage with few links (scripted) or a
    site without a 网站地图 and with few columns gives a notice."""
    ia = model.interaction
    if not ia.judged or not model.homepage.answered:
        return []
    settings = _settings(profile)
    keywords = tuple(str(k) for k in settings.get("channel_keywords", ()))
    excluded = tuple(str(k) for k in settings.get("excluded_channel_keywords", ()))
    channels = [
        c
        for c in ia.channels
        if any(k in c.name for k in keywords) and not any(x in c.name for x in excluded)
    ]
    if channels or ia.boards or ia.messages:
        return []
    sure = ia.home_links >= MIN_HOME_LINKS and (ia.sitemap or len(model.columns) >= 5)
    evidence = {
        "keywords": list(keywords),
        "excluded_present": sorted({c.name for c in ia.excluded}),
        "note": "信访、纪检举报渠道不计入",
        "home_links": ia.home_links,
        "sitemap_read": ia.sitemap,
        "columns": len(model.columns),
    }
    excluded_text = f"（仅见{'、'.join(evidence['excluded_present'][:4])}，不计入）" if ia.excluded else ""
    if sure:
        message = f"首页、网站地图及已检查页面中未发现有效的在线咨询、建言等互动渠道{excluded_text}"
    else:
        message = f"未发现有效的互动渠道{excluded_text}；首页链接较少或无网站地图，需人工确认"
    return [
        Finding(
            "interaction.no_channel",
            model.homepage.url,
            message,
            evidence,
            Severity.DEDUCTION if sure else Severity.NOTICE,
            model.homepage.snapshot_id,
        )
    ]


def _unanswered_at(message: Message, as_of: date) -> bool:
    if message.state == "pending":
        return True
    return message.state == "answered" and message.replied is not None and message.replied.date() > as_of


def check_reply_overdue(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    """A valid message submitted in the year before ``as_of`` and unanswered for more than
    ``overdue_months`` months. Only a printed status (办理中, 待回复…) makes it a finding; a detail page that
    merely shows no reply gives a notice."""
    months = int(_settings(profile).get("overdue_months", 3))
    start = _window_start(as_of)
    findings = []
    for m in model.interaction.messages:
        if m.submitted is None or not _unanswered_at(m, as_of):
            continue
        submitted = m.submitted.date()
        if not start <= submitted <= as_of or _add_months(submitted, months) >= as_of:
            continue
        days = (as_of - submitted).days
        sure = m.state_basis in ("status", "reply")
        evidence = {
            "submitted": m.submitted.isoformat(sep=" "),
            "days_unanswered": days,
            "overdue_months": months,
            "status": m.status,
            "board": m.board,
            "basis": m.state_basis,
        }
        shown = f"（状态：{m.status}）" if m.status else "（页面未显示答复）"
        findings.append(
            Finding(
                "interaction.reply_overdue",
                m.url,
                f"{_label(m)}于 {submitted.isoformat()} 提交，至 {as_of.isoformat()} 已 {days} 天未答复"
                f"{shown}，超过 {months} 个月",
                evidence,
                Severity.DEDUCTION if sure else Severity.NOTICE,
                m.snapshot_id,
            )
        )
    return findings


_MISSING_TEXT = {"submit_time": "留言时间", "reply_time": "答复时间"}


def check_reply_slow(
    model: SiteModel, profile: Profile, as_of: date, calendar: Calendar | None = None
) -> list[Finding]:
    """Replies later than ``reply_limit_working_days`` working days after receipt, and messages published
    without their submit time or (answered) reply time."""
    limit = int(_settings(profile).get("reply_limit_working_days", 5))
    start = _window_start(as_of)
    findings = []
    for m in model.interaction.messages:
        if m.state == "invalid":
            continue
        known = [t.date() for t in (m.submitted, m.replied) if t is not None]
        if known and (min(known) > as_of or max(known) < start):
            continue
        for what in m.missing:
            findings.append(
                Finding(
                    "interaction.reply_slow",
                    m.url,
                    f"{_label(m)}公开时未显示{_MISSING_TEXT.get(what, what)}",
                    {"missing": what, "board": m.board, "status": m.status},
                    Severity.DEDUCTION,
                    m.snapshot_id,
                )
            )
        if m.state != "answered" or m.submitted is None or m.replied is None:
            continue
        submitted, replied = m.submitted.date(), m.replied.date()
        if replied < submitted or replied > as_of or submitted < start:
            continue
        evidence = {
            "submitted": m.submitted.isoformat(sep=" "),
            "replied": m.replied.isoformat(sep=" "),
            "limit": limit,
            "calendar_days": (replied - submitted).days,
            "board": m.board,
        }
        calendar = calendar or default_calendar()
        try:
            working = calendar.working_days_between(submitted, replied)
        except UncoveredYearError as exc:
            if (replied - submitted).days <= limit:
                continue
            findings.append(
                Finding(
                    "interaction.reply_slow",
                    m.url,
                    f"{_label(m)}于 {submitted.isoformat()} 提交、{replied.isoformat()} 答复，相隔 "
                    f"{(replied - submitted).days} 个自然日；缺少 {exc.year} 年节假日数据，未按工作日计算，需人工确认",
                    {**evidence, "working_days": None, "calendar_note": str(exc)},
                    Severity.NOTICE,
                    m.snapshot_id,
                )
            )
            continue
        if working <= limit:
            continue
        findings.append(
            Finding(
                "interaction.reply_slow",
                m.url,
                f"{_label(m)}于 {submitted.isoformat()} 提交，{replied.isoformat()} 答复，用时 {working} 个工作日，"
                f"超过 {limit} 个工作日",
                {**evidence, "working_days": working},
                Severity.DEDUCTION,
                m.snapshot_id,
            )
        )
    return findings


def check_survey_feedback(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    """A survey closed more than ``survey_feedback_days`` days before ``as_of`` with no result seen. When its
    column was not read (only the survey page was), the result may sit there unseen: a notice."""
    days = int(_settings(profile).get("survey_feedback_days", 7))
    start = _window_start(as_of)
    findings = []
    for s in model.interaction.surveys:
        if s.end is None or s.result_url is not None:
            continue
        if s.end > as_of or s.end < start or (s.start is not None and s.start > as_of):
            continue
        since = (as_of - s.end).days
        if since <= days:
            continue
        findings.append(
            Finding(
                "interaction.survey_feedback_missing",
                s.url,
                f"征集调查“{s.title[:40]}”已于 {s.end.isoformat()} 结束 {since} 天，未见公布结果"
                + ("" if s.listed else "（未读取到所在栏目，需人工确认）"),
                {
                    "title": s.title,
                    "start": s.start.isoformat() if s.start else None,
                    "end": s.end.isoformat(),
                    "days_since_end": since,
                    "limit_days": days,
                    "period": s.period,
                    "column_read": s.listed,
                },
                Severity.DEDUCTION if s.listed else Severity.NOTICE,
                s.snapshot_id,
            )
        )
    return findings


# ---------------------------------------------------------------------------------------------------------------
# Statistics


@dataclass(frozen=True, slots=True)
class UnitStats:
    unit: str
    answered: int
    mean_working_days: float | None


@dataclass(frozen=True, slots=True)
class InteractionStats:
    """What a circular prints for one site: messages received and answered, the answer rate, and the mean time
    to answer in working days (over the answered messages whose two times are shown and whose years the
    calendar covers: ``timed`` of them)."""

    received: int
    answered: int
    pending: int
    answer_rate: float | None  # answered / received
    mean_working_days: float | None
    timed: int
    untimed: int  # answered, but a time is not shown or its year is not in the calendar
    uncovered_years: tuple[int, ...] = ()
    units: tuple[UnitStats, ...] = ()  # by replying unit


def _messages_of(source: SiteModel | Interaction | Iterable[Message]) -> list[Message]:
    if isinstance(source, SiteModel):
        return list(source.interaction.messages)
    if isinstance(source, Interaction):
        return list(source.messages)
    return list(source)


def interaction_stats(
    source: SiteModel | Interaction | Iterable[Message],
    calendar: Calendar | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
) -> InteractionStats:
    """Statistics over the valid messages submitted in [``start``, ``end``] (all when no bound is given; a
    message without a submit time counts only when no bound is given). A reply after ``end`` is not an
    answer yet."""
    calendar = calendar or default_calendar()
    bounded = start is not None or end is not None
    received = answered = pending = untimed = 0
    times: list[int] = []
    by_unit: dict[str, list[int]] = {}
    answered_by_unit: dict[str, int] = {}
    uncovered: set[int] = set()
    for m in _messages_of(source):
        if m.state == "invalid":
            continue
        if m.submitted is None:
            if bounded:
                continue
        else:
            day = m.submitted.date()
            if (start is not None and day < start) or (end is not None and day > end):
                continue
        received += 1
        is_answered = m.state == "answered" and not (
            end is not None and m.replied is not None and m.replied.date() > end
        )
        if not is_answered:
            pending += 1
            continue
        answered += 1
        unit = m.unit or ""
        answered_by_unit[unit] = answered_by_unit.get(unit, 0) + 1
        if m.submitted is None or m.replied is None or m.replied < m.submitted:
            untimed += 1
            continue
        try:
            working = calendar.working_days_between(m.submitted.date(), m.replied.date())
        except UncoveredYearError as exc:
            uncovered.add(exc.year)
            untimed += 1
            continue
        times.append(working)
        by_unit.setdefault(unit, []).append(working)
    units = tuple(
        UnitStats(unit, count, round(fmean(by_unit[unit]), 2) if by_unit.get(unit) else None)
        for unit, count in sorted(answered_by_unit.items(), key=lambda kv: (-kv[1], kv[0]))
        if unit
    )
    return InteractionStats(
        received=received,
        answered=answered,
        pending=pending,
        answer_rate=answered / received if received else None,
        mean_working_days=round(fmean(times), 2) if times else None,
        timed=len(times),
        untimed=untimed,
        uncovered_years=tuple(sorted(uncovered)),
        units=units,
    )
