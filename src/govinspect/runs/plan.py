"""Run plans (抽查 and 复查): which sites one period's inspection covers, stored, then inspected by ``run start``.

How a plan is drawn (``govinspect run plan``):

- the population is the registry's running sites (运行), in strata by the ``--by`` fields (default: region and
  category, the cells of the circular's attachment 1);
- a stratum of N sites gets ⌈ratio × N⌉ of them, rounded up: every stratum, and so the whole sample, reaches the
  ratio the circulars state as a minimum (“抽查比例不低于…”), and a non-empty stratum gets at least one site when the
  ratio is above 0; ``--all`` takes every site;
- always in, and counted towards that number: the portals (门户网站; the circulars check every one) and the sites
  whose result was 不合格 in the ``--include-failed-from`` period, marked 复查; a stratum with more of these than
  its quota takes them all;
- the rest is filled by lot: a site's lot is sha256("<seed>:<site code>"), the smallest lots win. A lot depends on
  the seed and the site's own code only, so the same registry, seed and arguments give the same plan on any
  machine, anyone can recompute the draw, and a site added to one stratum leaves the others' draws as they were.

The plan is stored in the database (tables ``plans`` and ``plan_sites``), not in a file: ``run start`` on any
machine sharing the database finds it by its number, the runs that inspect it point back to it, and the plan
records the population and strata totals it was drawn from.

Running a plan (``govinspect run start PLAN``) inspects exactly its sites through ``inspect_sites`` into one run of
the plan's period. Results are stored site by site as they are judged, so a killed ``run start`` leaves a run in
state ``running`` with the results of the sites it finished; starting the plan again resumes that run with the
sites still missing (same run, same ``as_of`` and profile). A finished plan is inspected again only with
``--again``, as a new run; a report counts each site once, with its latest result in the period.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from fractions import Fraction
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govinspect.config import Settings
from govinspect.registry.model import SiteCategory
from govinspect.runs.contract import SiteOutcome
from govinspect.runs.period import Period, PeriodError, check_as_of, parse_period
from govinspect.store import Store
from govinspect.store.models import Site, Unit, utcnow
from govinspect.store.results import Plan, PlanSite, Run, SiteResult

if TYPE_CHECKING:
    from govinspect.runs.inspect import InspectOptions

RUNNING = "运行"
FAIL = "不合格"
DEFAULT_PROFILE = "national-2019"
PORTALS = frozenset(c.value for c in SiteCategory if c.is_portal)
CATEGORY_ORDER = {c.value: i for i, c in enumerate(SiteCategory)}
STRATA_FIELDS = {"region": "所属地区", "category": "类别", "unit": "主办单位"}
_FIELD_NAMES = {
    **{key: key for key in STRATA_FIELDS},
    **{label: key for key, label in STRATA_FIELDS.items()},
    "地区": "region",
    "sponsor": "unit",
}
DEFAULT_STRATA = ("region", "category")


class PlanError(Exception):
    """A plan that cannot be drawn, found or started; the message is for an official, in Chinese."""


# -- arguments ----------------------------------------------------------------------------------------------------


def parse_ratio(text: str) -> Fraction:
    """``0.6``, ``60%`` or ``3/5``, kept exact (0.6 × 5 is 3, not 3.0000000000000004, before rounding up)."""
    raw = (text or "").strip()
    try:
        value = Fraction(raw[:-1].strip()) / 100 if raw.endswith(("%", "％")) else Fraction(raw)
    except (ValueError, ZeroDivisionError):
        raise PlanError(f"抽查比例“{text}”格式不对：写作 0.6、60% 或 3/5") from None
    if not 0 <= value <= 1:
        raise PlanError(f"抽查比例 {text} 应在 0 与 1（即 100%）之间")
    return value


def ratio_text(ratio: Fraction | None) -> str:
    """As a circular prints a ratio: 60%, 33.33%; None (every site) is 100%（全部）."""
    if ratio is None:
        return "100%（全部）"
    percent = ratio * 100
    return (
        f"{percent.numerator // percent.denominator}%"
        if percent.denominator == 1
        else f"{float(percent):.2f}%"
    )


def parse_strata(text: str | None) -> tuple[str, ...]:
    """``region,category`` (English or Chinese field names, any of , ， 、 between); ``none`` is one stratum."""
    if text is None:
        return DEFAULT_STRATA
    parts = [p.strip() for p in text.replace("，", ",").replace("、", ",").split(",")]
    parts = [p for p in parts if p]
    if parts in ([], ["none"], ["无"]):
        return ()
    fields: list[str] = []
    unknown = []
    for part in parts:
        key = _FIELD_NAMES.get(part.lower()) or _FIELD_NAMES.get(part)
        if key is None:
            unknown.append(part)
        elif key not in fields:
            fields.append(key)
    if unknown:
        allowed = "、".join(f"{k}（{v}）" for k, v in STRATA_FIELDS.items())
        raise PlanError(
            f"--by 中的“{'、'.join(unknown)}”不是可分层的字段；可用：{allowed}，或 none（不分层）"
        )
    return tuple(fields)


def quota(ratio: Fraction | None, total: int) -> int:
    """⌈ratio × total⌉ in exact arithmetic; every site when ``ratio`` is None (--all)."""
    if ratio is None:
        return total
    return -((-ratio.numerator * total) // ratio.denominator)


def lot(seed: int, site_code: str) -> str:
    return hashlib.sha256(f"{seed}:{site_code}".encode()).hexdigest()


def new_seed() -> int:
    """Six digits: short enough to write into the circular's working papers."""
    return 100_000 + secrets.randbelow(900_000)


