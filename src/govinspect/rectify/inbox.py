"""The public error-report inbox (我为政府网站找错): the form's challenge, rate limits, de-duplication, triage
(属实/不属实) and assignment to the unit, and the figures circulars and the office's assessment print.

* The challenge is drawn here (a sum in a noisy PNG, Pillow), kept server-side and usable once: no
  third-party captcha service, and it works across several server processes sharing the database.
* Rate limits per sender address (hashed; the address itself is never stored): a few reports an hour and a day,
  wrong answers to the challenge lock the address for a while, and a ceiling for the whole form.
* A report about the same page of the same site with the same problem type as one still open is a duplicate:
  received and counted as received, but triaged and resolved with the first.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from govinspect.rectify.audit import Actor, record
from govinspect.rectify.rules import BEIJING, Rules, add_months, beijing_date, deadline_after, utc
from govinspect.store.models import Site, Unit, utcnow
from govinspect.store.rectify import (
    CLOSED,
    DUPLICATE,
    INVALID,
    NEW,
    OPEN,
    VALID,
    ErrorReport,
    InboxChallenge,
    Ticket,
)
from govinspect.store.users import LoginThrottle
from govinspect.workdays.schedule import Calendar

# The problem types of the national 找错 platform (and the circulars' wording).
PROBLEM_TYPES = (
    "内容无法访问",
    "信息不更新",
    "内容不准确",
    "咨询留言不回复",
    "错别字",
    "功能无法使用",
    "其他",
)
CHALLENGE_LIFETIME = timedelta(minutes=30)
PER_HOUR = 5  # reports from one address
PER_DAY = 20
ALL_PER_HOUR = 300  # reports from everyone: beyond this the form pauses (a flood, not the public)
WRONG_ANSWERS = 8  # wrong challenge answers from one address within WINDOW lock it for LOCK
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=30)
MAX_DESCRIPTION = 2000
MIN_DESCRIPTION = 5
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[\d\-\s+()（）]{7,20}$")


class InboxError(Exception):
    """A report that cannot be taken or an action that cannot be done; the message is for the reader."""


def client_hash(address: str) -> str:
    return hashlib.sha256(f"govinspect-inbox:{address}".encode()).hexdigest()


# -- the challenge ------------------------------------------------------------------------------------------------


def new_challenge(session: Session, rng: random.Random | None = None) -> str:
    """A new question; returns its token (the form carries it, the image is drawn from it)."""
    rng = rng or random.SystemRandom()
    now = utcnow()
    session.execute(delete(InboxChallenge).where(InboxChallenge.created_at < now - CHALLENGE_LIFETIME))
    a, b = rng.randint(10, 49), rng.randint(1, 9)
    question, answer = (f"{a} + {b} = ?", a + b) if rng.random() < 0.5 else (f"{a} - {b} = ?", a - b)
    token = secrets.token_urlsafe(24)
    session.add(
        InboxChallenge(token_hash=_digest(token), question=question, answer=str(answer), created_at=now)
    )
    return token


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _challenge(session: Session, token: str) -> InboxChallenge | None:
    if not token or len(token) > 100:
        return None
    row = session.scalar(select(InboxChallenge).where(InboxChallenge.token_hash == _digest(token)))
    if row is None or utc(row.created_at) < utcnow() - CHALLENGE_LIFETIME:
        return None
    return row


def challenge_image(session: Session, token: str) -> bytes | None:
    """The question as a PNG: digits shifted, turned and crossed by lines, on a speckled ground."""
    from PIL import Image, ImageDraw, ImageFont

    row = _challenge(session, token)
    if row is None:
        return None
    question = row.question
    rng = random.Random(row.token_hash)  # the same image each time this token is drawn
    width, height = 200, 64
    image = Image.new("RGB", (width, height), (246, 248, 251))
    draw = ImageDraw.Draw(image)
    for _ in range(220):
        x, y = rng.randrange(width), rng.randrange(height)
        draw.point((x, y), fill=(rng.randint(120, 200),) * 3)
    x = 12
    for char in question:
        font = ImageFont.load_default(size=rng.randint(26, 32))
        glyph = Image.new("RGBA", (40, 50), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (6, 4), char, font=font, fill=(rng.randint(10, 80), 40, rng.randint(90, 160))
        )
        glyph = glyph.rotate(rng.uniform(-25, 25), resample=Image.Resampling.BICUBIC, expand=False)
        image.paste(glyph, (x, rng.randint(2, 14)), glyph)
        x += 19 if char != " " else 8
    for _ in range(4):
        draw.line(
            [(rng.randrange(width), rng.randrange(height)), (rng.randrange(width), rng.randrange(height))],
            fill=(rng.randint(60, 160), rng.randint(60, 160), rng.randint(60, 160)),
            width=1,
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _throttle(session: Session, key: str) -> LoginThrottle | None:
    return session.get(LoginThrottle, key)


def locked(session: Session, address_hash: str, now: datetime | None = None) -> bool:
    row = _throttle(session, f"jiucuo:{address_hash}")
    return bool(row and row.locked_until and utc(row.locked_until) > (now or utcnow()))


def take_challenge(session: Session, token: str, answer: str, address_hash: str) -> bool:
    """True when the answer is right; the question is used up either way. Wrong answers count towards a lock."""
    now = utcnow()
    row = _challenge(session, token)
    right = False
    if row is not None:
        right = secrets.compare_digest(row.answer.encode(), (answer or "").strip().encode()[:8])
        session.delete(row)
    key = f"jiucuo:{address_hash}"
    throttle = _throttle(session, key)
    if right:
        return True
    if throttle is None:
        throttle = LoginThrottle(key=key, failures=0, window_start=now)
        session.add(throttle)
    if now - utc(throttle.window_start) > WINDOW:
        throttle.window_start, throttle.failures, throttle.locked_until = now, 0, None
    throttle.failures += 1
    if throttle.failures >= WRONG_ANSWERS:
        throttle.locked_until = now + LOCK
    return False


def rate_problem(session: Session, address_hash: str, now: datetime | None = None) -> str | None:
    """Why this sender may not report now, or None."""
    now = now or utcnow()
    if locked(session, address_hash, now):
        return "验证码错误次数过多，请稍后再试"

    def count(since: datetime, sender: str | None) -> int:
        query = select(func.count(ErrorReport.id)).where(ErrorReport.received_at >= since)
        if sender is not None:
            query = query.where(ErrorReport.client_hash == sender)
        return session.scalar(query) or 0

    if count(now - timedelta(hours=1), address_hash) >= PER_HOUR:
        return f"每小时最多提交 {PER_HOUR} 条留言，请稍后再试"
    if count(now - timedelta(days=1), address_hash) >= PER_DAY:
        return f"每天最多提交 {PER_DAY} 条留言，请明天再试"
    if count(now - timedelta(hours=1), None) >= ALL_PER_HOUR:
        return "留言较多，系统暂停受理，请稍后再试"
    return None


# -- receiving a report -------------------------------------------------------------------------------------------


def _host(url: str) -> str:
    """The host (and a port other than the scheme's default), lower-case, without ``www.``."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().rstrip(".").removeprefix("www.")
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return f"{host}:{port}" if host and port and port != default else host


def normalise_url(url: str) -> str:
    """For de-duplication: no fragment, lower-case scheme and host, no default port, no trailing index page."""
    parts = urlsplit(url.strip())
    path = re.sub(r"/(index|default)\.(s?html?|jsp|php|aspx?)$", "/", parts.path or "/", flags=re.IGNORECASE)
    query = f"?{parts.query}" if parts.query else ""
    return f"{_host(url.strip())}{path}{query}"


def site_for(session: Session, page_url: str) -> Site | None:
    """The registered site the page belongs to: same host (www. or not), the longest matching path."""
    host = _host(page_url)
    if not host:
        return None
    path = urlsplit(page_url).path or "/"
    best: tuple[int, Site] | None = None
    for site in session.scalars(select(Site).where(Site.url.contains(host.split(":")[0]))):
        if _host(site.url) != host:
            continue
        prefix = urlsplit(site.url).path or "/"
        prefix = prefix if prefix.endswith("/") else prefix.rsplit("/", 1)[0] + "/"
        if (path.startswith(prefix) or prefix == "/") and (best is None or len(prefix) > best[0]):
            best = (len(prefix), site)
    return best[1] if best else None


@dataclass(frozen=True)
class Submission:
    page_url: str
    problem_type: str
    description: str
    contact: str = ""


def check_submission(s: Submission) -> Submission:
    url = s.page_url.strip()
    if not re.match(r"^https?://", url, re.IGNORECASE) or len(url) > 2000 or not _host(url):
        raise InboxError("请填写完整的网页地址（以 http:// 或 https:// 开头）")
    if s.problem_type not in PROBLEM_TYPES:
        raise InboxError("请选择问题类型")
    description = s.description.strip()
    if len(description) < MIN_DESCRIPTION:
        raise InboxError(f"请具体描述发现的问题（至少 {MIN_DESCRIPTION} 个字）")
    if len(description) > MAX_DESCRIPTION:
        raise InboxError(f"问题描述不能超过 {MAX_DESCRIPTION} 字")
    contact = s.contact.strip()
    if contact and (len(contact) > 200 or not (_EMAIL.match(contact) or _PHONE.match(contact))):
        raise InboxError("联系方式请填写电子邮箱或电话号码（可不填）")
    return Submission(url, s.problem_type, description, contact)


def receive(session: Session, submission: Submission, address_hash: str) -> ErrorReport:
    """Take a checked report: match it to a registered site, mark a duplicate, record it."""
    s = check_submission(submission)
    site = site_for(session, s.page_url)
    if site is None:
        raise InboxError("该网址不属于本系统登记的政府网站，请核对后重新填写")
    url_key = hashlib.sha256(normalise_url(s.page_url).encode("utf-8")).hexdigest()
    report = ErrorReport(
        received_at=utcnow(),
        site_id=site.id,
        site_code=site.site_code,
        unit_id=site.unit_id,
        page_url=s.page_url,
        url_key=url_key,
        problem_type=s.problem_type,
        description=s.description,
        contact=s.contact or None,
        client_hash=address_hash,
        status=NEW,
    )
    original = _open_original(session, site.id, url_key, s.problem_type)
    if original is not None:
        report.status = DUPLICATE
        report.duplicate_of = original.id
    session.add(report)
    session.flush()
    public = Actor.public()
    record(
        session,
        public,
        "report_received",
        report_id=report.id,
        site_code=site.site_code,
        detail={"problem_type": s.problem_type, "page_url": s.page_url},
    )
    if original is not None:
        record(
            session,
            Actor.system(),
            "report_duplicate",
            report_id=report.id,
            site_code=site.site_code,
            detail={"duplicate_of": original.id},
        )
    return report


def _open_original(session: Session, site_id: int, url_key: str, problem_type: str) -> ErrorReport | None:
    """The first report of the same page and type that is not settled (pending, or 属实 and not yet fixed)."""
    candidates = session.scalars(
        select(ErrorReport)
        .where(
            ErrorReport.site_id == site_id,
            ErrorReport.url_key == url_key,
            ErrorReport.problem_type == problem_type,
            ErrorReport.status.in_((NEW, VALID)),
        )
        .order_by(ErrorReport.id)
    )
    for report in candidates:
        if report.status == NEW:
            return report
        ticket = session.get(Ticket, report.ticket_id) if report.ticket_id else None
        if ticket is None or ticket.status != CLOSED:
            return report
    return None


def reference(report: ErrorReport) -> str:
    """The number the sender is given (受理编号)."""
    return f"ZC{beijing_date(report.received_at):%Y%m%d}{report.id:05d}"


# -- triage -------------------------------------------------------------------------------------------------------


def get_report(session: Session, report_id: int, actor: Actor) -> ErrorReport:
    report = session.get(ErrorReport, report_id)
    if report is None or not actor.sees(report.unit_id):
        raise InboxError("没有找到该留言")
    if actor.role == "unit" and report.status != VALID:
        raise InboxError("没有找到该留言")  # a unit sees the reports it was assigned, nothing else
    return report


def triage(
    session: Session,
    report_id: int,
    actor: Actor,
    verdict: str,
    note: str,
    *,
    today: date,
    calendar: Calendar,
    working_days: int,
) -> ErrorReport:
    """属实: assign to the site's unit as a ticket with a deadline in working days. 不属实: with a reason."""
    if not actor.inspects:
        raise InboxError("只有检查人员可以核实留言")
    report = get_report(session, report_id, actor)
    if report.status != NEW:
        raise InboxError("该留言已核实（或为重复留言），不能再次核实")
    note = (note or "").strip()
    if len(note) > 2000:
        raise InboxError("说明不能超过 2000 字")
    now = utcnow()
    if verdict == INVALID:
        if not note:
            raise InboxError("核实为不属实时请填写理由")
        report.status = INVALID
        report.triage_note, report.triaged_at, report.triaged_by = note, now, actor.user_id
        record(session, actor, "report_invalid", report_id=report.id, site_code=report.site_code, note=note)
        return report
    if verdict != VALID:
        raise InboxError("请选择“属实”或“不属实”")
    if not 0 <= working_days <= 365:
        raise InboxError("办理期限应为 0–365 个工作日")
    deadline = deadline_after(calendar, today, working_days)
    ticket = Ticket(
        site_id=report.site_id,
        site_code=report.site_code,
        unit_id=report.unit_id,
        source="report",
        run_id=None,
        report_id=report.id,
        problem_key=hashlib.sha256(f"jiucuo|{report.url_key}|{report.problem_type}".encode()).hexdigest(),
        check="jiucuo",
        severity="report",
        url=report.page_url,
        message=f"网民留言（{report.problem_type}）：{report.description}",
        evidence={
            "problem_type": report.problem_type,
            "description": report.description,
            "received": beijing_date(report.received_at).isoformat(),
            "reference": reference(report),
        },
        pages=[report.page_url],
        status=OPEN,
        working_days=working_days,
        opened_on=today,
        deadline=deadline.day,
        deadline_provisional=deadline.provisional,
        opened_by=actor.user_id,
    )
    session.add(ticket)
    session.flush()
    report.status = VALID
    report.ticket_id = ticket.id
    report.triage_note, report.triaged_at, report.triaged_by = note or None, now, actor.user_id
    record(
        session,
        actor,
        "report_valid",
        report_id=report.id,
        ticket_id=ticket.id,
        site_code=report.site_code,
        note=note or None,
        detail={"deadline": deadline.day.isoformat(), "working_days": working_days},
    )
    record(
        session,
        actor,
        "open",
        ticket_id=ticket.id,
        report_id=report.id,
        site_code=report.site_code,
        detail={"report_id": report.id, "deadline": deadline.day.isoformat(), "working_days": working_days},
    )
    return report


# -- the figures ----------------------------------------------------------------------------------------------------


@dataclass
class InboxStats:
    """One period's reports, as a circular prints them and as the office's assessment counts them.

    ``received`` counts every message (duplicates too); the rest count distinct problems (a duplicate follows
    its first report). ``fixed`` and ``unresolved`` are as of ``as_of``; a report is resolved when its ticket is
    closed; ``late`` are those resolved more than ``late_after_months`` after receipt."""

    start: date
    end: date
    as_of: date
    received: int = 0
    duplicates: int = 0
    pending: int = 0
    valid: int = 0
    invalid: int = 0
    units: list[str] = field(default_factory=list)
    fixed: int = 0
    unresolved: int = 0
    late: int = 0
    by_type: list[tuple[str, int]] = field(default_factory=list)
    unresolved_points: float = 0.0
    late_points: float = 0.0
    late_after_months: int = 1

    @property
    def deduction(self) -> float:
        return self.unresolved * self.unresolved_points + self.late * self.late_points

    def circular_text(self) -> str:
        """The paragraph circulars print: 共受理网民留言6条，问题主要集中在……其中，问题属实的留言2条，……"""
        if not self.received:
            return "本期未收到网民留言。"
        text = f"共受理网民留言{self.received}条"
        if self.duplicates:
            text += f"（其中重复留言{self.duplicates}条）"
        top = [f"“{t}”" for t, n in self.by_type[:2] if n]
        if top:
            text += (
                f"，问题主要集中在{''.join(top)}等方面" if len(top) > 1 else f"，问题主要集中在{top[0]}方面"
            )
        text += "。"
        if not self.valid:
            text += (
                "经核实，没有问题属实的留言。" if not self.pending else f"尚有{self.pending}条留言正在核实。"
            )
            return text
        text += f"其中，问题属实的留言{self.valid}条，涉及{len(self.units)}个责任地区和部门，"
        if self.unresolved == 0:
            text += "已全部整改完毕。"
        elif self.fixed == 0:
            text += "目前均未整改到位。"
        else:
            text += f"已整改{self.fixed}条，尚有{self.unresolved}条未整改到位。"
        if self.pending:
            text += f"另有{self.pending}条留言正在核实。"
        return text


def inbox_stats(
    session: Session,
    start: date,
    end: date,
    *,
    as_of: date,
    rules: Rules,
    unit_ids: frozenset[int] | None = None,
) -> InboxStats:
    """Reports received from ``start`` to ``end`` (Beijing dates, inclusive)."""
    lower = datetime.combine(start, datetime.min.time(), BEIJING)
    upper = datetime.combine(end + timedelta(days=1), datetime.min.time(), BEIJING)
    query = (
        select(ErrorReport, Unit.name)
        .join(Unit, ErrorReport.unit_id == Unit.id)
        .where(ErrorReport.received_at >= lower, ErrorReport.received_at < upper)
        .order_by(ErrorReport.id)
    )
    if unit_ids is not None:
        query = query.where(ErrorReport.unit_id.in_(sorted(unit_ids)))
    rows = session.execute(query).all()
    stats = InboxStats(
        start,
        end,
        as_of,
        unresolved_points=rules.unresolved_points,
        late_points=rules.late_points,
        late_after_months=rules.report_late_after_months,
    )
    types: Counter[str] = Counter()
    units: dict[str, None] = {}
    ticket_ids = [r.ticket_id for r, _ in rows if r.ticket_id]
    tickets = (
        {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))}
        if ticket_ids
        else {}
    )
    for report, unit in rows:
        stats.received += 1
        types[report.problem_type] += 1
        if report.status == DUPLICATE:
            stats.duplicates += 1
        elif report.status == NEW:
            stats.pending += 1
        elif report.status == INVALID:
            stats.invalid += 1
        elif report.status == VALID:
            stats.valid += 1
            units.setdefault(unit)
            ticket = tickets.get(report.ticket_id or -1)
            closed_on = beijing_date(ticket.closed_at) if ticket and ticket.closed_at else None
            if (
                ticket is not None
                and ticket.status == CLOSED
                and closed_on is not None
                and closed_on <= as_of
            ):
                stats.fixed += 1
                received_on = beijing_date(report.received_at)
                if closed_on > add_months(received_on, rules.report_late_after_months):
                    stats.late += 1
            else:
                stats.unresolved += 1
    stats.units = list(units)
    stats.by_type = types.most_common()
    return stats


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)
