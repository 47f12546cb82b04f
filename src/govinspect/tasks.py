"""Work that runs here or on Celery workers: a probe round, the inspection of one site.

The same functions run either way; only the executor differs. Without a broker (``GOVINSPECT_BROKER_URL``
unset) the CLI and the monitor call them in this process; with one they are queued (Redis) and run by
``govinspect worker`` processes, on any machine that reaches the broker and the shared database
(``GOVINSPECT_DATABASE_URL``, PostgreSQL).

Queues: ``govinspect`` for work any worker may do (inspections), and ``govinspect.probe.<vantage>`` per
vantage point: a probe round is queued once for each vantage point, and only that vantage point's workers take
it, so every network probes every site. A worker records its own vantage (``--vantage``), whatever the queue.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from celery import Celery
from celery.signals import worker_process_init

from govinspect.config import Settings, load_settings
from govinspect.fetch.probe import DEFAULT_VANTAGE, ProbeOptions
from govinspect.monitor.rounds import RoundReport, run_probe_round
from govinspect.store import Store, open_store

if TYPE_CHECKING:
    from govinspect.runs.inspect import InspectOptions

GENERAL_QUEUE = "govinspect"
VANTAGE_ENV = "GOVINSPECT_VANTAGE"
PROBE_CHUNK = 500  # sites per queued probe task: a round of 14,000 sites is shared by the workers
VISIBILITY_TIMEOUT = int(os.environ.get("GOVINSPECT_VISIBILITY_TIMEOUT") or 6 * 3600)
_VANTAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")

celery_app = Celery("govinspect", set_as_current=False)
celery_app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_acks_late=True,  # a worker that dies mid-task leaves it to another
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue=GENERAL_QUEUE,
    broker_connection_retry_on_startup=True,
    # A task a killed worker held comes back to the queue after the visibility timeout (an inspection may crawl
    # for hours: 6 h); GOVINSPECT_VISIBILITY_TIMEOUT shortens it (tests). A task still running when it comes
    # back is run twice, and the site is stored once (runs/inspect.py save_result).
    broker_transport_options={
        "visibility_timeout": VISIBILITY_TIMEOUT,
        "unacked_restore_interval": min(10, VISIBILITY_TIMEOUT),
        "unacked_restore_throttle": 1 if VISIBILITY_TIMEOUT < 60 else 10,
    },
    worker_hijack_root_logger=False,
)


@worker_process_init.connect
def _allow_children(**_: Any) -> None:
    """Celery's pool processes are daemonic, and a daemonic process may not start children; an inspection
    starts its crawl in a child process (fetch/crawl.py) and stops it itself, so the flag is lifted. The
    process key billiard left is one ``spawn`` refuses to pass on: it is made a plain one again."""
    process = multiprocessing.current_process()
    process._config["daemon"] = False  # type: ignore[attr-defined]
    process._config["authkey"] = multiprocessing.process.AuthenticationString(bytes(process.authkey))  # type: ignore[attr-defined]


class VantageError(ValueError):
    """A vantage point name that cannot name a queue."""


def check_vantage(name: str) -> str:
    if not _VANTAGE.match(name):
        raise VantageError(f"监测点名称“{name}”无效：只能用字母、数字、点、下划线和连字符，最长 64 个字符")
    return name


def probe_queue(vantage: str) -> str:
    return f"govinspect.probe.{check_vantage(vantage)}"


def configure(broker_url: str) -> Celery:
    celery_app.conf.broker_url = broker_url
    return celery_app


def check_broker(broker_url: str, timeout: float = 5.0) -> None:
    """Reach the broker once before writing anything (a run with no tasks behind it); raises kombu's
    OperationalError when it does not answer."""
    with configure(broker_url).connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0.5, interval_step=0.5, timeout=timeout)


# -- the task functions (the same in this process and on a worker) ---------------------------------------------


@dataclass(frozen=True)
class RoundRequest:
    """A probe round as queued: JSON-plain, so a worker on another machine reads it."""

    site_codes: list[str] | None = None  # None: every running site
    vantage: str = DEFAULT_VANTAGE
    timeout: float = 15.0
    allow_private_networks: bool = False
    spread: float = 0.0
    concurrency: int = 64

    def options(self, vantage: str | None = None) -> ProbeOptions:
        return ProbeOptions(
            timeout=self.timeout,
            concurrency=self.concurrency,
            allow_private_networks=self.allow_private_networks,
            vantage=vantage or self.vantage,
        )


def probe_round(
    store: Store,
    request: RoundRequest,
    *,
    stop: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RoundReport:
    return run_probe_round(
        store, request.options(), request.site_codes, spread=request.spread, stop=stop, progress=progress
    )


DEFAULT_BATCH = 10  # sites per queued inspection task: one crawl process and one judge pool for them


def queued_options(
    as_of: date,
    *,
    profile: str = "national-2019",
    period: str | None = None,
    allow_private_networks: bool = False,
    max_pages: int = 200,
    obey_robots: bool = True,
    render: bool = True,
    text_checks: bool = True,
    ca_file: str | None = None,
) -> InspectOptions:
    """The inspection options from the few choices a caller (the monitor, a test, a bench) makes."""
    from govinspect.fetch.crawl import CrawlOptions
    from govinspect.runs.inspect import InspectOptions

    return InspectOptions(
        as_of=as_of,
        profile=profile,
        period=period,
        crawl=CrawlOptions(
            max_pages=max_pages, obey_robots=obey_robots, allow_private_networks=allow_private_networks
        ),
        render=render,
        screenshots=render,
        text_checks=text_checks,
        ca_file=ca_file,
    )


_PLAIN = (
    "profile",
    "period",
    "max_external_links",
    "render",
    "screenshots",
    "max_render_pages",
    "max_screenshots",
    "chromium",
    "text_checks",
    "workers",
    "ca_file",
)


def options_record(options: InspectOptions) -> dict[str, Any]:
    """InspectOptions as JSON for a queued task (the link-check options are derived on the worker). A
    ``ca_file`` is a path: it must exist at the same place on the worker's machine."""
    from dataclasses import asdict

    return {
        "as_of": options.as_of.isoformat(),
        "crawl": asdict(options.crawl),
        **{name: getattr(options, name) for name in _PLAIN},
    }


