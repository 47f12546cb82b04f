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
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govinspect.checks.names import check_name
from govinspect.registry.model import SiteCategory
from govinspect.scoring.rates import percent_text
from govinspect.store.models import Account, Site, Unit
from govinspect.store.results import FindingRow, Run, SiteResult

PASS = "合格"
FAIL = "不合格"
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
    accounts_running: int = 0


# -- the figures ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rate:
    label: str
    total: int  # running sites of the group
    checked: int
    failed: int

    @property
    def passed(self) -> int:
        return self.checked - self.failed

    @property
    def text(self) -> str:
        return percent_text(self.passed, self.checked)

    @property
    def all_checked(self) -> bool:
        return self.total > 0 and self.checked >= self.total


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

    def counts_in_text(self) -> set[int]:
        """Every count the text may print as “N家”."""
        rates = (self.overall, self.provincial_departments, self.local, self.portals)
        values = {self.running, self.accounts_running, *self.by_category.values()}
        values |= {n for r in rates for n in (r.total, r.checked, r.failed, r.passed)}
        values |= {g.count for g in self.problem_groups}
        values |= {len(b.sites) for b in self.bands}
        return values

    def rates_in_text(self) -> set[str]:
        """Every percentage the text may print."""
        rates = (self.overall, self.provincial_departments, self.local, self.portals)
        return {r.text for r in rates} | {self.sample_ratio_text}


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
    period = period.strip().upper()
    if not (_QUARTER.match(period) or _MONTH.match(period)):
        raise ReportError(f"检查期“{period}”格式不对：季度写作 2020Q1，月份写作 2020-03")
    return period


def cn_date(day: date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


# -- loading (the only I/O here) ------------------------------------------------------------------------------


def load_source(session: Session, *, period: str | None = None, run_id: int | None = None) -> Source:
    """One run, or every finished run of a period; a site checked in several runs of the period counts once,
    with its result from the latest run (a re-score or a re-check supersedes what it re-judged)."""
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
        runs = list(
            session.scalars(
                select(Run).where(Run.period == period, Run.status == "finished").order_by(Run.id)
            )
        )
        if not runs:
            raise ReportError(f"检查期 {period} 没有已完成的检查任务；可用 --run 指定任务编号")
    latest = runs[-1]
    chosen: dict[int, SiteResult] = {}
    for run in runs:
        for result in session.scalars(select(SiteResult).where(SiteResult.run_id == run.id)):
            chosen[result.site_id] = result  # runs in id order: the latest wins
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
            )
        )
    accounts = session.scalar(select(func.count()).select_from(Account).where(Account.status == RUNNING)) or 0
    return Source(
        period=period if run_id is None else latest.period,
        run_ids=tuple(r.id for r in runs),
        as_of=latest.as_of,
        profile=latest.profile,
        sites=tuple(sorted(records, key=_site_order)),
        accounts_running=int(accounts),
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


def compute(source: Source) -> Figures:
    """Pure: the same source always gives the same figures."""
    sites = source.sites
    rows = _region_rows(sites)
    categories = Counter(s.category for s in sites if s.running)
    by_category = {c.value: categories[c.value] for c in SiteCategory if categories[c.value]}
    return Figures(
        period=source.period,
        period_label=period_label(source.period, source.as_of),
        run_ids=source.run_ids,
        as_of=source.as_of,
        profile=source.profile,
        running=sum(1 for s in sites if s.running),
        by_category=by_category,
        accounts_running=source.accounts_running,
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
    if problems:
        raise ReportCheckError(problems)


_COUNT_IN_TEXT = re.compile(r"(\d+)家")
_RATE_IN_TEXT = re.compile(r"(\d+(?:\.\d+)?%)")


def verify_text(figures: Figures, text: str, where: str) -> None:
    """Every “N家” and “N%” a rendered document prints must be one of the computed figures: a number typed
    into an edited template, or left over from last quarter, is refused with its sentence."""
    for name in sorted({s.name for s in figures.sites}, key=len, reverse=True):
        text = text.replace(name, "")  # a site's own name may contain digits
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


def build(session: Session, *, period: str | None = None, run_id: int | None = None) -> Figures:
    """Load, compute and verify: the only way the report commands get their numbers."""
    figures = compute(load_source(session, period=period, run_id=run_id))
    if figures.overall.checked == 0:
        raise ReportError("所选检查任务没有任何网站的检查结果，无法生成通报")
    verify(figures)
    return figures
