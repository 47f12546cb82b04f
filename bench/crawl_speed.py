"""Pages/s of the whole ``inspect`` pipeline against plain Scrapy crawls of the same farm, in the same run.

Usage: .venv/bin/python bench/crawl_speed.py [--sites 200] [--seed 7] [--farm DIR] [--rounds 2]
       [--per-host 4] [--max-pages 400] [--behaviours] [--only inspect|crawl|list]

Builds a farm (or reuses --farm DIR), serves it in a child process, and runs three things, each in its own
process, interleaved round after round (round 1: inspect, crawl, list; round 2: list, crawl, inspect; …) so
the machine's noise falls on every side:

* ``inspect``: ``runs.inspect.inspect_sites`` on a fresh home (no conditional GET): crawl (Scrapy worker,
  SSRF resolver, TRS pagination, HEAD of documents, snapshots in SQLite + blob files), extraction, link
  verification (spaced second requests), checks, scoring, results stored. Pages = GET answers stored as
  snapshots (404s included, network failures and HEADs not).
* ``crawl``: the idiomatic plain Scrapy spider with the same engine settings (concurrency, delay,
  AutoThrottle, robots.txt, timeouts, depth limit): start at the homepages, follow every ``<a href>`` on the
  same host, store nothing. The same crawl without extraction: the issue's "plain Scrapy crawl of the same
  pages with no extraction or checks".
* ``list``: plain Scrapy given the list of URLs the inspect crawl fetched (no link discovery at all): the
  lower bound, a crawler doing nothing but download.

Each is timed from its process start to its end (the inspect clock starts before the registry sites are
loaded and stops when the run is stored). Each also reports the CPU seconds of its process tree (the crawl
worker, the judge pool, Chromium included), which other work on a shared machine disturbs far less than the wall
clock; the CPU ratio is printed beside the time ratio. Sites with a behaviour (down, slow, firewall, flaky) are left out
unless ``--behaviours``: the slow site's tail would measure the farm's delay, not the crawler.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path

from govinspect.farm import build_farm, load_farm, serving
from govinspect.farm.server import free_port
from govinspect.fetch.crawl import CrawlOptions
from timed_inspect import process_tree_cpu_s, timed_inspection


def crawl_options(args: argparse.Namespace) -> CrawlOptions:
    return CrawlOptions(
        max_pages=args.max_pages,
        max_depth=8,
        allow_private_networks=True,
        delay=0.0,
        concurrency_per_host=args.per_host,
        concurrency=64,
        homepage_retry_spacing_s=1.0,
    )


def _baseline(mode: str, urls: list[str], options: CrawlOptions, out) -> None:  # runs in a child process
    t0 = time.perf_counter()
    from urllib.parse import urlsplit

    import scrapy
    from scrapy.crawler import CrawlerProcess

    from govinspect.fetch.worker import scrapy_settings

    settings = scrapy_settings(options)
    for key in ("TWISTED_DNS_RESOLVER", "DOWNLOADER_MIDDLEWARES", "GOVINSPECT_ALLOW_PRIVATE_NETWORKS"):
        settings.pop(key)
    settings["DEPTH_LIMIT"] = options.max_depth

    class Plain(scrapy.Spider):
        """``list``: download the given URLs, nothing else. ``crawl``: the idiomatic Scrapy crawl — start at
        the homepages, follow every <a href> on the same host (Scrapy's dupefilter), store nothing."""

        name = "plain"
        pages = 0

        async def start(self):
            for url in urls:
                yield scrapy.Request(url, callback=self.parse, dont_filter=mode == "list")

        def parse(self, response):
            Plain.pages += 1
            if mode == "list" or not hasattr(response, "text"):
                return
            host = urlsplit(response.url).netloc
            for request in response.follow_all(css="a"):
                if urlsplit(request.url).netloc == host:
                    yield request

    process = CrawlerProcess(settings=settings)
    process.crawl(Plain)
    process.start()
    out.put({"pages": Plain.pages, "inner_s": time.perf_counter() - t0, "cpu_s": process_tree_cpu_s()})


def _inspect(farm_dir: str, codes: list[str], options: CrawlOptions, home: str, out) -> None:  # child process
    from sqlalchemy import func, select

    from govinspect.store.models import Snapshot

    timed = timed_inspection(farm_dir, codes, options, home)
    cpu = process_tree_cpu_s()  # the registry import (setup) included: a small part
    result, store = timed.result, timed.store
    with store.session() as session:
        answered = (
            Snapshot.crawl_id == result.crawl_id,
            Snapshot.method == "GET",
            Snapshot.status.is_not(None),
        )
        pages = session.scalar(select(func.count()).select_from(Snapshot).where(*answered))
        urls = list(session.scalars(select(Snapshot.final_url).where(*answered, Snapshot.status == 200)))
    store.dispose()
    out.put(
        {
            "pages": pages,
            "urls": urls,
            "setup_s": timed.setup_s,  # registry import: setup, taken out of the inspect time
            "inspect_s": timed.inspect_s,
            "crawl_stage_s": timed.crawl_stage_s,
            "cpu_s": cpu,
            "findings": sum(len(o.findings) for o in result.outcomes),
            "broken": sum(1 for o in result.outcomes for f in o.findings if f.check == "links.broken"),
        }
    )


def _run(target, args: tuple) -> tuple[dict, float]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    t0 = time.perf_counter()
    proc = ctx.Process(target=target, args=(*args, q))
    proc.start()
    result = q.get()
    proc.join()
    return result, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--farm", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--max-pages", type=int, default=400)
    parser.add_argument("--behaviours", action="store_true")
    parser.add_argument("--only", choices=("inspect", "crawl", "list"))
    args = parser.parse_args()
    options = crawl_options(args)

    with tempfile.TemporaryDirectory(prefix="gi-crawl-bench-") as tmp:
        work = Path(tmp)
        if args.farm:
            farm = load_farm(args.farm)
        else:
            t0 = time.perf_counter()
            farm = build_farm(work / "farm", sites=args.sites, seed=args.seed, port=free_port(args.sites))
            print(f"farm: {len(farm.sites)} sites built in {time.perf_counter() - t0:.1f} s", flush=True)
        sites = [s for s in farm.sites if args.behaviours or not s.behaviour]
        codes = [s.site_code for s in sites]
        starts = [s.url for s in sites]
        runs: dict[str, list[tuple[int, float, float]]] = {"inspect": [], "crawl": [], "list": []}
        urls: list[str] = []
        extra: list[dict] = []
        with serving(farm.root, mode="process", ready_timeout=120):
            for round_no in range(args.rounds):
                order = ["inspect", "crawl", "list"]
                if round_no % 2:
                    order.reverse()
                if args.only:
                    order = [args.only]
                for what in order:
                    if what == "inspect":
                        home = work / f"home-{round_no}"
                        home.mkdir()
                        info, wall = _run(_inspect, (str(farm.root), codes, options, str(home)))
                        urls = urls or info["urls"]
                        seconds = wall - info["setup_s"]
                        extra.append(info)
                        stage = info["crawl_stage_s"]
                        print(
                            f"round {round_no + 1} inspect: {info['pages']} pages in {seconds:.1f} s, "
                            f"CPU {info['cpu_s']:.1f} s (crawl stage ≈ {stage:.1f} s; {info['findings']} findings, "
                            f"{info['broken']} links.broken)",
                            flush=True,
                        )
                    else:
                        if what == "list" and not urls:
                            continue  # needs the URLs of an inspect run
                        info, seconds = _run(_baseline, (what, urls if what == "list" else starts, options))
                        print(
                            f"round {round_no + 1} {what}: {info['pages']} pages in {seconds:.1f} s, "
                            f"CPU {info['cpu_s']:.1f} s",
                            flush=True,
                        )
                    runs[what].append((info["pages"], seconds, info["cpu_s"]))

        def rate(what: str, cpu: bool = False) -> float | None:
            done = runs[what]
            return statistics.median(p / (c if cpu else s) for p, s, c in done) if done else None

        ours = rate("inspect")
        print()
        print(
            f"sites: {len(sites)} (behaviours {'in' if args.behaviours else 'left out'}), rounds: {args.rounds}"
        )
        labels = {
            "inspect": "govinspect inspect (crawl+extract+links+checks+score+store)",
            "crawl": "plain Scrapy crawl, follows <a href>, no extraction",
            "list": "plain Scrapy given the URL list (download only)",
        }
        for what, label in labels.items():
            r = rate(what)
            if r is None:
                continue
            each = ", ".join(f"{p} p / {s:.1f} s (CPU {c:.1f} s)" for p, s, c in runs[what])
            print(f"{label:62} median {r:6.0f} pages/s, {rate(what, cpu=True):6.0f} pages/CPU-s  [{each}]")
        for what, name in (("crawl", "same crawl without extraction"), ("list", "URL-list lower bound")):
            base = rate(what)
            if ours and base:
                cpu_ratio = (rate("inspect", cpu=True) or 0) / (rate(what, cpu=True) or 1)
                print(f"ratio inspect / plain Scrapy ({name}): {ours / base:.2f} (CPU: {cpu_ratio:.2f})")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
