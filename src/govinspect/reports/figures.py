"""Every number a circular (通报) prints, computed once from stored results and the registry, then checked.

The circulars our users write by hand contradict themselves (Jiangxi 2020Q1: “57 accounts failed” beside 84.27%
of 356, which is 56). Here the DOCX, the XLSX and the HTML are all rendered from one :class:`Figures`, and
:func:`verify` recomputes every total and every number the text uses from the per-site records in a second,
independent way; the report is refused (:class:`ReportCheckError`, in Chinese) when any two disagree.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from math import fsum

from sqlalchemy import select
from sqlalchemy.orm import Session

from govinspect.checks.names import check_name
from govinspect.registry.model import SiteCategory
from govinspect.reports.messages import load_messages, stats_of
from govinspect.reports.records import (
    FAIL,
    PASS,
    AccountRecord,
    Compared,
    MessageRow,
    MessageStats,
    ProblemAccount,
    Rate,
    Recheck,
)
from govinspect.scoring.rates import percent_text
from govinspect.store.models import Account, Site, Unit
from govinspect.store.results import FindingRow, Run, SiteResult

__all__ = ["FAIL", "PASS", "Rate"]  # re-exported: the report modules and tests take them from here

RUNNING = "运行"
PROVINCIAL_LABEL = "省政府及省直各部门"
PROVINCIAL = frozenset({SiteCategory.PROVINCIAL_PORTAL.value, SiteCategory.PROVINCIAL_DEPARTMENT.value})
PORTALS = frozenset(c.value for c in SiteCategory if c.is_portal)
# Attachment 1's category columns for the rows of cities; 其他 sites are counted with 县级以下 (Jiangxi: “其它政府网站7家”).
COLUMN_OF = {
    SiteCategory.CITY_PORTAL.value: "city_portal",
    SiteCategory.CITY_DEPARTMENT.value: "city_department",
    SiteCategory.COUNTY_PORTAL.value: "county_portal",
    SiteCategory.BELOW_COUNTY.value: "below_county",
    SiteCategory.OTHER.value: "below_county",
}
CATEGORY_TEXT = {
    SiteCategory.PROVINCIAL_PORTAL.value: "省级政府门户网站",
    SiteCategory.PROVINCIAL_DEPARTMENT.value: "省级政府部门网站",
    SiteCategory.CITY_PORTAL.value: "市级政府门户网站",
    SiteCategory.CITY_DEPARTMENT.value: "市级政府部门网站",
    SiteCategory.COUNTY_PORTAL.value: "县级政府门户网站",
    SiteCategory.BELOW_COUNTY.value: "县级以下政府网站",
    SiteCategory.OTHER.value: "其他政府网站",
}
CATEGORY_ORDER = {c.value: i for i, c in enumerate(SiteCategory)}
BAND_WIDTH = 10
BAND_FLOOR = 100.0  # the circulars list sites scoring 100 and more (Part 2 + bonus)
BAND_TOP = 130  # 100 + 30 bonus points
CN_QUARTERS = "一二三四"


class ReportError(Exception):
    """The report cannot be made (no such run, nothing checked); the message is for an official."""


class ReportCheckError(ReportError):
    """Two numbers of the report disagree; every disagreement is listed, and nothing is written."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"通报自检未通过，有 {len(self.problems)} 处数字不一致，未生成任何文件：\n{lines}")


# -- the records every number comes from ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteRecord:
    """One registered site, with its result when it was checked in the runs the report covers."""

    site_code: str
    name: str
    region: str
    category: str
    unit: str
    running: bool
    checked: bool = False
    verdict: str | None = None
    score: float | None = None
    vetoes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # Chinese names of the deduction-level problems found (notices left out)
    run_id: int | None = None
    messages: MessageStats | None = None  # its message board over the statistics window (None: no messages)

    @property
    def provincial(self) -> bool:
        return self.category in PROVINCIAL

    @property
    def portal(self) -> bool:
        return self.category in PORTALS

    @property
    def place(self) -> str:
        """所属地方或部门 as attachment 3 prints it: the region for local sites, the unit for provincial ones."""
        return self.unit if self.category == SiteCategory.PROVINCIAL_DEPARTMENT.value else self.region


@dataclass(frozen=True, slots=True)
class Source:
    """What a report is made of: the runs it covers and one record per registered site."""

    period: str | None
    run_ids: tuple[int, ...]
    as_of: date
    profile: str
    sites: tuple[SiteRecord, ...]
    accounts_running: int = 0  # used when ``accounts`` is empty (no account records loaded)
    accounts: tuple[AccountRecord, ...] = ()
    message_window: tuple[date | None, date | None] = (None, None)
    comparisons: tuple[Compared, ...] = ()
    recheck: Recheck | None = None


# -- the figures ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegionRow:
    """One row of attachment 1 (Jiangxi layout); the provincial row leaves the city/county columns empty."""

    index: int | None  # None for the 合计 row
    label: str
    total: int
    city_portal: int | None
    city_department: int | None
    county_portal: int | None
    below_county: int | None
    checked: int
    failed: int

    def cells(self) -> list[int | str | None]:
        return [
            "合计" if self.index is None else self.index,
            self.label if self.index is not None else None,
            self.total,
            self.city_portal,
            self.city_department,
            self.county_portal,
            self.below_county,
            self.checked,
            self.failed,
        ]


