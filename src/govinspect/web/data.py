"""What the pages and the API read, always through the asking user's scope.

Every query that touches a site, a result, a finding, a snapshot or a screenshot goes through :func:`scoped`
(a unit user's units), and a site outside the scope is reported exactly like a site that does not exist, so a
unit user cannot even learn which site codes exist elsewhere. Overview numbers are the circular's own figures
(reports/figures.py: loaded, computed and self-checked there), restricted to the sites in scope.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, defer

from govinspect.checks.names import SEVERITY_NAMES, check_name
from govinspect.registry.model import SiteCategory
from govinspect.reports import figures as fig
from govinspect.scoring.profile import Profile, ProfileError, load_profile
from govinspect.scoring.rates import percent_text
from govinspect.store.models import Site, Snapshot, Unit
from govinspect.store.results import FindingRow, Run, SiteResult
from govinspect.web.auth import Principal

PAGE_SIZE = 50
SEVERITY_ORDER = {"veto": 0, "deduction": 1, "notice": 2}
VERDICTS = ("合格", "不合格", "未检查")
RUN_KINDS = {"inspect": "检查", "rescore": "重新评分", "recheck": "复查", "import": "导入"}
RUN_STATUS = {"running": "进行中", "finished": "已完成", "failed": "失败"}
# Evidence keys an official reads, in the order shown; other keys follow under their own names.
EVIDENCE_LABELS = {
    "text": "问题文字",
    "context": "所在语句",
    "suggestion": "建议改为",
    "word": "词语",
    "term": "用语",
    "wrong": "错误写法",
    "right": "正确写法",
    "masked": "内容（已脱敏）",
    "kind": "类型",
    "where": "位置",
    "published": "发布日期",
    "expected": "名录中应为",
    "found": "页面上为",
    "variant": "问题情形",
    "column": "栏目",
    "column_class": "栏目类别",
    "placeholder": "页面显示",
    "latest": "最新信息日期",
    "as_of": "监测时间点",
    "limit_days": "更新期限（天）",
    "age_days": "已有多少天未更新",
    "target": "链接目标",
    "href": "链接地址",
    "host": "主机",
    "hidden_by": "隐藏方式",
    "status": "HTTP状态码",
    "error": "错误类别",
    "resource": "资源",
    "resources": "资源列表",
    "document": "文件",
    "doc_no": "文号",
    "interpretation": "解读",
    "submitted": "留言时间",
    "replied": "答复时间",
    "days_unanswered": "未答复天数",
    "working_days": "工作日",
    "count": "数量",
    "note": "说明",
    "pages": "涉及页面",
    "page_count": "涉及页面数",
    "canonical": "规范表述",
    "edit": "错误类型",
    "category": "表述类别",
}
# Values of content checks' evidence, in words (text/serious.py names them the same way).
VALUE_LABELS = {
    "edit": {
        "homophone": "同音字替换",
        "homophone_word": "同音词替换",
        "similar_sound": "近音字替换",
        "shape": "形近字替换",
        "swap": "字序颠倒",
        "missing": "缺字",
        "extra": "多字",
        "numeral": "数字错误",
        "changed": "改字",
    },
    "category": {
        "formulation": "规范表述",
        "body": "机构名称",
        "name": "领导人姓名",
        "division": "行政区划名称",
    },
    "where": {"article": "正文", "page": "页面", "html": "网页源代码", "home": "首页", "sitemap": "网站地图"},
}
VARIANT_LABELS = {"missing": "缺失", "malformed": "格式错误", "mismatch": "与名录不一致"}
HIDDEN_EVIDENCE = {"screenshot", "screenshot_error", "screenshot_note", "lexicon_version"}
# The evidence value to highlight in the finding's text and in its page snapshot, first present wins.
HIGHLIGHT_KEYS = ("text", "word", "term", "wrong", "found", "placeholder", "latest", "column")
CATEGORIES = tuple(c.value for c in SiteCategory)
# Each result keeps its whole site model (JSON, often hundreds of kB) for re-scoring; no page needs it.
NO_MODEL = defer(SiteResult.model)


class NotFound(Exception):
    """No such object, or not in the user's scope (the two are never told apart)."""


