"""Scale figures: a farm inspection's throughput with one and with two Celery workers (sites/hour, scaling
efficiency), and the database's growth per site per quarter (rows and bytes) on PostgreSQL and SQLite.

Usage: .venv/bin/python bench/scale.py [--sites 2000] [--workers 1,2] [--max-pages 10] [--batch 10] [--keep DIR]

Throughput: builds farms holding ``--sites`` sites between them (one farm holds at most about 300: farms of
``--per-farm`` sites, seeds 7, 8, …, each on its own port; a seed whose site codes collide with an earlier
farm's is skipped), slow sites delayed 0.2 s, serves each in a child process, and for
each worker count starts that many ``govinspect worker --concurrency 1`` processes on Redis (db 13) and a fresh
PostgreSQL schema, queues the run (tasks.enqueue_run: one task per ``--batch`` sites, render and text checks off,
at most ``--max-pages`` pages per site) and times it from the queueing to the run's status ``finished``.
Efficiency = rate(n) / (n × rate(1)). Beside the wall clock: the CPU seconds the workers' process trees spent
(pool processes, crawl processes, judge pools) and the load average before and after, since other work shares
the machine. All workers share this machine's cores (and the farm server): on a machine with two
cores, two workers compete with each other and the server, so the figure is a lower bound for workers on
machines of their own.

Growth: the rows and bytes the run added per site (PostgreSQL: pg_total_relation_size of each table of the
schema; SQLite: the database file after the same sites were inspected in this process), the snapshot files on
disk per site, and a quarter of probes (24 a day × 91 days = 2,184 per site per vantage point) written with
store.probes.save_probes for a sample of sites and measured the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govinspect.config import load_settings  # noqa: E402
from govinspect.farm import build_farm, serving  # noqa: E402
from govinspect.fetch.crawl import CrawlOptions  # noqa: E402
from govinspect.fetch.probe import ProbeResult  # noqa: E402
from govinspect.registry import service  # noqa: E402
from govinspect.runs.inspect import InspectOptions, inspect_sites  # noqa: E402
from govinspect.store import Store, open_store  # noqa: E402
from govinspect.store.probes import save_probes  # noqa: E402
from govinspect.store.results import Run  # noqa: E402

POSTGRES_URL = os.environ.get("GOVINSPECT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("GOVINSPECT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
PROBES_PER_QUARTER = 24 * 91
TABLES = ("runs", "site_results", "findings", "crawls", "snapshots", "probes")


def _schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(sql)


def _sizes_pg(store: Store, schema: str) -> dict[str, tuple[int, int]]:
    """(rows, bytes) per table of the schema, tables and their indexes and TOAST."""
    out = {}
    with store.session() as session:
        for table in TABLES:
            rows = session.scalar(text(f'SELECT count(*) FROM "{schema}"."{table}"'))
            size = session.scalar(text(f'SELECT pg_total_relation_size(\'"{schema}"."{table}"\')'))
            out[table] = (int(rows or 0), int(size or 0))
    return out


def _rows(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {t: int(session.scalar(text(f'SELECT count(*) FROM "{t}"')) or 0) for t in TABLES}


def _file_size(store: Store, db_file: Path) -> int:
    """The SQLite file with its write-ahead log folded in (WAL mode keeps new pages in the -wal file)."""
    import sqlite3

    store.engine.dispose()  # no pooled connection holds a read transaction
    with sqlite3.connect(db_file) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return db_file.stat().st_size


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def _quarter_of_probes(store: Store, codes: list[str]) -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for code in codes:
        save_probes(
            store,
            (
                ProbeResult(
                    code,
                    f"http://{code}.example.gov.cn/",
                    "bench",
                    start + timedelta(hours=h),
                    status=200,
                    latency_ms=120 + h % 50,
                    final_url=f"http://{code}.example.gov.cn/index.html",
                )
                for h in range(PROBES_PER_QUARTER)
            ),
        )


def _tree_cpu(pids: list[int]) -> float:
    """CPU seconds of these processes and their live descendants (each with its reaped children's)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for proc in tree:
            try:
                c = proc.cpu_times()
            except psutil.Error:
                continue
            total += c.user + c.system + c.children_user + c.children_system
    return total


def build_farms(work: Path, total: int, per_farm: int) -> list:  # type: ignore[type-arg]
    """Farms with ``total`` sites between them and no site code twice."""
    farms, codes, seed = [], set(), 7
    while sum(len(f.sites) for f in farms) < total:
        n = min(per_farm, total - sum(len(f.sites) for f in farms))
        try:
            farm = build_farm(
                work / f"farm-{seed}", sites=n, seed=seed, port=19000 + 10 * len(farms), slow_seconds=0.2
            )
        except ValueError:  # this seed's province is too small for n sites
            seed += 1
            continue
        mine = {s.site_code for s in farm.sites}
        if not mine & codes:
            farms.append(farm)
            codes |= mine
        seed += 1
    return farms


def throughput(farms, codes: list[str], workers: int, max_pages: int, work: Path, batch: int) -> dict:  # type: ignore[no-untyped-def]
    import redis

    from govinspect.tasks import GENERAL_QUEUE, enqueue_run

    schema = f"gi_scale_{uuid.uuid4().hex[:10]}"
    _pg(f'CREATE SCHEMA "{schema}"')
    url = _schema_url(schema)
    store = open_store(url)
    for farm in farms:
        service.import_file(store, farm.registry_csv)
    redis.Redis.from_url(REDIS_URL).delete(GENERAL_QUEUE)
    home = work / f"home-{workers}"
    env = {
        **os.environ,
        "GOVINSPECT_BROKER_URL": REDIS_URL,
        "GOVINSPECT_DATABASE_URL": url,
        "GOVINSPECT_HOME": str(home),
    }
    procs = []
    for n in range(workers):
        log = (work / f"worker-{workers}-{n}.log").open("w")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "govinspect.cli",
                    "worker",
                    "--vantage",
                    f"w{n}",
                    "--concurrency",
                    "1",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        time.sleep(4)  # the workers' start is not the run's cost
        load_before = os.getloadavg()
        cpu_before = _tree_cpu([p.pid for p in procs])
        started = time.monotonic()
        run_id, _ = enqueue_run(
            REDIS_URL,
            store,
            codes,
            as_of=farms[0].as_of,
            allow_private_networks=True,
            max_pages=max_pages,
            render=False,
            text_checks=False,
            batch=batch,
        )
        cpu_seen = cpu_before
        while True:
            with store.session() as session:
                status = session.scalar(select(Run.status).where(Run.id == run_id))
            if status == "finished":
                break
            cpu_seen = max(cpu_seen, _tree_cpu([p.pid for p in procs]))
            time.sleep(0.5)
        seconds = time.monotonic() - started
        cpu = max(cpu_seen, _tree_cpu([p.pid for p in procs])) - cpu_before
        load_after = os.getloadavg()
        before = _sizes_pg(store, schema)
        sample = codes[: min(10, len(codes))]
        _quarter_of_probes(store, sample)
        after = _sizes_pg(store, schema)
        return {
            "workers": workers,
            "sites": len(codes),
            "seconds": round(seconds, 1),
            "sites_per_hour": round(len(codes) / seconds * 3600),
            "worker_cpu_seconds": round(cpu, 1),
            "cpu_seconds_per_site": round(cpu / len(codes), 3),
            "sites_per_cpu_hour": round(len(codes) / cpu * 3600) if cpu else None,
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in load_after],
            "batch": batch,
            "pg_per_site": {t: [before[t][0] / len(codes), before[t][1] / len(codes)] for t in TABLES},
            "pg_probes_per_site_quarter": [
                (after["probes"][0] - before["probes"][0]) / len(sample),
                (after["probes"][1] - before["probes"][1]) / len(sample),
            ],
            "snapshot_bytes_per_site": _du(home / "snapshots") / len(codes),
        }
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        store.dispose()
        _pg(f'DROP SCHEMA "{schema}" CASCADE')


