"""Reminders: tickets whose deadline is near or past, shown in the app to the unit and the office, and sent by
e-mail to each unit's contact address when SMTP is configured.

SMTP settings come from the environment (``GOVINSPECT_SMTP_HOST`` and, optionally, ``_PORT``, ``_USER``,
``_PASSWORD``, ``_FROM``, ``_SECURITY`` = ``starttls`` | ``ssl`` | ``none``). A ticket is reminded by e-mail at
most once a day (``govinspect rectify remind`` is meant for a daily cron job or timer).
"""

from __future__ import annotations

import smtplib
import ssl
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from govinspect.checks.names import check_name
from govinspect.rectify.audit import Actor, record
from govinspect.rectify.rules import deadline_after, working_days_left
from govinspect.store.models import Site, Unit
from govinspect.store.rectify import OPEN, REOPENED, Ticket, UnitContact
from govinspect.workdays.schedule import Calendar


class NotifyError(Exception):
    """SMTP is misconfigured or refused; the message is for the operator."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = "govinspect@localhost"
    security: str = "none"  # starttls | ssl | none

    @classmethod
    def from_env(cls, env: dict[str, str]) -> SmtpConfig | None:
        host = env.get("GOVINSPECT_SMTP_HOST", "").strip()
        if not host:
            return None
        security = env.get("GOVINSPECT_SMTP_SECURITY", "starttls").strip().lower()
        if security not in ("starttls", "ssl", "none"):
            raise NotifyError("GOVINSPECT_SMTP_SECURITY 应为 starttls、ssl 或 none")
        default_port = {"ssl": 465, "starttls": 587, "none": 25}[security]
        try:
            port = int(env.get("GOVINSPECT_SMTP_PORT") or default_port)
        except ValueError:
            raise NotifyError("GOVINSPECT_SMTP_PORT 应为端口号") from None
        return cls(
            host=host,
            port=port,
            user=env.get("GOVINSPECT_SMTP_USER") or None,
            password=env.get("GOVINSPECT_SMTP_PASSWORD") or None,
            sender=env.get("GOVINSPECT_SMTP_FROM") or f"govinspect@{host}",
            security=security,
        )


@dataclass(frozen=True)
class Reminder:
    ticket_id: int
    unit_id: int
    unit: str
    site_code: str
    site_name: str
    problem: str
    message: str
    deadline: date
    days_left: int | None  # working days; negative when overdue; None when the calendar cannot say
    overdue: bool


def due(
    session: Session,
    today: date,
    calendar: Calendar,
    before_working_days: int,
    unit_ids: frozenset[int] | None = None,
) -> list[Reminder]:
    """Tickets the unit still has to fix whose deadline is within ``before_working_days`` or past."""
    horizon = deadline_after(calendar, today, before_working_days).day
    query = (
        select(Ticket, Site.name, Unit.name)
        .join(Site, Ticket.site_id == Site.id)
        .join(Unit, Site.unit_id == Unit.id)
        .where(Ticket.status.in_((OPEN, REOPENED)), Ticket.deadline <= horizon)
        .order_by(Ticket.deadline, Ticket.id)
    )
    if unit_ids is not None:
        query = query.where(Site.unit_id.in_(sorted(unit_ids)))
    out = []
    for ticket, site_name, unit in session.execute(query):
        out.append(
            Reminder(
                ticket.id,
                ticket.unit_id,
                unit,
                ticket.site_code,
                site_name,
                "网民找错留言" if ticket.source == "report" else check_name(ticket.check),
                ticket.message,
                ticket.deadline,
                working_days_left(calendar, today, ticket.deadline),
                ticket.deadline < today,
            )
        )
    return out


@dataclass
class RemindReport:
    units: int = 0
    emails: list[str] = field(default_factory=list)
    tickets: int = 0
    no_contact: list[str] = field(default_factory=list)  # units with due tickets and no address
    already_today: int = 0
    failed: list[str] = field(default_factory=list)  # units whose mail the server refused (with why)


def _body(unit: str, items: list[Reminder], today: date, base_url: str | None) -> str:
    lines = [
        f"{unit}：",
        "",
        f"截至 {today:%Y年%m月%d日}，贵单位以下网站问题的整改期限已到或即将到期，请及时整改并在系统中报送整改情况：",
        "",
    ]
    for n, r in enumerate(items, 1):
        state = (
            f"已逾期（期限 {r.deadline:%Y-%m-%d}）"
            if r.overdue
            else f"期限 {r.deadline:%Y-%m-%d}"
            + (f"，还剩 {r.days_left} 个工作日" if r.days_left is not None else "")
        )
        lines.append(f"{n}. {r.site_name}（{r.site_code}）{r.problem}：{r.message[:120]}。{state}")
        if base_url:
            lines.append(f"   {base_url.rstrip('/')}/rectify/{r.ticket_id}")
    lines += ["", "（本邮件由政府网站检查系统自动发送，请勿直接回复。）"]
    return "\n".join(lines)


def send_reminders(
    session: Session,
    today: date,
    calendar: Calendar,
    before_working_days: int,
    smtp: SmtpConfig | None,
    *,
    actor: Actor,
    base_url: str | None = None,
    dry_run: bool = False,
) -> RemindReport:
    """E-mail each unit its due tickets (once a day each); without SMTP, only report who would be reminded."""
    report = RemindReport()
    by_unit: dict[int, list[Reminder]] = defaultdict(list)
    tickets = {}
    for reminder in due(session, today, calendar, before_working_days):
        ticket = session.get(Ticket, reminder.ticket_id)
        assert ticket is not None
        if ticket.last_reminded_on == today:
            report.already_today += 1
            continue
        by_unit[reminder.unit_id].append(reminder)
        tickets[ticket.id] = ticket
    contacts = {c.unit_id: c for c in session.scalars(select(UnitContact))}
    for unit_id, items in by_unit.items():
        contact = contacts.get(unit_id)
        if contact is None:
            report.no_contact.append(items[0].unit)
            continue
        if dry_run or smtp is None:
            report.units += 1
            report.tickets += len(items)
            report.emails.append(contact.email)
            continue
        message = EmailMessage()
        message["Subject"] = f"【整改提醒】{items[0].unit}有{len(items)}项网站问题整改期限已到或即将到期"
        message["From"] = smtp.sender
        message["To"] = formataddr((contact.name or items[0].unit, contact.email))
        message["Message-ID"] = make_msgid(domain="govinspect")
        message.set_content(_body(items[0].unit, items, today, base_url))
        try:
            _send(smtp, message)
        except NotifyError as exc:
            report.failed.append(f"{items[0].unit}：{exc}")
            continue
        report.units += 1
        report.tickets += len(items)
        report.emails.append(contact.email)
        for item in items:
            ticket = tickets[item.ticket_id]
            ticket.last_reminded_on = today
            record(
                session,
                actor,
                "remind",
                ticket_id=ticket.id,
                site_code=ticket.site_code,
                detail={
                    "email": contact.email,
                    "deadline": ticket.deadline.isoformat(),
                    "overdue": item.overdue,
                },
            )
    return report


def _send(smtp: SmtpConfig, message: EmailMessage) -> None:
    try:
        if smtp.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=30, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=30)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise NotifyError(f"邮件发送失败（{smtp.host}:{smtp.port}）：{exc}") from exc


def set_contact(session: Session, unit_name: str, email: str, name: str | None = None) -> UnitContact:
    unit = session.scalar(select(Unit).where(Unit.name == unit_name.strip()))
    if unit is None:
        raise NotifyError(f"名录中没有主办单位“{unit_name}”")
    email = email.strip()
    if "@" not in email or len(email) > 200 or any(c in email for c in " \r\n,;<>"):
        raise NotifyError(f"电子邮箱地址无效：{email}")
    contact = session.get(UnitContact, unit.id)
    if contact is None:
        contact = UnitContact(unit_id=unit.id, email=email, name=name)
        session.add(contact)
    else:
        contact.email, contact.name = email, name
    return contact
