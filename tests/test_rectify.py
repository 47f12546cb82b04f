"""Rectification on a real inspection: tickets opened from a run's findings (one per problem, never twice),
deadlines in working days, the unit's answer, the automatic re-check (closed, reopened, or left for an
inspector when the page was not fetched), an inspector's decisions, reminders by e-mail, and the append-only
audit trail (refused by the ORM and by the database's triggers, on SQLite and PostgreSQL).

The inspected data (:func:`rectify_data`) is built once and each module, here and in the web and browser tests
of 整改 and 找错, works on its own copy of it (no test depends on the order of modules). Besides farm sites it
inspects a small site served here whose pages the test can correct, as a unit would (:class:`Fixable`).
"""

from __future__ import annotations

import http.server
import shutil
import socketserver
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from govinspect.checks.finding import Finding
from govinspect.config import Settings, load_settings
from govinspect.farm import Farm
from govinspect.fetch.crawl import CrawlOptions
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.rectify import notify
from govinspect.rectify import tickets as tk
from govinspect.rectify.audit import Actor, AuditError, record
from govinspect.rectify.recheck import RecheckSettings, request_recheck, run_recheck
from govinspect.rectify.rules import Rules, deadline_after
from govinspect.registry import service
from govinspect.runs.inspect import InspectOptions, inspect_sites
from govinspect.scoring.engine import _problem_key
from govinspect.scoring.profile import load_profile
from govinspect.store import Store, open_store
from govinspect.store.models import Site
from govinspect.store.rectify import CLOSED, FIXED, OPEN, REOPENED, AuditEvent, Ticket
from govinspect.store.results import FindingRow, Run, SiteResult
from govinspect.workdays.schedule import Calendar

FIX_CODE = "2101000077"
FIX_UNIT = "整改测试局"
# Each article misspells a different formulation: five problems (the same misspelling on several pages would
# be one problem, as scoring counts it).
ARTICLES = {
    "a1": ("习近平新时代中国特色社会主意思想", "习近平新时代中国特色社会主义思想"),
    "a2": ("马克思列宁主意", "马克思列宁主义"),
    "a3": ("毛泽东思相", "毛泽东思想"),
    "a4": ("邓小平理伦", "邓小平理论"),
    "a5": ("三个代表重要思相", "三个代表重要思想"),  # answered through the pages (test_web_rectify.py)
    "a6": ("中央八项规订", "中央八项规定"),  # answered in the browser (test_web_rectify_browser.py)
}
FAST_RECHECK = RecheckSettings(links=LinkCheckOptions(retry_spacing=0.05, timeout=5))


class Fixable:
    """A small site whose articles carry a serious wording error until the test corrects them (``fixed``),
    and whose homepage stops linking an article when it is ``unlinked``."""

    fixed: ClassVar[set[str]] = set()
    unlinked: ClassVar[set[str]] = set()

    @classmethod
    def page(cls, path: str) -> str | None:
        footer = f'<div class="footer">主办单位：{FIX_UNIT} 网站标识码：{FIX_CODE}</div>'
        if path in ("/", "/index.html"):
            items = "".join(
                f'<li><a href="/art/{a}.html">关于开展第{n}批专项检查的通知</a><span>2020-03-2{n}</span></li>'
                for n, a in enumerate(ARTICLES, 1)
                if a not in cls.unlinked
            )
            return (
                '<!DOCTYPE html><html><head><meta charset="utf-8"><title>整改测试网站</title></head><body>'
                f'<div class="nav"><a href="/col/list.html">通知公告</a></div><ul>{items}</ul>{footer}</body></html>'
            )
        if path == "/col/list.html":
            items = "".join(
                f'<li><a href="/art/{a}.html">关于开展第{n}批专项检查的通知</a><span>2020-03-2{n}</span></li>'
                for n, a in enumerate(ARTICLES, 1)
                if a not in cls.unlinked
            )
            return (
                '<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head><body>'
                f"<ul>{items}</ul>{footer}</body></html>"
            )
        for n, a in enumerate(ARTICLES, 1):
            if path == f"/art/{a}.html":
                wrong, right = ARTICLES[a]
                words = right if a in cls.fixed else wrong
                return (
                    f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>关于开展第{n}批专项检查的通知</title>'
                    f"</head><body><h1>关于开展第{n}批专项检查的通知</h1><p>发布时间：2020-03-2{n}</p>"
                    f"<p>第{n}批：各单位要深入学习贯彻{words}，扎实推进各项工作。</p>{footer}</body></html>"
                )
        return None