# -- the draw (pure) --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    site_id: int
    site_code: str
    name: str
    region: str
    category: str
    unit: str

    @property
    def portal(self) -> bool:
        return self.category in PORTALS

    def value(self, field: str) -> str:
        return str(getattr(self, field))


@dataclass(frozen=True, slots=True)
class Drawn:
    candidate: Candidate
    stratum: tuple[str, ...]
    portal: bool
    recheck: bool
    drawn: bool  # in by lot, not by rule


def stratum_order(candidates: Sequence[Candidate], by: Sequence[str]) -> Callable[[tuple[str, ...]], tuple]:
    """Strata as the circulars list them: categories in attachment order, regions and units by their first site
    code (codes begin with the division, so the provincial level and each city come out together)."""
    first: dict[str, dict[str, str]] = {f: {} for f in by}
    for c in candidates:
        for f in by:
            value = c.value(f)
            if value not in first[f] or c.site_code < first[f][value]:
                first[f][value] = c.site_code

    def key(stratum: tuple[str, ...]) -> tuple:
        parts: list[tuple] = []
        for f, value in zip(by, stratum, strict=True):
            if f == "category":
                parts.append((CATEGORY_ORDER.get(value, 99), value))
            else:
                parts.append((first[f].get(value, ""), value))
        return tuple(parts)

    return key


def draw(
    candidates: Sequence[Candidate],
    *,
    ratio: Fraction | None,
    by: Sequence[str],
    seed: int,
    rechecks: frozenset[str] = frozenset(),
) -> list[Drawn]:
    """The plan's sites, stratum by stratum (see the module docstring); the same inputs give the same list."""
    strata: dict[tuple[str, ...], list[Candidate]] = defaultdict(list)
    for c in sorted(candidates, key=lambda c: c.site_code):
        strata[tuple(c.value(f) for f in by)].append(c)
    chosen: list[Drawn] = []
    for key in sorted(strata, key=stratum_order(candidates, by)):
        members = strata[key]
        must = [c for c in members if c.portal or c.site_code in rechecks]
        rest = sorted(
            (c for c in members if not (c.portal or c.site_code in rechecks)),
            key=lambda c: (lot(seed, c.site_code), c.site_code),
        )
        extra = rest[: max(0, quota(ratio, len(members)) - len(must))]
        taken = {c.site_code for c in extra}
        for c in sorted([*must, *extra], key=lambda c: c.site_code):
            chosen.append(Drawn(c, key, c.portal, c.site_code in rechecks, c.site_code in taken))
    return chosen


