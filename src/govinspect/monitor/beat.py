"""Celery beat for monitoring on several machines (``govinspect beat``): the same jobs as the single-machine
scheduler (monitor/scheduler.py: a probe round, the scheduled crawl, retention), on the same schedule from the
profile's ``monitor:`` section, sent as ``govinspect.monitor_job`` tasks that any worker runs with
``Monitor``'s own methods. A worker running the probe-round job queues the round per vantage point (tasks.py),
so every vantage point's workers probe every site; the crawl job queues one run for the workers.

Run exactly one beat per deployment (two would send every job twice). Beat has no jitter of its own: each
probe round is sent at the interval and the job waits a random part of ``jitter × interval`` before queueing
it, so rounds start at jittered times as with the single-machine scheduler, and the sites of a round start
spread over ``round_spread_seconds``.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery.schedules import crontab, schedule

from govinspect.monitor.scheduler import MonitorOptions, Schedule
from govinspect.tasks import GENERAL_QUEUE

TIMEZONE = "Asia/Shanghai"  # the profile's times are China time (UTC+8, no daylight saving)
JOB_TASK = "govinspect.monitor_job"
RETENTION_AT = (4, 17)  # hour, minute: as the single-machine scheduler


def job_args(sched: Schedule, options: MonitorOptions) -> dict[str, Any]:
    """What a worker needs to build the same Monitor: JSON-plain."""
    return {
        "schedule": asdict(sched),
        "options": {**asdict(options), "vantages": list(options.vantages)},
    }


def beat_schedule(sched: Schedule, options: MonitorOptions) -> dict[str, dict[str, Any]]:
    """Celery's ``beat_schedule`` for the profile's monitoring: probe rounds every interval, the crawl daily or
    weekly at its time (none: no entry), the retention job daily."""
    args = job_args(sched, options)
    entries: dict[str, dict[str, Any]] = {
        "govinspect.probe_round": {
            "task": JOB_TASK,
            "schedule": schedule(timedelta(seconds=sched.interval)),
            "args": ("probe_round", args),
            "options": {"queue": GENERAL_QUEUE, "expires": sched.interval},
        },
        "govinspect.retention": {
            "task": JOB_TASK,
            "schedule": crontab(hour=RETENTION_AT[0], minute=RETENTION_AT[1]),
            "args": ("retention", args),
            "options": {"queue": GENERAL_QUEUE, "expires": 6 * 3600},
        },
    }
    if sched.crawl != "none":
        day = sched.crawl_weekday if sched.crawl == "weekly" else "*"
        entries["govinspect.crawl"] = {
            "task": JOB_TASK,
            "schedule": crontab(hour=sched.crawl_hour, minute=sched.crawl_minute, day_of_week=day),
            "args": ("crawl", args),
            "options": {"queue": GENERAL_QUEUE, "expires": 12 * 3600},
        }
    return entries


def run_beat(
    broker_url: str,
    entries: dict[str, dict[str, Any]],
    schedule_file: Path,
    *,
    first_round: bool = True,
    loglevel: str = "INFO",
) -> None:
    """Run beat in this process until stopped; ``first_round``: send a probe round at once (as the monitor
    does at its start) rather than one interval later."""
    from govinspect.tasks import configure

    app = configure(broker_url)
    app.conf.beat_schedule = entries
    app.conf.timezone = TIMEZONE
    app.conf.beat_max_loop_interval = 60
    if first_round and "govinspect.probe_round" in entries:
        entry = entries["govinspect.probe_round"]
        app.send_task(entry["task"], args=entry["args"], **entry["options"])
    schedule_file.parent.mkdir(parents=True, exist_ok=True)
    app.Beat(schedule=str(schedule_file), loglevel=loglevel, max_interval=60).run()
