"""The README's main job on the embedded default: a farm served on loopback → registry → inspection → results.

The demo also compares the results with the farm's ground truth, so what it shows is measured, not asserted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from rich.table import Table

from govinspect.checks.registry import WEBSITE_CHECK_IDS
from govinspect.config import Settings
from govinspect.console import console
from govinspect.farm import serving
from govinspect.farm.cli import build_with_progress
from govinspect.farm.compare import compare
from govinspect.fetch.crawl import CrawlOptions
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.registry import service
from govinspect.runs.contract import document, write_json
from govinspect.runs.inspect import InspectOptions, inspect_sites
from govinspect.store import Store
from govinspect.views import print_outcomes, progress_bar

DEMO_AS_OF = date(2020, 3, 31)
# Loopback sites answer at once: a short delay keeps the demo brisk while politeness stays on.
DEMO_CRAWL = CrawlOptions(
    max_pages=120, delay=0.05, homepage_retry_spacing_s=2.0, allow_private_networks=True
)
DEMO_LINKS = LinkCheckOptions(retry_spacing=0.5, timeout=10)


def run_demo(
    store: Store,
    settings: Settings,
    *,
    sites: int,
    seed: int,
    port: int,
    summary: Callable[[], Sequence[Table]],
) -> None:
    farm = build_with_progress(
        settings.home / "demo-farm", sites=sites, seed=seed, as_of=DEMO_AS_OF, port=port, label="生成模拟网站"
    )
    console.print(
        f"模拟网站已生成：{farm.root}（{len(farm.sites)} 家，{farm.province['name']}，监测时间点 {farm.as_of}）"
    )
    codes: list[str] = []
    for path in (farm.registry_csv, farm.accounts_csv):
        report = service.import_file(store, path)
        if report.kind == "sites":
            codes = [str(key) for key in report.keys]
        console.print(
            f"导入 {path.name}：{report.total} 条（新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}）"
        )
    for table in summary():
        console.print(table)

    options = InspectOptions(as_of=farm.as_of, crawl=DEMO_CRAWL, links=DEMO_LINKS, ca_file=str(farm.ca_file))
    with serving(farm.root), progress_bar() as bar:
        task = bar.add_task("检查网站（抓取、核验链接、检查、评分）", total=len(codes))

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "check":
                bar.update(task, completed=done)

        result = inspect_sites(store, settings, codes, options, progress=progress)
    print_outcomes(result.outcomes, result.profile.id, farm.as_of, result.run_id)
    out = settings.home / "demo-result.json"
    doc = document(farm.as_of, result.profile.id, result.outcomes, run_id=result.run_id)
    write_json(out, doc)
    console.print(f"结果 JSON：{out}")

    comparison = compare(farm.truth(), doc, WEBSITE_CHECK_IDS)
    found = sum(s.true_positives for s in comparison.checks.values())
    wrong = sum(s.false_positives for s in comparison.checks.values())
    missed = sum(s.false_negatives for s in comparison.checks.values())
    console.print(
        f"与标准答案对照（本版已实现的 {len(WEBSITE_CHECK_IDS)} 项检查）：正确发现 {found} 处，误报 {wrong} 处，"
        f"漏报 {missed} 处；结论一致 {comparison.verdicts_agree}/{comparison.sites} 家"
    )