@dataclass(frozen=True, slots=True)
class BandSite:
    name: str
    region: str
    category: str
    score: float


@dataclass(frozen=True, slots=True)
class ScoreBand:
    low: int
    high: int
    sites: tuple[BandSite, ...]

    @property
    def label(self) -> str:
        return f"{self.low}-{self.high}分"


@dataclass(frozen=True, slots=True)
class ProblemSite:
    index: int
    place: str
    name: str
    problems: str
    site_code: str
    note: str


@dataclass(frozen=True, slots=True)
class ProblemGroup:
    kind: str  # 单项否决 | 扣分
    name: str
    sites: tuple[str, ...]  # site names

    @property
    def count(self) -> int:
        return len(self.sites)


@dataclass(frozen=True)
class Figures:
    period: str | None
    period_label: str
    run_ids: tuple[int, ...]
    as_of: date
    profile: str
    running: int
    by_category: dict[str, int]  # running sites per category, in SiteCategory order (zeros left out)
    accounts_running: int
    overall: Rate
    provincial_departments: Rate
    local: Rate  # 市、县级 sites
    portals: Rate
    region_rows: tuple[RegionRow, ...]
    region_total: RegionRow
    bands: tuple[ScoreBand, ...]
    problem_sites: tuple[ProblemSite, ...]
    problem_groups: tuple[ProblemGroup, ...]
    sites: tuple[SiteRecord, ...] = field(repr=False)
    # New media: None when no account was checked (attachment 4 is left out and the text says so).
    accounts: Rate | None = None
    accounts_provincial: Rate | None = None
    accounts_local: Rate | None = None
    problem_accounts: tuple[ProblemAccount, ...] = ()
    account_groups: tuple[ProblemGroup, ...] = ()  # account vetoes by name, account names
    account_records: tuple[AccountRecord, ...] = field(default=(), repr=False)
    # Message handling: one row per checked site whose board had messages in the window.
    message_rows: tuple[MessageRow, ...] = ()
    message_total: MessageStats | None = None
    message_window: tuple[date | None, date | None] = (None, None)
    comparisons: tuple[Compared, ...] = ()
    recheck: Recheck | None = None

    @property
    def checked(self) -> int:
        return self.overall.checked

    @property
    def failed(self) -> int:
        return self.overall.failed

    @property
    def passed(self) -> int:
        return self.overall.passed

    @property
    def rate_text(self) -> str:
        return self.overall.text

    @property
    def full_coverage(self) -> bool:
        return self.overall.all_checked

    @property
    def sample_ratio_text(self) -> str:
        return percent_text(self.overall.checked, self.overall.total)

    @property
    def account_rates(self) -> tuple[Rate, ...]:
        return tuple(r for r in (self.accounts, self.accounts_provincial, self.accounts_local) if r)

    @property
    def accounts_sample_ratio_text(self) -> str:
        return percent_text(self.accounts.checked, self.accounts.total) if self.accounts else ""

    def counts_in_text(self) -> set[int]:
        """Every count the text may print as “N家”, “N个” or “N条”."""
        rates = (self.overall, self.provincial_departments, self.local, self.portals, *self.account_rates)
        rates += tuple(r for c in self.comparisons for r in (c.sites, c.accounts) if r)
        values = {self.running, self.accounts_running, *self.by_category.values()}
        values |= {n for r in rates for n in (r.total, r.checked, r.failed, r.passed)}
        values |= {g.count for g in (*self.problem_groups, *self.account_groups)}
        values |= {len(b.sites) for b in self.bands}
        if self.message_total:
            values |= {len(self.message_rows), self.message_total.received, self.message_total.answered}
        if r := self.recheck:
            values |= {len(r.failed_before), len(r.rechecked), len(r.passed), len(r.still_failing)}
            values.add(r.not_rechecked)
        return values

    def rates_in_text(self) -> set[str]:
        """Every percentage the text may print."""
        rates = (self.overall, self.provincial_departments, self.local, self.portals, *self.account_rates)
        rates += tuple(r for c in self.comparisons for r in (c.sites, c.accounts) if r)
        values = {r.text for r in rates} | {self.sample_ratio_text}
        if self.accounts:
            values.add(self.accounts_sample_ratio_text)
        if self.message_total:
            values.add(self.message_total.rate_text)
        return values


# -- periods ------------------------------------------------------------------------------------------------------

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-?M?(0[1-9]|1[0-2])$")


def period_label(period: str | None, as_of: date | None = None) -> str:
    """“2020Q1” → “2020年第一季度”, “2020-03” → “2020年3月”; without a period, the monitoring date."""
    if period:
        if m := _QUARTER.match(period):
            return f"{m[1]}年第{CN_QUARTERS[int(m[2]) - 1]}季度"
        if m := _MONTH.match(period):
            return f"{m[1]}年{int(m[2])}月"
        return period
    return f"截至{cn_date(as_of)}" if as_of else ""


def check_period(period: str) -> str:
    """The canonical spelling runs are stored under (2020Q1, 2020-03)."""
    return _period(*_parts(period.strip().upper()))


