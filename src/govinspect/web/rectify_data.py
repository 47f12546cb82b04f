"""What the 整改 and 找错 pages read, always in the asking user's scope (a unit user: their units' sites only;
anything else is reported exactly like something that does not exist)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govinspect.checks.names import SEVERITY_NAMES, check_name
from govinspect.rectify.audit import ACTIONS, Actor
from govinspect.rectify.recheck import STALE
from govinspect.rectify.rules import BEIJING, Rules, RulesError, utc, working_days_left
from govinspect.rectify.tickets import answered_late, is_overdue
from govinspect.scoring.profile import ProfileError, load_profile
from govinspect.store.models import Site, Unit, utcnow
from govinspect.store.rectify import (
    CLOSED,
    FIXED,
    OPEN,
    REOPENED,
    REPORT_STATES,
    TICKET_STATES,
    AuditEvent,
    ErrorReport,
    Recheck,
    Ticket,
)
from govinspect.store.results import FindingRow, Run
from govinspect.store.users import Role
from govinspect.web.auth import Principal
from govinspect.web.data import PAGE_SIZE, EvidenceItem, NotFound, evidence_items, highlight_of, scoped

STATUS_CLASS = {OPEN: "open", FIXED: "fixed", REOPENED: "reopened", CLOSED: "closed"}
RECHECK_STATES = {"queued": "排队中", "running": "进行中", "finished": "已完成", "failed": "失败"}
OUTCOMES = {"closed": "问题已消除，销号", "reopened": "问题仍在，退回整改", "uncovered": "未抓取到问题页面"}


def actor_of(principal: Principal) -> Actor:
    return Actor(
        principal.user_id,
        f"{principal.display_name}（{principal.username}）",
        principal.role.value,
        principal.unit_ids,
    )


def beijing(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment).astimezone(BEIJING)


def active_rules(session: Session, user_dir) -> tuple[str, Rules | None, str | None]:  # type: ignore[no-untyped-def]
    """The profile of the newest finished run (else the national one) and its rectification rules."""
    profile_id = (
        session.scalar(
            select(Run.profile).where(Run.status == "finished", Run.kind != "recheck").order_by(Run.id.desc())
        )
        or "national-2019"
    )
    try:
        return profile_id, Rules.of(load_profile(profile_id, user_dir=user_dir)), None
    except (ProfileError, RulesError) as exc:
        return profile_id, None, str(exc)


# -- tickets --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFilter:
    status: str = ""
    overdue: bool = False
    q: str = ""
    source: str = ""
    run: int | None = None
    unit: int | None = None
    page: int = 1

    def query_args(self, **changes: Any) -> dict[str, Any]:
        values = {**self.__dict__, **changes}
        values["overdue"] = "1" if values["overdue"] else ""
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}


@dataclass(frozen=True)
class TicketRow:
    id: int
    site_code: str
    site_name: str
    unit: str
    source: str
    check: str
    problem: str
    severity: str
    severity_name: str
    message: str
    url: str
    status: str
    status_label: str
    deadline: date
    provisional: bool
    overdue: bool
    late_answer: bool
    days_left: int | None
    opened_on: date
    reopen_count: int
    run_id: int | None
    report_id: int | None

    @property
    def status_class(self) -> str:
        return "overdue" if self.overdue else STATUS_CLASS.get(self.status, "")


def ticket_row(ticket: Ticket, site_name: str, unit: str, today: date, calendar) -> TicketRow:  # type: ignore[no-untyped-def]
    report = ticket.source == "report"
    return TicketRow(
        id=ticket.id,
        site_code=ticket.site_code,
        site_name=site_name,
        unit=unit,
        source=ticket.source,
        check=ticket.check,
        problem="网民找错留言" if report else check_name(ticket.check),
        severity=ticket.severity,
        severity_name="网民留言" if report else SEVERITY_NAMES.get(ticket.severity, ticket.severity),
        message=ticket.message,
        url=ticket.url,
        status=ticket.status,
        status_label=TICKET_STATES.get(ticket.status, ticket.status),
        deadline=ticket.deadline,
        provisional=ticket.deadline_provisional,
        overdue=is_overdue(ticket, today),
        late_answer=answered_late(ticket),
        days_left=working_days_left(calendar, today, ticket.deadline)
        if ticket.status in (OPEN, REOPENED)
        else None,
        opened_on=ticket.opened_on,
        reopen_count=ticket.reopen_count,
        run_id=ticket.run_id,
        report_id=ticket.report_id,
    )


@dataclass(frozen=True)
class TicketPage:
    rows: list[TicketRow]
    total: int
    page: int
    pages: int
    filters: TicketFilter
    counts: dict[str, int]  # per status, in scope
    overdue: int
    due_soon: list[TicketRow] = field(default_factory=list)
    units: list[tuple[int, str]] = field(default_factory=list)


def list_tickets(
    session: Session,
    principal: Principal,
    filters: TicketFilter,
    *,
    today: date,
    calendar,  # type: ignore[no-untyped-def]
    remind_before: int | None,
    size: int = PAGE_SIZE,
) -> TicketPage:
    base = (
        select(Ticket, Site.name, Unit.name)
        .join(Site, Ticket.site_id == Site.id)
        .join(Unit, Site.unit_id == Unit.id)
    )
    base = scoped(base, principal)
    counts = dict(
        session.execute(
            scoped(
                select(Ticket.status, func.count(Ticket.id))
                .join(Site, Ticket.site_id == Site.id)
                .group_by(Ticket.status),
                principal,
            )
        ).all()
    )
    overdue_q = Ticket.status.in_((OPEN, REOPENED)) & (Ticket.deadline < today)
    overdue = session.scalar(
        scoped(
            select(func.count(Ticket.id)).join(Site, Ticket.site_id == Site.id).where(overdue_q), principal
        )
    )
    query = base
    if filters.status in TICKET_STATES:
        query = query.where(Ticket.status == filters.status)
    if filters.overdue:
        query = query.where(overdue_q)
    if filters.source in ("finding", "report"):
        query = query.where(Ticket.source == filters.source)
    if filters.run is not None:
        query = query.where(Ticket.run_id == filters.run)
    if filters.unit is not None:
        query = query.where(Site.unit_id == filters.unit)
    if q := filters.q.strip()[:100]:
        query = query.where(
            Site.name.contains(q, autoescape=True)
            | Site.site_code.contains(q, autoescape=True)
            | Unit.name.contains(q, autoescape=True)
            | Ticket.message.contains(q, autoescape=True)
        )
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // size))
    page = min(max(1, filters.page), pages)
    order = (
        (Ticket.status == CLOSED),  # active first
        Ticket.deadline,
        Ticket.id,
    )
    rows = session.execute(query.order_by(*order).offset((page - 1) * size).limit(size)).all()
    soon: list[TicketRow] = []
    if remind_before is not None:
        from govinspect.rectify.rules import deadline_after

        horizon = deadline_after(calendar, today, remind_before).day
        for t, name, unit in session.execute(
            base.where(Ticket.status.in_((OPEN, REOPENED)), Ticket.deadline <= horizon)
            .order_by(Ticket.deadline, Ticket.id)
            .limit(50)
        ):
            soon.append(ticket_row(t, name, unit, today, calendar))
    units = [
        (i, n)
        for i, n in session.execute(
            scoped(
                select(Unit.id, Unit.name)
                .join(Site, Site.unit_id == Unit.id)
                .join(Ticket, Ticket.site_id == Site.id)
                .distinct()
                .order_by(Unit.name),
                principal,
            )
        )
    ]
    return TicketPage(
        [ticket_row(t, n, u, today, calendar) for t, n, u in rows],
        total,
        page,
        pages,
        replace(filters, page=page),
        counts,
        overdue or 0,
        soon,
        units,
    )


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str
    action: str
    label: str
    note: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class AttachmentView:
    id: int
    filename: str
    size: int
    uploaded_at: datetime


@dataclass(frozen=True)
class RecheckView:
    id: int
    status: str
    status_label: str
    as_of: date
    run_id: int | None
    requested_at: datetime
    finished_at: datetime | None
    outcome: str | None  # this ticket's
    error: str | None

    @property
    def pending(self) -> bool:
        return self.status in ("queued", "running")


@dataclass(frozen=True)
class TicketDetail:
    row: TicketRow
    evidence: list[EvidenceItem]
    highlight: str | None
    pages: list[str]
    attachments: list[AttachmentView]
    events: list[EventView]
    recheck: RecheckView | None
    finding_id: int | None  # when the finding is still stored
    report: ErrorReport | None
    answered_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    working_days: int
    can_answer: bool
    can_decide: bool


def event_view(row: AuditEvent) -> EventView:
    return EventView(
        beijing(row.at),  # type: ignore[arg-type]
        row.actor,
        row.action,
        ACTIONS.get(row.action, row.action),
        row.note,
        dict(row.detail or {}),
    )


def ticket_in_scope(session: Session, principal: Principal, ticket_id: int) -> tuple[Ticket, str, str]:
    found = session.execute(
        scoped(
            select(Ticket, Site.name, Unit.name)
            .join(Site, Ticket.site_id == Site.id)
            .join(Unit, Site.unit_id == Unit.id)
            .where(Ticket.id == ticket_id),
            principal,
        )
    ).first()
    if found is None:
        raise NotFound(str(ticket_id))
    return found[0], found[1], found[2]


def latest_recheck(session: Session, ticket: Ticket) -> RecheckView | None:
    """The site's newest re-check that concerns this ticket: the one that judged it, or one still to come."""
    pending = session.scalar(
        select(Recheck)
        .where(Recheck.site_id == ticket.site_id, Recheck.status.in_(("queued", "running")))
        .order_by(Recheck.id.desc())
    )
    row = pending if pending is not None and ticket.status == FIXED else None
    if row is None and ticket.last_recheck_id is not None:
        row = session.get(Recheck, ticket.last_recheck_id)
    if row is None and ticket.status == FIXED:
        row = session.scalar(
            select(Recheck).where(Recheck.site_id == ticket.site_id).order_by(Recheck.id.desc())
        )
        if row is not None and row.status == "finished":
            row = None  # finished before this answer
    if row is None:
        return None
    status = row.status
    if status in ("queued", "running") and utcnow() - utc(row.started_at or row.requested_at) > STALE:
        status = "failed"  # its process ended without finishing (a restart): an inspector may start it again
    return RecheckView(
        row.id,
        status,
        RECHECK_STATES.get(status, status),
        row.as_of,
        row.run_id,
        beijing(row.requested_at),  # type: ignore[arg-type]
        beijing(row.finished_at),
        (row.outcome or {}).get(str(ticket.id)),
        row.error if status == row.status else "复核进程已中断（服务重启或超时），请重新发起复核",
    )