# -- stored plans -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedSite:
    site_code: str
    name: str
    stratum: tuple[str, ...]
    portal: bool
    recheck: bool
    drawn: bool


@dataclass(frozen=True, slots=True)
class StratumSummary:
    stratum: tuple[str, ...]
    total: int  # running sites of the stratum when the plan was drawn
    sampled: int
    portals: int
    rechecks: int


@dataclass(frozen=True)
class PlanView:
    id: int
    period: str
    ratio: Fraction | None  # None: every site (--all)
    by: tuple[str, ...]
    seed: int
    include_failed_from: str | None
    population: int
    created_at: datetime
    sites: tuple[PlannedSite, ...]
    strata: tuple[StratumSummary, ...]
    notes: tuple[str, ...]
    runs: tuple[tuple[int, str], ...] = ()  # (run id, status) of the runs that inspected it

    @property
    def period_label(self) -> str:
        return parse_period(self.period).label

    @property
    def site_codes(self) -> list[str]:
        return [s.site_code for s in self.sites]

    @property
    def ratio_label(self) -> str:
        return ratio_text(self.ratio)


def _running_candidates(session: Session) -> list[Candidate]:
    rows = session.execute(
        select(Site, Unit.name).join(Unit, Site.unit_id == Unit.id).where(Site.status == RUNNING)
    )
    return [Candidate(s.id, s.site_code, s.name, s.region, s.category, unit) for s, unit in rows]


def failed_in(session: Session, period: Period) -> dict[int, SiteResult]:
    """The sites whose result in ``period`` was 不合格, by site id: each site's latest result among the finished
    runs of the period (as the report counts it: a re-check or re-score supersedes what it re-judged)."""
    runs = list(
        session.scalars(
            select(Run.id).where(Run.period == period.text, Run.status == "finished").order_by(Run.id)
        )
    )
    if not runs:
        raise PlanError(
            f"检查期 {period.text}（{period.label}）没有已完成的检查任务，无法确定需复查的网站；"
            "请核对 --include-failed-from，或先导入该期结果（govinspect results import）"
        )
    latest: dict[int, SiteResult] = {}
    for start in range(0, len(runs), 500):
        query = select(SiteResult).where(SiteResult.run_id.in_(runs[start : start + 500]))
        for result in session.scalars(query.order_by(SiteResult.run_id)):
            latest[result.site_id] = result
    return {site_id: r for site_id, r in latest.items() if r.verdict == FAIL}


def make_plan(
    store: Store,
    period: Period,
    *,
    ratio: Fraction | None,
    by: Sequence[str] = DEFAULT_STRATA,
    include_failed_from: Period | None = None,
    seed: int | None = None,
) -> PlanView:
    """Draw a plan from today's registry and store it; ``ratio`` None takes every running site."""
    if include_failed_from is not None and include_failed_from.start > period.start:
        raise PlanError(
            f"--include-failed-from {include_failed_from.text} 晚于本期 {period.text}：复查的是此前检查期的不合格网站"
        )
    seed = new_seed() if seed is None else seed
    with store.session() as session:
        candidates = _running_candidates(session)
        if not candidates:
            raise PlanError("名录中没有运行中的网站，请先用 govinspect registry import 导入网站名录")
        notes: list[str] = []
        rechecks: frozenset[str] = frozenset()
        if include_failed_from is not None:
            failed = failed_in(session, include_failed_from)
            running = {c.site_id for c in candidates}
            rechecks = frozenset(r.site_code for site_id, r in failed.items() if site_id in running)
            gone = sorted(r.site_code for site_id, r in failed.items() if site_id not in running)
            if gone:
                notes.append(
                    f"{include_failed_from.text} 不合格的网站中有 {len(gone)} 家已不在运行，未列入复查："
                    + "、".join(gone)
                )
        chosen = draw(candidates, ratio=ratio, by=by, seed=seed, rechecks=rechecks)
        if not chosen:
            raise PlanError("按此比例与条件，计划中没有任何网站（比例为 0 且没有门户网站或复查网站）")
        totals = Counter(tuple(c.value(f) for f in by) for c in candidates)
        order = stratum_order(candidates, by)
        plan = Plan(
            period=period.text,
            ratio=None if ratio is None else str(ratio),
            full=ratio is None,
            strata=list(by),
            seed=seed,
            include_failed_from=include_failed_from.text if include_failed_from else None,
            population=len(candidates),
            totals=[{"stratum": list(k), "total": totals[k]} for k in sorted(totals, key=order)],
            notes=notes,
        )
        plan.sites = [
            PlanSite(
                site_id=d.candidate.site_id,
                site_code=d.candidate.site_code,
                stratum=list(d.stratum),
                portal=d.portal,
                recheck=d.recheck,
                drawn=d.drawn,
            )
            for d in chosen
        ]
        session.add(plan)
        session.flush()
        return _view(session, plan)


