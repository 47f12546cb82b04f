"""检查任务 as an inspector uses it: Debian's Chromium (Playwright) against the app served by uvicorn on loopback,
on the two-site farm registry tests/test_web_runs.py builds. The inspector draws a plan (a mistyped period is
flagged beside its field), checks the drawn sites, starts the plan, is taken to the run's page and watches the
progress (htmx polling, no inline script) until it reads 完成 and the results are listed. Screenshots are saved
as test artifacts (their folder is printed at the end of the module).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from govinspect.farm import Farm
from govinspect.fetch.browser import find_chromium
from govinspect.store.results import Run, SiteResult
from govinspect.web.app import create_app
from tests.test_web_browser import chromium, new_page, screenshot_folder, serving, sign_in
from tests.test_web_runs import RUN_TIMEOUT_S, RunsData, runs_data

pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason="未安装 Chromium（/usr/bin/chromium），跳过网页端浏览器测试"
)


@pytest.fixture(scope="module")
def rw(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> RunsData:
    return runs_data(farm_server, tmp_path_factory)


@pytest.fixture(scope="module")
def base_url(rw: RunsData) -> Iterator[str]:
    with serving(create_app(rw.settings, store=rw.store)) as url:
        yield url


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Path]:
    yield from screenshot_folder(tmp_path_factory, request, "runs-screenshots", "检查任务截图")


@pytest.fixture(scope="module")
def browser(rw: RunsData) -> Iterator[object]:
    with chromium() as launched:
        yield launched


def test_an_inspector_starts_a_plan_and_watches_it_finish(
    browser, base_url: str, rw: RunsData, shots: Path
) -> None:  # type: ignore[no-untyped-def]
    page, watch = new_page(browser)
    sign_in(page, base_url, "inspector")
    page.get_by_role("link", name="检查任务", exact=True).click()
    page.wait_for_selector("#plan-form")
    page.screenshot(path=shots / "30-检查任务.png", full_page=True)

    page.get_by_label("检查期").fill("2020年5季度")
    page.get_by_role("button", name="制定计划").click()
    expect(page.locator("#error-period")).to_contain_text("季度写作 2020Q1")
    page.locator("#new-plan").screenshot(path=shots / "31-计划表单错误.png")

    page.get_by_label("检查期").fill("2020Q1")
    page.get_by_label("全面检查（全部运行中的网站）").check()
    page.get_by_role("button", name="制定计划").click()
    page.wait_for_url(re.compile(r".*/runs/plans/\d+$"))
    plan_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#plan-sites tbody tr")).to_have_count(len(rw.codes))
    page.get_by_label("监测时间点").fill(rw.farm.as_of.isoformat())
    page.get_by_label("每个网站最多抓取页面数").fill("1")
    page.get_by_label("允许检查内网地址的网站").check()
    page.screenshot(path=shots / "32-检查计划.png", full_page=True)

    page.get_by_role("button", name="开始检查").click()
    page.wait_for_url(
        re.compile(r".*/runs/\d+$"), timeout=60_000
    )  # the plan page moves on once the run exists
    run_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#run-progress")).to_be_visible()
    state = page.locator("#run-state").inner_text()
    assert state in ("正在抓取网页", "正在检查与评分", "完成"), state
    page.screenshot(path=shots / "33-检查进度.png", full_page=True)

    expect(page.locator("#run-state")).to_have_text("完成", timeout=RUN_TIMEOUT_S * 1000)
    expect(page.locator("#run-results tbody tr")).to_have_count(len(rw.codes))  # the page reloaded with them
    expect(page.locator("#progress-summary")).to_contain_text(f"共检查 {len(rw.codes)} 家网站")
    page.screenshot(path=shots / "34-检查完成.png", full_page=True)
    with rw.store.session() as session:
        run = session.get(Run, run_id)
        assert run is not None and run.plan_id == plan_id and run.status == "finished"
        stored = set(session.scalars(select(SiteResult.site_code).where(SiteResult.run_id == run_id)))
    assert stored == set(rw.codes)
    page.goto(f"{base_url}/runs/plans/{plan_id}")
    expect(page.get_by_role("button", name="再查一遍")).to_be_visible()
    assert not watch.errors and not watch.dialogs and not watch.csp, (watch.errors, watch.dialogs, watch.csp)
    page.context.close()
