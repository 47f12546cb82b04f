"""The public error-report inbox (我为政府网站找错) on SQLite and PostgreSQL: the self-hosted challenge, rate
limits, matching a page to a registered site, de-duplication, triage and assignment to the unit, and the
figures a circular and the office's assessment print (INDICATORS.md §5)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from govinspect.rectify import inbox
from govinspect.rectify import tickets as tk
from govinspect.rectify.audit import Actor
from govinspect.rectify.rules import Rules
from govinspect.registry import service
from govinspect.scoring.profile import load_profile
from govinspect.store import Store
from govinspect.store.models import Site
from govinspect.store.rectify import (
    CLOSED,
    DUPLICATE,
    INVALID,
    NEW,
    VALID,
    AuditEvent,
    ErrorReport,
    InboxChallenge,
    Ticket,
)
from govinspect.workdays.schedule import Calendar

REGISTRY = (
    "网站标识码,网站名称,首页网址,主办单位,所属地区,类别,运行状态\n"
    "3611000003,上饶市人民政府,http://www.zgsr.gov.cn/,上饶市人民政府办公室,上饶市,市级门户,运行\n"
    "3611000021,上饶市教育局,http://jyj.zgsr.gov.cn/,上饶市教育局,上饶市,市级部门,运行\n"
    "3611000022,上饶市科技局,http://www.zgsr.gov.cn/kjj/index.html,上饶市科学技术局,上饶市,市级部门,运行\n"
    "3611000023,上饶市测试局,http://127.0.0.1:8081/,上饶市测试局,上饶市,市级部门,运行\n"
)
RULES = Rules.of(load_profile("national-2019"))
CALENDAR = Calendar.build()


@pytest.fixture
def sites(store: Store, tmp_path: Path) -> Store:
    path = tmp_path / "sites.csv"
    path.write_text(REGISTRY, encoding="utf-8")
    service.import_file(store, path)
    return store


def submit(
    store: Store, url: str, kind: str = "错别字", text: str = "第二段“社会主意”应为“社会主义”", who: str = "a"
) -> ErrorReport:
    with store.session() as session:
        report = inbox.receive(
            session, inbox.Submission(url, kind, text, "13800000000"), inbox.client_hash(who)
        )
        session.flush()
        session.expunge(report)
        return report


def test_the_challenge_is_drawn_here_and_answered_once(sites: Store) -> None:
    who = inbox.client_hash("198.51.100.7")
    with sites.session() as session:
        token = inbox.new_challenge(session, random.Random(3))
    with sites.session() as session:
        image = inbox.challenge_image(session, token)
        row = session.scalar(select(InboxChallenge))
        assert row is not None and row.token_hash != token  # only the token's hash is kept
        answer = row.answer
    assert image is not None and image.startswith(b"\x89PNG")
    with sites.session() as session:
        assert not inbox.take_challenge(session, token, str(int(answer) + 1), who)
    with sites.session() as session:
        assert not inbox.take_challenge(session, token, answer, who)  # used up by the wrong answer
        assert inbox.challenge_image(session, token) is None
        fresh = inbox.new_challenge(session)
    with sites.session() as session:
        right = session.scalar(
            select(InboxChallenge.answer).where(InboxChallenge.token_hash == inbox._digest(fresh))
        )
        assert inbox.take_challenge(session, fresh, f" {right} ", who)
    with sites.session() as session:
        assert not inbox.take_challenge(session, fresh, str(right), who)  # once only


def test_wrong_answers_lock_the_address_and_reports_are_limited_per_hour(sites: Store) -> None:
    guesser, other = inbox.client_hash("203.0.113.9"), inbox.client_hash("203.0.113.10")
    for _ in range(inbox.WRONG_ANSWERS):
        with sites.session() as session:
            token = inbox.new_challenge(session)
            inbox.take_challenge(session, token, "-1", guesser)
    with sites.session() as session:
        assert "验证码错误次数过多" in (inbox.rate_problem(session, guesser) or "")
        assert inbox.rate_problem(session, other) is None
    for n in range(inbox.PER_HOUR):
        submit(sites, f"http://www.zgsr.gov.cn/art/{n}.html", who="203.0.113.10")
    with sites.session() as session:
        assert "每小时" in (inbox.rate_problem(session, other) or "")
        # an hour later the address may report again
        session.execute(update(ErrorReport).values(received_at=datetime.now(UTC) - timedelta(hours=2)))
        assert inbox.rate_problem(session, other) is None


def test_a_report_belongs_to_the_registered_site_of_its_page(sites: Store) -> None:
    assert submit(sites, "https://zgsr.gov.cn/col/col1/index.html").site_code == "3611000003"  # www. or not
    assert submit(sites, "http://www.zgsr.gov.cn/kjj/art/2020/3/1/art_1_2.html").site_code == "3611000022"
    assert submit(sites, "http://JYJ.zgsr.gov.cn/x.html").site_code == "3611000021"
    assert submit(sites, "http://127.0.0.1:8081/a.html").site_code == "3611000023"
    for url, why in (
        ("http://127.0.0.1:8082/a.html", "不属于"),  # another port: another server
        ("http://www.example.com/", "不属于"),
        ("javascript:alert(1)", "完整的网页地址"),
        ("www.zgsr.gov.cn/", "完整的网页地址"),
    ):
        with pytest.raises(inbox.InboxError, match=why):
            submit(sites, url)
    with pytest.raises(inbox.InboxError, match="问题类型"):
        submit(sites, "http://www.zgsr.gov.cn/", kind="其它问题")
    with pytest.raises(inbox.InboxError, match="具体描述"):
        submit(sites, "http://www.zgsr.gov.cn/", text="错")
    with pytest.raises(inbox.InboxError, match="联系方式"), sites.session() as session:
        inbox.receive(
            session, inbox.Submission("http://www.zgsr.gov.cn/", "错别字", "标题有错别字", "<b>x</b>"), "x"
        )


def test_the_same_page_and_problem_while_open_is_a_duplicate(sites: Store) -> None:
    first = submit(sites, "http://www.zgsr.gov.cn/art/2020/3/1/art_1_1.html#top")
    same = submit(sites, "HTTP://zgsr.gov.cn/art/2020/3/1/art_1_1.html", text="同一处错别字，请尽快修改")
    other_kind = submit(sites, "http://www.zgsr.gov.cn/art/2020/3/1/art_1_1.html", kind="内容不准确")
    assert (first.status, same.status, other_kind.status) == (NEW, DUPLICATE, NEW)
    assert same.duplicate_of == first.id
    with sites.session() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.report_id == same.id)).all()
    assert actions == ["report_received", "report_duplicate"]


def test_triage_assigns_a_valid_report_to_the_unit_with_a_deadline(sites: Store) -> None:
    report = submit(sites, "http://jyj.zgsr.gov.cn/art/1.html")
    doubtful = submit(sites, "http://jyj.zgsr.gov.cn/art/2.html", kind="信息不更新")
    with sites.session() as session:
        unit_id = session.scalar(select(Site.unit_id).where(Site.site_code == "3611000021"))
    unit = Actor(None, "教育局", "unit", frozenset({unit_id}))
    inspector = Actor(7, "检查员", "inspector")
    with sites.session() as session:
        with pytest.raises(inbox.InboxError, match="检查人员"):
            inbox.triage(
                session,
                report.id,
                unit,
                VALID,
                "",
                today=date(2020, 4, 30),
                calendar=CALENDAR,
                working_days=3,
            )
        with pytest.raises(inbox.InboxError, match="理由"):
            inbox.triage(
                session,
                doubtful.id,
                inspector,
                INVALID,
                "",
                today=date(2020, 4, 30),
                calendar=CALENDAR,
                working_days=3,
            )
        with pytest.raises(
            inbox.InboxError, match="没有找到"
        ):  # a unit sees no report before it is found 属实
            inbox.get_report(session, report.id, unit)
        inbox.triage(
            session,
            report.id,
            inspector,
            VALID,
            "经核实属实",
            today=date(2020, 4, 30),
            calendar=CALENDAR,
            working_days=3,
        )
        inbox.triage(
            session,
            doubtful.id,
            inspector,
            INVALID,
            "该栏目为静态栏目，不需要更新",
            today=date(2020, 4, 30),
            calendar=CALENDAR,
            working_days=3,
        )
    with sites.session() as session:
        valid = session.get(ErrorReport, report.id)
        assert valid is not None and valid.status == VALID and inbox.get_report(session, report.id, unit)
        ticket = session.get(Ticket, valid.ticket_id)
        assert ticket is not None and ticket.source == "report" and ticket.unit_id == unit_id
        assert ticket.deadline == date(2020, 5, 8)  # 3 working days after 30 April 2020 (1–5 May off)
        with pytest.raises(inbox.InboxError, match="已核实"):
            inbox.triage(
                session,
                report.id,
                inspector,
                INVALID,
                "改主意",
                today=date(2020, 4, 30),
                calendar=CALENDAR,
                working_days=3,
            )
        # the unit fixes it and an inspector confirms (no check to re-run for a free-text report)
        tk.answer(session, ticket.id, unit, "已更正", attachments_dir=Path("/nonexistent"))
        tk.overrule(session, ticket.id, inspector, "close", "已核实页面已更正")
        assert session.get(Ticket, ticket.id).status == CLOSED  # type: ignore[union-attr]


def _received(store: Store, report_id: int, when: datetime) -> None:
    with store.session() as session:
        session.execute(update(ErrorReport).where(ErrorReport.id == report_id).values(received_at=when))


def _closed(store: Store, report_id: int, when: datetime) -> None:
    with store.session() as session:
        ticket_id = session.scalar(select(ErrorReport.ticket_id).where(ErrorReport.id == report_id))
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(status=CLOSED, closed_at=when))


def test_the_figures_a_circular_prints_and_the_assessment_counts(sites: Store) -> None:
    """2019: five messages (one a duplicate); two found 属实 in two units (one fixed within a month, one after
    two months), one not; one still to triage. 2020: one 属实 not yet fixed."""
    inspector = Actor(7, "检查员", "inspector")
    urls = {
        "quick": ("http://www.zgsr.gov.cn/a.html", "错别字"),
        "slow": ("http://jyj.zgsr.gov.cn/b.html", "功能无法使用"),
        "wrong": ("http://www.zgsr.gov.cn/c.html", "功能无法使用"),
        "pending": ("http://www.zgsr.gov.cn/d.html", "内容不准确"),
        "open": ("http://jyj.zgsr.gov.cn/e.html", "信息不更新"),
    }
    made = {k: submit(sites, u, kind) for k, (u, kind) in urls.items()}
    copy = submit(sites, *urls["slow"])
    assert copy.duplicate_of == made["slow"].id
    march = datetime(2019, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    for key, report in made.items():
        _received(sites, report.id, march if key != "open" else datetime(2020, 1, 2, 2, 0, tzinfo=UTC))
    _received(sites, copy.id, march + timedelta(days=1))
    with sites.session() as session:
        for key in ("quick", "slow", "open"):
            inbox.triage(
                session,
                made[key].id,
                inspector,
                VALID,
                "",
                today=date(2019, 3, 1),
                calendar=CALENDAR,
                working_days=3,
            )
        inbox.triage(
            session,
            made["wrong"].id,
            inspector,
            INVALID,
            "功能正常",
            today=date(2019, 3, 1),
            calendar=CALENDAR,
            working_days=3,
        )
    _closed(sites, made["quick"].id, datetime(2019, 3, 20, 8, tzinfo=UTC))
    _closed(sites, made["slow"].id, datetime(2019, 5, 6, 8, tzinfo=UTC))  # more than a month after 1 March
    with sites.session() as session:
        year = inbox.inbox_stats(
            session, date(2019, 1, 1), date(2019, 12, 31), as_of=date(2020, 1, 15), rules=RULES
        )
        before = inbox.inbox_stats(
            session, date(2019, 1, 1), date(2019, 12, 31), as_of=date(2019, 3, 31), rules=RULES
        )
        now = inbox.inbox_stats(
            session, date(2020, 1, 1), date(2020, 12, 31), as_of=date(2020, 3, 31), rules=RULES
        )
        jyj = session.scalar(select(Site.unit_id).where(Site.site_code == "3611000021"))
        unit_view = inbox.inbox_stats(
            session,
            date(2019, 1, 1),
            date(2019, 12, 31),
            as_of=date(2020, 1, 15),
            rules=RULES,
            unit_ids=frozenset({jyj}),
        )
    assert (year.received, year.duplicates, year.pending, year.valid, year.invalid) == (5, 1, 1, 2, 1)
    assert (len(year.units), year.fixed, year.unresolved, year.late) == (2, 2, 0, 1)
    assert year.by_type[0] == ("功能无法使用", 3)
    assert year.deduction == 2  # one resolved after more than a month: −2
    assert year.circular_text() == (
        "共受理网民留言5条（其中重复留言1条），问题主要集中在“功能无法使用”“错别字”等方面。"
        "其中，问题属实的留言2条，涉及2个责任地区和部门，已全部整改完毕。另有1条留言正在核实。"
    )
    assert (before.fixed, before.unresolved, before.deduction) == (
        1,
        1,
        3,
    )  # as of 31 March 2019: slow is open
    assert (now.valid, now.unresolved, now.deduction) == (1, 1, 3)
    assert (unit_view.received, unit_view.valid) == (2, 1)
