"""Rectification (整改) and the public error-report inbox (我为政府网站找错): tickets, attachments, re-checks,
reports, challenges, units' contact addresses, and the append-only audit trail (migration 0007).

Users are referred to by id without a foreign key, with their name copied where it is shown later: an account
is never deleted, and the audit trail must not change (or fail) when one is.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govinspect.store.models import Base, Site, Unit, utcnow

# Ticket states (rectify/tickets.py moves them; the labels are what officials read).
OPEN = "open"  # 待整改: the unit has to fix it
FIXED = "fixed"  # 待复核: the unit says it is fixed; the re-check (or an inspector) decides
REOPENED = "reopened"  # 复核未通过: still wrong after the unit's answer
CLOSED = "closed"  # 已销号
TICKET_STATES = {OPEN: "待整改", FIXED: "待复核", REOPENED: "复核未通过", CLOSED: "已销号"}
ACTIVE_STATES = (OPEN, FIXED, REOPENED)

# Error-report states.
NEW = "new"  # 待核实
VALID = "valid"  # 属实
INVALID = "invalid"  # 不属实
DUPLICATE = "duplicate"  # 重复（与一条未办结的留言相同）
REPORT_STATES = {NEW: "待核实", VALID: "属实", INVALID: "不属实", DUPLICATE: "重复"}


class Ticket(Base):
    """One problem a unit must fix: from a run's findings (one per problem key, as scoring counts problems) or
    from a public error report found 属实."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("run_id", "site_id", "problem_key", name="uq_tickets_run_id_site_id_problem_key"),
        Index("ix_tickets_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    site_code: Mapped[str] = mapped_column(String(10), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # the site's unit when opened
    source: Mapped[str] = mapped_column(String(10), default="finding")  # finding | report
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), index=True)
    finding_id: Mapped[int | None] = mapped_column(
        Integer
    )  # the run's finding it came from (no FK: re-scores)
    report_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    problem_key: Mapped[str] = mapped_column(String(64))  # sha256 of (check, target or url, text)
    check: Mapped[str] = mapped_column(String(60), index=True)
    severity: Mapped[str] = mapped_column(String(10))  # as scored when opened
    url: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)  # the latest evidence (replaced on reopening)
    pages: Mapped[list] = mapped_column(JSON, default=list)  # pages where the problem was seen
    status: Mapped[str] = mapped_column(String(10), default=OPEN, index=True)
    working_days: Mapped[int] = mapped_column(Integer)
    opened_on: Mapped[date] = mapped_column(Date)  # the day of receipt (not counted)
    deadline: Mapped[date] = mapped_column(Date)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)  # a year without holiday data
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_by: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(10))  # recheck | inspector
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    last_recheck_id: Mapped[int | None] = mapped_column(Integer)
    last_reminded_on: Mapped[date | None] = mapped_column(Date)

    site: Mapped[Site] = relationship()
    unit: Mapped[Unit] = relationship()
    attachments: Mapped[list[TicketAttachment]] = relationship(
        back_populates="ticket", order_by="TicketAttachment.id"
    )


class TicketAttachment(Base):
    """A file a unit sent with its answer; the body is in the attachment folder under its sha256."""

    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    uploaded_by: Mapped[int | None] = mapped_column(Integer)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")


class Recheck(Base):
    """One automatic re-check of one site: a crawl into a run of kind ``recheck``, then its tickets judged."""

    __tablename__ = "rechecks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    site_code: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(
        String(10), default="queued", index=True
    )  # queued|running|finished|failed
    as_of: Mapped[date] = mapped_column(Date)
    source_run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    requested_by: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[dict] = mapped_column(JSON, default=dict)  # ticket id -> closed | reopened | uncovered
    error: Mapped[str | None] = mapped_column(Text)


class ErrorReport(Base):
    """A message from the public form (我为政府网站找错)."""

    __tablename__ = "error_reports"
    __table_args__ = (Index("ix_error_reports_site_id_url_key", "site_id", "url_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    site_code: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    page_url: Mapped[str] = mapped_column(Text)
    url_key: Mapped[str] = mapped_column(String(64))  # sha256 of the normalised page address
    problem_type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))  # personal data: inspectors only
    client_hash: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the sender's address
    status: Mapped[str] = mapped_column(String(10), default=NEW, index=True)
    duplicate_of: Mapped[int | None] = mapped_column(Integer, index=True)
    triage_note: Mapped[str | None] = mapped_column(Text)
    triaged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    triaged_by: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(Integer)

    site: Mapped[Site] = relationship()
    unit: Mapped[Unit] = relationship()


class InboxChallenge(Base):
    """A question the public form asks (drawn as an image here, no third-party service); used once."""

    __tablename__ = "inbox_challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    question: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class UnitContact(Base):
    """Where a unit's reminders go by e-mail (when SMTP is configured)."""

    __tablename__ = "unit_contacts"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class AuditEvent(Base):
    """Who did what to which ticket or report, and when. Rows are only ever inserted: the ORM refuses updates
    and deletes (rectify/audit.py) and the database refuses them too (triggers of migration 0007)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))  # the name shown, as it was then
    action: Mapped[str] = mapped_column(String(30), index=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    report_id: Mapped[int | None] = mapped_column(Integer, index=True)
    site_code: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