def _view(session: Session, plan: Plan) -> PlanView:
    names = dict(
        session.execute(
            select(Site.site_code, Site.name)
            .join(PlanSite, PlanSite.site_id == Site.id)
            .where(PlanSite.plan_id == plan.id)
        ).all()
    )
    sites = tuple(
        PlannedSite(s.site_code, names.get(s.site_code, ""), tuple(s.stratum), s.portal, s.recheck, s.drawn)
        for s in plan.sites
    )
    per: dict[tuple[str, ...], list[PlannedSite]] = defaultdict(list)
    for site in sites:
        per[site.stratum].append(site)
    strata = []
    for entry in plan.totals:
        key = tuple(entry["stratum"])
        members = per.get(key, [])
        strata.append(
            StratumSummary(
                key,
                int(entry["total"]),
                len(members),
                sum(1 for s in members if s.portal),
                sum(1 for s in members if s.recheck),
            )
        )
    runs = tuple(
        (run_id, status)
        for run_id, status in session.execute(
            select(Run.id, Run.status).where(Run.plan_id == plan.id).order_by(Run.id)
        )
    )
    return PlanView(
        id=plan.id,
        period=plan.period,
        ratio=None if plan.full or plan.ratio is None else Fraction(plan.ratio),
        by=tuple(plan.strata),
        seed=int(plan.seed),
        include_failed_from=plan.include_failed_from,
        population=plan.population,
        created_at=plan.created_at,
        sites=sites,
        strata=tuple(strata),
        notes=tuple(plan.notes or ()),
        runs=runs,
    )


def load_plan(store: Store, plan_id: int) -> PlanView:
    with store.session() as session:
        plan = session.get(Plan, plan_id)
        if plan is None:
            raise PlanError(f"没有编号为 {plan_id} 的检查计划；可用 govinspect run plans 查看已有计划")
        return _view(session, plan)


@dataclass(frozen=True, slots=True)
class PlanInfo:
    id: int
    period: str
    ratio: str
    by: tuple[str, ...]
    seed: int
    include_failed_from: str | None
    population: int
    size: int
    created_at: datetime
    runs: tuple[tuple[int, str], ...]


def list_plans(store: Store, period: Period | None = None) -> list[PlanInfo]:
    with store.session() as session:
        query = select(Plan).order_by(Plan.id)
        if period is not None:
            query = query.where(Plan.period == period.text)
        plans = list(session.scalars(query))
        sizes = dict(session.execute(select(PlanSite.plan_id, func.count()).group_by(PlanSite.plan_id)).all())
        runs: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for run_id, plan_id, status in session.execute(
            select(Run.id, Run.plan_id, Run.status).where(Run.plan_id.is_not(None)).order_by(Run.id)
        ):
            runs[plan_id].append((run_id, status))
        return [
            PlanInfo(
                p.id,
                p.period,
                ratio_text(None if p.full or p.ratio is None else Fraction(p.ratio)),
                tuple(p.strata),
                int(p.seed),
                p.include_failed_from,
                p.population,
                sizes.get(p.id, 0),
                p.created_at,
                tuple(runs.get(p.id, ())),
            )
            for p in plans
        ]