def scoped(query: Select, principal: Principal) -> Select:
    """Restrict a query that involves ``Site`` to the sites the user may see."""
    if principal.sees_all:
        return query
    return query.where(Site.unit_id.in_(sorted(principal.unit_ids or ())))


def _latest_results():  # type: ignore[no-untyped-def]
    """Per site, its current result: from the finished run with the latest monitoring date (``as_of``), the
    newest of those (a re-score or re-check supersedes; a past quarter imported today does not)."""
    ranked = (
        select(
            SiteResult.site_id.label("site_id"),
            SiteResult.id.label("result_id"),
            func.row_number()
            .over(partition_by=SiteResult.site_id, order_by=(Run.as_of.desc(), SiteResult.id.desc()))
            .label("rank"),
        )
        .join(Run, SiteResult.run_id == Run.id)
        .where(Run.status == "finished")
        .subquery()
    )
    return select(ranked.c.site_id, ranked.c.result_id).where(ranked.c.rank == 1).subquery()


def verdict_class(verdict: str | None) -> str:
    return {"合格": "pass", "不合格": "fail"}.get(verdict or "", "none")


# -- sites ----------------------------------------------------------------------------------------------------


class QueryArgs:
    """A list page's filters, back into its query string: empty values and the first page left out."""

    def query_args(self, **changes: Any) -> dict[str, Any]:
        values = {**self.__dict__, **changes}
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}


@dataclass(frozen=True)
class SiteFilter(QueryArgs):
    q: str = ""
    region: str = ""
    category: str = ""
    verdict: str = ""
    unit: int | None = None
    page: int = 1


@dataclass(frozen=True)
class SiteRow:
    site_code: str
    name: str
    url: str
    region: str
    category: str
    unit: str
    status: str
    verdict: str | None
    score: float | None
    vetoes: tuple[str, ...]
    run_id: int | None
    as_of: date | None
    counts: dict[str, int] = field(default_factory=dict)  # findings per scored severity

    @property
    def verdict_class(self) -> str:
        return verdict_class(self.verdict)


@dataclass(frozen=True)
class SitePage:
    rows: list[SiteRow]
    total: int
    page: int
    pages: int
    filters: SiteFilter


def list_sites(
    session: Session, principal: Principal, filters: SiteFilter, size: int = PAGE_SIZE
) -> SitePage:
    latest = _latest_results()
    query = (
        select(Site, Unit.name, SiteResult, Run.as_of)
        .join(Unit, Site.unit_id == Unit.id)
        .outerjoin(latest, latest.c.site_id == Site.id)
        .outerjoin(SiteResult, SiteResult.id == latest.c.result_id)
        .outerjoin(Run, Run.id == SiteResult.run_id)
        .options(NO_MODEL)
    )
    query = scoped(query, principal)
    if q := filters.q.strip()[:100]:
        query = query.where(
            or_(
                Site.name.contains(q, autoescape=True),
                Site.site_code.contains(q, autoescape=True),
                Site.url.contains(q, autoescape=True),
                Unit.name.contains(q, autoescape=True),
            )
        )
    if filters.region:
        query = query.where(Site.region == filters.region)
    if filters.category:
        query = query.where(Site.category == filters.category)
    if filters.unit is not None:
        query = query.where(Site.unit_id == filters.unit)
    if filters.verdict == "未检查":
        query = query.where(SiteResult.id.is_(None))
    elif filters.verdict:
        query = query.where(SiteResult.verdict == filters.verdict)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // size))
    page = min(max(1, filters.page), pages)
    rows = session.execute(query.order_by(Site.site_code).offset((page - 1) * size).limit(size)).all()
    counts = _finding_counts(session, [r[2].id for r in rows if r[2] is not None])
    out = [
        SiteRow(
            site_code=site.site_code,
            name=site.name,
            url=site.url,
            region=site.region,
            category=site.category,
            unit=unit,
            status=site.status,
            verdict=result.verdict if result else None,
            score=result.score if result else None,
            vetoes=tuple(result.vetoes or ()) if result else (),
            run_id=result.run_id if result else None,
            as_of=as_of,
            counts=counts.get(result.id, {}) if result else {},
        )
        for site, unit, result, as_of in rows
    ]
    return SitePage(out, total, page, pages, replace(filters, page=page))


