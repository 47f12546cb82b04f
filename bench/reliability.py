"""Re-run the reliability and security tests and rewrite the table of docs/RELIABILITY.md from their results.

Usage: .venv/bin/python -m bench.reliability [--fuzz 60] [--only AREA] [--no-write]

Runs pytest on each area's test files with a JUnit XML report, counts the cases (a hypothesis test counts its
examples: tests × ``--fuzz``), and writes what was tried, how many cases, the result and the time between the
markers of docs/RELIABILITY.md (the text around the table is kept). The hostile run's figures (time, memory of
the process tree) come from the test itself (``GOVINSPECT_RELIABILITY_OUT``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "RELIABILITY.md"
BEGIN, END = "<!-- reliability:begin -->", "<!-- reliability:end -->"


@dataclass(frozen=True)
class Area:
    key: str
    name: str
    tried: str
    files: tuple[str, ...]
    fuzz: bool = False
    select: str | None = None  # a pytest -k expression, when an area is part of a shared file


AREAS = (
    Area(
        "hostile",
        "敌意网站（整站）",
        "hostile farm, 20 sites in one inspection beside a good site: silent, slowloris, redirect loop, endless "
        "redirects, resets, broken chunked, endless body, 1 GB, gzip bomb (1 GB), binary .html, wrong "
        "Content-Type, self-signed and expired TLS, HTTP/1.0 without length, lying charset, invalid GBK/UTF-8, "
        "10,000-deep nesting, 50,000 links, calendar trap, 9 MB robots.txt; a crawl cut short (page budget "
        "spent with columns left, time budget) gets a crawl.incomplete notice saying why",
        ("tests/test_inspect_hostile.py",),
    ),
    Area(
        "crawl",
        "敌意页面（单页）与 SSRF",
        "every per-request hostile case as a page of one site crawled beside a plain one; robots.txt on/off; "
        "SSRF guard (resolver answers, literals, schemes, DNS rebinding); how each site's crawl ended (page "
        "budget, time budget, consecutive failures, complete)",
        ("tests/test_crawl_hostile.py", "tests/test_fetch_guard.py"),
    ),
    Area(
        "fuzz",
        "模糊测试（hypothesis）",
        "date parsers, URL dates and sequence numbers, identifier and footer parsers, registry import (CSV "
        "cells, junk files), text checks, HTML extraction (generated markup and raw bytes), deep/wide pages",
        ("tests/test_fuzz.py",),
        fuzz=True,
    ),
    Area(
        "crash",
        "崩溃安全（SIGKILL）",
        "SIGKILL of the CLI during an inspection, a report and a registry import, on SQLite (WAL) and "
        "PostgreSQL: integrity, nothing committed lost, resume/re-run without duplicates",
        ("tests/test_crash_safety.py",),
    ),
    Area(
        "web",
        "Web 攻击",
        "OpenAPI of /api/v1 fuzzed with schemathesis (admin and unit tokens); another unit's identifiers on "
        "every API path; SQL injection through API and page filters and search; oversized and multipart bodies "
        "on the public form (XSS payloads, CSRF, flooding: tests/test_web_app.py, tests/test_web_rectify.py)",
        ("tests/test_web_attacks.py",),
    ),
)


@dataclass
class Outcome:
    tests: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    skip_reasons: tuple[str, ...] = ()

    @property
    def result(self) -> str:
        if self.tests == 0:
            return "未运行"
        if self.failed:
            return f"失败 {self.failed}"
        if self.skipped == self.tests:
            return "跳过"
        return "通过" + (f"（跳过 {self.skipped}）" if self.skipped else "")


def read_junit(path: Path) -> Outcome:
    out = Outcome()
    reasons: list[str] = []
    for case in ET.parse(path).getroot().iter("testcase"):
        out.tests += 1
        out.seconds += float(case.get("time") or 0)
        if case.find("failure") is not None or case.find("error") is not None:
            out.failed += 1
        elif (skip := case.find("skipped")) is not None:
            out.skipped += 1
            reasons.append((skip.get("message") or "")[:120])
        else:
            out.passed += 1
    out.skip_reasons = tuple(dict.fromkeys(reasons))
    return out


def run_area(area: Area, fuzz_examples: int, figures: Path) -> Outcome:
    files = [f for f in area.files if (ROOT / f).exists()]
    if not files:
        return Outcome()
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        command = [
            sys.executable,
            "-m",
            "pytest",
            *files,
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
        ]
        if area.select:
            command += ["-k", area.select]
        env = os.environ | {
            "GOVINSPECT_FUZZ_EXAMPLES": str(fuzz_examples),
            "GOVINSPECT_RELIABILITY_OUT": str(figures),
            "GOVINSPECT_HEAVY": "1",
        }
        started = time.monotonic()
        subprocess.run(command, cwd=ROOT, env=env, check=False)
        outcome = read_junit(junit) if junit.exists() else Outcome()
        outcome.seconds = time.monotonic() - started
    return outcome


def table(results: dict[str, Outcome], fuzz_examples: int, figures: dict) -> str:
    lines = [
        "| 方面 | 尝试了什么 | 用例数 | 结果 | 用时 |",
        "| --- | --- | ---: | --- | ---: |",
    ]
    for area in AREAS:
        got = results.get(area.key)
        if got is None:
            continue
        cases = f"{got.tests}"
        if area.fuzz and got.tests:
            cases = f"{got.tests} 项 × 至多 {fuzz_examples} 例"
        tried = area.tried
        if area.key == "hostile" and "hostile" in figures:
            f = figures["hostile"]
            tried += (
                f" — run {f['elapsed_s']:.0f} s (budget {f['budget_s']} s), peak PSS of the process tree "
                f"{f['peak_pss_mb']:.0f} MB, crawl worker peak RSS {f['peak_rss_mb'].get('crawl', 0):.0f} MB"
            )
        result = got.result
        if got.skip_reasons and got.skipped:
            result += f"：{got.skip_reasons[0]}"
        lines.append(f"| {area.name} | {tried} | {cases} | {result} | {got.seconds:.0f} s |")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines.append("")
    lines.append(f"最近一次运行：{stamp}，`python -m bench.reliability --fuzz {fuzz_examples}`。")
    return "\n".join(lines)


def rewrite(doc: Path, body: str) -> None:
    text = doc.read_text("utf-8") if doc.exists() else f"# Reliability\n\n{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz", type=int, default=60, help="hypothesis examples per fuzz test")
    parser.add_argument("--only", action="append", choices=[a.key for a in AREAS], help="run only this area")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave the document alone")
    args = parser.parse_args(argv)
    results: dict[str, Outcome] = {}
    with tempfile.TemporaryDirectory() as tmp:
        figures_file = Path(tmp) / "figures.json"
        for area in AREAS:
            if args.only and area.key not in args.only:
                continue
            results[area.key] = run_area(area, args.fuzz, figures_file)
            figures = json.loads(figures_file.read_text()) if figures_file.exists() else {}
            body = table(results, args.fuzz, figures)
            if not args.no_write and not args.only:
                rewrite(DOC, body)  # after each area: a long run interrupted still leaves what it measured
    print(body)
    return 1 if any(r.failed for r in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