# -- running a plan ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    """What ``run start`` will do: a new run, or the rest of an unfinished one (``resume_run``)."""

    plan: PlanView
    as_of: date
    profile: str  # the profile name to load
    codes: tuple[str, ...]  # the sites still to inspect
    resume_run: int | None = None
    done: int = 0  # sites the resumed run had finished already
    skipped: tuple[str, ...] = ()  # plan sites no longer running (not inspected)
    superseded: int | None = None  # an unfinished run left behind by --again


def _holder(options: dict) -> tuple[str | None, int | None]:
    attempts = options.get("attempts") or []
    if not attempts:
        return None, None
    last = attempts[-1]
    return last.get("host"), last.get("pid")


def _still_running(options: dict) -> str | None:
    """Who may still be inspecting an unfinished run: a live process on this machine, or another machine (which
    cannot be asked); None when the process that started it is gone."""
    host, pid = _holder(options)
    if (options.get("attempts") or [{}])[-1].get("queued"):
        return f"任务队列中的 worker（由 {host} 提交）"
    if host is None or pid is None:
        return None
    if host != socket.gethostname():
        return f"另一台机器 {host} 上的进程 {pid}"
    if pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return f"本机进程 {pid}"


def prepare_start(
    store: Store,
    plan_id: int,
    *,
    as_of: date | None = None,
    profile: str | None = None,
    again: bool = False,
    takeover: bool = False,
    today: date | None = None,
) -> Start:
    """Decide between a new run and resuming the plan's unfinished one; refuse a finished plan without
    ``again`` and a run another process may still be working on without ``takeover``."""
    plan = load_plan(store, plan_id)
    period = parse_period(plan.period)
    with store.session() as session:
        latest = session.scalars(
            select(Run).where(Run.plan_id == plan_id).order_by(Run.id.desc()).limit(1)
        ).first()
        running = set(
            session.scalars(
                select(Site.site_code).where(Site.site_code.in_(plan.site_codes), Site.status == RUNNING)
            )
        )
        skipped = tuple(c for c in plan.site_codes if c not in running)
        if latest is not None and latest.status == "running":
            holder = _still_running(latest.options or {})
            if holder and not takeover:
                raise PlanError(
                    f"计划 {plan_id} 的检查任务 {latest.id} 尚未完成，可能仍在由{holder}执行；"
                    "如确认该进程已中止，加 --takeover 接续执行"
                )
            if not again:
                stored_profile = (latest.options or {}).get("profile_name", latest.profile)
                if as_of is not None and as_of != latest.as_of:
                    raise PlanError(
                        f"续跑检查任务 {latest.id} 须沿用其监测时间点 {latest.as_of.isoformat()}；"
                        "如要按新的监测时间点重新检查，加 --again 新建任务"
                    )
                if profile is not None and profile != stored_profile:
                    raise PlanError(
                        f"续跑检查任务 {latest.id} 须沿用其指标配置 {stored_profile}；如要换用指标配置，加 --again 新建任务"
                    )
                done = set(
                    session.scalars(select(SiteResult.site_code).where(SiteResult.run_id == latest.id))
                )
                codes = tuple(c for c in plan.site_codes if c in running and c not in done)
                return Start(
                    plan,
                    latest.as_of,
                    stored_profile,
                    codes,
                    resume_run=latest.id,
                    done=len(done),
                    skipped=skipped,
                )
        elif latest is not None and latest.status == "finished" and not again:
            raise PlanError(
                f"计划 {plan_id} 已由检查任务 {latest.id} 检查完毕；如需再查一遍，加 --again 新建任务"
                "（通报按每个网站在本期的最新结果计，不会重复计数）"
            )
        superseded = latest.id if latest is not None and latest.status == "running" else None
    when = as_of or today or date.today()
    try:
        check_as_of(period, when)
    except PeriodError as exc:
        raise PlanError(str(exc)) from exc
    codes = tuple(c for c in plan.site_codes if c in running)
    if not codes:
        raise PlanError(f"计划 {plan_id} 中的网站都已不在运行，没有可检查的网站")
    return Start(plan, when, profile or DEFAULT_PROFILE, codes, skipped=skipped, superseded=superseded)