def cn_date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def _parts(period: str) -> tuple[str, int, int]:
    """("Q", 2020, 1) for 2020Q1, ("M", 2020, 3) for 2020-03."""
    if m := _QUARTER.match(period):
        return "Q", int(m[1]), int(m[2])
    if m := _MONTH.match(period):
        return "M", int(m[1]), int(m[2])
    raise ReportError(f"检查期“{period}”格式不对：季度写作 2020Q1，月份写作 2020-03")


def _period(kind: str, year: int, n: int) -> str:
    return f"{year}Q{n}" if kind == "Q" else f"{year}-{n:02d}"


def previous_period(period: str) -> str:
    """The period before (环比): 2020Q1 → 2019Q4, 2020-01 → 2019-12."""
    kind, year, n = _parts(period)
    last = 4 if kind == "Q" else 12
    return _period(kind, year - 1, last) if n == 1 else _period(kind, year, n - 1)


def year_before(period: str) -> str:
    """The same period a year earlier (同比)."""
    kind, year, n = _parts(period)
    return _period(kind, year - 1, n)


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a quarter or month."""
    kind, year, n = _parts(period)
    first_month, months = ((n - 1) * 3 + 1, 3) if kind == "Q" else (n, 1)
    start = date(year, first_month, 1)
    after = first_month + months
    end = (date(year + 1, 1, 1) if after > 12 else date(year, after, 1)) - timedelta(days=1)
    return start, end


def relation(period: str, other: str) -> str:
    """环比 for the period before, 同比 for the same period a year before, "" for any other."""
    if _parts(other)[0] != _parts(period)[0]:
        return ""
    if other == previous_period(period):
        return "环比"
    if other == year_before(period):
        return "同比"
    return ""


# -- loading (the only I/O here) ------------------------------------------------------------------------------


def _finished_runs(session: Session, period: str) -> list[Run]:
    return list(
        session.scalars(select(Run).where(Run.period == period, Run.status == "finished").order_by(Run.id))
    )


def _chosen(session: Session, runs: Sequence[Run]) -> dict[int, SiteResult]:
    """Per site, its result from the latest of ``runs`` (a re-score or a re-check supersedes what it re-judged)."""
    chosen: dict[int, SiteResult] = {}
    for run in runs:
        for result in session.scalars(select(SiteResult).where(SiteResult.run_id == run.id)):
            chosen[result.site_id] = result  # runs in id order: the latest wins
    return chosen


def _verdicts(session: Session, runs: Sequence[Run]) -> dict[int, str]:
    """Per site, the verdict of its latest result among ``runs`` (no models or findings read)."""
    verdicts: dict[int, str] = {}
    for run in runs:
        rows = session.execute(
            select(SiteResult.site_id, SiteResult.verdict).where(SiteResult.run_id == run.id)
        )
        verdicts.update({site_id: verdict for site_id, verdict in rows})
    return verdicts


def message_window(period: str | None, as_of: date) -> tuple[date | None, date]:
    """Messages submitted in the period, up to the monitoring date; every message up to it without a period."""
    if not period:
        return None, as_of
    start, end = period_bounds(period)
    return start, min(end, as_of) if as_of >= start else end


def load_accounts(session: Session, period: str | None = None) -> tuple[AccountRecord, ...]:
    """Every registered account, with its verdict from the latest finished new-media run of ``period``
    (``govinspect newmedia check``); a running account without one is unchecked."""
    from govinspect.newmedia.run import latest_results

    results = latest_results(session, period)
    rows = session.execute(
        select(Account, Unit.name).join(Unit, Account.unit_id == Unit.id).order_by(Account.id)
    )
    records = []
    for a, unit in rows:
        result = results.get((a.platform, a.account_id)) if a.status == RUNNING else None
        record = AccountRecord(a.platform, a.account_id, a.account_name, a.region, unit, a.status == RUNNING)
        if result is not None:
            vetoes = tuple(result.vetoes or ())
            record = replace(record, checked=True, verdict=result.verdict, score=result.score, vetoes=vetoes)
        records.append(record)
    return tuple(records)


def load_source(
    session: Session, *, period: str | None = None, run_id: int | None = None, messages: bool = True
) -> Source:
    """One run, or every finished run of a period; a site checked in several runs of the period counts once,
    with its result from the latest run. ``messages``: read the message boards of the stored models."""
    if (period is None) == (run_id is None):
        raise ReportError("请指定 --period 或 --run 之一")
    if run_id is not None:
        run = session.get(Run, run_id)
        if run is None:
            raise ReportError(f"没有编号为 {run_id} 的检查任务")
        if run.status != "finished":
            raise ReportError(f"检查任务 {run_id} 尚未完成（状态：{run.status}），不能据以通报")
        runs = [run]
    else:
        period = check_period(period or "")
        runs = _finished_runs(session, period)
        if not runs:
            raise ReportError(f"检查期 {period} 没有已完成的检查任务；可用 --run 指定任务编号")
    latest = runs[-1]
    own_period = period if run_id is None else latest.period
    chosen = _chosen(session, runs)
    problems: dict[int, set[str]] = {}
    result_ids = [r.id for r in chosen.values()]
    for start in range(0, len(result_ids), 500):
        rows = session.execute(
            select(FindingRow.result_id, FindingRow.check).where(
                FindingRow.result_id.in_(result_ids[start : start + 500]), FindingRow.severity == "deduction"
            )
        )
        for result_id, check in rows:
            problems.setdefault(result_id, set()).add(check)
    window = message_window(own_period, latest.as_of)
    boards = load_messages(session, result_ids) if messages else {}
    records = []
    for site, unit in session.execute(select(Site, Unit.name).join(Unit, Site.unit_id == Unit.id)):
        result = chosen.get(site.id)
        running = site.status == RUNNING
        if result is None:
            if running:
                records.append(SiteRecord(site.site_code, site.name, site.region, site.category, unit, True))
            continue
        checks = sorted(problems.get(result.id, ()))
        records.append(
            SiteRecord(
                site.site_code,
                site.name,
                site.region,
                site.category,
                unit,
                running,
                checked=True,
                verdict=result.verdict,
                score=result.score,
                vetoes=tuple(result.vetoes or ()),
                problems=tuple(dict.fromkeys(check_name(c) for c in checks)),
                run_id=result.run_id,
                messages=stats_of(boards[result.id], *window) if result.id in boards else None,
            )
        )
    accounts = load_accounts(session, own_period)
    return Source(
        period=own_period,
        run_ids=tuple(r.id for r in runs),
        as_of=latest.as_of,
        profile=latest.profile,
        sites=tuple(sorted(records, key=_site_order)),
        accounts_running=sum(1 for a in accounts if a.running),
        accounts=accounts,
        message_window=window,
    )


def load_comparisons(session: Session, period: str | None, compare_to: Iterable[str]) -> tuple[Compared, ...]:
    """The periods named by --compare-to, oldest first, each with its checked and failed sites; a period
    without finished runs, the report's own period or a later one is refused in Chinese."""
    wanted = [p.strip() for p in compare_to if p and p.strip()]
    if not wanted:
        return ()
    if not period:
        raise ReportError("所选检查任务没有检查期，无法与往期对比（同比、环比）；请用 --period 生成通报")
    compared = []
    for raw in dict.fromkeys(wanted):
        other = check_period(raw)
        if other == period:
            raise ReportError(
                f"对比的检查期 {other} 就是本期，请在 --compare-to 中写往期（如上一季度、上年同期）"
            )
        if period_bounds(other)[0] >= period_bounds(period)[0]:
            raise ReportError(f"对比的检查期 {other} 不早于本期 {period}，同比、环比只能与往期相比")
        runs = _finished_runs(session, other)
        kind = relation(period, other)
        if not runs:
            what = f"{kind}数据" if kind else "对比数据"
            raise ReportError(
                f"对比的检查期 {other}（{period_label(other)}）没有已完成的检查任务，无法计算{what}；"
                f"请先完成该期检查或导入该期结果，或从 --compare-to 中去掉 {other}"
            )
        verdicts = _verdicts(session, runs)
        failed = sum(1 for v in verdicts.values() if v == FAIL)
        sites = Rate(period_label(other), len(verdicts), len(verdicts), failed)
        compared.append(Compared(other, period_label(other), kind, sites))
    return tuple(sorted(compared, key=lambda c: period_bounds(c.period)[0]))


