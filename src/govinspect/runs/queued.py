"""A run queued for Celery workers, seen from the process that queued it: how far it is, waiting for it, and its
results once finished.

``govinspect inspect`` and ``run start`` queue their sites when ``GOVINSPECT_BROKER_URL`` is set (tasks.py) and
then wait here, showing the sites stored so far; the run's state is in the shared database, so leaving the wait
(Ctrl-C, ``--no-wait``) leaves the run to the workers, and ``govinspect run watch RUN`` picks the wait up again
from any machine that reaches the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from govinspect.config import Settings
from govinspect.runs.inspect import InspectionResult
from govinspect.scoring.profile import load_profile
from govinspect.store import Store
from govinspect.store.results import Run, SiteResult


class QueuedRunError(ValueError):
    """A run that cannot be watched (message in Chinese, for the operator)."""


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    status: str  # running | finished | failed
    done: int  # sites with a stored result
    total: int  # sites the run names (0: a run that does not name them)

    @property
    def over(self) -> bool:
        return self.status != "running"


def run_progress(store: Store, run_id: int) -> RunProgress:
    with store.session() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise QueuedRunError(f"没有编号为 {run_id} 的检查任务")
        done = session.scalar(select(func.count()).select_from(SiteResult).where(SiteResult.run_id == run_id))
        total = len((run.options or {}).get("site_codes") or [])
        return RunProgress(run_id, run.status, int(done or 0), total)


def wait_for_run(
    store: Store,
    run_id: int,
    *,
    progress: Callable[[RunProgress], None] | None = None,
    poll: float = 1.0,
    timeout: float | None = None,
) -> RunProgress:
    """Poll the run until it is no longer running (or ``timeout`` seconds pass); returns the last state."""
    deadline = time.monotonic() + timeout if timeout is not None else None
    while True:
        state = run_progress(store, run_id)
        if progress is not None:
            progress(state)
        if state.over or (deadline is not None and time.monotonic() > deadline):
            return state
        time.sleep(poll)


def queued_result(store: Store, settings: Settings, run_id: int) -> InspectionResult:
    """The run's stored results in the shape an in-process inspection returns (for the same summary)."""
    from govinspect.runs.importer import stored_outcomes

    with store.session() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise QueuedRunError(f"没有编号为 {run_id} 的检查任务")
        name = (run.options or {}).get("profile_name") or run.profile
        crawl_id = run.crawl_id
    profile = load_profile(name, user_dir=settings.home / "profiles")
    return InspectionResult(run_id, crawl_id, stored_outcomes(store, run_id), profile, [])
