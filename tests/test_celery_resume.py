"""Exactly-once runs on Celery: a run queued as one task per site, two real workers on Redis and PostgreSQL, one
killed (SIGKILL) while it holds a site; the other finishes the run, and every site is stored exactly once.
Skipped, with the reason, when Redis or PostgreSQL does not answer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from govinspect.farm import Farm
from govinspect.registry import service
from govinspect.store import Store, open_store
from govinspect.store.results import Run, SiteResult
from tests.test_celery import REDIS_URL, _wait, shared_db  # noqa: F401  (shared_db: the fixture)

VISIBILITY = 4  # seconds before a dead worker's task is handed out again


def _worker(env: dict[str, str], name: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "govinspect.cli", "worker", "--vantage", name, "--concurrency", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the worker, its pool process and their crawls: one group to kill
        )


def _clear_queue() -> None:
    import redis

    from govinspect.tasks import GENERAL_QUEUE

    redis.Redis.from_url(REDIS_URL).delete(GENERAL_QUEUE, "unacked", "unacked_index")


def test_a_killed_worker_loses_no_site_and_counts_none_twice(
    farm_server: Farm,
    shared_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    from govinspect.tasks import enqueue_run

    _clear_queue()
    store: Store = open_store(shared_db)
    service.import_file(store, farm_server.registry_csv)
    codes = [s.site_code for s in farm_server.sites if s.behaviour is None and not s.down][:2]
    env = {
        **os.environ,
        "GOVINSPECT_BROKER_URL": REDIS_URL,
        "GOVINSPECT_DATABASE_URL": shared_db,
        "GOVINSPECT_HOME": str(tmp_path / "home"),
        "GOVINSPECT_VISIBILITY_TIMEOUT": str(VISIBILITY),
    }
    logs = {name: tmp_path / f"{name}.log" for name in ("doomed", "survivor")}
    doomed = _worker(env, "doomed", logs["doomed"])
    survivor = _worker(env, "survivor", logs["survivor"])
    try:
        run_id, tasks = enqueue_run(
            REDIS_URL,
            store,
            codes,
            as_of=farm_server.as_of,
            batch=1,  # one site per task: the doomed worker holds one, the survivor the other
            allow_private_networks=True,
            max_pages=3,
            render=False,
            text_checks=False,
        )
        assert len(tasks) == len(codes)
        # the doomed worker takes a site; killed while it works on it, before storing it
        _wait(lambda: "received" in logs["doomed"].read_text(), 30, "the first task", logs["doomed"])
        time.sleep(0.5)
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait()
        with store.session() as session:
            before = session.scalar(select(Run.status).where(Run.id == run_id))
        assert before == "running"

        def finished() -> bool:
            with store.session() as session:
                return session.scalar(select(Run.status).where(Run.id == run_id)) == "finished"

        _wait(finished, 60, "the run on the surviving worker", logs["survivor"])
        with store.session() as session:
            stored = Counter(session.scalars(select(SiteResult.site_code).where(SiteResult.run_id == run_id)))
        assert stored == Counter(codes)  # no site lost, none counted twice
        held = re.search(r"inspect_sites\[([0-9a-f-]+)\] received", logs["doomed"].read_text())
        assert held and f"inspect_sites[{held.group(1)}] succeeded" in logs["survivor"].read_text()
    finally:
        for worker in (doomed, survivor):
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
        store.dispose()
        _clear_queue()
