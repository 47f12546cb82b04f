"""The dashboard as a person uses it: Debian's Chromium (Playwright) against the app served by uvicorn on
loopback, on the inspection tests/test_web_app.py builds (farm sites and a site full of injection payloads).

An inspector signs in, reads the overview, finds a site, opens a finding and sees its evidence; a unit user
sees only their unit; every page that shows the hostile site's content runs none of it. Screenshots of the main
pages are saved as test artifacts; their folder is printed at the end of the module.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect
from sqlalchemy import select

from govinspect.farm import Farm
from govinspect.fetch.browser import find_chromium
from govinspect.store.results import FindingRow, SiteResult
from govinspect.web.app import create_app
from tests.test_web_app import PASSWORD, PAYLOAD_CODE, WebData, finding_ids, web_data
from tests.test_web_reports_newmedia import Accounts, shared_accounts

pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason="未安装 Chromium（/usr/bin/chromium），跳过网页端浏览器测试"
)

# Anything a payload could have left behind: an element it injected, or an attribute handler.
INJECTED = '[data-pwned], [onerror], [onload], [onclick], img[src="x"], iframe[srcdoc], svg[onload]'
PROBE = f"""() => [typeof window.__pwned, document.querySelectorAll('{INJECTED}').length,
  document.querySelectorAll('script:not([src]):not([type="application/json"])').length]"""


@pytest.fixture(scope="module")
def web(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return web_data(farm_server, tmp_path_factory)


# -- setup the browser test modules share (tests/test_web_rectify_browser.py, tests/test_web_runs_browser.py) ---


@contextmanager
def serving(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served by uvicorn on a free loopback port, in a thread; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def screenshot_folder(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, name: str, label: str
) -> Iterator[Path]:
    """A folder for a module's screenshots (test artifacts), printed with its count when the module ends."""
    folder = tmp_path_factory.mktemp(name)
    yield folder
    line = f"\n{label}（测试产物）：{folder}（{len(list(folder.glob('*.png')))} 张）"
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(line)
    else:
        print(line)


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium through Playwright. Start it after the data it shows is built: Playwright's sync API
    keeps an event loop running in this thread."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def base_url(web: WebData) -> Iterator[str]:
    with serving(create_app(web.settings, store=web.store)) as url:
        yield url


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Path]:
    yield from screenshot_folder(tmp_path_factory, request, "web-screenshots", "网页端截图")


@pytest.fixture(scope="module")
def browser(web: WebData) -> Iterator[object]:
    with chromium() as launched:
        yield launched


