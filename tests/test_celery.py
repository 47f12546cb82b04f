"""Scale-out: a real ``govinspect worker`` process on Redis (broker) and PostgreSQL (shared database) takes a probe
round queued by ``govinspect probe`` and one site's inspection, and writes what it found. Skipped, with the
reason, when Redis or PostgreSQL does not answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import select

from govinspect.checks.availability import PROBE_ZONE
from govinspect.config import load_settings
from govinspect.farm import Farm
from govinspect.monitor.scheduler import Monitor, MonitorOptions, Schedule
from govinspect.registry import service
from govinspect.scoring.profile import load_profile
from govinspect.store import Store, open_store
from govinspect.store.probes import load_probes
from govinspect.store.results import SiteResult
from tests.conftest import POSTGRES_URL

PROFILE = load_profile("national-2019")


def _redis_url() -> str:
    """Redis database 13 (or ``GOVINSPECT_TEST_REDIS_URL``'s), one further per pytest-xdist worker: the queue
    names are fixed, so workers sharing a database would take, and clear, each other's tasks. (Redis has 16
    databases: from 13, at most three workers; a fourth's tests are skipped saying the index is out of range.)"""
    base = os.environ.get("GOVINSPECT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # gw0, gw1, …; unset without xdist
    parts = urlsplit(base)
    db = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{db}"))


REDIS_URL = _redis_url()


def _redis_unavailable() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:  # any failure to reach it means: skip, and say why
        return f"Redis 不可用（{REDIS_URL}）：{exc}"


@pytest.fixture
def shared_db(postgres_unavailable: str | None) -> Iterator[str]:
    """A PostgreSQL schema of its own, as the workers' shared database."""
    if reason := _redis_unavailable():
        pytest.skip(reason)
    if postgres_unavailable:
        pytest.skip(postgres_unavailable)
    import psycopg

    schema = f"gi_celery_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _wait(condition, timeout: float, what: str, log: Path) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not done in {timeout} s; worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def test_a_worker_runs_a_queued_probe_round_and_an_inspection(
    farm_server: Farm, shared_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from govinspect.cli import app
    from govinspect.tasks import GENERAL_QUEUE, enqueue_inspections, probe_queue

    store: Store = open_store(shared_db)
    service.import_file(store, farm_server.registry_csv)
    vantage = f"ci-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "GOVINSPECT_BROKER_URL": REDIS_URL,
        "GOVINSPECT_DATABASE_URL": shared_db,
        "GOVINSPECT_HOME": str(tmp_path / "home"),
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "govinspect.cli", "worker", "--vantage", vantage, "--concurrency", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        for key in ("GOVINSPECT_BROKER_URL", "GOVINSPECT_DATABASE_URL", "GOVINSPECT_HOME"):
            monkeypatch.setenv(key, env[key])
        queued = CliRunner().invoke(app, ["probe", "--all", "--vantage", vantage, "--allow-private-networks"])
        assert queued.exit_code == 0, queued.output
        assert "已提交 1 轮探测" in queued.output and vantage in queued.output

        now = datetime.now(UTC)

        def probes():  # type: ignore[no-untyped-def]
            rows = load_probes(store, now - timedelta(minutes=5), now + timedelta(minutes=5))
            return [r for r in rows if r.vantage == vantage]

        _wait(lambda: len(probes()) == len(farm_server.sites), 60, "the probe round", log)
        seen = {p.site_code: p for p in probes()}
        down = next(s for s in farm_server.sites if s.down)
        assert seen[down.site_code].error == "connect"
        live = next(s for s in farm_server.sites if s.behaviour is None)
        assert seen[live.site_code].error is None and seen[live.site_code].status == 200

        # the monitor, with a broker, queues its rounds for the vantage points' workers instead of probing
        settings = load_settings()
        monitor = Monitor(
            store,
            settings,
            PROFILE,
            replace(Schedule.from_profile(PROFILE), spread=0.0),
            MonitorOptions(vantages=(vantage,), allow_private_networks=True),
            say=lambda _: None,
        )
        monitor.probe_round()
        _wait(lambda: len(probes()) == 2 * len(farm_server.sites), 60, "the monitor's round", log)

        enqueue_inspections(
            REDIS_URL,
            [live.site_code],
            as_of=datetime.now(PROBE_ZONE).date() + timedelta(days=1),  # today's probes are in its week
            allow_private_networks=True,
            max_pages=4,
            render=False,  # Chromium and the text models are tested elsewhere; here: the task on a worker
            text_checks=False,
        )

        def verdict() -> str | None:
            with store.session() as session:
                return session.scalar(
                    select(SiteResult.verdict).where(SiteResult.site_code == live.site_code)
                )

        _wait(lambda: verdict() is not None, 90, "the inspection", log)
        assert verdict() in ("合格", "不合格")
        with store.session() as session:
            model = session.scalar(select(SiteResult.model).where(SiteResult.site_code == live.site_code))
        # the judge attached the site's probes to its model: the two rounds of this vantage point, both opened
        attached = [p for p in model["probes"] if p["vantage"] == vantage]
        assert len(attached) == 2 and all(p["error"] is None and p["status"] == 200 for p in attached)
    finally:
        worker.send_signal(signal.SIGTERM)  # a warm shutdown
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        store.dispose()
        import redis

        redis.Redis.from_url(REDIS_URL).delete(probe_queue(vantage), GENERAL_QUEUE)
    assert worker.returncode == 0, log.read_text()[-3000:]
