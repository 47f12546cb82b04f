"""The single-machine scheduler (``govinspect monitor``): APScheduler 3.x runs probe rounds at jittered
intervals, the scheduled crawl, and the probe retention, as the profile's ``monitor:`` section says.

With a broker configured the jobs queue their work for Celery workers (govinspect/tasks.py) instead of doing it
here; the schedule is the same. Stopping (Ctrl-C, SIGTERM) lets a round in progress finish the probes it has
started (at most the probe time limit) and leaves the rest; a crawl in progress is waited for, and a second
Ctrl-C stops without waiting.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from govinspect.checks.availability import PROBE_ZONE
from govinspect.config import Settings
from govinspect.fetch.probe import DEFAULT_VANTAGE
from govinspect.registry.model import RunStatus
from govinspect.scoring.profile import Profile
from govinspect.store import Store
from govinspect.store.models import Site
from govinspect.store.probes import delete_probes_before
from govinspect.tasks import RoundRequest, enqueue_probe_round, enqueue_run, probe_round

log = logging.getLogger("govinspect.monitor")
CRAWLS = ("daily", "weekly", "none")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class MonitorError(ValueError):
    """A monitor setting that cannot be used; the message names it."""


@dataclass(frozen=True)
class Schedule:
    """The profile's ``monitor:`` section (and ``availability:`` limits), with the operator's overrides."""

    rounds_per_day: int
    jitter: float  # share of the interval
    spread: float  # seconds over which a round's sites start
    timeout: float  # a probe's limit (availability.timeout_seconds)
    crawl: str  # daily | weekly | none
    crawl_hour: int
    crawl_minute: int
    crawl_weekday: str
    keep_days: int
    snapshot_keep_days: int = 120  # store/retention.py
    snapshot_keep_crawls: int = 4

    @property
    def interval(self) -> float:
        return 86400 / self.rounds_per_day

    @classmethod
    def from_profile(
        cls, profile: Profile, *, rounds_per_day: int | None = None, crawl: str | None = None
    ) -> Schedule:
        section = profile.section("monitor")
        rules = profile.section("availability")
        needed = int(rules.get("probes_per_day", 20))
        rounds = int(rounds_per_day or section.get("probe_rounds_per_day", max(needed, 24)))
        if rounds < needed:
            raise MonitorError(
                f"每天探测 {rounds} 轮少于指标要求的每天 {needed} 次（availability.probes_per_day）"
            )
        if rounds > 1440:
            raise MonitorError(f"每天探测 {rounds} 轮过多（至多 1440 轮，即每分钟一轮）")
        crawl = str(crawl or section.get("crawl", "weekly"))
        if crawl not in CRAWLS:
            raise MonitorError(f"monitor.crawl 应为 {'、'.join(CRAWLS)} 之一，实际为 {crawl!r}")
        at = str(section.get("crawl_time", "02:00"))
        try:
            hour, minute = (int(x) for x in at.split(":"))
            if not (0 <= hour < 24 and 0 <= minute < 60):
                raise ValueError(at)
        except ValueError:
            raise MonitorError(f"monitor.crawl_time 应为 HH:MM，实际为 {at!r}") from None
        weekday = str(section.get("crawl_weekday", "sun")).lower()[:3]
        if weekday not in WEEKDAYS:
            raise MonitorError(f"monitor.crawl_weekday 应为 {'、'.join(WEEKDAYS)} 之一")
        interval = 86400 / rounds
        spread = min(float(section.get("round_spread_seconds", 300)), interval / 2)
        return cls(
            rounds_per_day=rounds,
            jitter=min(max(float(section.get("jitter", 0.25)), 0.0), 0.5),
            spread=spread,
            timeout=float(rules.get("timeout_seconds", 15)),
            crawl=crawl,
            crawl_hour=hour,
            crawl_minute=minute,
            crawl_weekday=weekday,
            keep_days=int(section.get("probe_keep_days", 400)),
            snapshot_keep_days=int(section.get("snapshot_keep_days", 120)),
            snapshot_keep_crawls=max(1, int(section.get("snapshot_keep_inspections", 4))),
        )


@dataclass
class MonitorOptions:
    profile: str = "national-2019"
    vantages: Sequence[str] = (DEFAULT_VANTAGE,)  # in-process: this machine's tag; queued: one round each
    allow_private_networks: bool = False
    max_pages: int = 200
    concurrency: int = 64


@dataclass
class Monitor:
    store: Store
    settings: Settings
    profile: Profile
    schedule: Schedule
    options: MonitorOptions
    say: Callable[[str], None] = print
    stopping: threading.Event = field(default_factory=threading.Event)
    rounds: int = 0
    scheduler: BackgroundScheduler | None = None

    # -- the jobs ------------------------------------------------------------------------------------------------

    def probe_round(self, countdown: float | None = None) -> None:
        """One round: queued per vantage point with a broker (``countdown``: seconds before the workers start
        it, beat's jitter), else probed here."""
        request = RoundRequest(
            vantage=self.options.vantages[0],
            timeout=self.schedule.timeout,
            allow_private_networks=self.options.allow_private_networks,
            spread=self.schedule.spread,
            concurrency=self.options.concurrency,
        )
        self.rounds += 1
        if self.settings.broker_url:
            codes = self.running_sites()
            ids = enqueue_probe_round(
                self.settings.broker_url,
                RoundRequest(**{**request.__dict__, "site_codes": codes}),
                self.options.vantages,
                expires=self.schedule.interval,
                countdown=countdown,
            )
            self.say(f"第 {self.rounds} 轮探测：已提交 {len(ids)} 个任务（{len(codes)} 个网站）")
            return
        report = probe_round(self.store, request, stop=self.stopping.is_set)
        failed = len(report.results) - report.opened
        left = f"，停止时未探测 {report.left_out} 个" if report.left_out else ""
        self.say(f"第 {self.rounds} 轮探测：{len(report.results)} 个网站，{failed} 个未能打开{left}")

    def crawl(self) -> None:
        from govinspect.fetch.crawl import CrawlOptions
        from govinspect.runs.inspect import InspectOptions, inspect_sites

        codes = self.running_sites()
        as_of = datetime.now(PROBE_ZONE).date()
        if not codes:
            return
        if self.settings.broker_url:
            run_id, ids = enqueue_run(
                self.settings.broker_url,
                self.store,
                codes,
                as_of=as_of,
                profile=self.options.profile,
                allow_private_networks=self.options.allow_private_networks,
                max_pages=self.options.max_pages,
            )
            self.say(
                f"定期检查：已提交检查任务 {run_id}（{len(codes)} 个网站，{len(ids)} 个队列任务，监测时间点 {as_of}）"
            )
            return
        options = InspectOptions(
            as_of=as_of,
            profile=self.options.profile,
            crawl=CrawlOptions(
                max_pages=self.options.max_pages, allow_private_networks=self.options.allow_private_networks
            ),
        )
        result = inspect_sites(self.store, self.settings, codes, options)
        failed = sum(1 for o in result.outcomes if o.score.verdict != "合格")
        self.say(f"定期检查完成：运行 {result.run_id}，{len(result.outcomes)} 个网站，{failed} 个不合格")

    def retention(self, now: datetime | None = None) -> int:
        """Probes older than ``keep_days``; snapshots as store/retention.py says. Returns the probes deleted."""
        from govinspect.store.retention import prune_snapshots

        before = (now or datetime.now(UTC)) - timedelta(days=self.schedule.keep_days)
        removed = delete_probes_before(self.store, before)
        if removed:
            self.say(f"已删除 {before.date()} 之前的 {removed} 条探测记录")
        pruned = prune_snapshots(
            self.store,
            self.settings.snapshots_dir,
            keep_days=self.schedule.snapshot_keep_days,
            keep_crawls=self.schedule.snapshot_keep_crawls,
            now=now,
        )
        if pruned.snapshots:
            self.say(
                f"已删除 {pruned.before.date()} 之前的 {pruned.snapshots} 条网页快照"
                f"（正文文件 {pruned.bodies} 个，{pruned.body_bytes / 1e6:.1f} MB）"
            )
        return removed

    def running_sites(self) -> list[str]:
        with self.store.session() as session:
            return list(
                session.scalars(
                    select(Site.site_code)
                    .where(Site.status == RunStatus.RUNNING.value)
                    .order_by(Site.site_code)
                )
            )

    # -- the schedule ----------------------------------------------------------------------------------------------

    def build(self, first_round: datetime | None = None) -> BackgroundScheduler:
        """The scheduler with its jobs (not started): a probe round now, then every interval ± jitter."""
        s = self.schedule
        scheduler = BackgroundScheduler(timezone=PROBE_ZONE)
        guard: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": int(s.interval)}
        scheduler.add_job(
            self._safely(self.probe_round),
            IntervalTrigger(
                seconds=s.interval,
                jitter=int(s.interval * s.jitter) or None,
                start_date=first_round or datetime.now(PROBE_ZONE),
                timezone=PROBE_ZONE,
            ),
            id="probe_round",
            next_run_time=first_round or datetime.now(PROBE_ZONE),
            **guard,
        )
        if s.crawl != "none":
            cron: dict[str, Any] = {"hour": s.crawl_hour, "minute": s.crawl_minute}
            if s.crawl == "weekly":
                cron["day_of_week"] = s.crawl_weekday
            scheduler.add_job(
                self._safely(self.crawl),
                CronTrigger(timezone=PROBE_ZONE, **cron),
                id="crawl",
                **{**guard, "misfire_grace_time": 3600},
            )
        scheduler.add_job(
            self._safely(self.retention),
            CronTrigger(hour=4, minute=17, timezone=PROBE_ZONE),
            id="retention",
            **guard,
        )
        return scheduler

    def _safely(self, job: Callable[[], Any]) -> Callable[[], None]:
        """A job that fails is reported and tried at its next time; it never stops the monitor."""

        def run() -> None:
            if self.stopping.is_set():
                return
            try:
                job()
            except Exception as exc:
                log.exception("monitor job failed")
                self.say(f"任务失败（下次按时重试）：{exc}")

        run.__name__ = getattr(job, "__name__", "job")
        return run

    def run(self, until: Callable[[], bool] | None = None) -> None:
        """Run until Ctrl-C or SIGTERM (or ``until()`` says so); stop cleanly."""
        self.scheduler = self.build()
        previous = previous_int = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
            if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
                # started with SIGINT ignored (a background job of a script, a test runner's worker): an
                # interrupt sent to the service is still a request to stop
                previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
        self.scheduler.start()
        try:
            while not self.stopping.wait(0.5):
                if until is not None and until():
                    break
        except KeyboardInterrupt:
            self.say("正在停止：等待进行中的探测结束（再按一次 Ctrl-C 立即退出）")
        self.stopping.set()
        try:
            self.scheduler.shutdown(wait=True)
        except KeyboardInterrupt:
            self.scheduler.shutdown(wait=False)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
            if previous_int is not None:
                signal.signal(signal.SIGINT, previous_int)

    def next_runs(self, now: datetime | None = None) -> dict[str, datetime | None]:
        """When each job fires next (jitter aside), for the operator."""
        now = now or datetime.now(PROBE_ZONE)
        scheduler = self.scheduler or self.build(first_round=now)
        return {job.id: job.trigger.get_next_fire_time(None, now) for job in scheduler.get_jobs()}