def ticket_detail(
    session: Session, principal: Principal, ticket_id: int, *, today: date, calendar
) -> TicketDetail:  # type: ignore[no-untyped-def]
    ticket, site_name, unit = ticket_in_scope(session, principal, ticket_id)
    events = session.scalars(
        select(AuditEvent)
        .where(
            (AuditEvent.ticket_id == ticket.id)
            | ((AuditEvent.report_id == ticket.report_id) & (AuditEvent.report_id.is_not(None)))
        )
        .order_by(AuditEvent.id)
    )
    finding_id = None
    if ticket.finding_id is not None and session.get(FindingRow, ticket.finding_id) is not None:
        finding_id = ticket.finding_id
    report = session.get(ErrorReport, ticket.report_id) if ticket.report_id else None
    evidence = dict(ticket.evidence or {})
    if ticket.source == "report":
        evidence = {
            "problem_type": evidence.get("problem_type"),
            "description": evidence.get("description"),
            "received": evidence.get("received"),
            "reference": evidence.get("reference"),
        }
    items = evidence_items(evidence)
    labels = {
        "problem_type": "问题类型",
        "description": "留言内容",
        "received": "收到日期",
        "reference": "受理编号",
    }
    items = [replace(i, label=labels.get(i.key, i.label)) for i in items]
    unit_user = principal.role is Role.UNIT
    return TicketDetail(
        row=ticket_row(ticket, site_name, unit, today, calendar),
        evidence=items,
        highlight=highlight_of(evidence),
        pages=list(ticket.pages or []),
        attachments=[
            AttachmentView(a.id, a.filename, a.size, beijing(a.uploaded_at)) for a in ticket.attachments
        ],  # type: ignore[arg-type]
        events=[event_view(e) for e in events],
        recheck=latest_recheck(session, ticket),
        finding_id=finding_id,
        report=report,
        answered_at=beijing(ticket.answered_at),
        closed_at=beijing(ticket.closed_at),
        closed_by=ticket.closed_by,
        working_days=ticket.working_days,
        can_answer=unit_user and ticket.status in (OPEN, REOPENED),
        can_decide=not unit_user,
    )


