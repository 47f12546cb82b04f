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
from typing import Any

from celery import Celery
from celery.signals import worker_process_init

from govinspect.config import Settings, load_settings
from govinspect.fetch.probe import DEFAULT_VANTAGE, ProbeOptions
from govinspect.monitor.rounds import RoundReport, run_probe_round
from govinspect.store import Store, open_store

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


def inspect_site(
    store: Store,
    settings: Settings,
    site_code: str,
    *,
    as_of: date,
    profile: str = "national-2019",
    run_id: int | None = None,
    allow_private_networks: bool = False,
    max_pages: int = 200,
    render: bool = True,
    text_checks: bool = True,
) -> dict[str, Any]:
    """Inspect one site (crawl, judge, store), into ``run_id`` when given; returns its verdict. ``render``:
    Chromium for scripted pages and screenshots of vetoes; ``text_checks``: wording, typos, personal data."""
    from govinspect.fetch.crawl import CrawlOptions
    from govinspect.runs.inspect import InspectOptions, inspect_sites

    if run_id is not None and (stored := _stored_verdict(store, run_id, site_code)) is not None:
        return {"run_id": run_id, "sites": [{"site_code": site_code, "verdict": stored}], "again": True}
    options = InspectOptions(
        as_of=as_of,
        profile=profile,
        crawl=CrawlOptions(max_pages=max_pages, allow_private_networks=allow_private_networks),
        render=render,
        screenshots=render,
        text_checks=text_checks,
    )
    result = inspect_sites(store, settings, [site_code], options, run_id=run_id)
    return {
        "run_id": result.run_id,
        "sites": [{"site_code": o.site_code, "verdict": o.score.verdict} for o in result.outcomes],
    }


def _stored_verdict(store: Store, run_id: int, site_code: str) -> str | None:
    """The site's verdict when the run has it already (a task redelivered after its worker died, once done)."""
    from sqlalchemy import select

    from govinspect.store.results import SiteResult

    with store.session() as session:
        return session.scalar(
            select(SiteResult.verdict).where(SiteResult.run_id == run_id, SiteResult.site_code == site_code)
        )


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


@celery_app.task(name="govinspect.inspect_site")
def inspect_site_task(site_code: str, as_of: str, **options: Any) -> dict[str, Any]:
    settings = load_settings()
    return inspect_site(
        _worker_store(settings), settings, site_code, as_of=date.fromisoformat(as_of), **options
    )


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
    broker_url: str, site_codes: Sequence[str], *, as_of: date, run_id: int | None = None, **options: Any
) -> list[str]:
    configure(broker_url)
    return [
        inspect_site_task.apply_async(
            args=(code, as_of.isoformat()), kwargs={"run_id": run_id, **options}, queue=GENERAL_QUEUE
        ).id
        for code in site_codes
    ]


def enqueue_run(
    broker_url: str,
    store: Store,
    site_codes: Sequence[str],
    *,
    as_of: date,
    profile: str = "national-2019",
    period: str | None = None,
    **options: Any,
) -> tuple[int, list[str]]:
    """A run in the database naming its sites, queued as one task per site (acks late: a task whose worker is
    killed goes to another); the last site stored finishes the run. Returns the run id and the task ids. A run
    whose tasks were lost (the broker's queue deleted) is finished by ``govinspect inspect --resume``."""
    from govinspect.fetch.crawl import CrawlOptions
    from govinspect.runs.inspect import InspectOptions
    from govinspect.runs.resume import create_run, run_state

    crawl = CrawlOptions(
        max_pages=options.get("max_pages", 200),
        allow_private_networks=options.get("allow_private_networks", False),
    )
    run_id = create_run(
        store, site_codes, InspectOptions(as_of=as_of, profile=profile, period=period, crawl=crawl)
    )
    codes = run_state(store, run_id).site_codes
    return run_id, enqueue_inspections(
        broker_url, codes, as_of=as_of, run_id=run_id, profile=profile, **options
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
