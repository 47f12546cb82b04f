"""The single-machine scheduler (monitor/scheduler.py): the schedule from the profile, the jobs it registers,
a real run that probes and stops cleanly, retention, and ``govinspect monitor`` stopped with Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from govinspect.checks.availability import PROBE_ZONE
from govinspect.config import load_settings
from govinspect.fetch.probe import ProbeResult
from govinspect.monitor.scheduler import Monitor, MonitorError, MonitorOptions, Schedule
from govinspect.registry import service
from govinspect.scoring.profile import load_profile
from govinspect.store import open_store
from govinspect.store.probes import load_probes, save_probes
from tests.test_probe import loopback

PROFILE = load_profile("national-2019")


def test_the_schedule_comes_from_the_profile() -> None:
    schedule = Schedule.from_profile(PROFILE)
    assert schedule.rounds_per_day == 24 and schedule.interval == 3600
    assert schedule.rounds_per_day >= PROFILE.section("availability")["probes_per_day"]
    assert (schedule.crawl, schedule.crawl_weekday, schedule.crawl_hour, schedule.crawl_minute) == (
        "weekly",
        "sun",
        2,
        0,
    )
    assert schedule.timeout == 15 and schedule.jitter == 0.25 and schedule.spread == 300
    assert Schedule.from_profile(PROFILE, rounds_per_day=48, crawl="daily").interval == 1800
    with pytest.raises(MonitorError, match="少于指标要求"):
        Schedule.from_profile(PROFILE, rounds_per_day=12)
    with pytest.raises(MonitorError, match=r"monitor\.crawl"):
        Schedule.from_profile(PROFILE, crawl="hourly")


def _monitor(tmp_path: Path, url: str, **overrides) -> Monitor:  # type: ignore[no-untyped-def]
    settings = load_settings(env={"GOVINSPECT_HOME": str(tmp_path / "home")})
    store = open_store(settings.database_url)
    registry = tmp_path / "sites.csv"
    registry.write_text(
        "网站标识码,网站名称,首页网址,主办单位,所属地区,类别\n"
        f"4401000001,某市人民政府,{url},某市人民政府办公室,某市,市级门户\n",
        encoding="utf-8-sig",
    )
    service.import_file(store, registry)
    # the sites of a round start at once here (a monitor spreads them over minutes)
    schedule = replace(Schedule.from_profile(PROFILE, **overrides), spread=0.0)
    options = MonitorOptions(vantages=("monitor-test",), allow_private_networks=True)
    return Monitor(store, settings, PROFILE, schedule, options, say=lambda _: None)


def test_jobs_probe_rounds_at_jittered_intervals_and_crawl_weekly(tmp_path: Path) -> None:
    monitor = _monitor(tmp_path, "http://127.0.0.1:9/")
    now = datetime(2020, 3, 25, 10, 0, tzinfo=PROBE_ZONE)  # a Wednesday
    scheduler = monitor.build(first_round=now)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"probe_round", "crawl", "retention"}
    probe = jobs["probe_round"].trigger
    assert probe.interval == timedelta(hours=1) and probe.jitter == 900
    runs = monitor.next_runs(now)
    assert runs["crawl"] == datetime(2020, 3, 29, 2, 0, tzinfo=PROBE_ZONE)  # Sunday 02:00
    assert abs(runs["probe_round"] - now) <= timedelta(seconds=900)
    daily = _monitor(tmp_path / "daily", "http://127.0.0.1:9/", crawl="daily")
    assert daily.next_runs(now)["crawl"] == datetime(2020, 3, 26, 2, 0, tzinfo=PROBE_ZONE)
    assert "crawl" not in _monitor(tmp_path / "none", "http://127.0.0.1:9/", crawl="none").next_runs(now)
    monitor.store.dispose()


def test_a_run_probes_at_once_and_stops_cleanly(tmp_path: Path) -> None:
    with loopback() as server:
        monitor = _monitor(tmp_path, server.base + "/", crawl="none")
        started = time.monotonic()
        monitor.run(until=lambda: monitor.rounds >= 1 and server.connections >= 1)
        assert time.monotonic() - started < 10
    assert monitor.scheduler is not None and not monitor.scheduler.running
    now = datetime.now(UTC)
    (probe,) = load_probes(monitor.store, now - timedelta(minutes=5), now + timedelta(minutes=5))
    assert (probe.site_code, probe.vantage, probe.status, probe.error) == (
        "4401000001",
        "monitor-test",
        200,
        None,
    )
    monitor.store.dispose()


def test_retention_removes_probes_older_than_the_profile_keeps(tmp_path: Path) -> None:
    monitor = _monitor(tmp_path, "http://127.0.0.1:9/", crawl="none")
    now = datetime.now(UTC)
    old = ProbeResult("4401000001", "http://x/", "a", now - timedelta(days=401), 200, 10)
    recent = ProbeResult("4401000001", "http://x/", "a", now - timedelta(days=399), 200, 10)
    save_probes(monitor.store, [old, recent])
    assert monitor.retention(now) == 1
    (kept,) = load_probes(monitor.store, now - timedelta(days=500), now)
    assert kept.probed_at == recent.probed_at
    monitor.store.dispose()


def test_govinspect_monitor_stops_on_ctrl_c(tmp_path: Path) -> None:
    with loopback() as server:
        monitor = _monitor(tmp_path, server.base + "/", crawl="none")
        monitor.store.dispose()
        profiles = tmp_path / "home" / "profiles"
        profiles.mkdir()
        (profiles / "at-once.yaml").write_text(
            "extends: national-2019\nmonitor:\n  round_spread_seconds: 0\n"
        )
        env = {**os.environ, "GOVINSPECT_HOME": str(tmp_path / "home")}
        env.pop("GOVINSPECT_BROKER_URL", None)
        env.pop("GOVINSPECT_DATABASE_URL", None)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "govinspect.cli",
                "monitor",
                "--crawl",
                "none",
                "--allow-private-networks",
                "--profile",
                "at-once",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            lines = []
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if "第 1 轮探测" in line:
                    break
            assert any("每天 24 轮探测" in line for line in lines), lines
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, "".join(lines) + out
        assert "已停止" in out and "Traceback" not in out
        assert server.connections == 1
