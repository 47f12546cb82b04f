"""Availability probes: probes/s of one worker process on loopback against the farm, beside a bare httpx GET loop,
the cost of 14,000 sites × 24 probes a day, and (``--accuracy``) availability.unreachable against the farm's truth.

Usage: .venv/bin/python bench/probe_speed.py [--sites 200] [--rounds 5] [--concurrency 64] [--repeat 3]
                                             [--accuracy] [--vantages 1] [--keep DIR]

Speed: builds a farm (slow sites delayed 0.2 s so the figure is not one slow site's wait), serves it in a child
process, and probes every site ``--rounds`` times in one asyncio loop in this process, as a worker's round does
(``fetch.probe.probe_sites``: the SSRF guard on every hop, one connection per probe, the body read, error classes).
The baseline is a bare ``httpx.AsyncClient.get`` of the same URLs with the same concurrency and the same
connection policy (no keep-alive), redirects followed by httpx, nothing checked or classified. The two alternate
``--repeat`` times; medians are printed, and the ratio ours/baseline. CPU seconds per probe (this process) give
the day's cost: 14,000 × 24 = 336,000 probes/day is 3.9 probes/s on average, so what a deployment needs is
latency-bound (Little's law: probes in flight = rate × time per probe; at worst every probe waits its 15 s).

Accuracy: every site is probed 7 × 20 times now (real answers: the flaky site resets one connection in four,
the down site has no listener), the probes are filed at the times a monitor would have made them in the week
before the farm's as_of, and availability.unreachable judges each site's week (monitor/history.py, as a run
attaches it). ``--vantages 2`` files the same number of probes from two vantage points, ten minutes apart: the
agreement rule then counts a failure only when the other vantage point also failed within 30 minutes. Compared
with truth.json (farm.compare) on availability.unreachable; the farm's down sites are listed apart: the truth
names them down_at_check only (a one-shot run has no probe history), but a week of probes finds them
unreachable too, which is right.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as day_time
from pathlib import Path

import httpx

from govinspect.checks.availability import PROBE_ZONE, check_unreachable, probe_window
from govinspect.extract.model import Expected, Homepage, SiteModel
from govinspect.farm import build_farm, serving
from govinspect.farm.compare import compare
from govinspect.farm.server import free_port
from govinspect.fetch.probe import ProbeOptions, ProbeTarget, probe_sites
from govinspect.monitor.history import probe_history
from govinspect.registry import service
from govinspect.runs.contract import SiteOutcome, document
from govinspect.scoring.engine import score_site
from govinspect.scoring.profile import load_profile
from govinspect.store import open_store
from govinspect.store.probes import save_probes

SITES_NATIONALLY = 14_000
PROBES_PER_DAY = 24


def ours(targets: list[ProbeTarget], concurrency: int) -> tuple[float, float, int]:
    options = ProbeOptions(timeout=15, allow_private_networks=True, concurrency=concurrency, vantage="bench")
    cpu, wall = time.process_time(), time.perf_counter()
    results = probe_sites(targets, options)
    return time.perf_counter() - wall, time.process_time() - cpu, sum(1 for r in results if not r.ok)


async def _bare(urls: list[str], concurrency: int) -> int:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=0)
    slots = asyncio.Semaphore(concurrency)
    failed = 0
    # the same agent (the farm's firewall refuses others) and no certificate check, as the probe: the same answers
    headers = {"User-Agent": ProbeOptions().user_agent}
    async with httpx.AsyncClient(
        timeout=15, limits=limits, follow_redirects=True, verify=False, headers=headers
    ) as client:

        async def one(url: str) -> None:
            nonlocal failed
            async with slots:
                try:
                    response = await client.get(url)
                    failed += response.status_code >= 400
                except httpx.HTTPError:
                    failed += 1

        await asyncio.gather(*(one(u) for u in urls))
    return failed


def baseline(targets: list[ProbeTarget], concurrency: int) -> tuple[float, float, int]:
    cpu, wall = time.process_time(), time.perf_counter()
    failed = asyncio.run(_bare([t.url for t in targets], concurrency))
    return time.perf_counter() - wall, time.process_time() - cpu, failed


def speed(farm, args: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    targets = [ProbeTarget(s.site_code, s.url) for s in farm.sites] * args.rounds
    n = len(targets)
    ours(targets[: len(farm.sites)], args.concurrency)  # warm-up: imports, TLS context
    baseline(targets[: len(farm.sites)], args.concurrency)
    runs: dict[str, list[tuple[float, float, int]]] = {"govinspect probe": [], "bare httpx GET": []}
    for _ in range(args.repeat):
        runs["govinspect probe"].append(ours(targets, args.concurrency))
        runs["bare httpx GET"].append(baseline(targets, args.concurrency))
    print(
        f"\n{n} probes per run ({len(farm.sites)} farm sites × {args.rounds} rounds), concurrency {args.concurrency},"
    )
    print(f"{args.repeat} runs each, alternating; medians:")
    print(f"{'':18} {'probes/s':>9} {'CPU ms/probe':>13} {'failed':>7}")
    figures = {}
    for name, measured in runs.items():
        wall = statistics.median(m[0] for m in measured)
        cpu = statistics.median(m[1] for m in measured)
        figures[name] = (n / wall, cpu / n * 1000)
        print(f"{name:18} {n / wall:9.0f} {cpu / n * 1000:13.2f} {measured[-1][2]:7d}")
    rate, cpu_ms = figures["govinspect probe"]
    base_rate, base_cpu = figures["bare httpx GET"]
    print(f"ratio ours/baseline: throughput {rate / base_rate:.2f}×, CPU per probe {cpu_ms / base_cpu:.2f}×")

    per_day = SITES_NATIONALLY * PROBES_PER_DAY
    average = per_day / 86400
    cpu_day = per_day * cpu_ms / 1000
    print(
        f"\n{SITES_NATIONALLY:,} sites × {PROBES_PER_DAY} probes/day = {per_day:,} probes/day = {average:.1f} probes/s"
    )
    print(f"  CPU: {cpu_day / 3600:.2f} CPU-hours/day = {cpu_day / 86400:.1%} of one core (bare httpx: "
          f"{per_day * base_cpu / 1000 / 86400:.1%}); at the measured rate one worker process does a day's "
          f"probes in {per_day / rate / 60:.0f} min")  # fmt: skip
    for latency in (0.5, 3.0, 15.0):
        print(f"  probes in flight at {latency:>4} s per probe: {average * latency:5.0f} "
              f"(one process, concurrency {args.concurrency}: {'enough' if average * latency <= args.concurrency else 'not enough'})")  # fmt: skip
    print(
        "  a round spread over 300 s: peak rate 14,000 / 300 s = 47 probes/s, in flight at 3 s each: 140 "
        f"→ {max(1, -(-140 // args.concurrency))} worker process(es) at concurrency {args.concurrency}"
    )


def accuracy(farm, args: argparse.Namespace, work: Path) -> None:  # type: ignore[no-untyped-def]
    profile = load_profile("national-2019")
    rules = profile.section("availability")
    days, per_day = int(rules["probe_days"]), int(rules["probes_per_day"])
    store = open_store(f"sqlite:///{work / 'probes.db'}")
    service.import_file(store, farm.registry_csv)
    as_of = farm.as_of
    start, _ = probe_window(as_of, days)
    first = datetime.combine(start, day_time(0, 5), PROBE_ZONE)
    step = timedelta(days=1) / per_day
    count = days * per_day
    began = time.perf_counter()
    for v in range(args.vantages):
        options = ProbeOptions(
            timeout=15, allow_private_networks=True, concurrency=args.concurrency, vantage=f"v{v}"
        )
        targets = [ProbeTarget(s.site_code, s.url) for s in farm.sites for _ in range(count)]
        results = probe_sites(targets, options)
        filed, seen = [], {}
        for result in results:
            k = seen[result.site_code] = seen.get(result.site_code, -1) + 1
            filed.append(replace(result, probed_at=first + step * k + timedelta(minutes=10 * v)))
        save_probes(store, filed)
    probing = time.perf_counter() - began
    outcomes, flagged_down = [], []
    for site in farm.sites:
        probes = probe_history(store, site.site_code, as_of, profile)
        model = SiteModel(
            Expected(site.site_code, site.name, ""), Homepage(site.homepage_url, ()), probes=probes
        )
        findings = check_unreachable(model, profile, as_of)
        if site.down and findings:
            flagged_down.append(site.site_code)
            findings = []  # scored apart (see the docstring)
        outcomes.append(
            SiteOutcome(site.site_code, site.name, site.url, findings, score_site(findings, profile))
        )
    result = compare(farm.truth(), document(as_of, profile.id, outcomes), ["availability.unreachable"])
    score = result.checks.get("availability.unreachable")
    down = [s.site_code for s in farm.sites if s.down]
    print(f"\navailability.unreachable, {len(farm.sites)} farm sites, {count} probes/site over {days} days, "
          f"{args.vantages} vantage point(s) ({probing:.0f} s of probing):")  # fmt: skip
    if score is None:
        print("  no case in the truth and no finding")
    else:
        p, r = score.precision, score.recall
        print(f"  TP {score.true_positives}  FP {score.false_positives}  FN {score.false_negatives}  "
              f"precision {p if p is None else f'{p:.3f}'}  recall {r if r is None else f'{r:.3f}'}")  # fmt: skip
        for miss in result.misses:
            print("  missed:", miss)
        for wrong in result.false_positives:
            print("  false positive:", wrong)
    print(f"  down sites (truth: down_at_check only) found unreachable: {len(flagged_down)} of {len(down)}")
    store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--accuracy", action="store_true", help="also judge a week of probes against the truth"
    )
    parser.add_argument("--vantages", type=int, default=1, choices=(1, 2))
    parser.add_argument("--keep", type=Path, help="build the farm here and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="probe-bench-"))
    try:
        farm = build_farm(
            work / "farm", sites=args.sites, seed=args.seed, port=free_port(args.sites), slow_seconds=0.2
        )
        with serving(farm.root, mode="process", ready_timeout=120):
            speed(farm, args)
            if args.accuracy:
                accuracy(farm, args, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
