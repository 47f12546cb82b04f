"""Celery beat (monitor/beat.py): the schedule is the profile's ``monitor:`` section, and a probe round beat sends
is run by a real worker (Redis, PostgreSQL) with the monitor's own job. Skipped, with the reason, when Redis or
PostgreSQL does not answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from celery.schedules import crontab

from govinspect.farm import Farm
from govinspect.monitor.beat import JOB_TASK, beat_schedule
from govinspect.monitor.scheduler import MonitorOptions, Schedule
from govinspect.registry import service
from govinspect.scoring.profile import load_profile
from govinspect.store import Store, open_store
from govinspect.store.probes import load_probes
from tests.test_celery import REDIS_URL, _wait, shared_db  # noqa: F401  (shared_db: the fixture)
from tests.test_celery_resume import _clear_queue, _worker

PROFILE = load_profile("national-2019")


def test_the_beat_schedule_is_the_profiles() -> None:
    options = MonitorOptions(vantages=("gz", "bj"), max_pages=50)
    entries = beat_schedule(Schedule.from_profile(PROFILE), options)
    assert set(entries) == {"govinspect.probe_round", "govinspect.crawl", "govinspect.retention"}
    assert all(e["task"] == JOB_TASK for e in entries.values())
    probe = entries["govinspect.probe_round"]
    assert probe["schedule"].run_every == timedelta(hours=1)  # 24 rounds a day
    assert probe["options"]["expires"] == 3600  # a round no worker took is dropped when the next is due
    job, args = probe["args"]
    assert job == "probe_round" and args["options"]["vantages"] == ["gz", "bj"]
    assert args["options"]["max_pages"] == 50 and args["schedule"]["timeout"] == 15
    weekly = entries["govinspect.crawl"]["schedule"]
    assert isinstance(weekly, crontab)
    assert (weekly.hour, weekly.minute, weekly.day_of_week) == ({2}, {0}, {0})  # Sunday 02:00
    retention = entries["govinspect.retention"]["schedule"]
    assert (retention.hour, retention.minute) == ({4}, {17})

    daily = beat_schedule(Schedule.from_profile(PROFILE, rounds_per_day=48, crawl="daily"), options)
    assert daily["govinspect.probe_round"]["schedule"].run_every == timedelta(minutes=30)
    assert daily["govinspect.crawl"]["schedule"].day_of_week == set(range(7))
    none = beat_schedule(Schedule.from_profile(PROFILE, crawl="none"), options)
    assert "govinspect.crawl" not in none


BEAT = """
import sys
from dataclasses import replace
from pathlib import Path
from govinspect.monitor.beat import beat_schedule, run_beat
from govinspect.monitor.scheduler import MonitorOptions, Schedule
from govinspect.scoring.profile import load_profile
every = replace(Schedule.from_profile(load_profile("national-2019"), crawl="none"), spread=0.0, jitter=0.0)
every = replace(every, rounds_per_day=86400 // 3)  # a round every 3 s
options = MonitorOptions(vantages=(sys.argv[2],), allow_private_networks=True)
run_beat(sys.argv[1], beat_schedule(every, options), Path(sys.argv[3]), first_round=False)
"""


def test_a_round_beat_sends_is_probed_by_a_worker(
    farm_server: Farm,
    shared_db: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    _clear_queue()
    store: Store = open_store(shared_db)
    service.import_file(store, farm_server.registry_csv)
    vantage = f"beat-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "GOVINSPECT_BROKER_URL": REDIS_URL,
        "GOVINSPECT_DATABASE_URL": shared_db,
        "GOVINSPECT_HOME": str(tmp_path / "home"),
    }
    worker = _worker(env, vantage, tmp_path / "worker.log")
    log = tmp_path / "beat.log"
    with log.open("w") as out:
        beat = subprocess.Popen(
            [sys.executable, "-c", BEAT, REDIS_URL, vantage, str(tmp_path / "home" / "beat-schedule")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = datetime.now(UTC)
    try:

        def rounds() -> int:
            rows = load_probes(store, started - timedelta(minutes=1), started + timedelta(minutes=10))
            mine = [r for r in rows if r.vantage == vantage]
            return len(mine) // len(farm_server.sites)

        _wait(lambda: rounds() >= 2, 60, "two rounds sent by beat", tmp_path / "worker.log")
        assert "Sending due task govinspect.probe_round" in log.read_text()
        worker_log = (tmp_path / "worker.log").read_text()
        assert "govinspect.monitor_job" in worker_log and "govinspect.probe_round" in worker_log
    finally:
        for proc in (beat, worker):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        store.dispose()
        import redis

        from govinspect.tasks import probe_queue

        redis.Redis.from_url(REDIS_URL).delete(probe_queue(vantage))
        _clear_queue()
