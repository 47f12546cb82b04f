"""整改 and 找错 as people use them: Debian's Chromium (Playwright) against the app served by uvicorn on loopback.

A unit user corrects a page, answers the ticket with a file, and watches the automatic re-check close it; the
farm site's unit answers a ticket whose page is still wrong and watches it come back; someone from the public
reports an error through the form, and an inspector finds it in the inbox and assigns it. Screenshots of the
new pages are saved as test artifacts (their folder is printed at the end of the module).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from govinspect.farm import Farm
from govinspect.fetch.browser import find_chromium
from govinspect.rectify import inbox
from govinspect.store.rectify import CLOSED, REOPENED, ErrorReport, InboxChallenge
from govinspect.web.app import create_app
from tests.test_rectify import FAST_RECHECK, FIX_CODE, PASSWORD, Fixable, RectifyData, rectify_data
from tests.test_web_browser import PROBE, chromium, new_page, screenshot_folder, serving, sign_in

pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason="未安装 Chromium（/usr/bin/chromium），跳过网页端浏览器测试"
)
RECHECK_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def rd(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> RectifyData:
    return rectify_data(farm_server, tmp_path_factory)


@pytest.fixture(scope="module")
def base_url(rd: RectifyData) -> Iterator[str]:
    app = create_app(rd.settings, store=rd.store, today=lambda: rd.today, recheck_settings=FAST_RECHECK)
    with serving(app) as url:
        yield url
        app.state.web.runner.wait(timeout=180)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Path]:
    yield from screenshot_folder(tmp_path_factory, request, "rectify-screenshots", "整改与找错截图")


@pytest.fixture(scope="module")
def browser(rd: RectifyData) -> Iterator[object]:
    with chromium() as launched:
        yield launched


def answer_ticket(page, note: str, attachment: Path | None = None) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("整改情况说明").fill(note)
    if attachment is not None:
        page.locator("input[name=attachment]").set_input_files(str(attachment))


def test_a_unit_answers_and_watches_the_recheck_close_the_ticket(
    browser, base_url: str, rd: RectifyData, shots: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ticket = rd.article_ticket("a6")
    page, watch = new_page(browser)
    sign_in(page, base_url, "unitfix", PASSWORD)
    page.get_by_role("link", name="整改", exact=True).click()
    page.wait_for_selector("#tickets")
    assert page.locator(f'tr[data-ticket="{ticket.id}"]').count() == 1
    page.screenshot(path=shots / "01-整改-单位列表.png", full_page=True)
    page.locator(f'tr[data-ticket="{ticket.id}"] a.ticket-link').click()
    expect(page.locator("#ticket-state")).to_have_text("待整改")
    assert "中央八项规订" in page.locator("#ticket-message").inner_text()
    report = tmp_path / "整改报告.pdf"
    report.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    answer_ticket(page, "已将“中央八项规订”更正为“中央八项规定”，并排查了全站同类表述。", report)
    page.screenshot(path=shots / "02-整改-报送.png", full_page=True)
    Fixable.fixed.add("a6")  # the unit corrected the page before saying so
    page.get_by_role("button", name="报送整改完成，申请复核").click()
    expect(page.locator("#ticket-state")).to_have_text("待复核")
    expect(page.locator("#recheck-status")).to_contain_text("自动复核")
    page.screenshot(path=shots / "03-整改-复核中.png", full_page=True)
    # htmx asks for the re-check's state every two seconds and reloads the page when it has ended
    expect(page.locator("#ticket-state")).to_have_text("已销号", timeout=RECHECK_TIMEOUT_MS)
    expect(page.locator("#recheck-status")).to_contain_text("问题已消除，已销号")
    assert page.locator("#attachments a").inner_text() == "整改报告.pdf"
    actions = page.locator("#trail tbody tr td:nth-child(3)").all_inner_texts()
    assert actions[-3:] == ["单位报整改完成", "发起复核", "复核通过，销号"], actions
    assert rd.tickets(FIX_CODE, id=ticket.id)[0].status == CLOSED
    page.screenshot(path=shots / "04-整改-复核通过.png", full_page=True)
    assert not watch.errors and not watch.dialogs and not watch.csp, (watch.errors, watch.dialogs, watch.csp)
    page.context.close()


def test_a_farm_page_still_wrong_is_reopened_with_new_evidence(
    browser, base_url: str, rd: RectifyData, shots: Path
) -> None:  # type: ignore[no-untyped-def]
    stale = [t for t in rd.tickets(rd.farm_code, check="freshness.homepage_stale")]
    ticket = stale[0] if stale else rd.tickets(rd.farm_code)[0]
    page, watch = new_page(browser)
    sign_in(page, base_url, "unitfarm", PASSWORD)
    page.goto(f"{base_url}/rectify/{ticket.id}")
    answer_ticket(page, "首页已更新。")
    page.get_by_role("button", name="报送整改完成，申请复核").click()
    expect(page.locator("#ticket-state")).to_have_text("待复核")
    expect(page.locator("#ticket-state")).to_have_text("复核未通过", timeout=RECHECK_TIMEOUT_MS)
    expect(page.locator("#recheck-status")).to_contain_text("问题仍然存在，已退回整改")
    assert page.locator("#evidence").count() == 1 and "最近一次复核发现" in page.locator("main").inner_text()
    assert page.locator("#answer").count() == 1  # the unit may answer again
    assert rd.tickets(rd.farm_code, id=ticket.id)[0].status == REOPENED
    page.screenshot(path=shots / "05-整改-复核未通过.png", full_page=True)
    assert not watch.errors and not watch.dialogs and not watch.csp, (watch.errors, watch.dialogs, watch.csp)
    page.context.close()


def test_the_public_reports_an_error_and_an_inspector_assigns_it(
    browser, base_url: str, rd: RectifyData, shots: Path
) -> None:  # type: ignore[no-untyped-def]
    page, watch = new_page(browser)
    page.goto(f"{base_url}/jiucuo")
    expect(page.locator("h1")).to_have_text("我为政府网站找错")
    image = page.locator("#challenge-image")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 200  # drawn by this server
    page.get_by_label("问题网页地址").fill(rd.fix_url + "col/list.html")
    page.get_by_label("问题类型").select_option("内容不准确")
    page.get_by_label("问题描述").fill(
        '通知公告列表中第3条的日期有误<img src=x onerror="window.__pwned=1" data-pwned=1>'
    )
    page.get_by_label("联系方式（可选，电子邮箱或电话，仅用于核实问题）").fill("citizen@example.com")
    token = page.locator("input[name=token]").input_value()
    with rd.store.session() as session:  # a person reads the sum in the picture; the test reads it here
        answer = session.scalar(
            select(InboxChallenge.answer).where(InboxChallenge.token_hash == inbox._digest(token))
        )
    page.get_by_label("验证码：图中算式的结果").fill(str(answer))
    page.screenshot(path=shots / "06-找错-公众留言.png", full_page=True)
    page.get_by_role("button", name="提交留言").click()
    reference = page.locator("#reference").inner_text()
    assert reference.startswith("ZC")
    page.screenshot(path=shots / "07-找错-已受理.png", full_page=True)
    page.context.close()

    page, watch2 = new_page(browser)
    sign_in(page, base_url, "inspector", PASSWORD)
    page.get_by_role("link", name="找错").click()
    page.wait_for_selector("#reports")
    row = page.locator("#reports tr", has_text=reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("待核实")
    page.screenshot(path=shots / "08-找错-收件箱.png", full_page=True)
    row.locator("a.report-link").click()
    expect(page.locator("#report-state")).to_have_text("待核实")
    assert "citizen@example.com" in page.locator("main").inner_text()
    for frame in page.frames:  # the sender's markup is text, nothing runs
        kind, injected, inline = frame.evaluate(PROBE)
        assert kind == "undefined" and injected == 0 and inline == 0
    page.get_by_label("核实说明（不属实时必填）").fill("经核实，日期确有错误。")
    page.get_by_role("button", name="属实，交办整改").click()
    expect(page.locator("#report-state")).to_have_text("属实")
    page.screenshot(path=shots / "09-找错-核实交办.png", full_page=True)
    page.locator("#report-ticket").click()
    expect(page.locator("#ticket-state")).to_have_text("待整改")
    page.screenshot(path=shots / "10-找错-整改事项.png", full_page=True)
    with rd.store.session() as session:
        report = session.scalar(select(ErrorReport).order_by(ErrorReport.id.desc()))
        assert report is not None and inbox.reference(report) == reference and report.status == "valid"
    for path, name in (
        ("/rectify", "11-整改-检查人员"),
        ("/rectify-audit", "12-操作记录"),
        (f"/inbox?period={report.received_at.year}", "13-找错-统计"),
    ):
        page.goto(base_url + path)
        page.screenshot(path=shots / f"{name}.png", full_page=True)
    assert not watch.errors and not watch.dialogs and not watch.csp, (watch.errors, watch.dialogs, watch.csp)
    assert not watch2.errors and not watch2.dialogs and not watch2.csp, (
        watch2.errors,
        watch2.dialogs,
        watch2.csp,
    )
    page.context.close()
