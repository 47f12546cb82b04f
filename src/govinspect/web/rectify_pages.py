"""整改 pages: the ticket list with overdue and due-soon reminders, a ticket with its evidence, answer, re-check
and audit trail, opening tickets from a run or a finding, an inspector's decisions, attachments, and the whole
audit trail.

A unit user's answer starts the site's re-check in a background thread (rectify/recheck.py RecheckRunner); the
ticket page asks for its state every two seconds (htmx) while it runs and reloads when it ends.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from govinspect.rectify import tickets as tk
from govinspect.rectify.recheck import request_recheck
from govinspect.rectify.rules import Rules, RulesError
from govinspect.scoring.profile import ProfileError, load_profile
from govinspect.store.rectify import FIXED, TicketAttachment
from govinspect.store.results import Run
from govinspect.store.users import Role
from govinspect.web import auth, data
from govinspect.web import rectify_data as rd
from govinspect.web.app import Forbidden, context, render
from govinspect.web.pages import Form_, User_

router = APIRouter(include_in_schema=False)


def _inspector(principal: auth.Principal) -> None:
    if principal.role is Role.UNIT:
        raise Forbidden("只有检查人员可以进行此操作")


def _int(value: object, default: int | None = None) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 7 else default


# -- the list -----------------------------------------------------------------------------------------------------


@router.get("/rectify")
def rectify_page(
    request: Request,
    user: User_,
    status: str = "",
    overdue: str = "",
    q: str = "",
    source: str = "",
    run: str = "",
    unit: str = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    opened: str = "",
) -> Response:
    web = context(request)
    filters = rd.TicketFilter(
        status=status,
        overdue=overdue == "1",
        q=q[:100],
        source=source,
        run=_int(run),
        unit=_int(unit),
        page=page,
    )
    with web.read() as session:
        _profile, rules, problem = rd.active_rules(session, web.settings.home / "profiles")
        listing = rd.list_tickets(
            session,
            user,
            filters,
            today=web.today(),
            calendar=web.calendar(),
            remind_before=rules.remind_before_working_days if rules else None,
        )
    template = "_ticket_table.html" if request.headers.get("hx-request") else "rectify.html"
    return render(
        request,
        template,
        listing=listing,
        today=web.today(),
        opened=opened,
        rules_problem=problem,
        nav="rectify",
    )


# -- opening ------------------------------------------------------------------------------------------------------


def _rules_for(request: Request, profile_id: str) -> Rules:
    web = context(request)
    try:
        return Rules.of(load_profile(profile_id, user_dir=web.settings.home / "profiles"))
    except (ProfileError, RulesError) as exc:
        raise Forbidden(f"指标配置有误，无法计算整改期限：{exc}") from exc


@router.post("/runs/{run_id}/rectify")
def open_run(request: Request, user: User_, form: Form_, run_id: int) -> Response:
    _inspector(user)
    web = context(request)
    with web.read() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise data.NotFound(str(run_id))
        profile_id = run.profile
    days = _int(form.get("working_days"))
    if days is None:
        days = _rules_for(request, profile_id).working_days
    try:
        with web.store.session() as session:
            report = tk.open_from_run(
                session,
                run_id,
                rd.actor_of(user),
                today=web.today(),
                calendar=web.calendar(),
                working_days=min(days, 365),
            )
    except tk.TicketError as exc:
        raise Forbidden(str(exc)) from exc
    note = f"{len(report.opened)}-{report.already + report.active_elsewhere}-{report.notices}"
    return RedirectResponse(f"/rectify?run={run_id}&opened={quote(note)}", status_code=303)


@router.post("/findings/{finding_id}/rectify")
def open_finding(request: Request, user: User_, form: Form_, finding_id: int) -> Response:
    _inspector(user)
    web = context(request)
    with web.read() as session:
        detail = data.finding_detail(session, user, finding_id)
    days = _int(form.get("working_days"))
    if days is None:
        days = _rules_for(request, detail.profile).working_days
    try:
        with web.store.session() as session:
            ticket, _created = tk.open_from_finding(
                session,
                finding_id,
                rd.actor_of(user),
                today=web.today(),
                calendar=web.calendar(),
                working_days=min(days, 365),
            )
            ticket_id = ticket.id
    except tk.TicketError as exc:
        raise Forbidden(str(exc)) from exc
    return RedirectResponse(f"/rectify/{ticket_id}", status_code=303)


# -- one ticket ---------------------------------------------------------------------------------------------------


def _ticket_page(
    request: Request, user: auth.Principal, ticket_id: int, error: str | None = None, status: int = 200
) -> Response:
    web = context(request)
    with web.read() as session:
        detail = rd.ticket_detail(session, user, ticket_id, today=web.today(), calendar=web.calendar())
    return render(request, "ticket.html", status, t=detail, r=detail.row, error=error, nav="rectify")


@router.get("/rectify/{ticket_id}")
def ticket_page(request: Request, user: User_, ticket_id: int) -> Response:
    return _ticket_page(request, user, ticket_id)


@router.get("/rectify/{ticket_id}/recheck-status")
def recheck_status(request: Request, user: User_, ticket_id: int) -> Response:
    """The re-check's state (htmx polls it); when it has ended, the page reloads to show the outcome."""
    web = context(request)
    with web.read() as session:
        ticket, _name, _unit = rd.ticket_in_scope(session, user, ticket_id)
        view = rd.latest_recheck(session, ticket)
    if request.headers.get("hx-request") and (view is None or not view.pending):
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return render(request, "_recheck_status.html", rc=view, ticket_id=ticket_id)