def options_from(record: dict[str, Any]) -> InspectOptions:
    from govinspect.fetch.crawl import CrawlOptions
    from govinspect.runs.inspect import InspectOptions

    return InspectOptions(
        as_of=date.fromisoformat(record["as_of"]),
        crawl=CrawlOptions(**record["crawl"]),
        **{name: record[name] for name in _PLAIN if name in record},
    )


def inspect_batch(
    store: Store,
    settings: Settings,
    site_codes: Sequence[str],
    options: InspectOptions,
    *,
    run_id: int | None = None,
) -> dict[str, Any]:
    """Inspect a few sites (one crawl, one judge pool) into ``run_id`` when given; returns their verdicts.
    Sites the run has already (a task redelivered after its worker died) are not inspected again, and a site
    stored by another worker meanwhile is kept as first stored (runs/inspect.py save_result): each site of a
    run is counted once however often its task runs."""
    from govinspect.runs.inspect import inspect_sites

    codes = list(dict.fromkeys(site_codes))
    stored = _stored_verdicts(store, run_id, codes) if run_id is not None else {}
    todo = [c for c in codes if c not in stored]
    sites = [{"site_code": c, "verdict": v, "again": True} for c, v in stored.items()]
    if not todo:
        return {"run_id": run_id, "sites": sites}
    result = inspect_sites(store, settings, todo, options, run_id=run_id)
    sites += [{"site_code": o.site_code, "verdict": o.score.verdict} for o in result.outcomes]
    return {"run_id": result.run_id, "sites": sites}


def inspect_site(
    store: Store,
    settings: Settings,
    site_code: str,
    *,
    as_of: date,
    run_id: int | None = None,
    **choices: Any,
) -> dict[str, Any]:
    """Inspect one site (``queued_options`` choices: render, text_checks, max_pages…)."""
    return inspect_batch(store, settings, [site_code], queued_options(as_of, **choices), run_id=run_id)


def _stored_verdicts(store: Store, run_id: int, site_codes: Sequence[str]) -> dict[str, str]:
    """The verdicts the run has already for these sites."""
    from sqlalchemy import select

    from govinspect.store.results import SiteResult

    with store.session() as session:
        rows = session.execute(
            select(SiteResult.site_code, SiteResult.verdict).where(
                SiteResult.run_id == run_id, SiteResult.site_code.in_(list(site_codes))
            )
        )
        return {code: verdict for code, verdict in rows}


# -- Celery tasks: the functions above, with the worker's store and vantage ------------------------------------

_stores: dict[str, Store] = {}


def _worker_store(settings: Settings) -> Store:
    """One store per worker process (opened after the pool forked, never shared across a fork)."""
    key = f"{os.getpid()}:{settings.database_url}"
    if key not in _stores:
        _stores[key] = open_store(settings.database_url)
    return _stores[key]


@celery_app.task(name="govinspect.probe_round")
def probe_round_task(request: dict[str, Any]) -> dict[str, Any]:
    settings = load_settings()
    queued = RoundRequest(**request)
    vantage = os.environ.get(VANTAGE_ENV) or queued.vantage
    report = run_probe_round(
        _worker_store(settings), queued.options(vantage), queued.site_codes, spread=queued.spread
    )
    return report.record()