class _FixableHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body_too: bool) -> None:
        page = Fixable.page(self.path.split("?")[0])
        if page is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = page.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body_too:
            self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(True)

    def do_HEAD(self) -> None:
        self._send(False)


@dataclass
class RectifyData:
    settings: Settings
    store: Store
    farm: Farm
    farm_code: str  # a farm site the truth fails: its problems stay when re-checked
    run_id: int
    today: date
    fix_url: str
    units: dict[str, int] = field(default_factory=dict)  # name -> unit id of FIX_UNIT and the farm site

    def tickets(self, site_code: str, **where: object) -> list[Ticket]:
        with self.store.session() as session:
            query = select(Ticket).where(Ticket.site_code == site_code)
            for key, value in where.items():
                query = query.where(getattr(Ticket, key) == value)
            return list(session.scalars(query.order_by(Ticket.id)))

    def article_ticket(self, article: str) -> Ticket:
        found = [
            t
            for t in self.tickets(FIX_CODE, check="content.serious_error")
            if t.url.endswith(f"/{article}.html")
        ]
        assert len(found) == 1, [t.url for t in self.tickets(FIX_CODE)]
        return found[0]


_SHARED: dict[str, RectifyData] = {}
PASSWORD = "Correct-Horse-42"
USERS = {
    "admin": ("admin", None),
    "inspector": ("inspector", None),
    "unitfix": ("unit", FIX_UNIT),
    "unitfarm": ("unit", "farm"),
}


def rectify_data(farm: Farm, tmp_path_factory: pytest.TempPathFactory) -> RectifyData:
    """The inspected data for one test module: the inspection is made once a session (:func:`_inspected`), and
    each call gets a copy of its home (database and snapshots) and a fixable site with nothing corrected, so
    what one module answers, re-checks or decides is never seen by another, whatever their order."""
    if "data" not in _SHARED:
        _SHARED["data"] = _inspected(farm, tmp_path_factory)
    return _copy(_SHARED["data"], tmp_path_factory)


def _copy(data: RectifyData, tmp_path_factory: pytest.TempPathFactory) -> RectifyData:
    prefix = "sqlite:///"
    assert data.settings.database_url.startswith(prefix), "the shared data is copied as an SQLite file"
    source = Path(data.settings.database_url.removeprefix(prefix))
    home = tmp_path_factory.mktemp("rectify-home-copy")
    shutil.copytree(
        data.settings.home, home, dirs_exist_ok=True, ignore=shutil.ignore_patterns(source.name + "*")
    )
    settings = load_settings(env={"GOVINSPECT_HOME": str(home)})
    with (
        sqlite3.connect(source) as original,
        sqlite3.connect(settings.database_url.removeprefix(prefix)) as copy,
    ):
        original.backup(copy)  # consistent, WAL included
    original.close()
    copy.close()
    Fixable.fixed.clear()
    Fixable.unlinked.clear()
    return RectifyData(settings, open_store(settings.database_url), data.farm, data.farm_code, data.run_id,
                       data.today, data.fix_url, dict(data.units))  # fmt: skip