# -- the audit trail ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditPage:
    events: list[tuple[EventView, int | None, int | None, str | None]]  # event, ticket, report, site code
    total: int
    page: int
    pages: int
    action: str


def audit_page(session: Session, action: str, page: int, size: int = 100) -> AuditPage:
    query = select(AuditEvent)
    if action in ACTIONS:
        query = query.where(AuditEvent.action == action)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = session.scalars(query.order_by(AuditEvent.id.desc()).offset((page - 1) * size).limit(size))
    return AuditPage(
        [(event_view(r), r.ticket_id, r.report_id, r.site_code) for r in rows],
        total,
        page,
        pages,
        action if action in ACTIONS else "",
    )


# -- reports --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    id: int
    reference: str
    received_at: datetime
    site_code: str
    site_name: str
    unit: str
    page_url: str
    problem_type: str
    description: str
    status: str
    status_label: str
    duplicate_of: int | None
    ticket_id: int | None
    ticket_status: str | None


@dataclass(frozen=True)
class ReportPage:
    rows: list[ReportRow]
    total: int
    page: int
    pages: int
    status: str
    counts: dict[str, int]


def _report_query(principal: Principal):  # type: ignore[no-untyped-def]
    query = (
        select(ErrorReport, Site.name, Unit.name, Ticket.status)
        .join(Site, ErrorReport.site_id == Site.id)
        .join(Unit, ErrorReport.unit_id == Unit.id)
        .outerjoin(Ticket, Ticket.id == ErrorReport.ticket_id)
    )
    if not principal.sees_all:  # a unit sees what it was assigned: reports found 属实 on its sites
        query = query.where(
            ErrorReport.unit_id.in_(sorted(principal.unit_ids or ())), ErrorReport.status == "valid"
        )
    return query


