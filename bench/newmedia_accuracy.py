"""Accuracy and throughput of the new-media checks against the farm's truth, for a province's 3,000 accounts.

Usage: .venv/bin/python bench/newmedia_accuracy.py [--accounts 3000] [--seed 7] [--concurrency 32]
                                                    [--workers N] [--keep DIR] [--show 10] [--sites N]

Builds the farm's new-media part for ``--accounts`` synthetic accounts (farm/newmedia.py ``synthetic_rows``: no
sites needed), serves it alone on loopback (the external origin, as an office's RSSHub instance would serve
every account from one host) and, in a fresh temporary home (SQLite):

1. imports the accounts file (with its 菜单 and 采集地址 columns) and the vendor's post list;
2. collects every source (feeds, H5 lists and their article pages, app pages) and probes the menu links — timed,
   beside a baseline that only GETs the same source URLs with the same client limits (no parsing, no storage);
3. checks and scores every account (``newmedia check``) — timed, with the number of worker processes used;
4. collects again: every source should answer 304 and nothing new be stored — timed.

With ``--sites N`` (``--accounts 0`` to skip the part above), reconciliation with what sites name: builds a site
farm of N sites (its new-media part included), parses every site's homepage and the 政务新媒体矩阵 page it links
to from the files as served (the site's bytes and Content-Type header, GBK sites included; the crawl → stored
pages → ``seen_on_sites`` path is tested end to end in tests/test_newmedia_farm.py), checks the named accounts
against the registry (``check_accounts(seen=…)``) and scores ``newmedia.unregistered`` (variant ``seen_on_site``)
and ``newmedia.status_mismatch`` (variant ``closed_but_listed``: a registry account marked closed still named)
against the truth by platform and name (``farm.newmedia.compare_seen``), timed.

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
from govinspect.extract.page import parse_page
from govinspect.farm import build_farm
from govinspect.farm.newmedia import (
    build_newmedia,
    compare_accounts,
    compare_seen,
    served_requests,
    serving_newmedia,
    synthetic_rows,
)
from govinspect.farm.plan import EXTERNAL_HOST
from govinspect.farm.render import disk_name
from govinspect.newmedia.accounts import import_accounts, load_accounts
from govinspect.newmedia.checks import settings_of
from govinspect.newmedia.collect import CollectOptions, collect, import_posts
from govinspect.newmedia.http import FetchOptions
from govinspect.newmedia.model import SeenAccount
from govinspect.newmedia.reconcile import find_accounts, matrix_link
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


def reconcile_sites(sites: int, seed: int, work: Path, show: int) -> None:
    """Reconciliation with the accounts the farm's sites name (see the module docstring)."""
    started = time.perf_counter()
    farm = build_farm(work / "sites", sites=sites, seed=seed, as_of=AS_OF, port=free_port())
    truth = json.loads((farm.root / "newmedia" / "truth.json").read_text("utf-8"))
    print(f"\nsite farm: {sites} sites, {len(truth['seen_on_sites'])} accounts named on them, built in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    started = time.perf_counter()
    seen: list[SeenAccount] = []
    pages = 0
    for site in farm.sites:
        charset = f"; charset={site.header_charset}" if site.header_charset else ""
        headers = {"content-type": f"text/html{charset}"}

        def read(url: str, site=site) -> bytes | None:  # type: ignore[no-untyped-def]
            if not url.startswith(site.base_url + "/"):
                return None
            path = farm.site_dir(site) / disk_name(url[len(site.base_url) :])
            return path.read_bytes() if path.is_file() else None

        body = read(site.homepage_url)
        if body is None:
            continue
        home = parse_page(site.homepage_url, body, headers=headers)
        pages += 1
        seen += find_accounts(home, how="footer")
        for link in home.links:
            if link.kind == "a" and matrix_link(link.text) and (matrix := read(link.url)) is not None:
                pages += 1
                seen += find_accounts(parse_page(link.url, matrix, headers=headers), how="matrix")
    parse_s = time.perf_counter() - started
    store = open_store(load_settings(env={"GOVINSPECT_HOME": str(work / "sites-home")}).database_url)
    try:
        import_accounts(store, farm.root / "newmedia" / "accounts.csv")
        started = time.perf_counter()
        result = check_accounts(store, load_profile("national-2019"), AS_OF, period="2020Q1", seen=seen)
        check_s = time.perf_counter() - started
    finally:
        store.dispose()
    comparison = compare_seen(truth, document(result))
    print(f"read {pages} pages naming {len(seen)} accounts in {parse_s:.1f} s; matched with the registry "
          f"in {check_s:.1f} s")  # fmt: skip
    for score in comparison.checks.values():
        p, r = score.precision, score.recall
        met = (p is None or p >= PRECISION) and (r is None or r >= RECALL)
        print(f"{score.check:45} TP {score.true_positives:4} FP {score.false_positives:4} FN "
              f"{score.false_negatives:4} precision {'—' if p is None else f'{p:.3f}'} recall "
              f"{'—' if r is None else f'{r:.3f}'}  {'MET' if met else 'MISSED'}")  # fmt: skip
    for claim in comparison.false_positives[:show]:
        print("  false positive:", claim)
    for claim in comparison.misses[:show]:
        print("  missed:", claim)


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
    parser.add_argument("--sites", type=int, default=0, help="also score reconciliation on a farm of N sites")
    args = parser.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="gi-nm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.sites:
        try:
            reconcile_sites(args.sites, args.seed, work, args.show)
        finally:
            if not args.keep and not args.accounts:
                shutil.rmtree(work, ignore_errors=True)
    if not args.accounts:
        return 0
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