class Watch:
    """What a page did that it should not: dialogs, page errors, Content-Security-Policy violations."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.csp: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", self._console)

    def _dialog(self, dialog) -> None:  # type: ignore[no-untyped-def]
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        if "Content Security Policy" in message.text:
            self.csp.append(message.text)


def new_page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    return page, Watch(page)


def sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url + "/")
    assert "/login" in page.url
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(base_url + "/")


def test_an_inspector_finds_a_site_and_reads_the_evidence(
    browser, base_url: str, web: WebData, shots: Path
) -> None:  # type: ignore[no-untyped-def]
    page, watch = new_page(browser)
    page.goto(base_url + "/")
    page.screenshot(path=shots / "01-登录.png")
    sign_in(page, base_url, "inspector")
    assert re.fullmatch(r"\d+\.\d\d%", page.locator("#pass-rate").inner_text())
    page.wait_for_selector("[data-chart='regions'][data-drawn] svg")
    assert page.locator("[data-chart][data-drawn]").count() >= 3  # ECharts from the app's own vendor folder
    page.screenshot(path=shots / "02-总览.png", full_page=True)

    page.get_by_role("link", name="网站", exact=True).click()
    page.wait_for_selector("#sites")
    total = page.locator("#sites tbody tr").count()
    target = next(s for s in web.farm.sites if s.site_code == web.codes[0])
    page.locator("#q").fill(target.name)
    expect(page.locator("#sites tbody tr")).to_have_count(1)  # (a function wait would need eval: CSP refuses)
    assert total > 1 and "q=" in page.url  # htmx swapped the table and pushed the address
    page.screenshot(path=shots / "03-网站列表.png", full_page=True)

    page.get_by_role("link", name=target.name).click()
    page.wait_for_selector("#findings")
    assert page.locator("h1").inner_text() == target.name
    page.screenshot(path=shots / "04-网站详情.png", full_page=True)

    page.locator("a.finding-link").first.click()
    page.wait_for_selector("#evidence")
    assert page.locator("#evidence th").count() >= 1 and page.get_by_text("问题页面", exact=True).is_visible()
    page.screenshot(path=shots / "05-问题证据.png", full_page=True)

    # The hostile site's serious wording error: the words are marked in the message and in the snapshot.
    with web.store.session() as session:
        serious = session.scalar(
            select(FindingRow.id)
            .join(SiteResult)
            .where(
                SiteResult.site_code == PAYLOAD_CODE,
                SiteResult.run_id == web.run_id,
                FindingRow.check == "content.serious_error",
            )
        )
    page.goto(f"{base_url}/findings/{serious}")
    assert page.locator("#finding-message mark").first.inner_text() == "习近平新时代中国特色社会主意思想"
    snapshot = page.frame_locator("iframe.snapshot")
    assert snapshot.locator("mark").first.inner_text() == "习近平新时代中国特色社会主意思想"
    page.locator("iframe.snapshot").scroll_into_view_if_needed()
    page.screenshot(path=shots / "06-问题证据-快照.png")
    for path, name in (
        ("/runs", "07-检查任务"),
        (f"/runs/{web.run_id}", "08-任务详情"),
        ("/profile", "09-指标"),
    ):
        page.goto(base_url + path)
        page.screenshot(path=shots / f"{name}.png", full_page=True)
    assert page.locator("#vetoes tbody tr").count() >= 5
    assert page.goto(base_url + "/users").status == 403
    assert not watch.errors and not watch.dialogs and not watch.csp, (watch.errors, watch.dialogs, watch.csp)
    page.context.close()


def test_a_unit_user_sees_only_their_unit(browser, base_url: str, web: WebData, shots: Path) -> None:  # type: ignore[no-untyped-def]
    page, watch = new_page(browser)
    sign_in(page, base_url, "unit1")
    assert "本单位网站" in page.locator("h1").inner_text()
    page.screenshot(path=shots / "10-主办单位用户-总览.png", full_page=True)
    page.get_by_role("link", name="网站", exact=True).click()
    codes = page.locator("#sites tbody td.code").all_inner_texts()
    assert codes == [web.mine]
    page.screenshot(path=shots / "11-主办单位用户-网站.png", full_page=True)
    for other in web.others:
        response = page.goto(f"{base_url}/sites/{other}")
        assert response is not None and response.status == 404
        assert "没有找到该内容" in page.locator("main").inner_text()
    other_finding = finding_ids(web, web.others[0])[0]
    assert page.goto(f"{base_url}/findings/{other_finding}").status == 404  # type: ignore[union-attr]
    assert page.goto(f"{base_url}/api/v1/findings/{other_finding}").status == 404  # type: ignore[union-attr]
    page.goto(base_url + "/")
    assert page.locator("nav.main-nav a[href='/users']").count() == 0
    assert not watch.errors and not watch.dialogs
    page.context.close()


def test_hostile_content_runs_nowhere(browser, base_url: str, web: WebData, shots: Path) -> None:  # type: ignore[no-untyped-def]
    page, watch = new_page(browser)
    sign_in(page, base_url, "admin")
    paths = [
        "/",
        f"/sites?q={PAYLOAD_CODE}",
        f"/sites/{PAYLOAD_CODE}",
        f"/runs/{web.run_id}",
        "/users",
        "/sites",
    ]
    paths += [f"/findings/{f}" for f in finding_ids(web, PAYLOAD_CODE)]
    frames_checked = 0
    for path in paths:
        page.goto(base_url + path)
        page.wait_for_load_state("load")
        for frame in page.frames:
            kind, injected, inline = frame.evaluate(PROBE)
            assert kind == "undefined" and injected == 0 and inline == 0, (
                path,
                frame.url,
                kind,
                injected,
                inline,
            )
            frames_checked += 1
    assert frames_checked > len(paths)  # the snapshot frames were examined too
    page.goto(f"{base_url}/sites/{PAYLOAD_CODE}")
    assert "<img src=x onerror=" in page.locator("h1").inner_text()  # shown as the text it is
    page.screenshot(path=shots / "12-含攻击代码的网站.png", full_page=True)
    page.goto(base_url + "/users")
    page.screenshot(path=shots / "13-用户.png", full_page=True)
    assert "<b data-pwned=1>单位</b>" in page.locator("#users").inner_text()
    assert not watch.dialogs and not watch.errors and not watch.csp, (watch.dialogs, watch.errors, watch.csp)
    page.context.close()


def test_circular_and_new_media_in_the_browser(browser, base_url: str, web: WebData, shots: Path) -> None:  # type: ignore[no-untyped-def]
    accounts: Accounts = shared_accounts(web)
    page, watch = new_page(browser)
    sign_in(page, base_url, "inspector")
    page.get_by_role("link", name="通报", exact=True).click()
    page.locator("select[name=period]").select_option("2020Q1")
    page.get_by_role("button", name="生成通报").click()
    page.wait_for_selector("#report-made")
    with page.expect_download() as download:
        page.locator("#reports tbody tr").first.get_by_role("link", name="附件表格（XLSX）").click()
    assert download.value.suggested_filename.endswith("通报附件.xlsx")
    page.screenshot(path=shots / "20-通报.png", full_page=True)
    page.get_by_role("link", name="新媒体", exact=True).click()
    page.wait_for_selector("#accounts")
    page.locator("select[name=verdict]").select_option("不合格")  # htmx swaps the table
    expect(page.locator("#accounts tbody tr")).to_have_count(1)
    page.screenshot(path=shots / "21-新媒体.png", full_page=True)
    for account in (accounts.mine, accounts.other):
        page.goto(f"{base_url}/newmedia/{account}")
        kind, injected, inline = page.evaluate(PROBE)
        assert kind == "undefined" and injected == 0 and inline == 0
    assert "<img src=x onerror=" in page.locator("#account-name").inner_text()
    page.screenshot(path=shots / "22-新媒体账号.png", full_page=True)
    page.goto(f"{base_url}/newmedia/{accounts.mine}")
    page.screenshot(path=shots / "23-新媒体账号问题.png", full_page=True)
    assert not watch.dialogs and not watch.errors and not watch.csp, (watch.dialogs, watch.errors, watch.csp)
    page.context.close()
