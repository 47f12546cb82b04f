"""The README's main job on the embedded default: farm → served on loopback → registry → summary.

Later issues extend it with the inspection and the circular.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from govinspect.farm import serving
from govinspect.farm.cli import build_with_progress
from govinspect.registry import service
from govinspect.store import Store

DEMO_AS_OF = date(2020, 3, 31)
BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) govinspect-demo"


def _answers(url: str) -> int | str:
    """The HTTP status of a homepage, or the reason it did not answer."""
    request = urllib.request.Request(url, headers={"User-Agent": BROWSER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError) as exc:
        return str(getattr(exc, "reason", exc))


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def run_demo(store: Store, farm_dir: Path, *, sites: int, seed: int, port: int, console: Console) -> None:
    farm = build_with_progress(
        farm_dir, sites=sites, seed=seed, as_of=DEMO_AS_OF, port=port, label="生成模拟网站"
    )
    console.print(f"模拟网站已生成：{farm.root}（{len(farm.sites)} 家，监测时间点 {farm.as_of}）")

    with serving(farm.root):
        answered: dict[str, int | str] = {}
        with _progress(console) as progress:
            task = progress.add_task("访问各网站首页", total=len(farm.sites))
            for site in farm.sites:
                answered[site.site_code] = _answers(site.base_url)
                progress.advance(task)
    ok = sum(1 for status in answered.values() if status == 200)
    console.print(f"首页可访问 {ok}/{len(farm.sites)} 家（按设计有站点关停或屏蔽，以便检查演示）")
    for site in farm.sites:
        if answered[site.site_code] != 200:
            console.print(f"  {site.site_code} {site.name}：{answered[site.site_code]}", highlight=False)

    for path in (farm.registry_csv, farm.accounts_csv):
        report = service.import_file(store, path)
        console.print(
            f"导入 {path.name}：{report.total} 条（新增 {report.created}，更新 {report.updated}，未变 {report.unchanged}）"
        )
