"""Resumable runs: the run's state is in the database, so a run whose process (or worker) died is finished by
inspecting only the sites that have no result yet, into the same run.

A run records the sites it was started with (``options["site_codes"]``); each site's result is stored once
(``save_result`` keeps the first, guarded by the unique (run_id, site_id) constraint), so a site inspected twice
(a resumed run racing a late worker, a Celery task redelivered after its worker was killed) is counted once.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select

from govinspect.config import Settings
from govinspect.runs.inspect import InspectionResult, InspectOptions, inspect_sites
from govinspect.scoring.profile import load_profile
from govinspect.store import Store
from govinspect.store.models import Site, utcnow
from govinspect.store.results import Run, SiteResult


class ResumeError(ValueError):
    """A run that cannot be resumed (message in Chinese, for the operator)."""


@dataclass(frozen=True)
class RunState:
    run_id: int
    status: str
    site_codes: tuple[str, ...]  # the sites the run was started with
    done: tuple[str, ...]  # those with a stored result

    @property
    def remaining(self) -> tuple[str, ...]:
        done = set(self.done)
        return tuple(c for c in self.site_codes if c not in done)


def run_state(store: Store, run_id: int) -> RunState:
    with store.session() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise ResumeError(f"没有编号为 {run_id} 的检查")
        codes = (run.options or {}).get("site_codes")
        if not codes and run.plan_id is not None:
            raise ResumeError(f"检查 {run_id} 属于检查计划 {run.plan_id}：请用 run start 继续该计划")
        if not codes:
            raise ResumeError(f"检查 {run_id} 未记录其网站名单（早于可续查的版本），无法续查")
        done = session.scalars(select(SiteResult.site_code).where(SiteResult.run_id == run_id))
        return RunState(run.id, run.status, tuple(codes), tuple(sorted(set(done))))


def create_run(store: Store, site_codes: Sequence[str], options: InspectOptions) -> int:
    """A new, running run naming its sites, for sites inspected one by one (queued per site: tasks.py)."""
    profile = load_profile(options.profile)
    with store.session() as session:
        known = set(session.scalars(select(Site.site_code).where(Site.site_code.in_(site_codes))))
        codes = sorted(c for c in dict.fromkeys(site_codes) if c in known)
        run = Run(
            as_of=options.as_of,
            profile=profile.id,
            period=options.period,
            options={
                "crawl": options.crawl.record(),
                "max_external_links": options.max_external_links,
                "sites": len(codes),
                "site_codes": codes,
                "queued": True,
                "profile_name": options.profile,
                **({"ca_file": options.ca_file} if options.ca_file else {}),
            },
        )
        session.add(run)
        session.flush()
        return run.id


def resume_run(
    store: Store,
    settings: Settings,
    run_id: int,
    options: InspectOptions,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> InspectionResult:
    """Inspect the run's sites that have no result yet into the same run (with the run's date, profile and
    period); refuses a finished run. Each resume is recorded in ``run.options["resumes"]``."""
    from govinspect.runs.importer import stored_outcomes

    state = run_state(store, run_id)
    if state.status == "finished":
        raise ResumeError(f"检查 {run_id} 已完成，无需续查")
    remaining = list(state.remaining)
    with store.session() as session:
        run = session.get(Run, run_id)
        assert run is not None
        options = replace(options, as_of=run.as_of, profile=run.options.get("profile_name") or run.profile)
        options = replace(options, period=run.period)
        resume = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started_at": utcnow().isoformat(),
            "done": len(state.done),
            "sites": len(remaining),
        }
        run.options = {**run.options, "resumes": [*(run.options.get("resumes") or []), resume]}
        if not remaining:  # every site was stored; the process died before marking the run
            run.status = "finished"
            run.finished_at = utcnow()
    if remaining:
        result = inspect_sites(store, settings, remaining, options, progress=progress, run_id=run_id)
        notes, crawl_id, profile = result.notes, result.crawl_id, result.profile
    else:
        notes, crawl_id = [], None
        profile = load_profile(options.profile, user_dir=settings.home / "profiles")
    return InspectionResult(run_id, crawl_id, stored_outcomes(store, run_id), profile, notes)
