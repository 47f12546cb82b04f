"""Tickets: one per problem a unit must fix, opened from a run's findings that count (veto, deduction) or by an
inspector for any finding, answered by the unit, closed or reopened by the re-check or by an inspector.

A problem is what scoring counts as one (scoring.engine's key: check, evidence target or page, evidence text):
one broken target linked from ten pages is one ticket. Opening the same run again adds nothing, and a problem
that still has an active ticket from an earlier run is not opened twice.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govinspect.checks.finding import Finding
from govinspect.rectify.audit import Actor, record
from govinspect.rectify.rules import Deadline, beijing_date, deadline_after
from govinspect.scoring.engine import _problem_key
from govinspect.store.models import Site, utcnow
from govinspect.store.rectify import (
    ACTIVE_STATES,
    CLOSED,
    FIXED,
    OPEN,
    REOPENED,
    Ticket,
    TicketAttachment,
)
from govinspect.store.results import FindingRow, Run, SiteResult
from govinspect.workdays.schedule import Calendar

COUNTING = ("veto", "deduction")  # severities as scored that open a ticket by themselves
MAX_NOTE = 2000
MAX_ATTACHMENT = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ofd": "application/ofd",
    ".txt": "text/plain",
}
# What a file must begin with to be what its name says (a renamed executable is refused).
_MAGIC = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".ofd": (b"PK\x03\x04",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
}


class TicketError(Exception):
    """An action that cannot be done; the message is for an official, in Chinese."""


class TicketNotFound(TicketError):
    """No such ticket, or not in the actor's scope (the two are never told apart)."""


def problem_key(check: str, url: str, evidence: dict[str, Any]) -> str:
    """The scoring engine's problem key, hashed to a fixed length."""
    key = _problem_key(Finding(check, url, "", dict(evidence or {})))
    return hashlib.sha256(json.dumps(list(key), ensure_ascii=False).encode("utf-8")).hexdigest()


@dataclass
class OpenReport:
    opened: list[int] = field(default_factory=list)
    already: int = 0  # opened before from this run
    active_elsewhere: int = 0  # the same problem has an active ticket from an earlier run
    notices: int = 0  # notices left for an inspector to open one by one
    deadline: Deadline | None = None


def _new_ticket(
    session: Session,
    actor: Actor,
    *,
    site: Site,
    run_id: int | None,
    row: FindingRow,
    key: str,
    pages: list[str],
    today: date,
    working_days: int,
    calendar: Calendar,
) -> Ticket:
    deadline = deadline_after(calendar, today, working_days)
    ticket = Ticket(
        site_id=site.id,
        site_code=site.site_code,
        unit_id=site.unit_id,
        source="finding",
        run_id=run_id,
        finding_id=row.id,
        problem_key=key,
        check=row.check,
        severity=row.severity,
        url=row.url,
        message=row.message,
        evidence=dict(row.evidence or {}),
        pages=pages,
        status=OPEN,
        working_days=working_days,
        opened_on=today,
        deadline=deadline.day,
        deadline_provisional=deadline.provisional,
        opened_by=actor.user_id,
    )
    session.add(ticket)
    session.flush()
    record(
        session,
        actor,
        "open",
        ticket_id=ticket.id,
        site_code=site.site_code,
        detail={
            "run_id": run_id,
            "finding_id": row.id,
            "check": row.check,
            "deadline": deadline.day.isoformat(),
            "working_days": working_days,
            "provisional": deadline.provisional,
        },
    )
    return ticket


def _active_keys(session: Session, site_ids: list[int]) -> set[tuple[int, str]]:
    rows = session.execute(
        select(Ticket.site_id, Ticket.problem_key).where(
            Ticket.site_id.in_(site_ids), Ticket.status.in_(ACTIVE_STATES)
        )
    )
    return {(s, k) for s, k in rows}


def open_from_run(
    session: Session,
    run_id: int,
    actor: Actor,
    *,
    today: date,
    calendar: Calendar,
    working_days: int,
) -> OpenReport:
    """A ticket for every problem of the run that fires a veto or costs points, one per problem key."""
    if not actor.inspects:
        raise TicketError("只有检查人员可以下发整改")
    run = session.get(Run, run_id)
    if run is None:
        raise TicketNotFound(f"没有检查任务 {run_id}")
    if run.status != "finished":
        raise TicketError(f"检查任务 {run_id} 尚未完成，不能据此下发整改")
    if working_days < 0:
        raise TicketError("整改期限（工作日）不能为负数")
    report = OpenReport(deadline=deadline_after(calendar, today, working_days))
    rows = session.execute(
        select(FindingRow, Site)
        .join(SiteResult, FindingRow.result_id == SiteResult.id)
        .join(Site, SiteResult.site_id == Site.id)
        .where(SiteResult.run_id == run_id)
        .order_by(Site.site_code, FindingRow.id)
    ).all()
    groups: dict[tuple[int, str], list[tuple[FindingRow, Site]]] = defaultdict(list)
    for row, site in rows:
        if row.severity not in COUNTING:
            report.notices += 1
            continue
        groups[(site.id, problem_key(row.check, row.url, row.evidence))].append((row, site))
    if not groups:
        return report
    site_ids = sorted({s for s, _ in groups})
    from_run = {
        (s, k)
        for s, k in session.execute(select(Ticket.site_id, Ticket.problem_key).where(Ticket.run_id == run_id))
    }
    active = _active_keys(session, site_ids)
    for (site_id, key), members in groups.items():
        if (site_id, key) in from_run:
            report.already += 1
            continue
        if (site_id, key) in active:
            report.active_elsewhere += 1
            continue
        row, site = members[0]
        pages = list(dict.fromkeys(r.url for r, _ in members))
        ticket = _new_ticket(
            session,
            actor,
            site=site,
            run_id=run_id,
            row=row,
            key=key,
            pages=pages,
            today=today,
            working_days=working_days,
            calendar=calendar,
        )
        report.opened.append(ticket.id)
    return report