def _inspected(farm: Farm, tmp_path_factory: pytest.TempPathFactory) -> RectifyData:
    """Inspect one farm site the truth fails and the fixable site, open the run's tickets, create the users."""
    from argon2 import PasswordHasher

    from govinspect.web import auth

    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # cheap, as test_web_app does
    home = tmp_path_factory.mktemp("rectify-home")
    settings = load_settings(env={"GOVINSPECT_HOME": str(home)})
    store = open_store(settings.database_url)
    service.import_file(store, farm.registry_csv)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FixableHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()  # lives for the session: re-checks
    fix_url = f"http://127.0.0.1:{server.server_address[1]}/"
    registry = home / "fixable.csv"
    registry.write_text(
        "网站标识码,网站名称,首页网址,主办单位,所属地区,类别,运行状态\n"
        f"{FIX_CODE},整改测试网站,{fix_url},{FIX_UNIT},沈阳市,市级部门,运行\n",
        encoding="utf-8",
    )
    service.import_file(store, registry)
    expected = {s["site_code"]: s["expected_verdict"] for s in farm.truth()["sites"]}
    farm_code = next(
        s.site_code for s in farm.sites if s.behaviour is None and expected[s.site_code] == "不合格"
    )
    options = InspectOptions(
        as_of=farm.as_of,
        period="2020Q1",
        crawl=CrawlOptions(
            max_pages=12,
            delay=0.0,
            homepage_retry_spacing_s=0.2,
            allow_private_networks=True,
            concurrency_per_host=1,
        ),
        links=FAST_RECHECK.links,
        max_external_links=5,
        render=False,
        screenshots=False,
        workers=1,
    )
    result = inspect_sites(store, settings, [farm_code, FIX_CODE], options)
    from govinspect.web.auth import create_user

    with store.session() as session:
        units = {
            FIX_UNIT: session.scalar(select(Site.unit_id).where(Site.site_code == FIX_CODE)),
            "farm": session.scalar(select(Site.unit_id).where(Site.site_code == farm_code)),
        }
        for username, (role, unit) in USERS.items():
            create_user(session, username, f"{username}测试", role, PASSWORD, [units[unit]] if unit else [])
        calendar = Calendar.load(home=home)
        tk.open_from_run(
            session, result.run_id, Actor.command_line(), today=farm.as_of, calendar=calendar, working_days=15
        )
    return RectifyData(settings, store, farm, farm_code, result.run_id, farm.as_of, fix_url, units)


@pytest.fixture(scope="module")
def rd(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> RectifyData:
    return rectify_data(farm_server, tmp_path_factory)


@pytest.fixture(scope="module")
def calendar() -> Calendar:
    return Calendar.build()


def unit_actor(rd: RectifyData, name: str) -> Actor:
    return Actor(None, f"{name}测试", "unit", frozenset({rd.units[name]}))


# -- opening ----------------------------------------------------------------------------------------------------


def test_one_ticket_per_counting_problem_and_opening_again_adds_none(
    rd: RectifyData, calendar: Calendar
) -> None:
    with rd.store.session() as session:
        rows = session.execute(
            select(FindingRow, SiteResult.site_id).join(SiteResult).where(SiteResult.run_id == rd.run_id)
        ).all()
        counting = {
            (site_id, _problem_key(Finding(r.check, r.url, "", r.evidence)))
            for r, site_id in rows
            if r.severity in ("veto", "deduction")
        }
        notices = sum(1 for r, _ in rows if r.severity == "notice")
        opened = list(session.scalars(select(Ticket).where(Ticket.run_id == rd.run_id)))
        assert len(opened) == len(counting) > 0
        assert all(t.status == OPEN and t.opened_on == rd.today for t in opened)
        assert all(t.deadline == calendar.add_working_days(rd.today, 15) for t in opened)
        # every ticket has its open event in the trail
        events = {e.ticket_id for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "open"))}
        assert {t.id for t in opened} <= events
        again = tk.open_from_run(
            session, rd.run_id, Actor.command_line(), today=rd.today, calendar=calendar, working_days=15
        )
    assert again.opened == [] and again.already == len(counting) and again.notices == notices
    # five articles with the same wrong words are five problems (different pages), each with its own ticket
    assert len(rd.tickets(FIX_CODE, check="content.serious_error")) == len(ARTICLES)