@celery_app.task(name="govinspect.inspect_sites")
def inspect_sites_task(
    site_codes: list[str], options: dict[str, Any], run_id: int | None = None
) -> dict[str, Any]:
    settings = load_settings()
    return inspect_batch(_worker_store(settings), settings, site_codes, options_from(options), run_id=run_id)


@celery_app.task(name="govinspect.monitor_job")
def monitor_job_task(job: str, args: dict[str, Any]) -> dict[str, Any]:
    """A job Celery beat sent (monitor/beat.py), run with the single-machine monitor's own method."""
    import random

    from govinspect.monitor.scheduler import Monitor, MonitorOptions, Schedule
    from govinspect.scoring.profile import load_profile

    settings = load_settings()
    sched = Schedule(**args["schedule"])
    options = MonitorOptions(**args["options"])
    profile = load_profile(options.profile, user_dir=settings.home / "profiles")
    said: list[str] = []
    monitor = Monitor(_worker_store(settings), settings, profile, sched, options, say=said.append)
    if job == "probe_round":
        monitor.probe_round(countdown=random.uniform(0, sched.interval * sched.jitter) or None)
    elif job == "crawl":
        monitor.crawl()
    elif job == "retention":
        monitor.retention()
    else:
        raise ValueError(f"unknown monitor job {job!r}")
    return {"job": job, "said": said}


# -- queueing ----------------------------------------------------------------------------------------------------


def enqueue_probe_round(
    broker_url: str,
    request: RoundRequest,
    vantages: Sequence[str],
    *,
    chunk: int = PROBE_CHUNK,
    countdown: float | None = None,
    expires: float | None = None,
) -> list[str]:
    """Queue the round for each vantage point, in chunks of sites; returns the task ids. ``expires``: seconds
    after which a round no worker took is dropped (the next round is due by then)."""
    configure(broker_url)
    codes = request.site_codes
    ids = []
    for vantage in vantages:
        parts = [codes[i : i + chunk] for i in range(0, len(codes), chunk)] if codes else [None]
        for part in parts:
            body = {**request.__dict__, "site_codes": part, "vantage": vantage}
            sent = probe_round_task.apply_async(
                args=(body,),
                queue=probe_queue(vantage),
                countdown=countdown,
                expires=(countdown or 0) + expires if expires else None,
            )
            ids.append(sent.id)
    return ids


def enqueue_inspections(
    broker_url: str,
    site_codes: Sequence[str],
    *,
    as_of: date,
    run_id: int | None = None,
    batch: int = DEFAULT_BATCH,
    options: InspectOptions | None = None,
    **choices: Any,
) -> list[str]:
    """Queue the sites in tasks of ``batch`` sites (``options``, or ``queued_options`` from ``choices``);
    returns the task ids. Without ``run_id`` each task makes a run of its own."""
    configure(broker_url)
    record = options_record(options or queued_options(as_of, **choices))
    codes = list(site_codes)
    size = max(1, batch)
    return [
        inspect_sites_task.apply_async(
            args=(codes[i : i + size], record), kwargs={"run_id": run_id}, queue=GENERAL_QUEUE
        ).id
        for i in range(0, len(codes), size)
    ]


def enqueue_run(
    broker_url: str,
    store: Store,
    site_codes: Sequence[str],
    *,
    as_of: date,
    batch: int = DEFAULT_BATCH,
    options: InspectOptions | None = None,
    **choices: Any,
) -> tuple[int, list[str]]:
    """A run in the database naming its sites, queued in tasks of ``batch`` sites (acks late: a task whose
    worker is killed goes to another); the last site stored finishes the run. Returns the run id and the task
    ids. A run whose tasks were lost (the broker's queue deleted) is finished by ``govinspect inspect
    --resume``."""
    from govinspect.runs.resume import create_run, run_state

    options = options or queued_options(as_of, **choices)
    run_id = create_run(store, site_codes, options)
    codes = run_state(store, run_id).site_codes
    return run_id, enqueue_inspections(
        broker_url, codes, as_of=options.as_of, run_id=run_id, batch=batch, options=options
    )


def start_worker(settings: Settings, vantage: str, concurrency: int, loglevel: str = "INFO") -> None:
    """Run a Celery worker in this process until it is stopped (Ctrl-C or SIGTERM: a warm shutdown)."""
    if not settings.broker_url:
        raise ValueError("未设置 GOVINSPECT_BROKER_URL")
    check_vantage(vantage)
    os.environ[VANTAGE_ENV] = vantage  # the pool's processes inherit it
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns the worker's log
    configure(settings.broker_url)
    celery_app.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            f"--queues={GENERAL_QUEUE},{probe_queue(vantage)}",
            f"--hostname=govinspect-{vantage}-{os.getpid()}@%h",
            f"--loglevel={loglevel}",
            "--without-gossip",
            "--without-mingle",
        ]
    )
