"""检查任务 from the web: the plan and start forms read and checked field by field (errors in Chinese, beside
the field), and a run's progress as the database tells it (results stored site by site), for the page, its
htmx poll and ``/api/v1/runs/{id}/progress`` alike."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from govinspect.runs.period import Period, PeriodError, parse_period
from govinspect.runs.plan import STRATA_FIELDS, PlanError, _still_running, parse_ratio
from govinspect.store.models import Site
from govinspect.store.results import Run, SiteResult
from govinspect.web.launch import Launch, Launcher

DEFAULT_MAX_PAGES = 200
RECENT = 8  # sites shown as just finished


def _text(form: FormData, key: str, limit: int = 100) -> str:
    value = form.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


# -- the plan form --------------------------------------------------------------------------------------------


@dataclass
class PlanForm:
    """What the official typed (shown again with the errors) and, when valid, ``make_plan``'s arguments."""

    period: str = ""
    mode: str = "sample"  # sample | all
    ratio: str = "60%"
    by: list[str] = field(default_factory=lambda: ["region", "category"])
    include_failed_from: str = ""
    seed: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    parsed_period: Period | None = None
    parsed_ratio: Fraction | None = None
    parsed_failed_from: Period | None = None
    parsed_seed: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def read_plan_form(form: FormData) -> PlanForm:
    values = PlanForm(
        period=_text(form, "period", 20),
        mode="all" if _text(form, "mode") == "all" else "sample",
        ratio=_text(form, "ratio", 20),
        by=[f for f in STRATA_FIELDS if f in form.getlist("by")],
        include_failed_from=_text(form, "include_failed_from", 20),
        seed=_text(form, "seed", 12),
    )
    try:
        values.parsed_period = parse_period(values.period)
    except PeriodError as exc:
        values.errors["period"] = str(exc)
    if values.mode == "sample":
        try:
            values.parsed_ratio = parse_ratio(values.ratio)
        except PlanError as exc:
            values.errors["ratio"] = str(exc)
    if values.include_failed_from:
        try:
            values.parsed_failed_from = parse_period(values.include_failed_from)
        except PeriodError as exc:
            values.errors["include_failed_from"] = str(exc)
    if values.seed:
        if values.seed.isdigit() and len(values.seed) <= 9:
            values.parsed_seed = int(values.seed)
        else:
            values.errors["seed"] = "随机种子应为不超过 9 位的非负整数；留空则由系统随机生成并记录"
    return values


def plan_error_field(message: str) -> str:
    """Which field a ``make_plan`` refusal is about ("" for the form as a whole)."""
    if "复查" in message and ("检查期" in message or "晚于" in message):
        return "include_failed_from"
    return "ratio" if "比例" in message else ""


# -- the start form -------------------------------------------------------------------------------------------


@dataclass
class StartForm:
    as_of: str = ""
    max_pages: str = str(DEFAULT_MAX_PAGES)
    allow_private: bool = False
    again: bool = False
    resume: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    parsed_as_of: date | None = None
    parsed_max_pages: int = DEFAULT_MAX_PAGES

    def arguments(self) -> list[str]:
        """``run start``'s options for this form (the plan's number comes first, from the launcher)."""
        args = ["--max-pages", str(self.parsed_max_pages)]
        if self.parsed_as_of is not None and not self.resume:
            args += ["--as-of", self.parsed_as_of.isoformat()]
        if self.allow_private:
            args.append("--allow-private-networks")
        if self.again:
            args.append("--again")
        return args


def read_start_form(form: FormData) -> StartForm:
    values = StartForm(
        as_of=_text(form, "as_of", 20),
        max_pages=_text(form, "max_pages", 8) or str(DEFAULT_MAX_PAGES),
        allow_private=form.get("allow_private") == "1",
        again=form.get("again") == "1",
        resume=form.get("resume") == "1",
    )
    if not values.resume:
        try:
            values.parsed_as_of = date.fromisoformat(values.as_of)
        except ValueError:
            values.errors["as_of"] = "请按 年-月-日 填写监测时间点，如 2020-03-31"
    if values.max_pages.isdigit() and 1 <= int(values.max_pages) <= 100_000:
        values.parsed_max_pages = int(values.max_pages)
    else:
        values.errors["max_pages"] = "每个网站最多抓取的页面数应为 1 到 100000 之间的整数"
    return values


def _no_lookup(host: str, port: int) -> list[str]:
    raise OSError("not looked up in the request")


def refused_addresses(session: Session, codes: list[str]) -> list[str]:
    """The plan's sites whose address is written as an internal or loopback IP (the crawl refuses those unless
    the official allows it). Names are not looked up here — a plan of thousands of sites would wait on DNS in
    the request; the command checks them before it inspects and says so in its output."""
    from govinspect.fetch.guard import BlockedAddressError, GuardPolicy, UnresolvableError, check_url

    refused = []
    query = select(Site.site_code, Site.name, Site.url).where(Site.site_code.in_(codes))
    for code, name, url in session.execute(query):
        try:
            check_url(url, GuardPolicy(), resolver=_no_lookup)
        except UnresolvableError:
            continue
        except BlockedAddressError:
            refused.append(f"{name}（{code}）")
    return refused


