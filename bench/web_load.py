"""Dashboard latency under concurrent users: overview, site list and site pages against a static file served by
the same app, as ratios.

Usage: .venv/bin/python bench/web_load.py [--sites 200] [--inspect 6] [--users 20] [--seconds 15] [--home DIR]

Setup (not timed): builds a farm of ``--sites`` synthetic sites, imports its registry, inspects ``--inspect`` of
them for real (crawl, checks, findings, snapshots), and gives every other registered site a copy of one of those
results (its verdict, score, findings and evidence), so the database holds a result for each of the ``--sites``
sites in a 2020Q1 run and again in a 2019Q4 run (the overview's trend). ``--home DIR`` keeps that data folder
for the next run, or serves an existing one as it is (say, after ``govinspect inspect --all`` on a real
registry), with an inspector account ``bench`` added.

The app runs in a child process (uvicorn, one worker, the embedded SQLite default); this process is the load
generator: ``--users`` signed-in users (asyncio + httpx, one connection each), each requesting a mix of pages as
fast as answers come, in rounds that alternate with rounds requesting ``/static/app.css`` (the baseline: the same
server, the same concurrency, no database and no templates). Prints, per page kind, the median and p95 latency,
the median as a ratio to the static file's, and the 200 ms target (median under ``--users`` concurrent users).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import insert, select

TARGET_MS = 200.0
PASSWORD = "bench-password-2020"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(home: Path, sites: int, inspect: int, seed: int) -> None:
    """A farm's registry with a result for every site (``inspect`` of them real, the others copies)."""
    from govinspect.config import load_settings
    from govinspect.farm import build_farm, serving
    from govinspect.farm.server import free_port
    from govinspect.fetch.crawl import CrawlOptions
    from govinspect.fetch.linkcheck import LinkCheckOptions
    from govinspect.registry import service
    from govinspect.runs.inspect import InspectOptions, inspect_sites
    from govinspect.store import open_store
    from govinspect.store.models import Site
    from govinspect.store.results import FindingRow, Run, SiteResult

    farm = build_farm(home / "farm", sites=sites, seed=seed, port=free_port(sites), slow_seconds=1.0)
    settings = load_settings(env={"GOVINSPECT_HOME": str(home)})
    store = open_store(settings.database_url)
    service.import_file(store, farm.registry_csv)
    codes = [s.site_code for s in farm.sites if s.behaviour is None][:inspect]
    crawl = CrawlOptions(
        max_pages=40,
        delay=0.0,
        homepage_retry_spacing_s=0.2,
        allow_private_networks=True,
        concurrency_per_host=4,
    )
    options = InspectOptions(
        as_of=farm.as_of,
        period="2020Q1",
        crawl=crawl,
        links=LinkCheckOptions(retry_spacing=0.05, timeout=5),
        render=False,
        screenshots=False,
    )
    t0 = time.perf_counter()
    with serving(farm.root, ready_timeout=60):
        result = inspect_sites(store, settings, codes, options)
    print(f"setup: inspected {len(codes)} farm sites in {time.perf_counter() - t0:.1f} s")
    with store.session() as session:
        templates = list(session.scalars(select(SiteResult).where(SiteResult.run_id == result.run_id)))
        findings = {t.id: list(t.findings) for t in templates}
        all_sites = list(session.execute(select(Site.id, Site.site_code)))
        previous = Run(as_of=date(2019, 12, 31), period="2019Q4", profile="national-2019", status="finished")
        session.add(previous)
        session.flush()
        done = {t.site_id for t in templates}
        for run_id, fresh in (
            (result.run_id, [s for s in all_sites if s[0] not in done]),
            (previous.id, all_sites),
        ):
            for index, (site_id, code) in enumerate(fresh):
                template = templates[index % len(templates)]
                row = session.execute(
                    insert(SiteResult).returning(SiteResult.id),
                    [
                        {
                            "run_id": run_id,
                            "site_id": site_id,
                            "site_code": code,
                            "verdict": template.verdict,
                            "score": template.score,
                            "part2": template.part2,
                            "part3": template.part3,
                            "vetoes": template.vetoes,
                            "fired": template.fired,
                            "deductions": template.deductions,
                            "has_services": template.has_services,
                            "model": template.model,
                        }
                    ],
                ).scalar_one()
                copies = [
                    {
                        "result_id": row,
                        "check": f.check,
                        "severity": f.severity,
                        "raw_severity": f.raw_severity,
                        "url": f.url,
                        "message": f.message,
                        "evidence": f.evidence,
                        "snapshot_id": f.snapshot_id,
                    }
                    for f in findings[template.id]
                ]
                if copies:
                    session.execute(insert(FindingRow), copies)
    store.dispose()


def add_account(home: Path) -> None:
    from govinspect.config import load_settings
    from govinspect.store import open_store
    from govinspect.store.users import User
    from govinspect.web.auth import create_user

    store = open_store(load_settings(env={"GOVINSPECT_HOME": str(home)}).database_url)
    with store.session() as session:
        if session.scalar(select(User.id).where(User.username == "bench")) is None:
            create_user(session, "bench", "压测", "inspector", PASSWORD)
    store.dispose()


