"""Time to write the full circular for a province-sized store: 600 sites and 3,000 new-media accounts.

Usage: .venv/bin/python bench/report_speed.py [--sites 600] [--accounts 3000] [--messages 40] [--repeat 3]
       [--pdf] [--keep DIR]

Builds a SQLite store (in a temporary directory, or --keep DIR) straight through the store models: the sites in
20 regions and their units, the accounts, a finished run for 2020Q1 (every site checked, 2% failing with a veto,
a few deduction findings each) and one for 2019Q4 (so the report has a 环比 and a 复查), each result with a
stored site model of realistic size (~40 kB: filler columns plus a message board of ``--messages`` messages).
Account results are not stored yet (the new-media checks are not built), so the accounts enter as records:
every one checked, 3% failing, which gives attachment 4 its ~90 rows.

Then, each ``--repeat`` times (the median is printed; the first, cold run -- font registration, imports -- is
printed too):

* load: ``figures.load_report_source`` (results, findings, message boards, the compared period, the re-check);
* xlsx: ``write_xlsx`` of the attachments alone (the baseline a spreadsheet-only tool would spend);
* report: ``write_report`` from the store (figures, verification, charts, DOCX, XLSX, HTML);
* full: ``write_circular`` with the 3,000 account results (attachment 4 and the new-media text added);
* pdf (with --pdf, once): the LibreOffice conversion of that DOCX.

The target is the full circular in under 10 s; the ratios put the whole report beside loading and beside the
XLSX alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from govinspect.registry.model import SiteCategory
from govinspect.reports import figures as fig
from govinspect.reports.circular import make_circular
from govinspect.reports.cli import write_circular, write_report
from govinspect.reports.records import AccountRecord
from govinspect.reports.xlsx import write_xlsx
from govinspect.store import Store, open_store
from govinspect.store.models import Account, Site, Unit
from govinspect.store.results import FindingRow, Run, SiteResult

TARGET_S = 10.0
REGIONS = [f"第{i:02d}市" for i in range(1, 20)]
PLATFORMS = ["微信公众号", "微博", "抖音", "今日头条", "客户端APP"]
DEDUCTIONS = ["links.broken", "content.typo", "interaction.reply_slow", "columns.blank_notice"]


def _model(rng: random.Random, messages: int) -> dict:
    """A stored model of realistic size: filler columns the report must not parse, and a message board."""
    start = datetime(2020, 1, 2, 9)
    board = []
    for i in range(messages):
        submitted = start + timedelta(days=rng.randrange(0, 85), hours=rng.randrange(0, 8))
        answered = rng.random() < 0.85
        replied = submitted + timedelta(days=rng.randrange(1, 12)) if answered else None
        board.append(
            {
                "url": f"http://example.gov.cn/hd/{i}.html",
                "title": f"关于某事项的咨询{i}",
                "board": "http://example.gov.cn/hd/list.html",
                "submitted": submitted.isoformat(),
                "replied": replied.isoformat() if replied else None,
                "unit": "办公室",
                "status": "已办结" if answered else "办理中",
                "state": "answered" if answered else "pending",
            }
        )
    columns = [
        {
            "url": f"http://example.gov.cn/col/{i}/",
            "name": f"栏目{i}",
            "items": [f"2020-0{1 + i % 3}-1{i % 9}"] * 20,
        }
        for i in range(60)
    ]
    return {"version": 1, "columns": columns, "interaction": {"judged": True, "messages": board}}


def build_store(store: Store, sites: int, accounts: int, messages: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    categories = [
        SiteCategory.CITY_DEPARTMENT.value,
        SiteCategory.COUNTY_PORTAL.value,
        SiteCategory.CITY_DEPARTMENT.value,
        SiteCategory.BELOW_COUNTY.value,
    ]
    with store.session() as session:
        rows = []
        for i in range(sites):
            if i < 60:
                region, category, prefix = (
                    "省本级",
                    (
                        SiteCategory.PROVINCIAL_PORTAL.value
                        if i == 0
                        else SiteCategory.PROVINCIAL_DEPARTMENT.value
                    ),
                    "3600",
                )
            else:
                r = (i - 60) % len(REGIONS)
                region, prefix = REGIONS[r], f"36{r + 1:02d}"
                category = SiteCategory.CITY_PORTAL.value if i - 60 < len(REGIONS) else categories[i % 4]
            code = f"{prefix}{i:06d}"
            rows.append(
                Site(
                    site_code=code,
                    name=f"{region}网站{i}",
                    url=f"http://{code}.example.gov.cn/",
                    unit=Unit(name=f"{region}单位{i}"),
                    region=region,
                    category=category,
                )
            )
        session.add_all(rows)
        for i in range(accounts):
            region = "省本级" if i < 300 else REGIONS[i % len(REGIONS)]
            session.add(
                Account(
                    platform=PLATFORMS[i % len(PLATFORMS)],
                    account_id=f"acct{i}",
                    account_name=f"{region}政务号{i}",
                    unit=rows[i % len(rows)].unit,
                    region=region,
                )
            )
        session.flush()
        for period, as_of, fail_share in (
            ("2019Q4", date(2019, 12, 31), 0.03),
            ("2020Q1", date(2020, 3, 31), 0.02),
        ):
            run = Run(kind="inspect", period=period, as_of=as_of, profile="national-2019", status="finished")
            session.add(run)
            for site in rows:
                failing = rng.random() < fail_share
                result = SiteResult(
                    run=run,
                    site_id=site.id,
                    site_code=site.site_code,
                    verdict="不合格" if failing else "合格",
                    score=None if failing else round(rng.uniform(70, 118), 1),
                    vetoes=["栏目不更新"] if failing else [],
                    model=_model(rng, messages) if period == "2020Q1" else {},
                )
                for check in rng.sample(DEDUCTIONS, rng.randrange(0, 3)):
                    result.findings.append(
                        FindingRow(
                            check=check,
                            severity="deduction",
                            raw_severity="deduction",
                            url=site.url,
                            message="示例",
                            evidence={},
                        )
                    )
                session.add(result)
            session.flush()


def account_results(source: fig.Source, seed: int = 7) -> tuple[AccountRecord, ...]:
    rng = random.Random(seed)
    done = []
    for a in source.accounts:
        failing = rng.random() < 0.03
        done.append(
            dataclasses.replace(
                a,
                checked=True,
                verdict="不合格" if failing else "合格",
                vetoes=("未及时更新",) if failing else (),
                score=None if failing else 90.0,
            )
        )
    return tuple(done)


def timed(repeat: int, fn: Callable[[], object]) -> tuple[float, float]:
    """(first run, median of the runs)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=600)
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--messages", type=int, default=40, help="messages per site's board")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pdf", action="store_true", help="also time the LibreOffice conversion")
    parser.add_argument("--keep", type=Path, help="build the store and outputs in DIR and keep them")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="report-speed-") as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        db = work / "report_speed.db"
        db.unlink(missing_ok=True)
        store = open_store(f"sqlite:///{db}")
        start = time.perf_counter()
        build_store(store, args.sites, args.accounts, args.messages)
        print(
            f"store: {args.sites} sites, {args.accounts} accounts, {args.messages} messages per board, "
            f"{db.stat().st_size / 1e6:.1f} MB, built in {time.perf_counter() - start:.1f} s"
        )
        day, due = date(2020, 4, 2), date(2020, 4, 15)

        def load() -> fig.Source:
            with store.session() as session:
                return fig.load_report_source(session, period="2020Q1", compare_to=["2019Q4"])

        source = load()
        full_figures = fig.figures_of(dataclasses.replace(source, accounts=account_results(source)))
        attachments = make_circular(full_figures, issue_date=day, deadline=due).attachments
        results: dict[str, tuple[float, float]] = {}
        results["load"] = timed(args.repeat, load)
        results["xlsx"] = timed(args.repeat, lambda: write_xlsx(attachments, work / "xlsx-only.xlsx"))
        results["report"] = timed(
            args.repeat,
            lambda: write_report(
                store,
                work / "report",
                period="2020Q1",
                compare_to=["2019Q4"],
                issue_date=day,
                deadline=due,
                pdf=False,
            ),
        )

        def full() -> None:
            figures = fig.figures_of(dataclasses.replace(load(), accounts=account_results(source)))
            write_circular(figures, work / "full", issue_date=day, deadline=due, pdf=False)

        results["full"] = timed(args.repeat, full)
        if args.pdf:
            from govinspect.reports.pdf import convert_to_pdf, find_soffice

            if find_soffice() is None:
                print("pdf: LibreOffice not installed, skipped")
            else:
                results["pdf"] = timed(1, lambda: convert_to_pdf(work / "full" / "通报.docx"))
        store.dispose()

    base_load, base_xlsx = results["load"][1], results["xlsx"][1]
    print(f"\n{'step':<8}{'first s':>10}{'median s':>10}{'× load':>10}{'× xlsx':>10}")
    for name, (first, median) in results.items():
        print(f"{name:<8}{first:>10.2f}{median:>10.2f}{median / base_load:>10.1f}{median / base_xlsx:>10.1f}")
    full_s = results["full"][1] + (results["pdf"][1] if "pdf" in results else 0.0)
    what = "full circular incl. PDF" if "pdf" in results else "full circular (DOCX, XLSX, HTML, charts)"
    verdict = "within" if full_s < TARGET_S else "OVER"
    print(
        f"\n{what}: {full_s:.2f} s for {args.sites} sites and {args.accounts} accounts — {verdict} the {TARGET_S:g} s target"
    )
    print(
        f"attachment 4: {len(full_figures.problem_accounts)} accounts; message table: "
        f"{len(full_figures.message_rows)} sites, {full_figures.message_total.received if full_figures.message_total else 0} messages"
    )


if __name__ == "__main__":
    main()