def load_recheck(session: Session, period: str | None, chosen_codes: dict[str, str]) -> Recheck | None:
    """复查 of the period before: its failed sites (latest result in that period), which of them have a result
    now (``chosen_codes``: site code -> verdict of this report) and which of those pass. None when the period
    before has no finished runs or no failed site."""
    if not period:
        return None
    before = previous_period(period)
    runs = _finished_runs(session, before)
    if not runs:
        return None
    failed_ids = [site_id for site_id, verdict in _verdicts(session, runs).items() if verdict == FAIL]
    if not failed_ids:
        return None
    sites = {
        site_id: (code, name)
        for site_id, code, name in session.execute(
            select(Site.id, Site.site_code, Site.name).where(Site.id.in_(failed_ids))
        )
    }
    codes = sorted((sites[i] for i in failed_ids if i in sites), key=lambda s: s[0])
    rechecked = [c for c in codes if c[0] in chosen_codes]
    passed = [c for c in rechecked if chosen_codes[c[0]] == PASS]
    return Recheck(
        period=before,
        label=period_label(before),
        failed_before=tuple(c for c, _ in codes),
        rechecked=tuple(c for c, _ in rechecked),
        passed=tuple(c for c, _ in passed),
        still_failing=tuple(n for c, n in rechecked if chosen_codes[c] != PASS),
    )


# -- computing -----------------------------------------------------------------------------------------------


def _prefix(site: SiteRecord) -> str:
    code = site.site_code
    return code[:4] if code[:4].isdigit() else "9999"


def _site_order(site: SiteRecord) -> tuple[int, str, int, str]:
    return (0 if site.provincial else 1, _prefix(site), CATEGORY_ORDER.get(site.category, 99), site.site_code)


def _rate(label: str, sites: Iterable[SiteRecord]) -> Rate:
    sites = list(sites)
    return Rate(
        label,
        total=sum(1 for s in sites if s.running),
        checked=sum(1 for s in sites if s.checked),
        failed=sum(1 for s in sites if s.checked and s.verdict == FAIL),
    )