@dataclass
class StartResult:
    run_id: int
    start: Start
    outcomes: list[SiteOutcome]  # every site of the run, the resumed part included
    profile_id: str
    notes: list[str]


def start_plan(
    store: Store,
    settings: Settings,
    start: Start,
    options: InspectOptions,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    enqueue: Callable[[int, Sequence[str], InspectOptions], object] | None = None,
) -> StartResult:
    """Inspect the plan's remaining sites through ``inspect_sites`` (the options are ``inspect``'s, with the
    plan's period, ``as_of`` and profile) into the plan's run: a new one, or the unfinished one resumed.

    ``enqueue(run_id, codes, options)``: queue the sites for Celery workers instead (tasks.enqueue_inspections);
    the run then names all its sites, the last one stored finishes it, and the result has the outcomes stored
    so far."""
    from govinspect.runs.importer import stored_outcomes
    from govinspect.runs.inspect import inspect_sites
    from govinspect.scoring.profile import load_profile

    options = replace(options, as_of=start.as_of, profile=start.profile, period=start.plan.period)
    profile = load_profile(
        start.profile, user_dir=settings.home / "profiles"
    )  # a bad name fails before any run
    attempt = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started_at": utcnow().isoformat(),
        "sites": len(start.codes),
        **({"queued": True} if enqueue is not None and start.codes else {}),
    }
    with store.session() as session:
        if start.superseded is not None:
            stale = session.get(Run, start.superseded)
            if stale is not None and stale.status == "running":
                stale.status = "failed"
                stale.options = {**(stale.options or {}), "superseded": True}
        if start.resume_run is None:
            run = Run(
                kind="inspect",
                period=start.plan.period,
                as_of=start.as_of,
                profile=profile.id,
                plan_id=start.plan.id,
                options={
                    "crawl": options.crawl.record(),
                    "max_external_links": options.max_external_links,
                    "sites": len(start.plan.sites),
                    "plan": start.plan.id,
                    "profile_name": start.profile,
                    "skipped": list(start.skipped),
                    "attempts": [attempt],
                    "crawls": [],
                },
            )
            session.add(run)
            session.flush()
        else:
            run = session.get(Run, start.resume_run)  # type: ignore[assignment]
            assert run is not None
            previous = dict(run.options or {})
            crawls = list(previous.get("crawls") or [])
            if run.crawl_id is not None and run.crawl_id not in crawls:
                crawls.append(run.crawl_id)
            run.options = {
                **previous,
                "crawl": options.crawl.record(),
                "attempts": [*(previous.get("attempts") or []), attempt],
                "crawls": crawls,
            }
        if enqueue is not None and start.codes:
            done = session.scalars(select(SiteResult.site_code).where(SiteResult.run_id == run.id))
            named = list(dict.fromkeys([*done, *start.codes]))  # _complete in runs/inspect.py counts these
            run.options = {**(run.options or {}), "site_codes": named}
        run_id = run.id
    notes: list[str] = []
    if enqueue is not None and start.codes:
        enqueue(run_id, start.codes, options)
        if start.skipped:
            notes.append(
                f"计划中有 {len(start.skipped)} 家网站已不在运行，未检查：{'、'.join(start.skipped)}"
            )
        return StartResult(run_id, start, stored_outcomes(store, run_id), profile.id, notes)
    if start.codes:
        result = inspect_sites(store, settings, list(start.codes), options, progress=progress, run_id=run_id)
        notes = list(result.notes)
        crawl_id = result.crawl_id
    else:
        crawl_id = None
    with store.session() as session:
        run = session.get(Run, run_id)  # type: ignore[assignment]
        assert run is not None
        crawls = list((run.options or {}).get("crawls") or [])
        if crawl_id is not None and crawl_id not in crawls:
            crawls.append(crawl_id)
        run.options = {**(run.options or {}), "crawls": crawls}
        if run.status != "finished":
            run.status = "finished"
            run.finished_at = utcnow()
    if start.skipped:
        notes.append(f"计划中有 {len(start.skipped)} 家网站已不在运行，未检查：{'、'.join(start.skipped)}")
    return StartResult(run_id, start, stored_outcomes(store, run_id), profile.id, notes)
