"""Pages/s of govinspect's crawl against a plain Scrapy crawl of the same pages with no storage.

Usage: .venv/bin/python bench/crawl_speed.py [--sites 200] [--seed 7] [--farm DIR] [--per-host 4] [--behaviours]

Builds a farm (or reuses --farm DIR) and serves it in a child process. First ``fetch.crawl.crawl`` crawls
every site (link extraction, TRS pagination, SSRF resolver, snapshots with bodies in SQLite + blob files).
Then the baseline: a plain Scrapy spider in its own process, with the same engine settings (concurrency,
delay, AutoThrottle, robots.txt, timeouts), given the list of URLs the first crawl fetched, downloading each
and doing nothing with it. Both are timed from process start to exit. Sites with a behaviour (down, slow,
firewall, flaky) are left out unless ``--behaviours``: the slow site's tail would measure the farm's delay,
not the crawler.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from govinspect.farm import build_farm, load_farm, serving
from govinspect.farm.server import free_port
from govinspect.fetch.crawl import CrawlOptions, CrawlTarget, crawl
from govinspect.store import open_store
from govinspect.store.models import Snapshot


def _baseline(mode: str, urls: list[str], options: CrawlOptions, out) -> None:  # runs in a child process
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
    out.put(Plain.pages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--farm", type=Path)
    parser.add_argument("--per-host", type=int, default=4)
    parser.add_argument("--max-pages", type=int, default=400)
    parser.add_argument("--behaviours", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gi-crawl-bench-") as tmp:
        work = Path(tmp)
        if args.farm:
            farm = load_farm(args.farm)
        else:
            t0 = time.perf_counter()
            farm = build_farm(work / "farm", sites=args.sites, seed=args.seed, port=free_port(args.sites))
            print(f"farm: {len(farm.sites)} sites built in {time.perf_counter() - t0:.1f} s", flush=True)
        sites = [s for s in farm.sites if args.behaviours or not s.behaviour]
        options = CrawlOptions(
            max_pages=args.max_pages,
            max_depth=8,
            allow_private_networks=True,
            delay=0.0,
            concurrency_per_host=args.per_host,
            concurrency=64,
            homepage_retry_spacing_s=1.0,
        )
        db = f"sqlite:///{work / 'g.db'}"
        with serving(farm.root, mode="process", ready_timeout=120):
            t0 = time.perf_counter()
            report = crawl(
                [CrawlTarget(s.site_code, s.url) for s in sites],
                options,
                database_url=db,
                snapshots_dir=work / "snap",
            )
            ours_s = time.perf_counter() - t0
            ours_pages = sum(r.pages for r in report.sites.values())
            store = open_store(db)
            with store.session() as session:
                urls = list(
                    session.scalars(
                        select(Snapshot.final_url).where(
                            Snapshot.crawl_id == report.crawl_id,
                            Snapshot.status == 200,
                            Snapshot.method == "GET",
                        )
                    )
                )
            store.dispose()
            ctx = mp.get_context("spawn")
            runs = {}
            for mode, start in (("crawl", [s.url for s in sites]), ("list", urls)):
                q = ctx.Queue()
                t0 = time.perf_counter()
                proc = ctx.Process(target=_baseline, args=(mode, start, options, q))
                proc.start()
                runs[mode] = (q.get(), 0.0)
                proc.join()
                runs[mode] = (runs[mode][0], time.perf_counter() - t0)
        blobs = sum(p.stat().st_size for p in (work / "snap").rglob("*.gz"))
        ours_rate = ours_pages / ours_s
        print(f"sites crawled:               {len(sites)} (status {report.status})")
        print(f"govinspect crawl:            {ours_pages} pages in {ours_s:.1f} s = {ours_rate:.0f} pages/s")
        for mode, label in (
            ("crawl", "plain Scrapy crawl (a href):"),
            ("list", "plain Scrapy, URL list only:"),
        ):
            pages, seconds = runs[mode]
            rate = pages / seconds
            print(
                f"{label:28} {pages} pages in {seconds:.1f} s = {rate:.0f} pages/s; ratio ours/this {ours_rate / rate:.2f}"
            )
        print(f"snapshot blobs:              {blobs / 1e6:.1f} MB gzip for {len(urls)} pages")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