def open_from_finding(
    session: Session,
    finding_id: int,
    actor: Actor,
    *,
    today: date,
    calendar: Calendar,
    working_days: int,
) -> tuple[Ticket, bool]:
    """An inspector's ticket for one finding (a notice too); returns (ticket, created). An active ticket for the
    same problem is returned instead of a second one."""
    if not actor.inspects:
        raise TicketError("只有检查人员可以下发整改")
    found = session.execute(
        select(FindingRow, SiteResult, Site)
        .join(SiteResult, FindingRow.result_id == SiteResult.id)
        .join(Site, SiteResult.site_id == Site.id)
        .where(FindingRow.id == finding_id)
    ).first()
    if found is None:
        raise TicketNotFound(f"没有问题 {finding_id}")
    row, result, site = found
    key = problem_key(row.check, row.url, row.evidence)
    existing = session.scalar(
        select(Ticket)
        .where(
            Ticket.site_id == site.id,
            Ticket.problem_key == key,
            (Ticket.status.in_(ACTIVE_STATES)) | (Ticket.run_id == result.run_id),
        )
        .order_by(Ticket.id.desc())
    )
    if existing is not None:
        return existing, False
    pages = [
        r.url
        for r in session.scalars(select(FindingRow).where(FindingRow.result_id == result.id))
        if problem_key(r.check, r.url, r.evidence) == key
    ]
    ticket = _new_ticket(
        session,
        actor,
        site=site,
        run_id=result.run_id,
        row=row,
        key=key,
        pages=list(dict.fromkeys(pages)) or [row.url],
        today=today,
        working_days=working_days,
        calendar=calendar,
    )
    return ticket, True


def get_ticket(session: Session, ticket_id: int, actor: Actor) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or not actor.sees(ticket.site.unit_id):
        raise TicketNotFound(str(ticket_id))
    return ticket


# -- the unit's answer --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    filename: str
    body: bytes


def _safe_filename(name: str) -> str:
    name = Path(name.replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?/]", "_", name).strip(" .")
    return (name or "附件")[-150:]