def _finding_counts(session: Session, result_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    if not result_ids:
        return out
    rows = session.execute(
        select(FindingRow.result_id, FindingRow.severity, func.count())
        .where(FindingRow.result_id.in_(list(result_ids)))
        .group_by(FindingRow.result_id, FindingRow.severity)
    )
    for result_id, severity, count in rows:
        out.setdefault(result_id, {})[severity] = count
    return out


@dataclass(frozen=True)
class FilterOptions:
    regions: list[str]
    categories: list[str]
    units: list[tuple[int, str]]


def filter_options(session: Session, principal: Principal) -> FilterOptions:
    regions = session.scalars(scoped(select(Site.region).distinct().order_by(Site.region), principal))
    present = set(session.scalars(scoped(select(Site.category).distinct(), principal)))
    units = session.execute(
        scoped(
            select(Unit.id, Unit.name).join(Site, Site.unit_id == Unit.id).distinct().order_by(Unit.name),
            principal,
        )
    )
    return FilterOptions(
        list(regions),
        [c for c in CATEGORIES if c in present] + sorted(present - set(CATEGORIES)),
        [(i, n) for i, n in units],
    )


def site_in_scope(session: Session, principal: Principal, site_code: str) -> Site:
    site = session.scalar(scoped(select(Site).where(Site.site_code == site_code), principal))
    if site is None:
        raise NotFound(site_code)
    return site


# -- one site's result ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceItem:
    key: str
    label: str
    value: str
    highlight: str | None = None  # a part of ``value`` to mark
    url: bool = False  # the value is an address (shown as text; linked only when http/https)


@dataclass(frozen=True)
class FindingView:
    id: int
    check: str
    check_name: str
    severity: str
    severity_name: str
    raw_severity: str
    url: str
    message: str
    evidence: list[EvidenceItem]
    evidence_raw: dict[str, Any]
    highlight: str | None
    snapshot_id: int | None
    screenshot: str | None  # path relative to the home folder
    screenshot_note: str | None


@dataclass(frozen=True)
class DeductionView:
    group: str
    item: str
    checks: str
    count: int
    points: float


@dataclass(frozen=True)
class VetoView:
    name: str
    rule: str
    condition: int | None
    count: int | None


@dataclass(frozen=True)
class HistoryRow:
    run_id: int
    kind: str
    period: str | None
    as_of: date
    profile: str
    status: str
    verdict: str
    score: float | None
    vetoes: tuple[str, ...]
    findings: int

    @property
    def verdict_class(self) -> str:
        return verdict_class(self.verdict)


@dataclass(frozen=True)
class SiteDetail:
    site_code: str
    name: str
    url: str
    region: str
    category: str
    unit: str
    status: str
    icp: str | None
    psb: str | None
    run_id: int | None
    run_kind: str | None
    period: str | None
    as_of: date | None
    profile: str | None
    pass_score: float | None
    verdict: str | None
    score: float | None
    part2: float | None
    part3: float | None
    vetoes: list[VetoView]
    deductions: list[DeductionView]
    findings: list[FindingView]
    history: list[HistoryRow]

    @property
    def verdict_class(self) -> str:
        return verdict_class(self.verdict)

    def counts(self) -> dict[str, int]:
        return dict(Counter(f.severity for f in self.findings))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    text = json.dumps(value, ensure_ascii=False, indent=1)
    return text if len(text) <= 4000 else text[:4000] + "…"


def highlight_of(evidence: dict[str, Any]) -> str | None:
    for key in HIGHLIGHT_KEYS:
        value = evidence.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return None


def evidence_items(evidence: dict[str, Any]) -> list[EvidenceItem]:
    items = []
    mark = evidence.get("text") if isinstance(evidence.get("text"), str) else None
    keys = [k for k in EVIDENCE_LABELS if k in evidence] + [k for k in evidence if k not in EVIDENCE_LABELS]
    for key in keys:
        value = evidence[key]
        if key in HIDDEN_EVIDENCE or value in (None, "", [], {}):
            continue
        shown = _text(value)
        if key == "variant":
            shown = VARIANT_LABELS.get(shown, shown)
        elif key in VALUE_LABELS and isinstance(value, str):
            shown = VALUE_LABELS[key].get(value, shown)
        if key == "column_class":
            continue  # the class id; the message already names the class in Chinese
        highlight = None
        if key == "context" and mark and mark in shown:
            highlight = mark
        elif key in HIGHLIGHT_KEYS and isinstance(value, str):
            highlight = shown
        is_url = isinstance(value, str) and bool(re.match(r"^https?://", value))
        items.append(EvidenceItem(key, EVIDENCE_LABELS.get(key, key), shown, highlight, is_url))
    return items


def finding_view(row: FindingRow) -> FindingView:
    evidence = dict(row.evidence or {})
    return FindingView(
        id=row.id,
        check=row.check,
        check_name=check_name(row.check),
        severity=row.severity,
        severity_name=SEVERITY_NAMES.get(row.severity, row.severity),
        raw_severity=row.raw_severity,
        url=row.url,
        message=row.message,
        evidence=evidence_items(evidence),
        evidence_raw=evidence,
        highlight=highlight_of(evidence),
        snapshot_id=row.snapshot_id,
        screenshot=evidence.get("screenshot") if isinstance(evidence.get("screenshot"), str) else None,
        screenshot_note=next(
            (str(evidence[k]) for k in ("screenshot_note", "screenshot_error") if evidence.get(k)), None
        ),
    )


class Profiles:
    """Indicator profiles by id, read once (they are files; the pages only need names and points)."""

    def __init__(self, user_dir: Path | None) -> None:
        self.user_dir = user_dir
        self._loaded: dict[str, Profile | None] = {}
        self._lock = threading.Lock()

    def get(self, profile_id: str) -> Profile | None:
        with self._lock:
            if profile_id not in self._loaded:
                try:
                    self._loaded[profile_id] = load_profile(profile_id, user_dir=self.user_dir)
                except ProfileError:
                    self._loaded[profile_id] = None
            return self._loaded[profile_id]


def _deductions(result: SiteResult, profile: Profile | None) -> list[DeductionView]:
    groups = {g.id: g.name for g in profile.groups} if profile else {}
    items = {d.id: d for d in profile.deductions} if profile else {}
    out = []
    for d in result.deductions or []:
        item = items.get(d.get("item"))
        checks = "、".join(check_name(c) for c in item.checks) if item else str(d.get("item"))
        out.append(
            DeductionView(
                group=groups.get(d.get("group"), str(d.get("group"))),
                item=str(d.get("item")),
                checks=checks,
                count=int(d.get("count") or 0),
                points=float(d.get("points") or 0),
            )
        )
    return out


def _vetoes(result: SiteResult) -> list[VetoView]:
    if result.fired:
        return [
            VetoView(str(v.get("name")), str(v.get("rule")), v.get("condition"), v.get("count"))
            for v in result.fired
        ]
    return [VetoView(name, "", None, None) for name in result.vetoes or []]


def site_detail(
    session: Session, principal: Principal, site_code: str, profiles: Profiles, run_id: int | None = None
) -> SiteDetail:
    site = site_in_scope(session, principal, site_code)
    history_rows = session.execute(
        select(SiteResult, Run, func.count(FindingRow.id))
        .join(Run, SiteResult.run_id == Run.id)
        .outerjoin(FindingRow, FindingRow.result_id == SiteResult.id)
        .where(SiteResult.site_id == site.id)
        .options(NO_MODEL)
        .group_by(SiteResult.id, Run.id)
        .order_by(Run.as_of.desc(), SiteResult.id.desc())
    ).all()
    chosen: tuple[SiteResult, Run] | None = None
    for result, run, _ in history_rows:
        if (run_id is not None and run.id == run_id) or (run_id is None and run.status == "finished"):
            chosen = (result, run)
            break
    if run_id is not None and chosen is None:
        raise NotFound(f"{site_code}@{run_id}")
    history = [
        HistoryRow(
            run.id,
            RUN_KINDS.get(run.kind, run.kind),
            run.period,
            run.as_of,
            run.profile,
            RUN_STATUS.get(run.status, run.status),
            result.verdict,
            result.score,
            tuple(result.vetoes or ()),
            count,
        )
        for result, run, count in history_rows
    ]
    base = dict(
        site_code=site.site_code,
        name=site.name,
        url=site.url,
        region=site.region,
        category=site.category,
        unit=site.unit.name,
        status=site.status,
        icp=site.icp,
        psb=site.psb,
        history=history,
    )
    if chosen is None:
        return SiteDetail(
            **base,
            run_id=None,
            run_kind=None,
            period=None,
            as_of=None,
            profile=None,
            pass_score=None,
            verdict=None,
            score=None,
            part2=None,
            part3=None,
            vetoes=[],
            deductions=[],
            findings=[],
        )
    result, run = chosen
    profile = profiles.get(run.profile)
    findings = sorted(
        (finding_view(f) for f in result.findings), key=lambda f: (SEVERITY_ORDER.get(f.severity, 3), f.id)
    )
    return SiteDetail(
        **base,
        run_id=run.id,
        run_kind=RUN_KINDS.get(run.kind, run.kind),
        period=run.period,
        as_of=run.as_of,
        profile=run.profile,
        pass_score=profile.pass_score if profile else None,
        verdict=result.verdict,
        score=result.score,
        part2=result.part2,
        part3=result.part3,
        vetoes=_vetoes(result),
        deductions=_deductions(result, profile),
        findings=findings,
    )


@dataclass(frozen=True)
class FindingDetail:
    finding: FindingView
    site_code: str
    site_name: str
    site_url: str
    unit: str
    run_id: int
    as_of: date
    profile: str
    verdict: str
    snapshot: Snapshot | None


def finding_detail(session: Session, principal: Principal, finding_id: int) -> FindingDetail:
    row = session.execute(
        scoped(
            select(FindingRow, SiteResult, Site, Run)
            .join(SiteResult, FindingRow.result_id == SiteResult.id)
            .join(Site, SiteResult.site_id == Site.id)
            .join(Run, SiteResult.run_id == Run.id)
            .where(FindingRow.id == finding_id)
            .options(NO_MODEL),
            principal,
        )
    ).first()
    if row is None:
        raise NotFound(str(finding_id))
    finding, result, site, run = row
    snapshot = None
    if finding.snapshot_id is not None:
        snapshot = session.scalar(
            select(Snapshot).where(Snapshot.id == finding.snapshot_id, Snapshot.site_code == site.site_code)
        )
    return FindingDetail(
        finding=finding_view(finding),
        site_code=site.site_code,
        site_name=site.name,
        site_url=site.url,
        unit=site.unit.name,
        run_id=run.id,
        as_of=run.as_of,
        profile=run.profile,
        verdict=result.verdict,
        snapshot=snapshot,
    )


@dataclass(frozen=True)
class FindingPage:
    rows: list[tuple[FindingView, str, str, int]]  # finding, site code, site name, run id
    total: int
    page: int
    pages: int


def list_findings(
    session: Session,
    principal: Principal,
    *,
    run_id: int | None = None,
    site_code: str | None = None,
    check: str | None = None,
    severity: str | None = None,
    page: int = 1,
    size: int = PAGE_SIZE,
) -> FindingPage:
    """Findings of one run (default: each site's newest finished result), filtered."""
    query = (
        select(FindingRow, Site.site_code, Site.name, SiteResult.run_id)
        .join(SiteResult, FindingRow.result_id == SiteResult.id)
        .join(Site, SiteResult.site_id == Site.id)
    )
    if run_id is not None:
        query = query.where(SiteResult.run_id == run_id)
    else:
        latest = _latest_results()
        query = query.join(latest, latest.c.result_id == SiteResult.id)
    if site_code:
        query = query.where(Site.site_code == site_code)
    if check:
        query = query.where(FindingRow.check == check)
    if severity:
        query = query.where(FindingRow.severity == severity)
    query = scoped(query, principal)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = session.execute(query.order_by(FindingRow.id).offset((page - 1) * size).limit(size)).all()
    return FindingPage([(finding_view(f), c, n, r) for f, c, n, r in rows], total, page, pages)


# -- runs -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    id: int
    kind: str
    period: str | None
    as_of: date
    profile: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    sites: int
    passed: int
    failed: int

    @property
    def rate(self) -> str:
        return percent_text(self.passed, self.sites)


def _run_rows(session: Session, principal: Principal, run_ids: Sequence[int] | None = None) -> list[RunRow]:
    counts = scoped(
        select(SiteResult.run_id, SiteResult.verdict, func.count())
        .join(Site, SiteResult.site_id == Site.id)
        .group_by(SiteResult.run_id, SiteResult.verdict),
        principal,
    )
    if run_ids is not None:
        counts = counts.where(SiteResult.run_id.in_(list(run_ids)))
    per_run: dict[int, Counter[str]] = {}
    for run_id, verdict, count in session.execute(counts):
        per_run.setdefault(run_id, Counter())[verdict] += count
    query = select(Run).order_by(Run.id.desc())
    if run_ids is not None:
        query = query.where(Run.id.in_(list(run_ids)))
    elif not principal.sees_all:
        query = query.where(Run.id.in_(list(per_run)))  # a unit user sees the runs that checked their sites
    rows = []
    for run in session.scalars(query):
        c = per_run.get(run.id, Counter())
        rows.append(
            RunRow(
                run.id,
                RUN_KINDS.get(run.kind, run.kind),
                run.period,
                run.as_of,
                run.profile,
                RUN_STATUS.get(run.status, run.status),
                run.started_at,
                run.finished_at,
                sum(c.values()),
                c["合格"],
                c["不合格"],
            )
        )
    return rows


def list_runs(session: Session, principal: Principal) -> list[RunRow]:
    return _run_rows(session, principal)


@dataclass(frozen=True)
class RunDetail:
    run: RunRow
    notes: list[str]
    results: list[SiteRow]


def run_detail(session: Session, principal: Principal, run_id: int) -> RunDetail:
    rows = _run_rows(session, principal, [run_id])
    if not rows or (not principal.sees_all and rows[0].sites == 0):
        raise NotFound(str(run_id))
    run = session.get(Run, run_id)
    assert run is not None
    options = run.options or {}
    notes = [
        str(n)
        for n in (
            (options.get("browser") or {}).get("note"),
            (options.get("render") or {}).get("note"),
        )
        if n
    ]
    results = session.execute(
        scoped(
            select(SiteResult, Site, Unit.name)
            .join(Site, SiteResult.site_id == Site.id)
            .join(Unit, Site.unit_id == Unit.id)
            .where(SiteResult.run_id == run_id)
            .options(NO_MODEL)
            .order_by(Site.site_code),
            principal,
        )
    ).all()
    counts = _finding_counts(session, [r.id for r, _, _ in results])
    return RunDetail(
        rows[0],
        list(dict.fromkeys(notes)),
        [
            SiteRow(
                site.site_code,
                site.name,
                site.url,
                site.region,
                site.category,
                unit,
                site.status,
                result.verdict,
                result.score,
                tuple(result.vetoes or ()),
                run_id,
                run.as_of,
                counts.get(result.id, {}),
            )
            for result, site, unit in results
        ],
    )


# -- the overview -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str  # "period:2020Q1" | "run:12"
    label: str


@dataclass(frozen=True)
class TrendPoint:
    label: str
    checked: int
    passed: int
    rate: str


@dataclass(frozen=True)
class Overview:
    choice: Choice | None
    choices: list[Choice]
    figures: fig.Figures | None
    categories: list[fig.Rate]
    trend: list[TrendPoint]
    vetoes: list[fig.ProblemGroup]
    deductions: list[fig.ProblemGroup]
    failed_sites: list[fig.SiteRecord]
    problems: list[str]  # the self-check's disagreements (should never happen; shown when it does)
    error: str | None = None


def overview_choices(session: Session, principal: Principal) -> list[Choice]:
    finished = select(Run).where(Run.status == "finished")
    if not principal.sees_all:
        mine = scoped(select(SiteResult.run_id).join(Site, SiteResult.site_id == Site.id), principal)
        finished = finished.where(Run.id.in_(mine))
    runs = list(session.scalars(finished.order_by(Run.id.desc())))
    periods = sorted({r.period for r in runs if r.period}, reverse=True)
    choices = [Choice(f"period:{p}", fig.period_label(p)) for p in periods]
    choices += [
        Choice(f"run:{r.id}", f"检查任务 {r.id}（{RUN_KINDS.get(r.kind, r.kind)}，监测时间点 {r.as_of}）")
        for r in runs
    ]
    return choices


class OverviewCache:
    """Sources per selection and overviews per (selection, scope), kept while the stored data are unchanged (a
    new run, result or registry change gives another version and empties the cache)."""

    def __init__(self, limit: int = 64) -> None:
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._items: dict[tuple, Any] = {}
        self.limit = limit

    @staticmethod
    def version(session: Session) -> tuple:
        runs = session.execute(
            select(func.count(Run.id), func.max(Run.id), func.max(Run.finished_at), func.max(Run.status))
        ).one()
        results = session.execute(select(func.count(SiteResult.id), func.max(SiteResult.id))).one()
        sites = session.execute(select(func.count(Site.id), func.max(Site.updated_at))).one()
        return (*runs, *results, *sites)

    def refresh(self, session: Session) -> None:
        """Once per request: empty the cache when the stored data changed."""
        version = self.version(session)
        with self._lock:
            if version != self._version:
                self._version, self._items = version, {}

    def get(self, key: tuple, load):  # type: ignore[no-untyped-def]
        with self._lock:
            if key in self._items:
                return self._items[key]
        value = load()
        with self._lock:
            if len(self._items) >= self.limit:
                self._items.clear()
            self._items[key] = value
        return value


def _scope_codes(session: Session, principal: Principal) -> frozenset[str] | None:
    if principal.sees_all:
        return None
    return frozenset(session.scalars(scoped(select(Site.site_code), principal)))


def _restricted(source: fig.Source, codes: frozenset[str] | None) -> fig.Source:
    if codes is None:
        return source
    return replace(source, sites=tuple(s for s in source.sites if s.site_code in codes))


def _load(session: Session, choice: str, cache: OverviewCache) -> fig.Source:
    """The whole registry's source for a selection (cached); a unit user's view is restricted afterwards."""
    kind, _, value = choice.partition(":")

    def load() -> fig.Source:
        if kind == "run":
            return fig.load_source(session, run_id=int(value))
        return fig.load_source(session, period=value)

    return cache.get((choice,), load)


def overview(session: Session, principal: Principal, cache: OverviewCache, selected: str | None) -> Overview:
    """The overview for the user's scope, computed once per (selection, scope) while the data are unchanged."""
    cache.refresh(session)
    codes = _scope_codes(session, principal)
    return cache.get(
        ("overview", selected or "", codes), lambda: _overview(session, principal, cache, selected, codes)
    )


def _overview(
    session: Session,
    principal: Principal,
    cache: OverviewCache,
    selected: str | None,
    codes: frozenset[str] | None,
) -> Overview:
    choices = overview_choices(session, principal)
    if not choices:
        return Overview(None, [], None, [], [], [], [], [], [], error="还没有已完成的检查任务")
    choice = next((c for c in choices if c.value == selected), choices[0])
    try:
        source = _restricted(_load(session, choice.value, cache), codes)
    except (fig.ReportError, ValueError) as exc:
        return Overview(choice, choices, None, [], [], [], [], [], [], error=str(exc))
    figures = fig.compute(source)
    problems: list[str] = []
    try:
        fig.verify(figures)
    except fig.ReportCheckError as exc:
        problems = exc.problems
    by_category: dict[str, list[fig.SiteRecord]] = {}
    for site in figures.sites:
        by_category.setdefault(site.category, []).append(site)
    categories = [
        fig.Rate(
            fig.CATEGORY_TEXT.get(c, c),
            total=sum(1 for s in members if s.running),
            checked=sum(1 for s in members if s.checked),
            failed=sum(1 for s in members if s.checked and s.verdict == fig.FAIL),
        )
        for c, members in sorted(by_category.items(), key=lambda kv: fig.CATEGORY_ORDER.get(kv[0], 99))
    ]
    trend = []
    for period_choice in reversed([c for c in choices if c.value.startswith("period:")][:12]):
        try:
            period_source = _restricted(_load(session, period_choice.value, cache), codes)
        except (fig.ReportError, ValueError):
            continue
        rate = fig.compute(period_source).overall
        trend.append(TrendPoint(period_choice.label, rate.checked, rate.passed, rate.text))
    return Overview(
        choice=choice,
        choices=choices,
        figures=figures,
        categories=categories,
        trend=trend,
        vetoes=[g for g in figures.problem_groups if g.kind == "单项否决"],
        deductions=[g for g in figures.problem_groups if g.kind == "扣分"][:10],
        failed_sites=[s for s in figures.sites if s.checked and s.verdict == fig.FAIL],
        problems=problems,
    )