def _region_rows(sites: Sequence[SiteRecord]) -> list[RegionRow]:
    groups: dict[str, list[SiteRecord]] = {}
    order: dict[str, tuple[int, str]] = {}
    for site in sites:
        label = PROVINCIAL_LABEL if site.provincial else site.region
        groups.setdefault(label, []).append(site)
        key = (0, "") if site.provincial else (1, _prefix(site))
        order[label] = min(order.get(label, key), key)
    rows = []
    for index, label in enumerate(sorted(groups, key=lambda g: (order[g], g)), start=1):
        members = groups[label]
        running = [s for s in members if s.running]
        provincial = label == PROVINCIAL_LABEL
        columns: dict[str, int | None] = dict.fromkeys(
            ("city_portal", "city_department", "county_portal", "below_county"), None if provincial else 0
        )
        if not provincial:
            for site in running:
                column = COLUMN_OF.get(site.category, "below_county")
                columns[column] = (columns[column] or 0) + 1
        rows.append(
            RegionRow(
                index,
                label,
                total=len(running),
                checked=sum(1 for s in members if s.checked),
                failed=sum(1 for s in members if s.checked and s.verdict == FAIL),
                **columns,  # type: ignore[arg-type]
            )
        )
    return rows


def _total_row(rows: Sequence[RegionRow]) -> RegionRow:
    def column(name: str) -> int:
        return sum(getattr(r, name) or 0 for r in rows)

    return RegionRow(
        None,
        "合计",
        total=column("total"),
        city_portal=column("city_portal"),
        city_department=column("city_department"),
        county_portal=column("county_portal"),
        below_county=column("below_county"),
        checked=column("checked"),
        failed=column("failed"),
    )