def test_a_problem_on_many_pages_is_one_ticket_with_its_pages() -> None:
    a = tk.problem_key("links.broken", "http://x.gov.cn/a.html", {"target": "http://x.gov.cn/gone.html"})
    b = tk.problem_key("links.broken", "http://x.gov.cn/b.html", {"target": "http://x.gov.cn/gone.html"})
    c = tk.problem_key("content.typo", "http://x.gov.cn/a.html", {"text": "忽视"})
    d = tk.problem_key("content.typo", "http://x.gov.cn/a.html", {"text": "勿视"})
    assert a == b and c != d and len(a) == 64


def test_deadlines_count_working_days_and_say_when_they_are_provisional(calendar: Calendar) -> None:
    # Received Thursday 30 April 2020: 1–5 May is the Labour Day holiday; 9 May a make-up working Saturday.
    assert deadline_after(calendar, date(2020, 4, 30), 3).day == date(2020, 5, 8)
    assert deadline_after(calendar, date(2020, 4, 30), 7).day == date(2020, 5, 13)  # Saturday 9 May counts
    assert deadline_after(calendar, date(2020, 5, 1), 0).day == date(
        2020, 5, 6
    )  # a holiday: next working day
    last = max(calendar.covered_years())
    late = deadline_after(calendar, date(last, 12, 24), 15)
    assert late.provisional and late.day.year == last + 1 and late.day.weekday() < 5
    assert not deadline_after(calendar, date(2020, 3, 2), 15).provisional
    rules = Rules.of(load_profile("national-2019"))
    assert (rules.working_days, rules.report_working_days, rules.unresolved_points, rules.late_points) == (
        15,
        3,
        3,
        2,
    )


def test_only_the_units_users_answer_and_an_answer_needs_a_note(rd: RectifyData) -> None:
    ticket = rd.article_ticket("a5")
    with rd.store.session() as session:
        with pytest.raises(tk.TicketNotFound):  # another unit does not even see it
            tk.answer(session, ticket.id, unit_actor(rd, "farm"), "已整改", attachments_dir=rd.settings.home)
        with pytest.raises(tk.TicketError, match="主办单位"):
            tk.answer(session, ticket.id, Actor.command_line(), "已整改", attachments_dir=rd.settings.home)
        with pytest.raises(tk.TicketError, match="说明"):
            tk.answer(session, ticket.id, unit_actor(rd, FIX_UNIT), "  ", attachments_dir=rd.settings.home)
        with pytest.raises(tk.TicketError, match="不符"):
            tk.answer(
                session, ticket.id, unit_actor(rd, FIX_UNIT), "见附件", attachments_dir=rd.settings.home,
                upload=tk.Upload("整改报告.pdf", b"MZ\x90\x00 an executable"),
            )  # fmt: skip
        with pytest.raises(tk.TicketError, match="类型"):
            tk.answer(
                session, ticket.id, unit_actor(rd, FIX_UNIT), "见附件", attachments_dir=rd.settings.home,
                upload=tk.Upload("run.exe", b"MZ"),
            )  # fmt: skip
    assert rd.article_ticket("a5").status == OPEN


# -- the re-check ---------------------------------------------------------------------------------------------


