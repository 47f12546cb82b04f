"""The automatic re-check (复核): when a unit says a problem is fixed, crawl its site again and run the same checks.

The simplest honest way to "fetch the URL again and run the same check": inspect the one site again
(runs/inspect.py ``inspect_sites``: the crawl with its SSRF guard, extraction, every check, scoring) into a run
of kind ``recheck``, with the crawl settings recorded on the run that found the problem (its page budget,
robots, and whether private networks were allowed), at the monitoring date of the re-check. Then, for each
ticket of the site the unit marked fixed:

* the same problem key is found again -> **reopened**, with the new finding's evidence;
* it is not found, and a page where it was seen was fetched (or answered 404/410: the page is gone) ->
  **closed**;
* it is not found but none of its pages was fetched this time (budget, network) -> left waiting, with an
  audit entry saying so, for an inspector to decide. Not seeing a page is not evidence that it was fixed.

Error-report tickets have no check to re-run: an inspector confirms those.

In the web service re-checks run in a background thread (:class:`RecheckRunner`, one at a time per process,
since each crawl is a process of its own); the page polls the ticket until its re-check ends. The command
``govinspect rectify recheck`` runs one in the foreground.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta

from sqlalchemy import select

from govinspect.config import Settings
from govinspect.fetch.crawl import CrawlOptions
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.rectify.audit import Actor, record
from govinspect.rectify.rules import utc
from govinspect.rectify.tickets import TicketError, problem_key
from govinspect.store import Store
from govinspect.store.models import Site, Snapshot, utcnow
from govinspect.store.rectify import CLOSED, FIXED, REOPENED, Recheck, Ticket
from govinspect.store.results import FindingRow, Run, SiteResult

log = logging.getLogger(__name__)

STALE = timedelta(hours=2)  # a queued or running re-check this old died with its process
GONE = (404, 410)


@dataclass(frozen=True)
class RecheckSettings:
    """How re-checks crawl, beyond what the source run recorded."""

    links: LinkCheckOptions = field(default_factory=LinkCheckOptions)
    max_pages: int | None = None  # None: the page budget of the run that found the problem
    workers: int = 1
    text_checks: bool = True


def request_recheck(session, site_id: int, actor: Actor, as_of: date) -> tuple[Recheck, bool]:  # type: ignore[no-untyped-def]
    """A re-check of the site, or the one already queued or running; returns (recheck, created)."""
    now = utcnow()
    pending = session.scalar(
        select(Recheck)
        .where(Recheck.site_id == site_id, Recheck.status.in_(("queued", "running")))
        .order_by(Recheck.id.desc())
    )
    if pending is not None:
        if now - utc(pending.started_at or pending.requested_at) < STALE:
            return pending, False
        pending.status = "failed"
        pending.error = "复核进程中断（服务重启或超时），已重新发起"
        pending.finished_at = now
    site = session.get(Site, site_id)
    if site is None:
        raise TicketError(f"没有网站 {site_id}")
    waiting = list(
        session.scalars(
            select(Ticket).where(
                Ticket.site_id == site_id, Ticket.status == FIXED, Ticket.source == "finding"
            )
        )
    )
    if not waiting:
        raise TicketError("该网站没有待复核的问题")
    source = max((t.run_id for t in waiting if t.run_id is not None), default=None)
    recheck = Recheck(
        site_id=site_id,
        site_code=site.site_code,
        status="queued",
        as_of=as_of,
        source_run_id=source,
        requested_at=now,
        requested_by=actor.user_id,
    )
    session.add(recheck)
    session.flush()
    for ticket in waiting:
        record(
            session,
            actor,
            "recheck_requested",
            ticket_id=ticket.id,
            site_code=site.site_code,
            detail={"recheck_id": recheck.id, "as_of": as_of.isoformat()},
            at=now,
        )
    return recheck, True


def _crawl_options(source: Run | None, settings: RecheckSettings) -> CrawlOptions:
    recorded = dict((source.options or {}).get("crawl") or {}) if source else {}
    known = {f.name for f in fields(CrawlOptions)}
    options = CrawlOptions(**{k: v for k, v in recorded.items() if k in known})
    if settings.max_pages is not None:
        options = replace(options, max_pages=settings.max_pages)
    return options


def _has_ca_file() -> bool:
    from govinspect.runs.inspect import InspectOptions

    return "ca_file" in {f.name for f in fields(InspectOptions)}


def _fetched(session, crawl_id: int | None, site_code: str) -> set[str]:  # type: ignore[no-untyped-def]
    """Pages this crawl answered for: fetched, or gone (404/410)."""
    if crawl_id is None:
        return set()
    seen: set[str] = set()
    rows = session.execute(
        select(Snapshot.url, Snapshot.final_url, Snapshot.status, Snapshot.error).where(
            Snapshot.crawl_id == crawl_id, Snapshot.site_code == site_code
        )
    )
    for url, final_url, status, error in rows:
        if error is None and status is not None and (200 <= status < 400 or status in GONE):
            seen.update(_norm(u) for u in (url, final_url) if u)
    return seen


def _norm(url: str) -> str:
    return url.split("#", 1)[0]


def run_recheck(
    store: Store,
    settings: Settings,
    recheck_id: int,
    recheck_settings: RecheckSettings | None = None,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> Recheck:
    """Crawl and judge; returns the finished (or failed) re-check. Never raises for a failed crawl."""
    from govinspect.runs.inspect import InspectOptions, inspect_sites

    recheck_settings = recheck_settings or RecheckSettings()
    with store.session() as session:
        recheck = session.get(Recheck, recheck_id)
        if recheck is None:
            raise TicketError(f"没有复核 {recheck_id}")
        if recheck.status not in ("queued", "running"):
            return recheck
        recheck.status = "running"
        recheck.started_at = utcnow()
        source = session.get(Run, recheck.source_run_id) if recheck.source_run_id else None
        crawl = _crawl_options(source, recheck_settings)
        recorded = dict(source.options or {}) if source else {}
        render = bool((recorded.get("render") or {}).get("enabled", False))
        shots = recorded.get("screenshots") or {}
        # As the source run trusted them (a CA given with --ca-file), when this version has the option.
        extra = {"ca_file": recorded["ca_file"]} if recorded.get("ca_file") and _has_ca_file() else {}
        options = InspectOptions(
            **extra,
            as_of=recheck.as_of,
            profile=source.profile if source else "national-2019",
            crawl=crawl,
            links=recheck_settings.links,
            max_external_links=int(recorded.get("max_external_links", 200)),
            render=render,
            screenshots=bool(shots.get("enabled", False)),
            max_screenshots=int(shots.get("per_site", 3) or 3),
            text_checks=recheck_settings.text_checks,
            workers=recheck_settings.workers,
        )
        run = Run(
            kind="recheck",
            as_of=recheck.as_of,
            profile=options.profile,
            period=None,
            source_run_id=recheck.source_run_id,
            options={
                "crawl": crawl.record(),
                "max_external_links": options.max_external_links,
                "sites": 1,
                "recheck_id": recheck.id,
                **extra,
            },
        )
        session.add(run)
        session.flush()
        recheck.run_id = run.id
        site_code, run_id, started = recheck.site_code, run.id, recheck.started_at
    try:
        inspect_sites(store, settings, [site_code], options, run_id=run_id, progress=progress)
    except Exception as exc:  # a crawl that cannot run is a failed re-check, told to the inspector
        log.exception("recheck %s failed", recheck_id)
        return _fail(store, recheck_id, run_id, f"{type(exc).__name__}: {exc}"[:1000])
    with store.session() as session:
        recheck = session.get(Recheck, recheck_id)
        assert recheck is not None
        _judge(session, recheck, started)
        return recheck


def _fail(store: Store, recheck_id: int, run_id: int | None, message: str) -> Recheck:
    with store.session() as session:
        recheck = session.get(Recheck, recheck_id)
        assert recheck is not None
        recheck.status = "failed"
        recheck.error = message
        recheck.finished_at = utcnow()
        if run_id is not None and (run := session.get(Run, run_id)) is not None and run.status == "running":
            run.status = "failed"
            run.finished_at = utcnow()
        for ticket in session.scalars(
            select(Ticket).where(Ticket.site_id == recheck.site_id, Ticket.status == FIXED)
        ):
            record(
                session,
                Actor.system(),
                "recheck_failed",
                ticket_id=ticket.id,
                site_code=ticket.site_code,
                note=message,
                detail={"recheck_id": recheck_id, "run_id": run_id},
            )
        return recheck


def _judge(session, recheck: Recheck, started) -> None:  # type: ignore[no-untyped-def]
    run = session.get(Run, recheck.run_id)
    result = session.scalar(
        select(SiteResult).where(SiteResult.run_id == recheck.run_id, SiteResult.site_id == recheck.site_id)
    )
    found: dict[str, FindingRow] = {}
    pages_by_key: dict[str, list[str]] = {}
    if result is not None:
        for row in result.findings:
            key = problem_key(row.check, row.url, row.evidence)
            found.setdefault(key, row)
            pages_by_key.setdefault(key, []).append(row.url)
    fetched = _fetched(session, run.crawl_id if run else None, recheck.site_code)
    system = Actor.system()
    now = utcnow()
    outcome: dict[str, str] = {}
    tickets = session.scalars(
        select(Ticket).where(
            Ticket.site_id == recheck.site_id, Ticket.status == FIXED, Ticket.source == "finding"
        )
    )
    for ticket in tickets:
        answered = ticket.answered_at
        if answered is not None and started is not None and _later(answered, started):
            continue  # answered while this crawl ran: the next re-check judges it
        ticket.last_recheck_id = recheck.id
        detail = {"recheck_id": recheck.id, "run_id": recheck.run_id, "as_of": recheck.as_of.isoformat()}
        again = found.get(ticket.problem_key)
        if again is not None:
            ticket.status = REOPENED
            ticket.reopen_count += 1
            ticket.finding_id = again.id
            ticket.url = again.url
            ticket.message = again.message
            ticket.evidence = dict(again.evidence or {})
            ticket.severity = again.severity
            ticket.pages = list(dict.fromkeys(pages_by_key.get(ticket.problem_key, [again.url])))
            outcome[str(ticket.id)] = "reopened"
            record(
                session,
                system,
                "recheck_reopened",
                ticket_id=ticket.id,
                site_code=ticket.site_code,
                note=again.message,
                detail={**detail, "finding_id": again.id, "url": again.url},
                at=now,
            )
        elif covered := sorted({_norm(p) for p in (*ticket.pages, ticket.url)} & fetched):
            ticket.status = CLOSED
            ticket.closed_at = now
            ticket.closed_by = "recheck"
            outcome[str(ticket.id)] = "closed"
            record(
                session,
                system,
                "recheck_closed",
                ticket_id=ticket.id,
                site_code=ticket.site_code,
                detail={**detail, "pages": covered[:20]},
                at=now,
            )
        else:
            outcome[str(ticket.id)] = "uncovered"
            record(
                session,
                system,
                "recheck_uncovered",
                ticket_id=ticket.id,
                site_code=ticket.site_code,
                note="复核时未能抓取到该问题所在页面，无法判断是否已整改，请检查人员核实后销号或退回。",
                detail={**detail, "pages": ticket.pages[:20]},
                at=now,
            )
    recheck.outcome = outcome
    recheck.status = "finished"
    recheck.finished_at = now


def _later(a, b) -> bool:  # type: ignore[no-untyped-def]
    return utc(a) > utc(b)


def followup_needed(store: Store, site_id: int) -> bool:
    """Tickets answered while the last re-check ran are still waiting: they need another."""
    with store.session() as session:
        pending = session.scalar(
            select(Recheck.id).where(Recheck.site_id == site_id, Recheck.status.in_(("queued", "running")))
        )
        if pending is not None:
            return False
        return (
            session.scalar(
                select(Ticket.id).where(
                    Ticket.site_id == site_id, Ticket.status == FIXED, Ticket.source == "finding"
                )
            )
            is not None
        )


class RecheckRunner:
    """Re-checks in a background thread of the web service, one at a time; each crawl is its own process."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        recheck_settings: RecheckSettings | None = None,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.recheck_settings = recheck_settings or RecheckSettings()
        self.today = today
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="govinspect-recheck")
        self._lock = threading.Lock()
        self._futures: list[Future] = []

    def submit(self, recheck_id: int) -> Future:
        future = self._executor.submit(self._run, recheck_id)
        with self._lock:
            self._futures = [f for f in self._futures if not f.done()] + [future]
        return future

    def _run(self, recheck_id: int) -> None:
        try:
            recheck = run_recheck(self.store, self.settings, recheck_id, self.recheck_settings)
        except Exception:  # logged; the re-check row says what happened when it could be written
            log.exception("recheck %s could not run", recheck_id)
            return
        if self.today is not None and followup_needed(self.store, recheck.site_id):
            with self.store.session() as session:
                again, created = request_recheck(session, recheck.site_id, Actor.system(), self.today())
                again_id = again.id
            if created:
                self.submit(again_id)

    def wait(self, timeout: float | None = None) -> None:
        """Until the re-checks submitted so far (and their follow-ups) have finished (tests, shutdown)."""
        while True:
            with self._lock:
                pending = [f for f in self._futures if not f.done()]
            if not pending:
                return
            for future in pending:
                future.result(timeout=timeout)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
