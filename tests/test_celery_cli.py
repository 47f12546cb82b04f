"""The CLI on a task queue: with ``GOVINSPECT_BROKER_URL`` set, ``govinspect inspect`` queues its sites for a
real worker (Redis, PostgreSQL) and waits for them, and ``run start --no-wait`` queues a plan and returns, the
run then watched with ``run watch``. Skipped, with the reason, when Redis or PostgreSQL does not answer."""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from govinspect.farm import Farm
from govinspect.registry import service
from govinspect.store import Store, open_store
from govinspect.store.results import Run, SiteResult
from tests.conftest import quick_cli_crawls
from tests.test_celery import REDIS_URL, shared_db  # noqa: F401  (shared_db: the fixture)
from tests.test_celery_resume import _clear_queue, _worker


def _stored(store: Store, run_id: int) -> Counter[str]:
    with store.session() as session:
        return Counter(session.scalars(select(SiteResult.site_code).where(SiteResult.run_id == run_id)))


def test_the_cli_queues_inspections_and_plans_for_a_worker(
    farm_server: Farm,
    shared_db: str,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from govinspect.cli import app

    quick_cli_crawls(monkeypatch)  # the queued crawl options, sent to the worker: no politeness delay
    _clear_queue()
    store: Store = open_store(shared_db)
    plain = [s for s in farm_server.sites if s.behaviour is None and not s.down][:2]
    rows = farm_server.registry_csv.read_text(encoding="utf-8-sig").splitlines()
    registry = tmp_path / "two.csv"  # two plain sites: a plan of them all stays small
    registry.write_text(
        "\n".join([rows[0], *(r for r in rows[1:] if r.split(",")[0] in {s.site_code for s in plain})]),
        encoding="utf-8-sig",
    )
    assert service.import_file(store, registry).total == 2
    env = {
        **os.environ,
        "GOVINSPECT_BROKER_URL": REDIS_URL,
        "GOVINSPECT_DATABASE_URL": shared_db,
        "GOVINSPECT_HOME": str(tmp_path / "home"),
    }
    for key in ("GOVINSPECT_BROKER_URL", "GOVINSPECT_DATABASE_URL", "GOVINSPECT_HOME"):
        monkeypatch.setenv(key, env[key])
    log = tmp_path / "worker.log"
    worker = _worker(env, "cli", log)
    runner = CliRunner()
    try:
        # inspect: queued, waited for, summarised as in-process
        codes = [plain[0].site_code]
        args = ["inspect", "--as-of", farm_server.as_of.isoformat(), "--max-pages", "2"]
        done = runner.invoke(app, [*args, "--allow-private-networks", "--site", codes[0]])
        assert done.exit_code == 0, done.output + log.read_text()[-3000:]
        assert "1 个网站，1 个队列任务" in done.output
        with store.session() as session:
            run = session.scalars(select(Run).order_by(Run.id.desc())).first()
            assert run is not None and run.status == "finished" and run.options["queued"]
            run_id = run.id
        assert f"任务 {run_id}" in done.output and all(c in done.output for c in codes)
        assert _stored(store, run_id) == Counter(codes)  # each site once, by the worker
        assert "inspect_sites[" in log.read_text()

        # a plan started with --no-wait returns with the run queued; run watch waits and reports it
        made = runner.invoke(app, ["run", "plan", "--period", "2020Q1", "--all", "--seed", "1"])
        assert made.exit_code == 0, made.output
        plan_id = int(made.output.rsplit("计划已保存，编号 ", 1)[1].split("。")[0])
        start = ["run", "start", str(plan_id), "--as-of", farm_server.as_of.isoformat(), "--max-pages", "2"]
        started = runner.invoke(app, [*start, "--allow-private-networks", "--no-wait"])
        assert started.exit_code == 0, started.output
        assert "已提交检查任务" in started.output and "run watch" in started.output
        with store.session() as session:
            planned = session.scalars(select(Run).where(Run.plan_id == plan_id)).one()
            plan_run, named = planned.id, planned.options["site_codes"]
            assert planned.options["attempts"][-1]["queued"]
        # while it is queued, starting the plan again is refused: the workers hold it
        again = runner.invoke(app, ["run", "start", str(plan_id), "--allow-private-networks"])
        assert again.exit_code != 0 and "任务队列中的 worker" in again.output
        watched = runner.invoke(app, ["run", "watch", str(plan_run)])
        assert watched.exit_code == 0, watched.output + log.read_text()[-3000:]
        assert f"任务 {plan_run}" in watched.output
        with store.session() as session:
            assert session.get(Run, plan_run).status == "finished"  # type: ignore[union-attr]
        assert _stored(store, plan_run) == Counter(named) == Counter(s.site_code for s in plain)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        store.dispose()
        _clear_queue()


def test_a_broker_that_does_not_answer_is_an_error_message(
    farm: Farm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from govinspect.cli import app

    monkeypatch.setenv("GOVINSPECT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GOVINSPECT_DATABASE_URL", raising=False)
    monkeypatch.setenv("GOVINSPECT_BROKER_URL", "redis://127.0.0.1:9/0")  # discard port: nothing listens
    runner = CliRunner()
    assert runner.invoke(app, ["registry", "import", str(farm.registry_csv)]).exit_code == 0
    code = farm.sites[0].site_code
    done = runner.invoke(
        app, ["inspect", "--as-of", "2020-03-31", "--site", code, "--allow-private-networks", "--no-wait"]
    )
    assert done.exit_code == 1 and "无法连接任务队列" in done.output
