"""Accuracy and throughput of the new-media checks against the farm's truth, for a province's 3,000 accounts.

Usage: .venv/bin/python bench/newmedia_accuracy.py [--accounts 3000] [--seed 7] [--concurrency 32]
                                                    [--workers N] [--keep DIR] [--show 10]

Builds the farm's new-media part for ``--accounts`` synthetic accounts (farm/newmedia.py ``synthetic_rows``: no
sites needed), serves it alone on loopback (the external origin, as an office's RSSHub instance would serve
every account from one host) and, in a fresh temporary home (SQLite):

1. imports the accounts file (with its 菜单 and 采集地址 columns) and the vendor's post list;
2. collects every source (feeds, H5 lists and their article pages, app pages) and probes the menu links — timed,
   beside a baseline that only GETs the same source URLs with the same client limits (no parsing, no storage);
3. checks and scores every account (``newmedia check``) — timed, with the number of worker processes used;
4. collects again: every source should answer 304 and nothing new be stored — timed.

Then compares the JSON with ``newmedia/truth.json`` (``farm.newmedia.compare_accounts``): per check, true and false
positives, misses, precision and recall against the target (precision >= 0.98, recall >= 0.95), and verdict
agreement over judged accounts (target 100%). ``newmedia.typo`` is a notice (the automatic typo checker is
confirmed by a person, as on sites): its figures are printed apart and not held to the target. Exits 0 whatever
the figures: MET/MISSED is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

from govinspect.config import load_settings
from govinspect.farm.newmedia import (
    build_newmedia,
    compare_accounts,
    served_requests,
    serving_newmedia,
    synthetic_rows,
)
from govinspect.farm.plan import EXTERNAL_HOST
from govinspect.newmedia.accounts import import_accounts, load_accounts
from govinspect.newmedia.checks import settings_of
from govinspect.newmedia.collect import CollectOptions, collect, import_posts
from govinspect.newmedia.http import FetchOptions
from govinspect.newmedia.run import check_accounts, document
from govinspect.scoring.profile import load_profile
from govinspect.store import open_store

PRECISION, RECALL = 0.98, 0.95
NOTICES = {"newmedia.typo"}
AS_OF = date(2020, 3, 31)


def free_port() -> int:
    probe = socket.socket()
    probe.bind((EXTERNAL_HOST, 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


async def baseline(urls: list[str], concurrency: int) -> tuple[float, int]:
    """GET every URL with the same limits, reading the body and nothing else."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)
    ok = 0
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=15) as client:

        async def one(url: str) -> None:
            nonlocal ok
            async with gate:
                response = await client.get(url)
                ok += response.status_code == 200

        await asyncio.gather(*(one(u) for u in urls))
    return time.perf_counter() - started, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--workers", type=int, default=None, help="processes judging accounts (default: cores, ≤4)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the farm and the home here")
    parser.add_argument("--show", type=int, default=10, help="false positives and misses to list")
    args = parser.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gi-nm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    external = f"http://{EXTERNAL_HOST}:{port}"
    started = time.perf_counter()
    truth = build_newmedia(
        work, synthetic_rows(args.accounts, args.seed), seed=args.seed, as_of=AS_OF, external=external
    )
    print(f"farm: {len(truth['accounts'])} accounts ({args.accounts} registry rows + added), "
          f"built in {time.perf_counter() - started:.1f} s, served at {external}")  # fmt: skip

    home = work / "home"
    store = open_store(load_settings(env={"GOVINSPECT_HOME": str(home)}).database_url)
    profile = load_profile("national-2019")
    fetch = FetchOptions(concurrency=args.concurrency, per_host=args.concurrency, allow_private_networks=True)
    options = CollectOptions(
        fetch=fetch, closure_phrases=settings_of(profile).closure_phrases, menu_retry_spacing=0.2
    )
    try:
        with serving_newmedia(work, EXTERNAL_HOST, port, mode="process"):
            started = time.perf_counter()
            imported = import_accounts(store, work / "newmedia" / "accounts.csv")
            posts = import_posts(store, work / "newmedia" / "posts.csv")
            import_s = time.perf_counter() - started
            print(
                f"import: {imported.registry.created} accounts, {posts.posts} imported posts in {import_s:.1f} s"
            )

            with store.session() as session:
                urls = [s.url for a in load_accounts(session) for s in a.sources]
            base_s, base_ok = asyncio.run(baseline(urls, args.concurrency))
            print(f"baseline: GET of the {len(urls)} source URLs only: {base_s:.2f} s ({base_ok} answered 200, "
                  f"{len(urls) / base_s:.0f} URLs/s)")  # fmt: skip

            before = served_requests(EXTERNAL_HOST, port)
            started = time.perf_counter()
            first = collect(store, options)
            collect_s = time.perf_counter() - started
            requests = served_requests(EXTERNAL_HOST, port) - before
            print(f"collect: {first.sources} sources, {requests} requests (article pages and menu "
                  f"links included), {first.new_posts} new posts, {first.failed} failed, {first.menu_links} menu "
                  f"links ({first.menu_failed} dead) in {collect_s:.1f} s — {first.accounts / collect_s:.0f} "
                  f"accounts/s")  # fmt: skip

            started = time.perf_counter()
            result = check_accounts(store, profile, AS_OF, period="2020Q1", workers=args.workers)
            check_s = time.perf_counter() - started
            judged = sum(1 for o in result.outcomes if o.judged)
            print(f"check: {judged} accounts judged, {len(result.outcomes) - judged} with reconciliation "
                  f"findings only, in {check_s:.1f} s — {args.accounts / check_s:.0f} accounts/s")  # fmt: skip

            before = served_requests(EXTERNAL_HOST, port)
            started = time.perf_counter()
            again = collect(store, options)
            again_s = time.perf_counter() - started
            requests = served_requests(EXTERNAL_HOST, port) - before
            print(f"re-collect: {again.not_modified} of {again.sources} sources unchanged (304), "
                  f"{again.new_posts} new posts, {requests} requests in {again_s:.1f} s")  # fmt: skip
        total = collect_s + check_s
        print(f"\ncollection + checking of {args.accounts} accounts: {total:.1f} s "
              f"(collection {collect_s:.1f} s against a fetch-only baseline of {base_s:.1f} s; checking {check_s:.1f} s)")  # fmt: skip

        comparison = compare_accounts(truth, document(result))
        print(f"\n{'check':28} {'TP':>5} {'FP':>5} {'FN':>5} {'precision':>10} {'recall':>8}  target")
        for check in sorted(comparison.checks):
            score = comparison.checks[check]
            p, r = score.precision, score.recall
            shown_p = "—" if p is None else f"{p:.3f}"
            shown_r = "—" if r is None else f"{r:.3f}"
            if check in NOTICES:
                verdict = "notice (not held to the target)"
            else:
                verdict = "MET" if (p is None or p >= PRECISION) and (r is None or r >= RECALL) else "MISSED"
            print(f"{check:28} {score.true_positives:5} {score.false_positives:5} {score.false_negatives:5} "
                  f"{shown_p:>10} {shown_r:>8}  {verdict}")  # fmt: skip
        agree = comparison.verdicts_agree / comparison.verdicts_judged if comparison.verdicts_judged else 1.0
        print(f"verdicts: {comparison.verdicts_agree}/{comparison.verdicts_judged} agree ({agree:.2%}) — "
              f"{'MET' if agree == 1 else 'MISSED'}")  # fmt: skip
        shown = [c for c in comparison.false_positives if c[2] not in NOTICES][: args.show]
        for claim in shown:
            print("  false positive:", claim)
        for claim in [c for c in comparison.misses if c[2] not in NOTICES][: args.show]:
            print("  missed:", claim)
        for item in comparison.disagreements[: args.show]:
            print("  verdict:", json.dumps(item, ensure_ascii=False))
    finally:
        store.dispose()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
