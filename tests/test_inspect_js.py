"""End to end with Chromium: a farm site whose column lists a script loads from JSON, and veto screenshots.

The raw HTML of those columns holds an empty box. Without rendering they look blank (a false 栏目不更新 veto:
eight blank columns); rendered, they are judged on their items, as the farm's truth says. Skipped, saying so,
where /usr/bin/chromium is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from govinspect.config import Settings, load_settings
from govinspect.farm import Farm, build_farm, serving
from govinspect.farm.server import free_port
from govinspect.fetch.browser import find_chromium
from govinspect.fetch.crawl import CrawlOptions
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.registry import service
from govinspect.runs.inspect import InspectionResult, InspectOptions, inspect_sites
from govinspect.store import Store, open_store
from govinspect.store.models import Snapshot
from govinspect.store.results import FindingRow, Run, SiteResult

pytestmark = pytest.mark.skipif(
    find_chromium() is None,
    reason="未安装 Chromium（/usr/bin/chromium），跳过 JavaScript 渲染与截图的端到端测试",
)

SITES = 6  # the smallest farm with a down site
FAST = CrawlOptions(
    max_pages=60, delay=0.0, homepage_retry_spacing_s=0.2, allow_private_networks=True, concurrency_per_host=4
)
LINKS = LinkCheckOptions(retry_spacing=0.05, timeout=5)


@pytest.fixture(scope="module")
def js_farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Farm, Settings, Store]]:
    farm = build_farm(
        tmp_path_factory.mktemp("jsfarm"),
        sites=SITES,
        seed=7,
        port=free_port(SITES),
        js_sites=1,
        slow_seconds=0.5,
    )
    settings = load_settings(env={"GOVINSPECT_HOME": str(tmp_path_factory.mktemp("home"))})
    store = open_store(settings.database_url)
    service.import_file(store, farm.registry_csv)
    with serving(farm.root, ready_timeout=30):
        yield farm, settings, store
    store.dispose()


def _inspect(js_farm, codes: list[str], **options) -> InspectionResult:  # type: ignore[no-untyped-def]
    farm, settings, store = js_farm
    return inspect_sites(
        store, settings, codes, InspectOptions(as_of=farm.as_of, crawl=FAST, links=LINKS, **options)
    )


def _scripted(farm: Farm) -> tuple[str, set[str]]:
    (code, urls), *_ = farm.js_columns.items()
    return code, set(urls)


@pytest.fixture(scope="module")
def unrendered(js_farm) -> InspectionResult:  # type: ignore[no-untyped-def]
    """The scripted site and the down one inspected without rendering, at most two screenshots a site: what the
    raw HTML makes of the scripted columns, and the screenshots of vetoes (one run for both tests)."""
    farm = js_farm[0]
    code, _ = _scripted(farm)
    down = next(s for s in farm.sites if s.down)
    return _inspect(js_farm, [code, down.site_code], render=False, max_screenshots=2)


def test_scripted_columns_are_rendered_and_judged_on_their_items(js_farm, unrendered) -> None:  # type: ignore[no-untyped-def]
    farm, _, store = js_farm
    code, scripted = _scripted(farm)
    truth = next(s for s in farm.truth()["sites"] if s["site_code"] == code)
    truly_blank = {d["url"] for d in truth["defects"] if d["check"] == "freshness.column_blank"}

    raw = next(o for o in unrendered.outcomes if o.site_code == code)
    raw_blank = {f.url for f in raw.findings if f.check == "freshness.column_blank"}
    assert raw_blank - truly_blank == scripted  # without a browser: every scripted column misjudged blank
    assert "栏目不更新" in raw.score.veto_names

    # no screenshots here: test_veto_findings_get_bounded_screenshots tests them
    rendered = _inspect(js_farm, [code], screenshots=False)
    outcome = rendered.outcomes[0]
    blank = {f.url for f in outcome.findings if f.check == "freshness.column_blank"}
    assert blank == truly_blank  # right both ways: the scripted columns have items, the blank ones stay blank
    expected_vetoes = {"栏目不更新"} & set(truth["expected_vetoes"])
    assert ("栏目不更新" in outcome.score.veto_names) == bool(expected_vetoes)
    with store.session() as session:
        options = session.get(Run, rendered.run_id).options
        snaps = session.execute(
            select(Snapshot.url, Snapshot.referrer, Snapshot.kind).where(
                Snapshot.crawl_id == rendered.crawl_id
            )
        ).all()
    columns = {url for url, referrer, kind in snaps if kind == "rendered" and referrer == url}
    followed = {(url, referrer) for url, referrer, kind in snaps if kind == "rendered" and referrer != url}
    raw = {url for url, _, kind in snaps if kind != "rendered"}
    assert columns == scripted
    assert options["render"]["rendered"] == len(scripted) and options["render"]["failed"] == {}
    # the newest items of the scripted lists the crawl could not see were fetched through Chromium
    assert options["render"]["followed"] == len(followed)
    assert all(referrer in scripted and url not in raw for url, referrer in followed)
    assert options["browser"]["chromium"] == "/usr/bin/chromium" and options["browser"]["started"]
    assert rendered.notes == []


def test_veto_findings_get_bounded_screenshots(js_farm, unrendered) -> None:  # type: ignore[no-untyped-def]
    farm, settings, store = js_farm
    code, scripted = _scripted(farm)
    down = next(s for s in farm.sites if s.down)
    result = unrendered
    by_code = {o.site_code: o for o in result.outcomes}
    blank = [f for f in by_code[code].findings if f.url in scripted and f.check == "freshness.column_blank"]
    pictures = [f.evidence["screenshot"] for f in blank if "screenshot" in f.evidence]
    assert len(pictures) == 2  # the per-site bound
    assert all("上限" in f.evidence["screenshot_error"] for f in blank if "screenshot" not in f.evidence)
    for rel in pictures:
        assert rel.startswith(f"screenshots/{result.run_id}/")
        assert (settings.home / rel).read_bytes()[:4] == b"\x89PNG"
    (veto,) = [f for f in by_code[down.site_code].findings if f.check == "availability.down_at_check"]
    assert (settings.home / veto.evidence["screenshot"]).is_file()  # what a visitor sees: it does not open
    assert veto.evidence["screenshot_note"]
    with store.session() as session:
        options = session.get(Run, result.run_id).options
        saved = session.scalars(
            select(FindingRow.evidence)
            .join(SiteResult)
            .where(SiteResult.run_id == result.run_id, FindingRow.check == "availability.down_at_check")
        ).one()
    assert saved["screenshot"] == veto.evidence["screenshot"]  # stored with the finding
    vetoes = sum(1 for s in by_code[code].score.severities if s.value == "veto")  # blank, and stale ones
    assert options["screenshots"]["taken"] == 3 and options["screenshots"]["over_limit"] == vetoes - 2


def test_without_chromium_the_run_says_what_it_skipped(js_farm, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    farm, _, store = js_farm
    down = next(s for s in farm.sites if s.down)
    result = _inspect(js_farm, [down.site_code], chromium=str(tmp_path / "no-chromium"))
    (veto,) = [f for f in result.outcomes[0].findings if f.check == "availability.down_at_check"]
    assert "screenshot" not in veto.evidence
    assert result.notes and "未找到 Chromium" in result.notes[0]
    with store.session() as session:
        options = session.get(Run, result.run_id).options
    assert options["browser"]["chromium"] is None and not options["browser"]["started"]
    assert "未截图" in options["screenshots"]["note"] and options["render"]["available"] is False
