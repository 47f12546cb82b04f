"""The inspection both speed benches time: a fresh store, the farm's registry imported (setup, not timed), then
``inspect_sites`` timed as a whole and up to the first site judged (≈ the crawl stage)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from govinspect.config import Settings
from govinspect.farm import load_farm
from govinspect.fetch.crawl import CrawlOptions
from govinspect.registry import service
from govinspect.runs.inspect import InspectionResult, InspectOptions, inspect_sites
from govinspect.store import Store, open_store


def process_tree_cpu_s() -> float:
    """CPU seconds of this process tree since it started: this process, its children already waited for, and
    its live descendants with theirs (the judge pool's fork server holds its workers' times until it exits). On
    a machine shared with other work, a figure the others' load disturbs far less than the wall clock."""
    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in psutil.Process().children(recursive=True):
        try:
            c = child.cpu_times()
        except psutil.Error:  # ended meanwhile
            continue
        total += c.user + c.system + c.children_user + c.children_system
    return total


@dataclass
class TimedInspection:
    result: InspectionResult
    store: Store  # the caller reads the snapshots it needs, then disposes of it
    setup_s: float  # registry import
    inspect_s: float
    crawl_stage_s: float | None  # from the start to the first site judged


def timed_inspection(farm_dir: str, codes: list[str], options: CrawlOptions, home: str) -> TimedInspection:
    t0 = time.perf_counter()
    farm = load_farm(farm_dir)
    settings = Settings(home=Path(home), database_url=f"sqlite:///{home}/govinspect.db")
    store = open_store(settings.database_url)
    service.import_file(store, farm.registry_csv)
    setup = time.perf_counter() - t0
    first_check: list[float] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "check" and not first_check:
            first_check.append(time.perf_counter())

    t1 = time.perf_counter()
    result = inspect_sites(
        store, settings, codes, InspectOptions(as_of=farm.as_of, crawl=options), progress=progress
    )
    t2 = time.perf_counter()
    crawl_stage = first_check[0] - t1 if first_check else None
    return TimedInspection(result, store, setup, t2 - t1, crawl_stage)