def _bands(sites: Sequence[SiteRecord]) -> list[ScoreBand]:
    """Bands of ten points from 100 up, highest first; the maximum score (130) belongs to the top band."""
    members: dict[int, list[SiteRecord]] = {}
    for s in sites:
        if s.checked and s.verdict == PASS and s.score is not None and s.score >= BAND_FLOOR:
            low = min(int(s.score // BAND_WIDTH) * BAND_WIDTH, BAND_TOP - BAND_WIDTH)
            members.setdefault(low, []).append(s)
    bands = []
    for low in sorted(members, reverse=True):
        ordered = sorted(members[low], key=lambda s: (-(s.score or 0), CATEGORY_ORDER.get(s.category, 99)))
        bands.append(
            ScoreBand(
                low,
                low + BAND_WIDTH,
                tuple(BandSite(s.name, s.region, s.category, s.score or 0.0) for s in ordered),
            )
        )
    return bands


def problem_text(site: SiteRecord) -> str:
    """存在的突出问题: the veto names; a site failed on points says so with its score."""
    if site.vetoes:
        return "、".join(site.vetoes)
    if site.score is not None:
        return f"得分低于合格线（{site.score:g}分）"
    return "不合格"


def _problem_sites(sites: Sequence[SiteRecord]) -> list[ProblemSite]:
    failed = [s for s in sites if s.checked and s.verdict == FAIL]
    return [
        ProblemSite(i, s.place, s.name, problem_text(s), s.site_code, "" if s.running else "已不在运行")
        for i, s in enumerate(failed, start=1)
    ]


def _problem_groups(sites: Sequence[SiteRecord]) -> list[ProblemGroup]:
    vetoes: dict[str, list[str]] = {}
    deductions: dict[str, list[str]] = {}
    for site in sites:
        if not site.checked:
            continue
        for name in site.vetoes:
            vetoes.setdefault(name, []).append(site.name)
        for name in site.problems:
            deductions.setdefault(name, []).append(site.name)
    groups = [ProblemGroup("单项否决", n, tuple(v)) for n, v in vetoes.items()]
    groups.sort(key=lambda g: -g.count)
    more = [ProblemGroup("扣分", n, tuple(v)) for n, v in deductions.items()]
    more.sort(key=lambda g: -g.count)
    return groups + more


def _account_rate(label: str, accounts: Iterable[AccountRecord]) -> Rate:
    accounts = list(accounts)
    return Rate(
        label,
        total=sum(1 for a in accounts if a.running),
        checked=sum(1 for a in accounts if a.checked),
        failed=sum(1 for a in accounts if a.checked and a.verdict == FAIL),
    )


def _account_order(account: AccountRecord) -> tuple[int, str, str, str]:
    return (0 if account.provincial else 1, account.place, account.platform, account.account_id)


def _account_figures(accounts: Sequence[AccountRecord]) -> dict[str, object]:
    """Attachment 4 and the text's new-media numbers; nothing when no account was checked."""
    if not any(a.checked for a in accounts):
        return {}
    ordered = sorted(accounts, key=_account_order)
    failed = [a for a in ordered if a.checked and a.verdict == FAIL]
    groups: dict[str, list[str]] = {}
    for account in failed:
        for name in account.vetoes:
            groups.setdefault(name, []).append(account.name)
    account_groups = sorted(
        (ProblemGroup("单项否决", name, tuple(names)) for name, names in groups.items()),
        key=lambda g: -g.count,
    )
    return {
        "accounts": _account_rate("政务新媒体", ordered),
        "accounts_provincial": _account_rate("省直部门", (a for a in ordered if a.provincial)),
        "accounts_local": _account_rate("地方各级政府及部门", (a for a in ordered if not a.provincial)),
        "problem_accounts": tuple(
            ProblemAccount(i, a.place, a.kind, a.name, a.problem_text, a.account_id)
            for i, a in enumerate(failed, start=1)
        ),
        "account_groups": tuple(account_groups),
        "account_records": tuple(ordered),
    }


def _message_rows(sites: Sequence[SiteRecord]) -> tuple[MessageRow, ...]:
    boards = [s for s in sites if s.checked and s.messages is not None]
    return tuple(
        MessageRow(i, s.place, s.name, s.site_code, s.messages)  # type: ignore[arg-type]
        for i, s in enumerate(boards, start=1)
    )


def _message_total(rows: Sequence[MessageRow]) -> MessageStats | None:
    """The 合计 row, from the rows themselves (so a view restricted to some sites stays consistent): the mean
    is weighted by each site's timed messages."""
    if not rows:
        return None
    timed = sum(r.stats.timed for r in rows)
    weighted = fsum((r.stats.mean_days or 0.0) * r.stats.timed for r in rows)
    return MessageStats(
        received=sum(r.stats.received for r in rows),
        answered=sum(r.stats.answered for r in rows),
        timed=timed,
        mean_days=round(weighted / timed, 2) if timed else None,
    )


def compute(source: Source) -> Figures:
    """Pure: the same source always gives the same figures."""
    sites = source.sites
    rows = _region_rows(sites)
    categories = Counter(s.category for s in sites if s.running)
    by_category = {c.value: categories[c.value] for c in SiteCategory if categories[c.value]}
    accounts_running = (
        sum(1 for a in source.accounts if a.running) if source.accounts else source.accounts_running
    )
    message_rows = _message_rows(sites)
    return Figures(
        period=source.period,
        period_label=period_label(source.period, source.as_of),
        run_ids=source.run_ids,
        as_of=source.as_of,
        profile=source.profile,
        running=sum(1 for s in sites if s.running),
        by_category=by_category,
        accounts_running=accounts_running,
        overall=_rate("全部网站", sites),
        provincial_departments=_rate(
            "省级政府部门网站", (s for s in sites if s.category == SiteCategory.PROVINCIAL_DEPARTMENT.value)
        ),
        local=_rate("市、县级政府网站", (s for s in sites if not s.provincial)),
        portals=_rate("政府门户网站", (s for s in sites if s.portal)),
        region_rows=tuple(rows),
        region_total=_total_row(rows),
        bands=tuple(_bands(sites)),
        problem_sites=tuple(_problem_sites(sites)),
        problem_groups=tuple(_problem_groups(sites)),
        sites=sites,
        message_rows=message_rows,
        message_total=_message_total(message_rows),
        message_window=source.message_window,
        comparisons=source.comparisons,
        recheck=source.recheck,
        **_account_figures(source.accounts),  # type: ignore[arg-type]
    )


# -- the self-check -------------------------------------------------------------------------------------------


def verify(figures: Figures) -> None:
    """Recompute every number from ``figures.sites`` a second way and refuse the report if any disagree."""
    problems: list[str] = []

    def same(what: str, shown: object, expected: object) -> None:
        if shown != expected:
            problems.append(f"{what}：表中（文中）为 {shown}，按检查结果应为 {expected}")

    sites = figures.sites
    checked = [s for s in sites if s.checked]
    failed = [s for s in checked if s.verdict == FAIL]
    for site in checked:
        if site.verdict not in (PASS, FAIL):
            problems.append(f"网站“{site.name}”（{site.site_code}）的结论“{site.verdict}”不是合格或不合格")
        if site.verdict == PASS and site.vetoes:
            problems.append(
                f"网站“{site.name}”（{site.site_code}）结论为合格，却有单项否决：{'、'.join(site.vetoes)}"
            )
        if site.verdict == PASS and site.score is None:
            problems.append(f"网站“{site.name}”（{site.site_code}）结论为合格，却没有得分")
    same("运行网站总数", figures.running, sum(s.running for s in sites))
    same("抽查网站数", figures.overall.checked, len(checked))
    same("存在突出问题网站数", figures.overall.failed, len(failed))
    same("合格网站数", figures.overall.passed, len(checked) - len(failed))
    same("总体合格率", figures.overall.text, percent_text(len(checked) - len(failed), len(checked)))
    same("各类别网站数之和", sum(figures.by_category.values()), figures.running)
    sub = (figures.portals, figures.provincial_departments, figures.local)
    for rate in sub:
        same(f"{rate.label}合格率", rate.text, percent_text(rate.checked - rate.failed, rate.checked))
        if rate.checked > rate.total:
            problems.append(f"{rate.label}抽查 {rate.checked} 家，多于运行的 {rate.total} 家")
    provincial_portals = [s for s in checked if s.category == SiteCategory.PROVINCIAL_PORTAL.value]
    same(
        "省级门户、省级部门与市县网站抽查数之和",
        len(provincial_portals) + figures.provincial_departments.checked + figures.local.checked,
        figures.overall.checked,
    )
    # Attachment 1: every row against its own members, every column of the 合计 row against the rows and the text.
    total = figures.region_total
    for name, label in (
        ("total", "运行网站总数"),
        ("city_portal", "市级门户"),
        ("city_department", "市级部门"),
        ("county_portal", "县级门户"),
        ("below_county", "县级以下"),
        ("checked", "抽查网站数"),
        ("failed", "存在突出问题网站数"),
    ):
        same(
            f"附件1 合计行“{label}”",
            getattr(total, name),
            sum(getattr(r, name) or 0 for r in figures.region_rows),
        )
    same("附件1 合计行“运行网站总数”与正文", total.total, figures.running)
    same("附件1 合计行“抽查网站数”与正文", total.checked, figures.overall.checked)
    same("附件1 合计行“存在突出问题网站数”与正文", total.failed, figures.overall.failed)
    per_label = Counter(PROVINCIAL_LABEL if s.provincial else s.region for s in sites if s.running)
    per_label_checked = Counter(PROVINCIAL_LABEL if s.provincial else s.region for s in checked)
    for row in figures.region_rows:
        same(f"附件1“{row.label}”运行网站总数", row.total, per_label[row.label])
        same(f"附件1“{row.label}”抽查网站数", row.checked, per_label_checked[row.label])
        parts = [row.city_portal, row.city_department, row.county_portal, row.below_county]
        if row.label != PROVINCIAL_LABEL:
            same(f"附件1“{row.label}”各类网站数之和", sum(p or 0 for p in parts), row.total)
        if row.checked > row.total:
            problems.append(
                f"附件1“{row.label}”抽查网站数 {row.checked} 大于运行网站总数 {row.total}"
                "（有不在运行的网站被检查，请核对名录的运行状态）"
            )
        if row.failed > row.checked:
            problems.append(f"附件1“{row.label}”存在突出问题网站数 {row.failed} 大于抽查网站数 {row.checked}")
    # Attachment 3 and the problem groups.
    same("附件3 问题网站名单行数", len(figures.problem_sites), len(failed))
    same("附件3 网站标识码", [p.site_code for p in figures.problem_sites], [s.site_code for s in failed])
    same("附件3 序号", [p.index for p in figures.problem_sites], list(range(1, len(failed) + 1)))
    for group in figures.problem_groups:
        if group.kind == "单项否决":
            expected = sum(1 for s in checked if group.name in s.vetoes)
        else:
            expected = sum(1 for s in checked if group.name in s.problems)
        same(f"问题“{group.name}”涉及网站数", group.count, expected)
    vetoed = {name for s in checked for name in s.vetoes}
    same(
        "单项否决问题类别",
        sorted(g.name for g in figures.problem_groups if g.kind == "单项否决"),
        sorted(vetoed),
    )
    # Attachment 2.
    for band in figures.bands:
        for member in band.sites:
            if not (band.low <= member.score <= band.high):
                problems.append(f"附件2 “{member.name}”得分 {member.score:g} 不在 {band.label} 内")
    high = [s for s in checked if s.verdict == PASS and s.score is not None and s.score >= BAND_FLOOR]
    same("附件2 得分较高网站数", sum(len(b.sites) for b in figures.bands), len(high))
    problems += _verify_accounts(figures)
    problems += _verify_messages(figures)
    problems += _verify_periods(figures)
    if problems:
        raise ReportCheckError(problems)


def _verify_accounts(figures: Figures) -> list[str]:
    problems: list[str] = []
    accounts = figures.account_records
    checked = [a for a in accounts if a.checked]
    failed = [a for a in checked if a.verdict == FAIL]
    if figures.accounts is None:
        if checked:
            problems.append(f"有 {len(checked)} 个政务新媒体的检查结果，通报却未列政务新媒体检查情况")
        return problems
    for a in checked:
        if a.verdict not in (PASS, FAIL):
            problems.append(f"政务新媒体“{a.name}”的结论“{a.verdict}”不是合格或不合格")
        if a.verdict == PASS and a.vetoes:
            problems.append(f"政务新媒体“{a.name}”结论为合格，却有单项否决：{'、'.join(a.vetoes)}")
    pairs = [
        ("政务新媒体抽查数", figures.accounts.checked, len(checked)),
        ("存在突出问题的政务新媒体数", figures.accounts.failed, len(failed)),
        ("政务新媒体合格率", figures.accounts.text, percent_text(len(checked) - len(failed), len(checked))),
        ("名录中运行的政务新媒体数", figures.accounts.total, sum(a.running for a in accounts)),
        ("附件4 政务新媒体名单行数", len(figures.problem_accounts), len(failed)),
        ("附件4 序号", [p.index for p in figures.problem_accounts], list(range(1, len(failed) + 1))),
        ("附件4 账号", [p.account_id for p in figures.problem_accounts], [a.account_id for a in failed]),
    ]
    if figures.accounts_provincial and figures.accounts_local:
        pairs.append(
            (
                "省直部门与地方政务新媒体抽查数之和",
                figures.accounts_provincial.checked + figures.accounts_local.checked,
                figures.accounts.checked,
            )
        )
    for group in figures.account_groups:
        pairs.append(
            (
                f"政务新媒体问题“{group.name}”涉及账号数",
                group.count,
                sum(group.name in a.vetoes for a in failed),
            )
        )
    for what, shown, expected in pairs:
        if shown != expected:
            problems.append(f"{what}：表中（文中）为 {shown}，按检查结果应为 {expected}")
    if figures.accounts.checked > figures.accounts.total:
        problems.append(
            f"抽查政务新媒体 {figures.accounts.checked} 个，多于名录中运行的 {figures.accounts.total} 个"
        )
    return problems


def _verify_messages(figures: Figures) -> list[str]:
    rows, total = figures.message_rows, figures.message_total
    if not rows:
        return []
    if total is None:
        return ["留言办理情况缺少合计"]
    problems = []
    for what, shown, expected in (
        ("留言办理情况 合计“受理”", total.received, sum(r.stats.received for r in rows)),
        ("留言办理情况 合计“办结”", total.answered, sum(r.stats.answered for r in rows)),
        ("留言办理情况 合计“办结率”", total.rate_text, percent_text(total.answered, total.received)),
        ("留言办理情况 序号", [r.index for r in rows], list(range(1, len(rows) + 1))),
    ):
        if shown != expected:
            problems.append(f"{what}：表中为 {shown}，按各网站留言应为 {expected}")
    for r in rows:
        if r.stats.answered > r.stats.received:
            problems.append(f"“{r.name}”办结留言 {r.stats.answered} 条，多于受理的 {r.stats.received} 条")
    timed = sum(r.stats.timed for r in rows)
    if timed != total.timed:
        problems.append(f"留言办理情况 计时留言数：合计为 {total.timed}，各网站之和为 {timed}")
    elif timed and total.mean_days is not None:
        weighted = sum((r.stats.mean_days or 0) * r.stats.timed for r in rows) / timed
        if abs(weighted - total.mean_days) > 0.01:
            problems.append(
                f"留言办理情况 合计“办结平均时长”为 {total.mean_text}，按各网站应为 {weighted:.1f}"
            )
    return problems


def _verify_periods(figures: Figures) -> list[str]:
    problems = []
    for c in figures.comparisons:
        if c.sites.failed > c.sites.checked:
            problems.append(f"{c.label}存在突出问题网站数 {c.sites.failed} 大于抽查网站数 {c.sites.checked}")
    r = figures.recheck
    if r is not None:
        now = {s.site_code: s.verdict for s in figures.sites if s.checked}
        if not set(r.rechecked) <= set(r.failed_before) or not set(r.passed) <= set(r.rechecked):
            problems.append("复查网站不是上期存在突出问题的网站")
        if any(code not in now for code in r.rechecked):
            problems.append("复查网站中有本期没有检查结果的网站")
        if any(now.get(code) != PASS for code in r.passed):
            problems.append("复查合格的网站中有本期结论不是合格的网站")
        if len(r.rechecked) - len(r.passed) != len(r.still_failing):
            problems.append("复查仍存在突出问题的网站数与复查、合格数不符")
    return problems


# Counts of sites (家), accounts (个) and messages (条); not a decimal's tail, an article (第14条), a working-day
# count or a difference of rates.
_COUNT_IN_TEXT = re.compile(r"(?<![\d.第])(\d+)(?:家|个|条)(?!工作日|百分点)")
_RATE_IN_TEXT = re.compile(r"(\d+(?:\.\d+)?%)")


def verify_text(figures: Figures, text: str, where: str) -> None:
    """Every “N家” and “N%” a rendered document prints must be one of the computed figures: a number typed
    into an edited template, or left over from last quarter, is refused with its sentence."""
    names = {s.name for s in figures.sites} | {a.name for a in figures.account_records}
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "")  # a site's or an account's own name may contain digits
    counts = figures.counts_in_text()
    rates = figures.rates_in_text()
    problems = []
    for sentence in re.split(r"(?<=[。；;\n])", text):
        for m in _COUNT_IN_TEXT.finditer(sentence):
            if int(m[1]) not in counts:
                problems.append(f"{where}中“{m[0]}”不是按检查结果算出的数字：{sentence.strip()[:80]}")
        for m in _RATE_IN_TEXT.finditer(sentence):
            if m[1] not in rates:
                problems.append(f"{where}中“{m[1]}”不是按检查结果算出的比率：{sentence.strip()[:80]}")
    if problems:
        raise ReportCheckError(problems)


def load_report_source(
    session: Session,
    *,
    period: str | None = None,
    run_id: int | None = None,
    compare_to: Iterable[str] = (),
) -> Source:
    """Everything a report reads: the runs' results and registry (:func:`load_source`), the periods named by
    ``compare_to`` for 同比/环比 (a period without results is refused), and the 复查 of last period's failures."""
    source = load_source(session, period=period, run_id=run_id)
    verdicts = {s.site_code: s.verdict or "" for s in source.sites if s.checked}
    return replace(
        source,
        comparisons=load_comparisons(session, source.period, compare_to),
        recheck=load_recheck(session, source.period, verdicts),
    )


def figures_of(source: Source) -> Figures:
    """Compute and verify."""
    figures = compute(source)
    if figures.overall.checked == 0:
        raise ReportError("所选检查任务没有任何网站的检查结果，无法生成通报")
    verify(figures)
    return figures


def build(
    session: Session,
    *,
    period: str | None = None,
    run_id: int | None = None,
    compare_to: Iterable[str] = (),
) -> Figures:
    """Load, compute and verify: the only way the report commands get their numbers."""
    return figures_of(load_report_source(session, period=period, run_id=run_id, compare_to=compare_to))