def test_the_recheck_closes_what_is_fixed_reopens_what_is_not_and_leaves_what_it_cannot_see(
    rd: RectifyData,
) -> None:
    unit = unit_actor(rd, FIX_UNIT)
    fixed, still, hidden = (rd.article_ticket(a) for a in ("a1", "a2", "a3"))
    untouched = rd.article_ticket("a5")
    Fixable.fixed.add("a1")  # the unit corrected a1 only; a3 is no longer linked from anywhere
    Fixable.unlinked.add("a3")
    with rd.store.session() as session:
        for ticket in (fixed, still, hidden):
            tk.answer(
                session, ticket.id, unit, "已更正错误表述", attachments_dir=rd.settings.home / "attachments"
            )
        recheck, created = request_recheck(session, fixed.site_id, unit, rd.today)
        again, created_again = request_recheck(session, fixed.site_id, unit, rd.today)
        recheck_id = recheck.id
    assert created and not created_again and again.id == recheck_id  # one re-check of the site at a time
    done = run_recheck(rd.store, rd.settings, recheck_id, FAST_RECHECK)
    assert done.status == "finished", done.error
    assert done.outcome == {str(fixed.id): "closed", str(still.id): "reopened", str(hidden.id): "uncovered"}
    with rd.store.session() as session:
        run = session.get(Run, done.run_id)
        assert run is not None and run.kind == "recheck" and run.source_run_id == rd.run_id
        assert run.options["crawl"]["allow_private_networks"] is True  # as the source run recorded
        states = {
            t.id: t
            for t in session.scalars(
                select(Ticket).where(Ticket.id.in_([fixed.id, still.id, hidden.id, untouched.id]))
            )
        }
        assert states[fixed.id].status == CLOSED and states[fixed.id].closed_by == "recheck"
        reopened = states[still.id]
        assert reopened.status == REOPENED and reopened.reopen_count == 1
        new_finding = session.get(FindingRow, reopened.finding_id)
        assert new_finding is not None and new_finding.result.run_id == done.run_id  # the new evidence
        assert states[hidden.id].status == FIXED  # not seen: an inspector decides
        assert states[untouched.id].status == OPEN  # not answered: not judged
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.ticket_id == hidden.id).order_by(AuditEvent.id)
            )
        ]
    assert actions == ["open", "answer", "recheck_requested", "recheck_uncovered"]
    with rd.store.session() as session:  # the inspector looks at a3 and closes it, with a reason
        with pytest.raises(tk.TicketError, match="理由"):
            tk.overrule(session, hidden.id, Actor.command_line(), "close", "")
        with pytest.raises(tk.TicketError, match="检查人员"):
            tk.overrule(session, hidden.id, unit, "close", "我说好了")
        tk.overrule(session, hidden.id, Actor.command_line(), "close", "已人工核实页面已删除")
        tk.change_deadline(
            session,
            still.id,
            Actor.command_line(),
            working_days=20,
            calendar=Calendar.build(),
            reason="单位申请延期",
        )
    closed = rd.tickets(FIX_CODE, id=hidden.id)[0]
    assert closed.status == CLOSED and closed.closed_by == "inspector"
    longer = rd.tickets(FIX_CODE, id=still.id)[0]
    assert longer.deadline == Calendar.build().add_working_days(rd.today, 20) and longer.working_days == 20