def store_attachment(folder: Path, upload: Upload) -> tuple[str, str, str]:
    """Keep an uploaded file under its sha256; returns (file name, content type, sha256)."""
    name = _safe_filename(upload.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in ATTACHMENT_TYPES:
        raise TicketError("附件类型不支持：请上传 PDF、图片（PNG/JPG）、Word、Excel、OFD 或文本文件")
    if not upload.body:
        raise TicketError("附件是空文件")
    if len(upload.body) > MAX_ATTACHMENT:
        raise TicketError(f"附件不能超过 {MAX_ATTACHMENT // 1024 // 1024} MB")
    magic = _MAGIC.get(suffix)
    if magic and not upload.body.startswith(magic):
        raise TicketError(f"附件内容与扩展名 {suffix} 不符")
    sha = hashlib.sha256(upload.body).hexdigest()
    path = folder / sha[:2] / sha
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(upload.body)
        tmp.replace(path)
    return name, ATTACHMENT_TYPES[suffix] or mimetypes.guess_type(name)[0] or "application/octet-stream", sha


def attachment_path(folder: Path, attachment: TicketAttachment) -> Path:
    return folder / attachment.sha256[:2] / attachment.sha256


def answer(
    session: Session,
    ticket_id: int,
    actor: Actor,
    note: str,
    *,
    attachments_dir: Path,
    upload: Upload | None = None,
) -> Ticket:
    """The unit says the problem is fixed (with a note, optionally a file); the ticket waits for the re-check."""
    ticket = get_ticket(session, ticket_id, actor)
    if not actor.may_act_for(ticket.site.unit_id):
        raise TicketError("只有该网站主办单位的用户可以报送整改情况")
    if ticket.status not in (OPEN, REOPENED):
        raise TicketError("该问题当前不需要报送整改（已报送待复核或已销号）")
    note = (note or "").strip()
    if not note:
        raise TicketError("请填写整改情况说明")
    if len(note) > MAX_NOTE:
        raise TicketError(f"整改情况说明不能超过 {MAX_NOTE} 字")
    now = utcnow()
    if upload is not None and upload.body:
        name, content_type, sha = store_attachment(attachments_dir, upload)
        attachment = TicketAttachment(
            ticket_id=ticket.id,
            filename=name,
            content_type=content_type,
            size=len(upload.body),
            sha256=sha,
            uploaded_at=now,
            uploaded_by=actor.user_id,
        )
        session.add(attachment)
        session.flush()
        record(
            session,
            actor,
            "attach",
            ticket_id=ticket.id,
            site_code=ticket.site_code,
            detail={
                "attachment_id": attachment.id,
                "filename": name,
                "size": len(upload.body),
                "sha256": sha,
            },
            at=now,
        )
    ticket.status = FIXED
    ticket.answered_at = now
    record(session, actor, "answer", ticket_id=ticket.id, site_code=ticket.site_code, note=note, at=now)
    return ticket


# -- the office's decisions ---------------------------------------------------------------------------------------


def overrule(session: Session, ticket_id: int, actor: Actor, decision: str, reason: str) -> Ticket:
    """An inspector closes a ticket (the re-check could not see the fix, or a report's fix was confirmed) or
    sends it back, with a reason."""
    if not actor.inspects:
        raise TicketError("只有检查人员可以销号或退回")
    ticket = get_ticket(session, ticket_id, actor)
    reason = (reason or "").strip()
    if not reason:
        raise TicketError("请填写理由")
    if len(reason) > MAX_NOTE:
        raise TicketError(f"理由不能超过 {MAX_NOTE} 字")
    previous = ticket.status
    if decision == "close":
        if ticket.status == CLOSED:
            raise TicketError("该问题已销号")
        ticket.status = CLOSED
        ticket.closed_at = utcnow()
        ticket.closed_by = "inspector"
    elif decision == "reopen":
        if ticket.status not in (FIXED, CLOSED):
            raise TicketError("只有待复核或已销号的问题可以退回整改")
        ticket.status = REOPENED
        ticket.closed_at = None
        ticket.closed_by = None
        ticket.reopen_count += 1
    else:
        raise TicketError("未知的处理方式")
    record(
        session,
        actor,
        decision,
        ticket_id=ticket.id,
        report_id=ticket.report_id,
        site_code=ticket.site_code,
        note=reason,
        detail={"from": previous},
    )
    return ticket


def change_deadline(
    session: Session,
    ticket_id: int,
    actor: Actor,
    *,
    working_days: int,
    calendar: Calendar,
    reason: str,
) -> Ticket:
    """A new deadline, counted again from the day the ticket was opened."""
    if not actor.inspects:
        raise TicketError("只有检查人员可以调整整改期限")
    ticket = get_ticket(session, ticket_id, actor)
    if ticket.status == CLOSED:
        raise TicketError("该问题已销号")
    reason = (reason or "").strip()
    if not reason:
        raise TicketError("请填写调整理由")
    if not 0 <= working_days <= 365:
        raise TicketError("整改期限应为 0–365 个工作日")
    before = ticket.deadline
    deadline = deadline_after(calendar, ticket.opened_on, working_days)
    ticket.working_days = working_days
    ticket.deadline = deadline.day
    ticket.deadline_provisional = deadline.provisional
    record(
        session,
        actor,
        "deadline",
        ticket_id=ticket.id,
        site_code=ticket.site_code,
        note=reason,
        detail={"from": before.isoformat(), "to": deadline.day.isoformat(), "working_days": working_days},
    )
    return ticket


def recompute_provisional(session: Session, calendar: Calendar) -> int:
    """Deadlines counted without a year's holiday schedule, counted again now that the calendar may have it."""
    changed = 0
    for ticket in session.scalars(
        select(Ticket).where(Ticket.deadline_provisional.is_(True), Ticket.status != CLOSED)
    ):
        deadline = deadline_after(calendar, ticket.opened_on, ticket.working_days)
        if deadline.provisional:
            continue
        before = ticket.deadline
        ticket.deadline, ticket.deadline_provisional = deadline.day, False
        record(
            session,
            Actor.system(),
            "deadline_recomputed",
            ticket_id=ticket.id,
            site_code=ticket.site_code,
            detail={"from": before.isoformat(), "to": deadline.day.isoformat()},
        )
        changed += 1
    return changed


# -- reading --------------------------------------------------------------------------------------------------


def is_overdue(ticket: Ticket, today: date) -> bool:
    """Past its deadline and not answered (a ticket answered in time waits for the re-check, not the unit)."""
    return ticket.status in (OPEN, REOPENED) and ticket.deadline < today


def answered_late(ticket: Ticket) -> bool:
    return ticket.answered_at is not None and beijing_date(ticket.answered_at) > ticket.deadline