def targets(home: Path) -> dict[str, list[str]]:
    from govinspect.config import load_settings
    from govinspect.store import open_store
    from govinspect.store.results import FindingRow, SiteResult

    store = open_store(load_settings(env={"GOVINSPECT_HOME": str(home)}).database_url)
    with store.session() as session:
        codes = sorted(set(session.scalars(select(SiteResult.site_code))))
        findings = list(session.scalars(select(FindingRow.id).order_by(FindingRow.id).limit(400)))
    store.dispose()
    return {
        "总览 /": ["/"],
        "网站列表 /sites": ["/sites", "/sites?page=2", "/sites?verdict=不合格", "/sites?q=人民政府"],
        "网站详情 /sites/{code}": [f"/sites/{c}" for c in codes],
        "问题证据 /findings/{id}": [f"/findings/{i}" for i in findings],
    }


async def _sign_in(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]  # type: ignore[index]
    r = await client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
    if r.status_code != 303:
        raise SystemExit(f"sign-in failed: {r.status_code} {r.text[:200]}")


async def _round(clients: list[httpx.AsyncClient], paths: list[tuple[str, str]], seconds: float, seed: int):  # type: ignore[no-untyped-def]
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    deadline = time.perf_counter() + seconds

    async def user(client: httpx.AsyncClient, rng: random.Random) -> None:
        while time.perf_counter() < deadline:
            kind, path = paths[rng.randrange(len(paths))]
            t0 = time.perf_counter()
            response = await client.get(path)
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status_code == 200:
                timings[kind].append(elapsed)
            else:
                errors[kind] += 1

    await asyncio.gather(*(user(c, random.Random(seed + i)) for i, c in enumerate(clients)))
    return timings, errors


async def load(base: str, users: int, seconds: float, rounds: int, pages: dict[str, list[str]]) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base, limits=limits, timeout=60) for _ in range(users)]
    for c in clients:
        await _sign_in(c)
    mix = [(kind, p) for kind, paths in pages.items() for p in paths[:50]]
    weighted = [(kind, p) for kind, p in mix for _ in range(max(1, 50 // len(pages[kind][:50])))]
    static = [("静态文件 /static/app.css（基线）", "/static/app.css")]
    totals: dict[str, list[float]] = defaultdict(list)
    failed: dict[str, int] = defaultdict(int)
    await _round(clients, weighted, 2.0, 0)  # warm-up: caches, connections
    for number in range(rounds):
        for paths in (static, weighted) if number % 2 == 0 else (weighted, static):
            timings, errors = await _round(clients, paths, seconds / rounds, number)
            for kind, values in timings.items():
                totals[kind].extend(values)
            for kind, count in errors.items():
                failed[kind] += count
    for c in clients:
        await c.aclose()
    base_median = statistics.median(totals[static[0][0]])
    print(
        f"\n{users} 个并发用户，每类交替 {rounds} 轮，共 {seconds:.0f} 秒/类（目标：页面中位数 ≤ {TARGET_MS:.0f} ms）"
    )
    print(f"{'请求':<28}{'次数':>8}{'中位数 ms':>12}{'p95 ms':>10}{'中位数/基线':>12}  结论")
    for kind in [static[0][0], *pages]:
        values = sorted(totals[kind])
        if not values:
            print(f"{kind:<28} 无成功请求（失败 {failed[kind]} 次）")
            continue
        median = statistics.median(values)
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        verdict = "" if kind == static[0][0] else ("达标" if median <= TARGET_MS else "未达标")
        extra = f"（失败 {failed[kind]} 次）" if failed[kind] else ""
        print(
            f"{kind:<28}{len(values):>8}{median:>12.1f}{p95:>10.1f}{median / base_median:>12.1f}  {verdict}{extra}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument(
        "--inspect", type=int, default=6, help="farm sites inspected for real (the rest copy them)"
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0, help="load time per kind (pages, baseline)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--home",
        type=Path,
        help="a data folder to serve: used as it is when it holds a database, else prepared there",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gi-web-load-") as tmp:
        home = args.home or Path(tmp)
        if not (home / "govinspect.db").is_file():
            home.mkdir(parents=True, exist_ok=True)
            prepare(home, args.sites, args.inspect, args.seed)
        add_account(home)
        pages = targets(home)
        port = _free_port()
        env = {**os.environ, "GOVINSPECT_HOME": str(home), "GOVINSPECT_HTTP_COOKIES": "1"}
        env.pop("GOVINSPECT_DATABASE_URL", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "govinspect.web.app:app_from_environment",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/static/app.css", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the app did not start") from None
                    time.sleep(0.2)
            asyncio.run(load(f"http://127.0.0.1:{port}", args.users, args.seconds, args.rounds, pages))
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