def report_row(report: ErrorReport, site_name: str, unit: str, ticket_status: str | None) -> ReportRow:
    from govinspect.rectify.inbox import reference

    return ReportRow(
        report.id,
        reference(report),
        beijing(report.received_at),  # type: ignore[arg-type]
        report.site_code,
        site_name,
        unit,
        report.page_url,
        report.problem_type,
        report.description,
        report.status,
        REPORT_STATES.get(report.status, report.status),
        report.duplicate_of,
        report.ticket_id,
        TICKET_STATES.get(ticket_status) if ticket_status else None,
    )


def list_reports(
    session: Session, principal: Principal, status: str, page: int, size: int = PAGE_SIZE
) -> ReportPage:
    query = _report_query(principal)
    counts: dict[str, int] = {}
    if principal.sees_all:
        counts = dict(
            session.execute(select(ErrorReport.status, func.count()).group_by(ErrorReport.status)).all()
        )
    if status in REPORT_STATES:
        query = query.where(ErrorReport.status == status)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = session.execute(query.order_by(ErrorReport.id.desc()).offset((page - 1) * size).limit(size)).all()
    return ReportPage(
        [report_row(r, n, u, t) for r, n, u, t in rows],
        total,
        page,
        pages,
        status if status in REPORT_STATES else "",
        counts,
    )


@dataclass(frozen=True)
class ReportDetail:
    row: ReportRow
    contact: str | None  # inspectors only
    triage_note: str | None
    triaged_at: datetime | None
    duplicates: list[ReportRow]
    original: ReportRow | None
    events: list[EventView]


def report_detail(session: Session, principal: Principal, report_id: int) -> ReportDetail:
    found = session.execute(_report_query(principal).where(ErrorReport.id == report_id)).first()
    if found is None:
        raise NotFound(str(report_id))
    report, site_name, unit, ticket_status = found
    row = report_row(report, site_name, unit, ticket_status)
    inspector = principal.sees_all
    duplicates = []
    original = None
    if inspector:
        duplicates = [
            report_row(r, n, u, t)
            for r, n, u, t in session.execute(
                _report_query(principal).where(ErrorReport.duplicate_of == report.id).order_by(ErrorReport.id)
            )
        ]
        if report.duplicate_of:
            first = session.execute(
                _report_query(principal).where(ErrorReport.id == report.duplicate_of)
            ).first()
            original = report_row(*first) if first else None
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.report_id == report.id).order_by(AuditEvent.id)
    )
    return ReportDetail(
        row,
        report.contact if inspector else None,
        report.triage_note,
        beijing(report.triaged_at),
        duplicates,
        original,
        [event_view(e) for e in events] if inspector else [],
    )


def ticket_for_finding(session: Session, finding_id: int, site_code: str, run_id: int) -> int | None:
    """The ticket this finding's problem has: opened from this run, or still active from another."""
    from govinspect.rectify.tickets import problem_key
    from govinspect.store.rectify import ACTIVE_STATES

    row = session.get(FindingRow, finding_id)
    if row is None:
        return None
    key = problem_key(row.check, row.url, row.evidence)
    return session.scalar(
        select(Ticket.id)
        .where(
            Ticket.site_code == site_code,
            Ticket.problem_key == key,
            (Ticket.run_id == run_id) | Ticket.status.in_(ACTIVE_STATES),
        )
        .order_by(Ticket.id.desc())
    )
