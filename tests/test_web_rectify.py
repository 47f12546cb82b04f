"""整改 and 找错 through FastAPI's test client, on the inspection tests/test_rectify.py builds: the public form
(no sign-in; challenge, honeypot, rate limit, another site's post refused), the inbox and triage, opening
tickets from a run page, unit isolation, a unit's answer with an attachment starting the background re-check
that closes the ticket, overdue lists and the menu's count, the audit trail page, and escaping everywhere."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from govinspect.farm import Farm
from govinspect.rectify import inbox
from govinspect.rectify.audit import Actor
from govinspect.store.rectify import CLOSED, ErrorReport, InboxChallenge, Ticket, TicketAttachment
from govinspect.web.app import create_app
from tests.test_rectify import FAST_RECHECK, FIX_CODE, PASSWORD, Fixable, RectifyData, rectify_data

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(scope="module")
def rd(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> RectifyData:
    return rectify_data(farm_server, tmp_path_factory)


@pytest.fixture(scope="module")
def app(rd: RectifyData):  # type: ignore[no-untyped-def]
    return create_app(rd.settings, store=rd.store, today=lambda: rd.today, recheck_settings=FAST_RECHECK)


def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, base_url="https://testserver")


def signed_in(app, username: str) -> TestClient:  # type: ignore[no-untyped-def]
    c = client(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)[1]  # type: ignore[index]
    r = c.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert r.status_code == 200, r.text
    return c


def csrf(c: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', c.get("/account").text)[1]  # type: ignore[index]


@pytest.fixture(scope="module")
def inspector(app) -> TestClient:  # type: ignore[no-untyped-def]
    return signed_in(app, "inspector")


@pytest.fixture(scope="module")
def unitfix(app) -> TestClient:  # type: ignore[no-untyped-def]
    return signed_in(app, "unitfix")


@pytest.fixture(scope="module")
def unitfarm(app) -> TestClient:  # type: ignore[no-untyped-def]
    return signed_in(app, "unitfarm")


def answer_of(rd: RectifyData, page: str) -> tuple[str, str]:
    token = re.search(r'name="token" value="([^"]+)"', page)[1]  # type: ignore[index]
    with rd.store.session() as session:
        answer = session.scalar(
            select(InboxChallenge.answer).where(InboxChallenge.token_hash == inbox._digest(token))
        )
    assert answer is not None
    return token, answer


def report_form(rd: RectifyData, page: str, **values: str) -> dict[str, str]:
    token, answer = answer_of(rd, page)
    return {
        "token": token,
        "answer": answer,
        "page_url": rd.fix_url + "art/a2.html",
        "problem_type": "错别字",
        "description": "第二段<script>alert(1)</script>“马克思列宁主意”应为“马克思列宁主义”",
        "contact": "13800000000",
        **values,
    }


# -- the public form ----------------------------------------------------------------------------------------------


def test_anyone_may_report_an_error_once_they_answer_the_challenge(app, rd: RectifyData) -> None:  # type: ignore[no-untyped-def]
    public = TestClient(app, base_url="https://testserver")
    form = public.get("/jiucuo?url=" + rd.fix_url)
    assert form.status_code == 200 and "我为政府网站找错" in form.text and rd.fix_url in form.text
    assert 'href="/rectify"' not in form.text  # no menu for the public
    image = re.search(r'src="(/jiucuo/challenge/[^"]+\.png)"', form.text)[1]  # type: ignore[index]
    png = public.get(image)
    assert (
        png.status_code == 200
        and png.headers["content-type"] == "image/png"
        and png.content[:4] == b"\x89PNG"
    )

    wrong = report_form(rd, form.text, answer="-99")
    r = public.post("/jiucuo", data=wrong)
    assert r.status_code == 400 and "验证码错误" in r.text
    trap = report_form(rd, public.get("/jiucuo").text, website="http://spam.example/")
    assert public.post("/jiucuo", data=trap).status_code == 400
    elsewhere = report_form(rd, public.get("/jiucuo").text)
    r = public.post("/jiucuo", data=elsewhere, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403  # another site's form
    with rd.store.session() as session:
        assert session.scalar(select(ErrorReport.id)) is None

    good = report_form(rd, public.get("/jiucuo").text)
    r = public.post("/jiucuo", data=good, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jiucuo/done?no=ZC")
    done = public.get(r.headers["location"])
    reference = re.search(r'id="reference">(ZC\d+)<', done.text)[1]  # type: ignore[index]
    with rd.store.session() as session:
        report = session.scalar(select(ErrorReport).order_by(ErrorReport.id.desc()))
        assert report is not None and inbox.reference(report) == reference and report.site_code == FIX_CODE
        assert report.client_hash != "testclient" and len(report.client_hash) == 64  # the address is not kept
    replay = public.post("/jiucuo", data=good)  # the same challenge again
    assert replay.status_code == 400 and "验证码" in replay.text
    unknown = report_form(rd, public.get("/jiucuo").text, page_url="http://www.example.com/")
    r = public.post("/jiucuo", data=unknown)
    assert (
        r.status_code == 400 and "不属于本系统登记的政府网站" in r.text and "<script>alert(1)" not in r.text
    )


def test_one_address_may_send_only_a_few_reports_an_hour(app, rd: RectifyData) -> None:  # type: ignore[no-untyped-def]
    public = TestClient(app, base_url="https://testserver", client=("198.51.100.30", 50000))
    statuses = []
    for n in range(inbox.PER_HOUR + 1):
        data = report_form(rd, public.get("/jiucuo").text, page_url=f"{rd.fix_url}col/list.html?p={n}")
        statuses.append(public.post("/jiucuo", data=data, follow_redirects=False).status_code)
    assert statuses == [303] * inbox.PER_HOUR + [429]


# -- the inbox ------------------------------------------------------------------------------------------------


def test_inspectors_triage_reports_and_units_see_what_they_were_given(
    app, rd: RectifyData, inspector: TestClient, unitfix: TestClient, unitfarm: TestClient
) -> None:  # type: ignore[no-untyped-def]
    public = TestClient(app, base_url="https://testserver", client=("198.51.100.20", 50000))
    data = report_form(
        rd, public.get("/jiucuo").text, page_url=rd.fix_url + "art/a6.html", problem_type="内容不准确"
    )
    r = public.post("/jiucuo", data=data, follow_redirects=False)
    assert r.status_code == 303
    with rd.store.session() as session:
        report = session.scalar(select(ErrorReport).order_by(ErrorReport.id.desc()))
        assert report is not None
        report_id = report.id
    listing = inspector.get("/inbox")
    assert listing.status_code == 200 and inbox.reference(report) in listing.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing.text or "<script>alert(1)" not in listing.text
    page = inspector.get(f"/inbox/{report_id}")
    assert "13800000000" in page.text and f'action="/inbox/{report_id}/triage"' in page.text
    assert unitfix.get(f"/inbox/{report_id}").status_code == 404  # not yet given to the unit
    r = unitfix.post(f"/inbox/{report_id}/triage", data={"verdict": "valid", "csrf_token": csrf(unitfix)})
    assert r.status_code == 403
    r = inspector.post(
        f"/inbox/{report_id}/triage",
        data={"verdict": "valid", "note": "经核实属实", "working_days": "3", "csrf_token": csrf(inspector)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with rd.store.session() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.report_id == report_id))
        assert ticket is not None and ticket.source == "report" and ticket.unit_id == rd.units["整改测试局"]
    mine = unitfix.get(f"/inbox/{report_id}")
    assert (
        mine.status_code == 200 and "13800000000" not in mine.text
    )  # the sender's contact stays with the office
    assert unitfarm.get(f"/inbox/{report_id}").status_code == 404
    assert unitfix.get(f"/rectify/{ticket.id}").status_code == 200
    assert unitfarm.get(f"/rectify/{ticket.id}").status_code == 404
    received = report.received_at.year  # the wall clock's (the pages' "today" is the farm's monitoring date)
    stats = inspector.get(f"/inbox?period={received}")
    assert "共受理网民留言" in stats.text and 'id="stat-deduction"' in stats.text


# -- tickets --------------------------------------------------------------------------------------------------


def test_tickets_are_opened_from_a_run_page_by_inspectors_only(
    rd: RectifyData, inspector: TestClient, unitfix: TestClient
) -> None:
    page = inspector.get(f"/runs/{rd.run_id}")
    assert f'action="/runs/{rd.run_id}/rectify"' in page.text
    assert f'action="/runs/{rd.run_id}/rectify"' not in unitfix.get(f"/runs/{rd.run_id}").text
    r = unitfix.post(f"/runs/{rd.run_id}/rectify", data={"csrf_token": csrf(unitfix)})
    assert r.status_code == 403
    r = inspector.post(
        f"/runs/{rd.run_id}/rectify", data={"csrf_token": csrf(inspector)}, follow_redirects=False
    )
    assert r.status_code == 303 and "opened=0-" in r.headers["location"]  # opened by the fixture: none again
    listing = inspector.get(r.headers["location"])
    assert "已下发整改 0 项" in listing.text and 'id="tickets"' in listing.text
    r = inspector.post(f"/runs/{rd.run_id}/rectify", data={"working_days": "5"})
    assert r.status_code == 403  # no CSRF token


def test_a_unit_sees_only_its_tickets(
    rd: RectifyData, unitfix: TestClient, unitfarm: TestClient, inspector: TestClient
) -> None:
    fix_ids = {t.id for t in rd.tickets(FIX_CODE)}
    farm_ids = {t.id for t in rd.tickets(rd.farm_code)}
    listed = set(map(int, re.findall(r'data-ticket="(\d+)"', unitfarm.get("/rectify").text)))
    assert listed and listed <= farm_ids
    for ticket_id in sorted(fix_ids)[:3]:
        assert unitfarm.get(f"/rectify/{ticket_id}").status_code == 404
        r = unitfarm.post(f"/rectify/{ticket_id}/answer", data={"note": "x", "csrf_token": csrf(unitfarm)})
        assert r.status_code == 404
    assert unitfix.get("/rectify-audit").status_code == 403
    api = unitfarm.get("/api/v1/tickets?size=500").json()  # the API reads through the same scope
    assert api["total"] == len(farm_ids) and {t["site_code"] for t in api["tickets"]} == {rd.farm_code}
    everything = inspector.get("/api/v1/tickets?size=500").json()
    assert {t["site_code"] for t in everything["tickets"]} >= {rd.farm_code, FIX_CODE}


def test_a_units_answer_starts_the_recheck_that_closes_the_ticket(
    app, rd: RectifyData, unitfix: TestClient
) -> None:  # type: ignore[no-untyped-def]
    ticket = rd.article_ticket("a5")
    page = unitfix.get(f"/rectify/{ticket.id}")
    assert page.status_code == 200 and 'id="answer"' in page.text and "三个代表重要思相" in page.text
    r = unitfix.post(
        f"/rectify/{ticket.id}/answer",
        data={"note": "", "csrf_token": csrf(unitfix)},
    )
    assert r.status_code == 400 and "请填写整改情况说明" in r.text
    Fixable.fixed.add("a5")  # the unit corrects the page, then says so
    r = unitfix.post(
        f"/rectify/{ticket.id}/answer",
        data={"note": "已将“三个代表重要思相”更正为“三个代表重要思想”<b>", "csrf_token": csrf(unitfix)},
        files={"attachment": ("整改报告.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    waiting = unitfix.get(f"/rectify/{ticket.id}")
    assert "待复核" in waiting.text and "&lt;b&gt;" in waiting.text
    app.state.web.runner.wait(timeout=120)
    status = unitfix.get(f"/rectify/{ticket.id}/recheck-status", headers={"HX-Request": "true"})
    assert status.status_code == 204 and status.headers["HX-Refresh"] == "true"  # the page reloads
    closed = unitfix.get(f"/rectify/{ticket.id}")
    assert rd.tickets(FIX_CODE, id=ticket.id)[0].status == CLOSED
    assert "已销号" in closed.text and "复核通过，销号" in closed.text and "自动复核通过" in closed.text
    with rd.store.session() as session:
        attachment = session.scalar(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id))
        assert attachment is not None
    download = unitfix.get(f"/rectify/attachments/{attachment.id}")
    assert download.content == PDF and download.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["content-security-policy"]


def test_overdue_tickets_are_counted_in_the_menu_and_listed(rd: RectifyData) -> None:
    later = create_app(rd.settings, store=rd.store, today=lambda: rd.today + timedelta(days=60))
    c = signed_in(later, "unitfarm")
    page = c.get("/rectify")
    overdue = int(re.search(r'id="kpi-overdue">(\d+)<', page.text)[1])  # type: ignore[index]
    assert overdue > 0 and re.search(rf'整改<span class="count"[^>]*>{overdue}<', page.text)
    assert 'id="reminders"' in page.text and "已逾期" in page.text
    only = c.get("/rectify?overdue=1")
    assert len(re.findall(r'data-ticket="\d+"', only.text)) == overdue
    now = signed_in(create_app(rd.settings, store=rd.store, today=lambda: rd.today), "unitfarm").get(
        "/rectify"
    )
    assert 'class="count"' not in now.text


def test_the_audit_trail_page_lists_every_action(rd: RectifyData, inspector: TestClient) -> None:
    page = inspector.get("/rectify-audit")
    assert page.status_code == 200 and "下发整改" in page.text and "收到网民留言" in page.text
    assert "公众" in page.text and "命令行" in page.text


def test_a_recheck_whose_process_died_can_be_started_again(rd: RectifyData, inspector: TestClient) -> None:
    from govinspect.rectify import tickets as tk
    from govinspect.store.rectify import Recheck

    ticket = next(t for t in rd.tickets(rd.farm_code) if t.check != "freshness.homepage_stale")
    unit = Actor(None, "unitfarm测试", "unit", frozenset({rd.units["farm"]}))
    with rd.store.session() as session:
        tk.answer(session, ticket.id, unit, "已整改", attachments_dir=rd.settings.home / "attachments")
        session.add(
            Recheck(
                site_id=ticket.site_id,
                site_code=ticket.site_code,
                status="running",
                as_of=rd.today,
                requested_at=datetime.now(UTC) - timedelta(hours=3),
                started_at=datetime.now(UTC) - timedelta(hours=3),
            )
        )
    page = inspector.get(f"/rectify/{ticket.id}")
    assert "复核进程已中断" in page.text and f'action="/rectify/{ticket.id}/recheck"' in page.text
    assert 'hx-trigger="every 2s"' not in page.text  # nothing to wait for
