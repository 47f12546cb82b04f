"""通报 and 新媒体 in the dashboard: inspectors generate the circular for a period from the web and download its
files; unit users never see that page; bad input and the reports' self-check answer in Chinese; downloads are
served only by known names. New-media accounts: filters, an account's verdict, findings, evidence and posts,
unit isolation in pages and API, hostile names and post text inert. Uses tests/test_web_app.py's data."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime

import lxml.html
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from govinspect.farm import Farm
from govinspect.newmedia.tables import AccountFindingRow, AccountResult, NewMediaRun, PostRow
from govinspect.rectify.rules import today_in_beijing
from govinspect.store.models import Account, Site
from govinspect.web.app import create_app
from govinspect.web.report_pages import generated
from govinspect.workdays.schedule import Calendar
from tests.test_web_app import (
    PAYLOAD_CODE,
    RAW_PAYLOADS,
    WebData,
    account_fixture,
    client,
    csrf,
    web_data,
)


@pytest.fixture(scope="module")
def web(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> WebData:
    return web_data(farm_server, tmp_path_factory)


@pytest.fixture(scope="module")
def app(web: WebData):  # type: ignore[no-untyped-def]
    return create_app(web.settings, store=web.store)


admin = account_fixture("admin")
inspector = account_fixture("inspector")
unit1 = account_fixture("unit1")


def _made(r) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == 303, r.text[:2000]
    return re.search(r"made=([^&]+)", r.headers["location"])[1]  # type: ignore[index]


@pytest.fixture(scope="module")
def made(inspector: TestClient) -> str:
    r = inspector.post(
        "/reports",
        data={"csrf_token": csrf(inspector), "period": "2020Q1", "compare_to": "2019Q4", "working_days": "5"},
        follow_redirects=False,
    )
    return _made(r)


def test_an_inspector_generates_a_circular_and_downloads_its_files(
    inspector: TestClient,
    web: WebData,
    made: str,
) -> None:
    page = inspector.get(f"/reports?made={made}")
    assert page.status_code == 200 and 'id="report-made"' in page.text
    assert f"/reports/{made}/docx" in page.text and f"/reports/{made}/xlsx" in page.text
    assert f"/reports/{made}/pdf" not in page.text  # not asked for
    assert ">2019Q4<" in page.text and ">2020Q1<" in page.text  # the periods offered
    docx = inspector.get(f"/reports/{made}/docx")
    assert docx.status_code == 200 and "attachment" in docx.headers["content-disposition"]
    text = zipfile.ZipFile(io.BytesIO(docx.content)).read("word/document.xml").decode("utf-8")
    assert "2020" in text and "通报" in text
    due = Calendar.load(home=web.settings.home).add_working_days(today_in_beijing(), 5)
    assert f"{due.year}年{due.month}月{due.day}日" in text
    xlsx = inspector.get(f"/reports/{made}/xlsx")
    assert xlsx.status_code == 200 and zipfile.is_zipfile(io.BytesIO(xlsx.content))
    html = inspector.get(f"/reports/{made}/html")
    assert html.status_code == 200 and "2020" in html.content.decode("utf-8")
    listed = generated(web.settings.home / "reports")
    assert [g.subject for g in listed if g.name == made] == ["2020Q1"]


def test_unit_users_never_see_circulars(unit1: TestClient, made: str) -> None:
    assert unit1.get("/reports").status_code == 404
    assert unit1.get(f"/reports/{made}/docx").status_code == 404
    assert 'href="/reports"' not in unit1.get("/").text
    r = unit1.post("/reports", data={"csrf_token": csrf(unit1), "period": "2020Q1"}, follow_redirects=False)
    assert r.status_code == 404


def test_downloads_take_known_names_only(admin: TestClient, made: str) -> None:
    assert admin.get(f"/reports/{made}/docx").status_code == 200
    for path in (f"/reports/{made}/pdf", f"/reports/{made}/..%2F..%2Fweb.db", "/reports/..%2F..%2F/docx",
                 f"/reports/{made}x/docx", "/reports/20200101-000000-2020Q1/docx"):  # fmt: skip
        assert admin.get(path).status_code == 404, path


def test_bad_input_and_the_self_check_answer_in_chinese(admin: TestClient, app) -> None:
    token = csrf(admin)
    cases = {
        ("2020Q1", "1"): "之一",
        ("2020Q9", ""): "检查期的格式",
        ("<script>", ""): "检查期的格式",
    }
    for (period, run), message in cases.items():
        r = admin.post("/reports", data={"csrf_token": token, "period": period, "run": run})
        assert r.status_code == 400 and message in r.text
        assert "<script>" not in r.text.split('id="report-error"')[1].split("</div>")[0]
    r = admin.post("/reports", data={"csrf_token": token, "period": "2020Q1", "compare_to": "2019Q4,<b>"})
    assert r.status_code == 400 and "对比的往期" in r.text
    # A period with no inspection: the figures refuse, with their Chinese message, and nothing is listed.
    before = admin.get("/reports").text.count("<tr")
    r = admin.post("/reports", data={"csrf_token": token, "period": "2030Q1"})
    assert r.status_code == 422 and 'id="report-error"' in r.text
    assert re.search(r'id="report-error">[^<]*[\u4e00-\u9fff]', r.text)
    r = admin.post("/reports", data={"csrf_token": token, "run": "999999"})
    assert r.status_code == 422 and re.search(r'id="report-error">[^<]*[\u4e00-\u9fff]', r.text)
    assert admin.get("/reports").text.count("<tr") == before
    # No CSRF token, no circular.
    assert admin.post("/reports", data={"period": "2020Q1"}).status_code == 403
    # Signed out: the sign-in page.
    anonymous = client(app)
    assert anonymous.get("/reports", follow_redirects=False).status_code == 303
    assert anonymous.get("/reports/x/docx", follow_redirects=False).status_code == 303


# -- 新媒体 ---------------------------------------------------------------------------------------------------------

HOSTILE_NAME = '政务微博<img src=x onerror="window.__pwned=31" data-pwned=1>'
HOSTILE_POST = "<script>window.__pwned=32</script>通知<b data-pwned=1>加粗</b>"


@dataclass
class Accounts:
    mine: int  # unit1's account (failed, with a finding and posts)
    other: int  # the payload unit's account (hostile name and posts)
    unjudged: int  # never checked


_ACCOUNTS: dict[int, Accounts] = {}


@pytest.fixture(scope="module")
def accounts(web: WebData) -> Accounts:
    return shared_accounts(web)


def shared_accounts(web: WebData) -> Accounts:
    """Three accounts, a judged run and posts, added once per session (tests/test_web_browser.py uses them)."""
    if id(web.store) in _ACCOUNTS:
        return _ACCOUNTS[id(web.store)]
    _ACCOUNTS[id(web.store)] = made = _add_accounts(web)
    return made


def _add_accounts(web: WebData) -> Accounts:
    with web.store.session() as session:
        payload_unit = session.scalar(select(Site.unit_id).where(Site.site_code == PAYLOAD_CODE))
        mine = Account(platform="微信公众号", account_id="gh_mine01", account_name="本单位公众号",
                       unit_id=web.unit_id, region="沈阳市")  # fmt: skip
        other = Account(platform="微博", account_id="weibo_x<1>", account_name=HOSTILE_NAME,
                        unit_id=payload_unit, region="大连市")  # fmt: skip
        unjudged = Account(platform="微博", account_id="weibo_quiet", account_name="未检查微博",
                           unit_id=web.unit_id, region="沈阳市")  # fmt: skip
        session.add_all([mine, other, unjudged])
        session.flush()
        run = NewMediaRun(period=None, as_of=date(2020, 3, 31), profile="national-2019", status="finished")
        session.add(run)
        session.flush()
        stale = AccountResult(
            run_id=run.id, account_pk=mine.id, platform=mine.platform, account_id=mine.account_id,
            name=mine.account_name, verdict="不合格", score=None, vetoes=["新媒体不更新"],
            facts={"latest": "2019-11-02", "posts": 3, "sources": [{"url": "javascript:alert(33)", "kind": "feed",
                   "ok": True, "status": 200, "error": None}]},
        )  # fmt: skip
        stale.findings = [
            AccountFindingRow(
                check="newmedia.stale",
                severity="veto",
                raw_severity="veto",
                url="https://mp.example.gov.cn/gh_mine01",
                message="最近一次发布为2019年11月2日，超过2周未更新",
                evidence={"latest": "2019-11-02", "days": 150, "note": HOSTILE_POST},
            )
        ]
        hostile = AccountResult(
            run_id=run.id, account_pk=other.id, platform=other.platform, account_id=other.account_id,
            name=other.account_name, verdict="合格", score=95.0, facts={"latest": "2020-03-30"},
        )  # fmt: skip
        session.add_all([stale, hostile])
        session.add_all([
            PostRow(platform="微信公众号", account_id="gh_mine01", post_key=f"k{i}", title=f"本单位通知{i}",
                    text="正文", url=f"https://mp.example.gov.cn/p/{i}", published_at=datetime(2019, 11, i, tzinfo=UTC),
                    source="feed")
            for i in (1, 2)
        ] + [
            PostRow(platform="微博", account_id="weibo_x<1>", post_key="h1", title=HOSTILE_POST, text=HOSTILE_POST,
                    url="javascript:window.__pwned=34", published_at=datetime(2020, 3, 30, tzinfo=UTC), source="feed"),
        ])  # fmt: skip
        return Accounts(mine.id, other.id, unjudged.id)


def _inert(text: str) -> None:
    for raw in (*RAW_PAYLOADS, "<script>window.__pwned=32", 'href="javascript:'):
        assert raw not in text, raw


def test_accounts_list_filters_and_shows_verdicts(admin: TestClient, accounts: Accounts) -> None:
    page = admin.get("/newmedia")
    assert page.status_code == 200
    assert f"/newmedia/{accounts.mine}" in page.text and f"/newmedia/{accounts.other}" in page.text
    _inert(page.text)
    assert "政务微博&lt;img" in page.text
    failed = admin.get("/newmedia", params={"verdict": "不合格"}).text
    assert f'/newmedia/{accounts.mine}"' in failed and f'/newmedia/{accounts.other}"' not in failed
    quiet = admin.get("/newmedia", params={"verdict": "未判定"}).text
    assert f'/newmedia/{accounts.unjudged}"' in quiet and f'/newmedia/{accounts.mine}"' not in quiet
    weibo = admin.get("/newmedia", params={"platform": "微博", "q": "未检查"}).text
    assert f'/newmedia/{accounts.unjudged}"' in weibo and f'/newmedia/{accounts.other}"' not in weibo
    region = admin.get("/newmedia", params={"region": "大连市"}, headers={"HX-Request": "true"})
    assert "<html" not in region.text and f'/newmedia/{accounts.other}"' in region.text
    assert f'/newmedia/{accounts.mine}"' not in region.text


def test_an_account_page_shows_its_verdict_findings_evidence_and_posts(
    inspector: TestClient, accounts: Accounts
) -> None:
    page = inspector.get(f"/newmedia/{accounts.mine}")
    assert page.status_code == 200
    doc = lxml.html.fromstring(page.text)
    assert "不合格" in doc.get_element_by_id("account-name").getparent().text_content()
    assert "新媒体不更新" in page.text and "超过2周未更新" in page.text
    assert "本单位通知2" in page.text and "https://mp.example.gov.cn/p/1" in page.text
    assert "150" in page.text  # evidence
    _inert(page.text)
    hostile = inspector.get(f"/newmedia/{accounts.other}")
    assert hostile.status_code == 200
    _inert(hostile.text)
    assert "&lt;script&gt;window.__pwned=32" in hostile.text
    assert inspector.get("/newmedia/999999").status_code == 404


def test_unit_users_see_only_their_units_accounts(unit1: TestClient, accounts: Accounts) -> None:
    listed = unit1.get("/newmedia").text
    assert f'/newmedia/{accounts.mine}"' in listed and f'/newmedia/{accounts.unjudged}"' in listed
    assert f'/newmedia/{accounts.other}"' not in listed and "政务微博" not in listed
    assert unit1.get(f"/newmedia/{accounts.mine}").status_code == 200
    assert unit1.get(f"/newmedia/{accounts.other}").status_code == 404
    api = unit1.get("/api/v1/accounts").json()
    assert {a["id"] for a in api["accounts"]} == {accounts.mine, accounts.unjudged}
    assert unit1.get(f"/api/v1/accounts/{accounts.other}").status_code == 404
    detail = unit1.get(f"/api/v1/accounts/{accounts.mine}").json()
    assert detail["verdict"] == "不合格" and detail["findings"][0]["check"] == "newmedia.stale"
    assert detail["findings"][0]["evidence"]["days"] == "150"


def test_signed_out_users_cannot_read_accounts(app, accounts: Accounts) -> None:  # type: ignore[no-untyped-def]
    anonymous = client(app)
    assert anonymous.get("/newmedia", follow_redirects=False).status_code == 303
    assert anonymous.get(f"/newmedia/{accounts.mine}", follow_redirects=False).status_code == 303
    assert anonymous.get("/api/v1/accounts").status_code == 401