def sqlite_growth(farm, codes: list[str], max_pages: int, work: Path) -> dict:  # type: ignore[no-untyped-def]
    home = work / "home-sqlite"
    settings = load_settings(env={"GOVINSPECT_HOME": str(home)})
    store = open_store(settings.database_url)
    service.import_file(store, farm.registry_csv)
    db_file = Path(settings.database_url.removeprefix("sqlite:///"))
    empty = _file_size(store, db_file)
    options = InspectOptions(
        as_of=farm.as_of,
        crawl=CrawlOptions(max_pages=max_pages, delay=0.0, allow_private_networks=True),
        render=False,
        screenshots=False,
        text_checks=False,
    )
    inspect_sites(store, settings, codes, options)
    rows = _rows(store)
    inspected = _file_size(store, db_file)
    sample = codes[: min(10, len(codes))]
    _quarter_of_probes(store, sample)
    probed = _file_size(store, db_file)
    with store.session() as session:
        probe_rows = int(session.scalar(text("SELECT count(*) FROM probes")) or 0) - rows["probes"]
    store.dispose()
    _ = func
    return {
        "sites": len(codes),
        "rows_per_site": {t: rows[t] / len(codes) for t in TABLES},
        "bytes_per_site": (inspected - empty) / len(codes),
        "probes_per_site_quarter": [probe_rows / len(sample), (probed - inspected) / len(sample)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--max-pages", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10, help="sites per queued task")
    parser.add_argument("--per-farm", type=int, default=300, help="sites per farm (a farm holds about 300)")
    parser.add_argument("--sqlite-sites", type=int, default=30)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gi-scale-"))
    try:
        farms = build_farms(work, args.sites, args.per_farm)
        codes = [s.site_code for farm in farms for s in farm.sites]
        figures: dict = {
            "sites": len(codes),
            "farms": len(farms),
            "max_pages": args.max_pages,
            "cores": os.cpu_count(),
            "throughput": [],
        }
        print(f"{len(farms)} farms, {len(codes)} sites built", flush=True)
        with contextlib.ExitStack() as serve:
            for farm in farms:
                serve.enter_context(serving(farm.root, mode="process"))
            for workers in [int(w) for w in args.workers.split(",") if w]:
                result = throughput(farms, codes, workers, args.max_pages, work, args.batch)
                figures["throughput"].append(result)
                shown = ("workers", "sites", "seconds", "sites_per_hour", "worker_cpu_seconds", "load_after")
                print(json.dumps({k: result[k] for k in shown}), flush=True)
            one = next((r for r in figures["throughput"] if r["workers"] == 1), None)
            for result in figures["throughput"]:
                if one:
                    result["efficiency"] = round(
                        result["sites_per_hour"] / (result["workers"] * one["sites_per_hour"]), 3
                    )
            first = [s.site_code for s in farms[0].sites]
            figures["sqlite"] = sqlite_growth(farms[0], first[: args.sqlite_sites], args.max_pages, work)
        print(json.dumps(figures, indent=1, ensure_ascii=False))
        if args.out:
            args.out.write_text(json.dumps(figures, indent=1, ensure_ascii=False), encoding="utf-8")
    finally:
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
