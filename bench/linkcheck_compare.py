"""Broken links found by ``govinspect inspect`` against LinkChecker (PyPI ``linkchecker``) on the same farm sites.

Usage: .venv/bin/python bench/linkcheck_compare.py [--sites 30] [--seed 7] [--farm DIR] [--threads 32]
       [--polite] [--homepages-only] [--examples 3]

Builds a farm (or reuses --farm DIR), serves it in a child process and picks ``--sites`` ordinary sites plus
one firewall, one down and one flaky site (the slow one is left out: it would time the farm's delay). Then,
one after the other, each timed from its process start to its end:

* govinspect: ``runs.inspect.inspect_sites`` (crawl, extraction, link verification, checks, scoring, store)
  with a page budget and depth that cover every page of a farm site; broken links = the ``links.broken``
  findings' ``evidence.target``.
* LinkChecker: the ``linkchecker`` command, unlimited recursion, ``--check-extern``; broken links = URLs it
  reports as not valid (CSV on stdout, so nothing is written where the ``nobody`` user it drops to as root
  could not write). It is started from the homepages *and* every page govinspect fetched: LinkChecker does
  not follow the TRS ``createPageHTML`` pagination, so from the homepages alone it reaches about a third of
  a farm site (``--homepages-only`` shows that).

Made fair where the tools allow it: the same User-Agent (so the farm's firewall, which refuses agents
without "Mozilla/", treats both alike), robots.txt obeyed by both, 15 s timeouts, external links checked
but not followed by both, the same number of parallel requests (``--threads`` for LinkChecker, the crawl's
concurrency for govinspect). Politeness: by default neither waits between requests to a host (govinspect:
delay 0, 4 per host; LinkChecker: its 0.1–0.6 s wait per host lifted as when a server sends its
"LinkChecker" header), so the figure compares the tools, not their sleeps. ``--polite`` gives both the same
mean wait instead: LinkChecker's default (random 0.1–0.6 s per host), govinspect one request at a time per
host with a randomised 0.35 s delay. What still differs, and is reported: LinkChecker also checks images,
style sheets and scripts; govinspect checks pages, frames and documents, reports a failed link only after
a second spaced request, and reports 401/403/429 answers as ``links.blocked`` notices, never as broken.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url

from govinspect.farm import build_farm, load_farm, serving
from govinspect.farm.server import free_port
from govinspect.fetch.crawl import DEFAULT_USER_AGENT, CrawlOptions
from timed_inspect import process_tree_cpu_s, timed_inspection

# LinkChecker's own command, with its per-host wait lifted unless --polite (see the module docstring).
UNTHROTTLED = (
    "import sys; import linkcheck.director.aggregator as a; "
    "a.Aggregate.wait_time_min_default = a.Aggregate.wait_time_max_default = 0.0; "
    "from linkcheck.command.linkchecker import linkchecker; sys.argv[0] = 'linkchecker'; sys.exit(linkchecker())"
)
ASSET_SUFFIXES = (".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".svg", ".webp")


def _inspect(farm_dir: str, codes: list[str], options: CrawlOptions, home: str, out) -> None:  # child process
    from sqlalchemy import select

    from govinspect.store.models import Snapshot

    timed = timed_inspection(farm_dir, codes, options, home)
    cpu = (
        process_tree_cpu_s()
    )  # crawl worker, judge pool and Chromium included (registry import too: a small part)
    result, store = timed.result, timed.store
    findings = [
        {
            "site": o.site_code,
            "check": f.check,
            "url": f.url,
            "target": f.evidence.get("target"),
            "msg": f.message,
        }
        for o in result.outcomes
        for f in o.findings
        if f.check in ("links.broken", "links.blocked", "availability.down_at_check")
    ]
    with store.session() as session:
        fetched = list(
            session.scalars(
                select(Snapshot.final_url).where(
                    Snapshot.crawl_id == result.crawl_id, Snapshot.status.is_not(None)
                )
            )
        )
        pages = list(
            session.scalars(
                select(Snapshot.final_url).where(
                    Snapshot.crawl_id == result.crawl_id,
                    Snapshot.status == 200,
                    Snapshot.method == "GET",
                    Snapshot.error.is_(None),
                )
            )
        )
    store.dispose()
    out.put(
        {
            "setup_s": timed.setup_s,
            "findings": findings,
            "fetched": fetched,
            "pages": pages,
            "crawl_s": timed.crawl_stage_s,
            "cpu_s": cpu,
        }
    )


def run_govinspect(farm_dir: Path, codes: list[str], options: CrawlOptions, home: Path) -> tuple[dict, float]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    t0 = time.perf_counter()
    proc = ctx.Process(target=_inspect, args=(str(farm_dir), codes, options, str(home), q))
    proc.start()
    info = q.get()
    proc.join()
    return info, time.perf_counter() - t0 - info["setup_s"]


def run_linkchecker(
    urls: list[str], work: Path, threads: int, polite: bool
) -> tuple[list[dict], float, float]:
    # LinkChecker drops to ``nobody`` when started as root: its config must be readable by that user.
    work.mkdir(mode=0o755, exist_ok=True)
    rc = work / "linkcheckerrc"
    rc.write_text("[checking]\n" + ("" if polite else "maxrequestspersecond=100000\n"), encoding="utf-8")
    rc.chmod(0o644)
    cmd = [
        sys.executable,
        "-c",
        "import sys; from linkcheck.command.linkchecker import linkchecker; sys.exit(linkchecker())"
        if polite
        else UNTHROTTLED,
        "--config",
        str(rc),
        "--no-status",
        "--verbose",  # every URL checked, so page coverage can be compared
        "--output",
        "csv/utf-8",
        "--threads",
        str(threads),
        "--recursion-level",
        "-1",
        "--check-extern",
        "--timeout",
        "15",
        "--user-agent",
        DEFAULT_USER_AGENT,
        "--stdin",
    ]
    t0, cpu0 = time.perf_counter(), process_tree_cpu_s()
    proc = subprocess.run(
        cmd,
        input="\n".join(urls).encode(),
        capture_output=True,
        cwd=work,
        env=os.environ | {"HOME": str(work)},
        check=False,
    )
    seconds, cpu = time.perf_counter() - t0, process_tree_cpu_s() - cpu0
    if proc.returncode not in (0, 1) or b"urlname;parentname" not in proc.stdout:  # 1: some link is broken
        raise RuntimeError(
            f"linkchecker exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}"
        )
    text = proc.stdout.decode("utf-8", errors="replace")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";")), seconds, cpu


def key(url: str) -> str:
    return canonicalize_url(url, keep_fragments=False)


def _why_only_linkchecker(row: dict, ours: dict[str, dict], fetched: set[str], answered: set[str]) -> str:
    url = row["url"]
    result = row["result"] or ""
    if urlsplit(url).path.lower().endswith(ASSET_SUFFIXES):
        return "an image, style sheet or script (govinspect checks page links, frames and documents)"
    if any(code in result for code in ("401", "403", "429")):
        return f"a firewall answer ({result}): govinspect reports links.blocked, a notice"
    mine = ours.get(key(url))
    if mine is not None:
        return f"govinspect reported it as {mine['check']}"
    if "Error" in result and urlsplit(url).netloc in answered:
        return (
            "one failed connection to a host that answered other requests (the flaky site): govinspect's crawl "
            "retries, and a link is broken only when two spaced requests fail"
        )
    if "Error" in result:
        return "a site that does not answer at all: govinspect reports availability.down_at_check"
    if row["parentname"] and key(row["parentname"]) not in fetched:
        return "its source page was not fetched by govinspect (page coverage)"
    return f"LinkChecker saw {result!r} once; govinspect's two spaced requests did not both fail"


def _why_only_us(finding: dict, lc_checked: dict[str, dict]) -> str:
    row = lc_checked.get(key(finding["target"]))
    if row is not None:
        return f"LinkChecker found it valid ({row['result']})"
    source = lc_checked.get(key(finding["url"]))
    if source is not None and "could not get content" in (source["warningstring"] or ""):
        return (
            "LinkChecker could not decode its source page (GBK bytes under a UTF-8 charset) and so never read "
            "its links"
        )
    if source is None:
        return "LinkChecker never reached its source page"
    return "LinkChecker read its source page but did not check this link"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--farm", type=Path)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--polite", action="store_true")
    parser.add_argument("--homepages-only", action="store_true")
    parser.add_argument("--examples", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gi-linkcheck-bench-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        if args.farm:
            farm = load_farm(args.farm)
        else:
            n = max(2 * args.sites + 12, 40)  # two in five ordinary sites are https (left out)
            farm = build_farm(work / "farm", sites=n, seed=args.seed, port=free_port(n))
        # http sites: the farm CA is not LinkChecker's, and certificates are transport.tls's business
        plain = [s for s in farm.sites if not s.behaviour and not s.down and s.tls is None][: args.sites]
        special = []
        for wanted in ("firewall", "down", "flaky"):
            special += [s for s in farm.sites if (s.behaviour == wanted or (wanted == "down" and s.down))][:1]
        sites = plain + special
        codes = [s.site_code for s in sites]
        options = CrawlOptions(
            max_pages=5000,  # the whole site, as LinkChecker's unlimited recursion
            max_depth=50,
            allow_private_networks=True,
            delay=0.35 if args.polite else 0.0,
            concurrency_per_host=1 if args.polite else 4,
            concurrency=args.threads,
        )
        with serving(farm.root, mode="process", ready_timeout=120):
            ours, ours_s = run_govinspect(farm.root, codes, options, work / "home")
            starts = [s.url for s in sites]
            if not args.homepages_only:
                starts += [u for u in dict.fromkeys(ours["pages"]) if u not in starts]
            rows, lc_s, lc_cpu = run_linkchecker(starts, work / "lc", args.threads, args.polite)

        broken_us = {
            key(f["target"]): f for f in ours["findings"] if f["check"] == "links.broken" and f["target"]
        }
        ours_any = {key(f["target"]): f for f in ours["findings"] if f["target"]}
        lc_checked = {key(r["url"]): r for r in rows if r.get("url")}
        broken_lc = {k: r for k, r in lc_checked.items() if r.get("valid") == "False"}
        fetched = {key(u) for u in ours["fetched"] if u}
        answered = {urlsplit(r["url"]).netloc for r in rows if r.get("valid") == "True" and r.get("url")}
        truth = json.loads(farm.truth_path.read_text(encoding="utf-8"))
        truth_broken = {
            key(d["evidence"]["target"])
            for s in truth["sites"]
            if s["site_code"] in codes
            for d in s["defects"]
            if d["check"] == "links.broken"
        }
        both = broken_us.keys() & broken_lc.keys()
        only_us = broken_us.keys() - broken_lc.keys()
        only_lc = broken_lc.keys() - broken_us.keys()

        print(f"sites: {len(plain)} ordinary + {', '.join(s.behaviour or 'down' for s in special)}")
        print(
            f"politeness: {'both wait ~0.35 s per host' if args.polite else 'none on either side'}; LinkChecker "
            f"started from {'the homepages' if args.homepages_only else 'the homepages and every page govinspect fetched'}"
        )
        print(
            f"govinspect inspect: {ours_s:7.1f} s (CPU {ours['cpu_s']:.1f} s), {len(fetched)} URLs fetched, "
            f"{len(broken_us)} links.broken, "
            f"{sum(f['check'] == 'links.blocked' for f in ours['findings'])} links.blocked, "
            f"{sum(f['check'] == 'availability.down_at_check' for f in ours['findings'])} availability.down_at_check"
        )
        if ours["crawl_s"]:
            print(
                f"  of which the crawl (every page fetched, links found) ≈ {ours['crawl_s']:.1f} s; the rest is "
                "extraction, link verification, checks, scoring and storing, site after site"
            )
        print(
            f"LinkChecker:        {lc_s:7.1f} s (CPU {lc_cpu:.1f} s), {len(lc_checked)} URLs checked, "
            f"{len(broken_lc)} not valid"
        )
        print(
            f"time ratio LinkChecker / govinspect: {lc_s / ours_s:.2f} (target >= 2); "
            f"CPU ratio {lc_cpu / ours['cpu_s']:.2f}"
        )
        print(
            f"broken links: both {len(both)}, only govinspect {len(only_us)}, only LinkChecker {len(only_lc)}; "
            f"farm truth {len(truth_broken)}: govinspect found {len(truth_broken & broken_us.keys())}, "
            f"LinkChecker {len(truth_broken & broken_lc.keys())}"
        )
        for url in sorted(both)[: args.examples]:
            print(f"  both: {url}  (LinkChecker: {broken_lc[url]['result']}; ours: {broken_us[url]['msg']})")
        for url in sorted(only_us)[: args.examples]:
            print(f"  only govinspect: {url}  — {_why_only_us(broken_us[url], lc_checked)}")
        reasons = Counter()
        shown: Counter[str] = Counter()
        for url in sorted(only_lc):
            why = _why_only_linkchecker(broken_lc[url], ours_any, fetched, answered)
            reasons[why] += 1
            if shown[why] < args.examples:
                shown[why] += 1
                print(f"  only LinkChecker: {url} ({broken_lc[url]['result']}) — {why}")
        for why, n in reasons.most_common():
            print(f"  only LinkChecker, {n:4d} × {why}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