# -- reminders --------------------------------------------------------------------------------------------------


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: the messages are kept in ``received``."""

    received: ClassVar[list[tuple[list[str], str]]] = []

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line.decode("utf-8", "replace").strip()
            upper = verb.upper()
            if upper.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 test\r\n")
            elif upper.startswith("MAIL"):
                recipients = []
                self.wfile.write(b"250 ok\r\n")
            elif upper.startswith("RCPT"):
                recipients.append(verb.split(":", 1)[1].strip(" <>"))
                self.wfile.write(b"250 ok\r\n")
            elif upper == "DATA":
                self.wfile.write(b"354 go\r\n")
                body = []
                while (part := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(part)
                import email

                message = email.message_from_bytes(b"".join(body), policy=email.policy.default)
                self.received.append((recipients, message.get_content()))
                self.wfile.write(b"250 queued\r\n")
            elif upper == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp() -> Iterator[notify.SmtpConfig]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Smtp.received.clear()
    yield notify.SmtpConfig(host="127.0.0.1", port=server.server_address[1], sender="jiancha@example.gov.cn")
    server.shutdown()
    server.server_close()


def test_units_are_reminded_of_due_and_overdue_tickets_once_a_day(
    rd: RectifyData, smtp: notify.SmtpConfig
) -> None:
    calendar = Calendar.build()
    late = calendar.add_working_days(rd.today, 16)  # a day past the 15-working-day deadline
    with rd.store.session() as session:
        due = notify.due(session, late, calendar, 3)
        mine = notify.due(session, late, calendar, 3, frozenset({rd.units[FIX_UNIT]}))
        assert due and all(r.overdue for r in due) and {r.unit_id for r in mine} == {rd.units[FIX_UNIT]}
        assert not notify.due(
            session, rd.today, calendar, 3
        )  # fifteen working days ahead: nothing is due yet
        notify.set_contact(session, FIX_UNIT, "zhenggai@example.gov.cn", "王科长")
        with pytest.raises(notify.NotifyError):
            notify.set_contact(session, FIX_UNIT, "not an address")
    with rd.store.session() as session:
        report = notify.send_reminders(
            session,
            late,
            calendar,
            3,
            smtp,
            actor=Actor.command_line(),
            base_url="https://jc.example.gov.cn/",
        )
    assert (
        report.emails == ["zhenggai@example.gov.cn"] and report.no_contact
    )  # the farm's unit has no address
    ((recipients, body),) = _Smtp.received
    assert (
        recipients == ["zhenggai@example.gov.cn"]
        and "已逾期" in body
        and "https://jc.example.gov.cn/rectify/" in body
    )
    with rd.store.session() as session:
        second = notify.send_reminders(session, late, calendar, 3, smtp, actor=Actor.command_line())
        reminded = session.scalars(select(AuditEvent).where(AuditEvent.action == "remind")).all()
    assert second.emails == [] and second.already_today == report.tickets and len(reminded) == report.tickets
    assert len(_Smtp.received) == 1


# -- the audit trail ----------------------------------------------------------------------------------------------


def _audit_is_append_only(store: Store) -> None:
    with store.session() as session:
        row = record(session, Actor.command_line(), "open", ticket_id=1, note="原始记录")
        session.flush()
        row_id = row.id
    for change in (
        lambda s: setattr(s.get(AuditEvent, row_id), "note", "改过的记录"),
        lambda s: s.delete(s.get(AuditEvent, row_id)),
        lambda s: s.execute(update(AuditEvent).where(AuditEvent.id == row_id).values(note="改过")),
        lambda s: s.execute(delete(AuditEvent)),
    ):
        with pytest.raises(AuditError), store.session() as session:
            change(session)
            session.flush()
    for sql in (
        "UPDATE audit_events SET note = 'x'",
        "DELETE FROM audit_events",
    ):  # round the ORM: the triggers
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.execute(text(sql))
    with store.session() as session:
        assert session.get(AuditEvent, row_id).note == "原始记录"  # type: ignore[union-attr]


def test_the_audit_trail_can_only_grow(store: Store) -> None:
    _audit_is_append_only(store)


def test_a_recheck_that_cannot_run_fails_with_its_reason_and_the_tickets_wait(rd: RectifyData) -> None:
    unit = unit_actor(rd, FIX_UNIT)
    ticket = rd.article_ticket("a4")
    with rd.store.session() as session:
        tk.answer(session, ticket.id, unit, "已整改", attachments_dir=rd.settings.home / "attachments")
        broken = Run(kind="inspect", status="finished", as_of=rd.today, profile="no-such-profile", options={})
        session.add(broken)
        session.flush()
        recheck, _ = request_recheck(session, ticket.site_id, unit, rd.today)
        recheck.source_run_id = broken.id
        recheck_id = recheck.id
    done = run_recheck(rd.store, rd.settings, recheck_id, FAST_RECHECK)
    assert done.status == "failed" and "no-such-profile" in (done.error or "")
    with rd.store.session() as session:
        assert session.get(Ticket, ticket.id).status == FIXED  # type: ignore[union-attr]
        failed = session.scalars(
            select(AuditEvent).where(AuditEvent.ticket_id == ticket.id, AuditEvent.action == "recheck_failed")
        ).all()
        assert len(failed) == 1 and "no-such-profile" in (failed[0].note or "")
        session.delete(session.get(Run, broken.id))  # (not a result anyone should read)
        tk.overrule(session, ticket.id, Actor.command_line(), "reopen", "复核失败，请单位重新报送")
    assert rd.tickets(FIX_CODE, id=ticket.id)[0].status == REOPENED


def test_stale_rechecks_are_replaced(rd: RectifyData) -> None:
    unit = unit_actor(rd, FIX_UNIT)
    ticket = rd.article_ticket("a4")
    with rd.store.session() as session:
        tk.answer(session, ticket.id, unit, "再次整改", attachments_dir=rd.settings.home / "attachments")
        first, _ = request_recheck(session, ticket.site_id, unit, rd.today)
        first.requested_at = first.requested_at - timedelta(hours=3)
        session.flush()
        second, created = request_recheck(session, ticket.site_id, unit, rd.today)
        assert created and second.id != first.id and first.status == "failed"
        second.status = "failed"  # not run here
        tk.overrule(session, ticket.id, Actor.command_line(), "reopen", "留给浏览器测试")


def test_migration_0007_goes_down_and_up_with_its_triggers(store_url: str) -> None:
    from alembic import command

    from govinspect.store.db import _alembic_config, current_revision, head_revision

    store = open_store(store_url)
    try:
        with store.engine.begin() as connection:
            command.downgrade(_alembic_config(connection), "0006")
        assert current_revision(store.engine) == "0006"
        with store.engine.begin() as connection:
            command.upgrade(_alembic_config(connection), "head")
        assert current_revision(store.engine) == head_revision()
        _audit_is_append_only(store)  # the triggers are back
    finally:
        store.dispose()


def test_the_rectify_commands(rd: RectifyData) -> None:
    from typer.testing import CliRunner

    from govinspect.cli import app as cli

    runner = CliRunner(
        env={"GOVINSPECT_HOME": str(rd.settings.home), "GOVINSPECT_SMTP_HOST": "", "COLUMNS": "200"}
    )
    opened = runner.invoke(
        cli, ["rectify", "open", str(rd.run_id), "--working-days", "10", "--date", "2020-03-31"]
    )
    assert opened.exit_code == 0, opened.output
    assert "已下发整改 0 项" in opened.output and "未重复立项" in opened.output
    assert runner.invoke(cli, ["rectify", "open", "999"]).exit_code == 1
    listed = runner.invoke(cli, ["rectify", "list", "--site", FIX_CODE, "--date", "2020-06-30"])
    assert listed.exit_code == 0 and "逾期" in listed.output and "严重表述错误" in listed.output
    contact = runner.invoke(cli, ["rectify", "contact", FIX_UNIT, "ban@example.gov.cn"])
    assert contact.exit_code == 0, contact.output
    remind = runner.invoke(cli, ["rectify", "remind", "--date", "2020-06-30", "--dry-run"])
    assert remind.exit_code == 0 and "ban@example.gov.cn" in remind.output, remind.output
    audit = runner.invoke(cli, ["rectify", "audit", "--ticket", str(rd.article_ticket("a5").id)])
    assert audit.exit_code == 0 and "下发整改" in audit.output
    stats = runner.invoke(cli, ["rectify", "stats", "--period", "2020", "--as-of", "2020-12-31"])
    assert stats.exit_code == 0 and "年度考核" in stats.output, stats.output
    nothing = runner.invoke(cli, ["rectify", "recheck", rd.farm_code, "--as-of", "2020-03-31"])
    assert nothing.exit_code == 1 and "没有待复核的问题" in nothing.output