def finished_periods(session: Session) -> list[str]:
    """The periods with a finished run, newest first: the choices for 复查上期不合格网站."""
    periods = session.scalars(
        select(Run.period).where(Run.status == "finished", Run.period.is_not(None)).distinct()
    )
    return sorted({p for p in periods if p}, reverse=True)


# -- progress ---------------------------------------------------------------------------------------------------

PHASES = {
    "crawl": "正在抓取网页",
    "check": "正在检查与评分",
    "queued": "已交由任务队列执行",
    "finished": "完成",
    "failed": "已中止",
    "stalled": "执行中断",
}


@dataclass(frozen=True)
class RecentSite:
    site_code: str
    name: str
    verdict: str


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    plan_id: int | None
    status: str  # running | finished | failed
    phase: str  # a key of PHASES
    total: int
    done: int
    passed: int
    failed: int
    started_at: datetime
    finished_at: datetime | None
    elapsed_seconds: int
    failures: tuple[str, ...]  # what went wrong, for the official
    log_tail: tuple[str, ...] = ()  # the command's last output lines when it failed
    recent: tuple[RecentSite, ...] = ()

    @property
    def phase_label(self) -> str:
        return PHASES[self.phase]

    @property
    def running(self) -> bool:
        return self.status == "running" and self.phase != "stalled"

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else min(100, round(100 * self.done / self.total))

    @property
    def elapsed_text(self) -> str:
        minutes, seconds = divmod(self.elapsed_seconds, 60)
        hours, minutes = divmod(minutes, 60)
        if hours:
            return f"{hours}小时{minutes:02d}分{seconds:02d}秒"
        return f"{minutes}分{seconds:02d}秒" if minutes else f"{seconds}秒"


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _total(run: Run) -> int | None:
    options = run.options or {}
    if options.get("site_codes"):
        return len(options["site_codes"])
    if isinstance(options.get("sites"), int):
        return max(0, int(options["sites"]) - len(options.get("skipped") or ()))
    return None


def run_progress(
    session: Session, run_id: int, launcher: Launcher, *, queued: bool = False, now: datetime | None = None
) -> RunProgress | None:
    """The run's progress from its stored results; None when there is no such run. ``queued``: a broker is
    configured, so a run whose starting process has exited may still be worked on by the queue's workers."""
    run = session.get(Run, run_id)
    if run is None:
        return None
    verdicts = Counter(
        dict(
            session.execute(
                select(SiteResult.verdict, func.count())
                .where(SiteResult.run_id == run_id)
                .group_by(SiteResult.verdict)
            ).all()
        )
    )
    done = sum(verdicts.values())
    total = _total(run)
    total = done if total is None else max(total, done)
    recent = tuple(
        RecentSite(code, name, verdict)
        for code, name, verdict in session.execute(
            select(SiteResult.site_code, Site.name, SiteResult.verdict)
            .join(Site, SiteResult.site_id == Site.id)
            .where(SiteResult.run_id == run_id)
            .order_by(SiteResult.id.desc())
            .limit(RECENT)
        )
    )
    launch: Launch | None = launcher.for_run(run.plan_id, run_id) if run.plan_id is not None else None
    failures: list[str] = []
    tail: list[str] = []
    options = run.options or {}
    if run.status == "finished":
        phase = "finished"
    elif run.status == "failed":
        phase = "failed"
        failures.append(
            "该任务已被同一计划的新任务取代（再查一遍时未接续执行）"
            if options.get("superseded")
            else "该任务已中止，结果不完整"
        )
    elif (launch is not None and launch.alive()) or _still_running(options):
        phase = "crawl" if run.crawl_id is None and done == 0 else "check"
    elif queued or options.get("queued"):
        phase = "queued"
    else:
        phase = "stalled"
        failures.append(
            f"执行检查的进程已退出，已完成 {done} 家、还有 {max(total - done, 0)} 家未检查；"
            "可在检查计划页面点击“继续检查”，接着检查未完成的网站"
        )
    if launch is not None and launch.exit_code not in (None, 0):
        failures.append(f"执行检查的命令异常结束（退出码 {launch.exit_code}），其输出的最后几行见下")
        tail = launcher.log_tail(launch)
    started = _utc(run.started_at)
    ended = _utc(run.finished_at) if run.finished_at is not None else (now or datetime.now(UTC))
    return RunProgress(
        run.id,
        run.plan_id,
        run.status,
        phase,
        total,
        done,
        verdicts["合格"],
        verdicts["不合格"],
        started,
        _utc(run.finished_at) if run.finished_at is not None else None,
        max(0, int((ended - started).total_seconds())),
        tuple(dict.fromkeys(failures)),
        tuple(tail),
        recent,
    )


def plan_runs(session: Session, plan_id: int) -> list[Run]:
    return list(session.scalars(select(Run).where(Run.plan_id == plan_id).order_by(Run.id)))