def _upload(form) -> tk.Upload | None:  # type: ignore[no-untyped-def]
    value = form.get("attachment")
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    body = value.file.read(tk.MAX_ATTACHMENT + 1)
    return tk.Upload(value.filename, body)


@router.post("/rectify/{ticket_id}/answer")
def answer(request: Request, user: User_, form: Form_, ticket_id: int) -> Response:
    web = context(request)
    actor = rd.actor_of(user)
    try:
        upload = _upload(form)
        with web.store.session() as session:
            ticket = tk.answer(
                session,
                ticket_id,
                actor,
                str(form.get("note") or ""),
                attachments_dir=web.attachments_dir,
                upload=upload,
            )
            recheck_id = None
            if ticket.source == "finding":
                recheck, created = request_recheck(session, ticket.site_id, actor, web.today())
                recheck_id = recheck.id if created else None
    except tk.TicketNotFound:
        raise data.NotFound(str(ticket_id)) from None
    except tk.TicketError as exc:
        return _ticket_page(request, user, ticket_id, str(exc), 400)
    if recheck_id is not None:
        web.runner.submit(recheck_id)
    return RedirectResponse(f"/rectify/{ticket_id}", status_code=303)


@router.post("/rectify/{ticket_id}/decide")
def decide(request: Request, user: User_, form: Form_, ticket_id: int) -> Response:
    _inspector(user)
    web = context(request)
    try:
        with web.store.session() as session:
            tk.overrule(
                session,
                ticket_id,
                rd.actor_of(user),
                str(form.get("decision") or ""),
                str(form.get("reason") or ""),
            )
    except tk.TicketNotFound:
        raise data.NotFound(str(ticket_id)) from None
    except tk.TicketError as exc:
        return _ticket_page(request, user, ticket_id, str(exc), 400)
    return RedirectResponse(f"/rectify/{ticket_id}", status_code=303)


@router.post("/rectify/{ticket_id}/deadline")
def deadline(request: Request, user: User_, form: Form_, ticket_id: int) -> Response:
    _inspector(user)
    web = context(request)
    days = _int(form.get("working_days"))
    try:
        if days is None:
            raise tk.TicketError("请填写整改期限（工作日）")
        with web.store.session() as session:
            tk.change_deadline(
                session,
                ticket_id,
                rd.actor_of(user),
                working_days=days,
                calendar=web.calendar(),
                reason=str(form.get("reason") or ""),
            )
    except tk.TicketNotFound:
        raise data.NotFound(str(ticket_id)) from None
    except tk.TicketError as exc:
        return _ticket_page(request, user, ticket_id, str(exc), 400)
    return RedirectResponse(f"/rectify/{ticket_id}", status_code=303)


@router.post("/rectify/{ticket_id}/recheck")
def recheck_again(request: Request, user: User_, _form: Form_, ticket_id: int) -> Response:
    """An inspector starts the site's re-check again (after a failure, or once the site says it is back)."""
    _inspector(user)
    web = context(request)
    try:
        with web.store.session() as session:
            ticket = tk.get_ticket(session, ticket_id, rd.actor_of(user))
            if ticket.status != FIXED or ticket.source != "finding":
                raise tk.TicketError("只有单位已报整改、待复核的检查问题可以自动复核")
            recheck, created = request_recheck(session, ticket.site_id, rd.actor_of(user), web.today())
            recheck_id = recheck.id if created else None
    except tk.TicketNotFound:
        raise data.NotFound(str(ticket_id)) from None
    except tk.TicketError as exc:
        return _ticket_page(request, user, ticket_id, str(exc), 400)
    if recheck_id is not None:
        web.runner.submit(recheck_id)
    return RedirectResponse(f"/rectify/{ticket_id}", status_code=303)


@router.get("/rectify/attachments/{attachment_id}")
def attachment(request: Request, user: User_, attachment_id: int) -> Response:
    web = context(request)
    with web.read() as session:
        row = session.get(TicketAttachment, attachment_id)
        if row is None:
            raise data.NotFound(str(attachment_id))
        rd.ticket_in_scope(session, user, row.ticket_id)  # not in scope: 404 like a missing file
        path = tk.attachment_path(web.attachments_dir, row)
        name, content_type = row.filename, row.content_type
    if not path.is_file():
        raise data.NotFound(str(attachment_id))
    return FileResponse(
        path,
        media_type=content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


# -- the audit trail ----------------------------------------------------------------------------------------------


@router.get("/rectify-audit")
def audit_page(
    request: Request, user: User_, action: str = "", page: Annotated[int, Query(ge=1, le=100000)] = 1
) -> Response:
    _inspector(user)
    web = context(request)
    with web.read() as session:
        listing = rd.audit_page(session, action, page)
    from govinspect.rectify.audit import ACTIONS

    return render(request, "audit.html", listing=listing, actions=ACTIONS, nav="rectify")
