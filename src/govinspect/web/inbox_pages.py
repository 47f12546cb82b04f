"""找错: the public form (我为政府网站找错, no sign-in: rate limits and a self-hosted challenge instead) and the
inbox where inspectors triage reports (属实/不属实), assign them to the unit with a deadline, and read the
figures circulars print and the office's own assessment (INDICATORS.md §5).

The public form posts no CSRF token (there is no session to tie one to); the challenge token, which another
site cannot read, plays that part, and the Origin check of web/app.py refuses other sites' posts outright.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from govinspect.rectify import inbox
from govinspect.runs.period import PeriodError, parse_period
from govinspect.store.rectify import INVALID, VALID
from govinspect.store.users import Role
from govinspect.web import data
from govinspect.web import rectify_data as rd
from govinspect.web.app import Forbidden, context, render
from govinspect.web.pages import Form_, User_

router = APIRouter(include_in_schema=False)
public = APIRouter(include_in_schema=False)  # no sign-in


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# -- the public form ----------------------------------------------------------------------------------------------


def _form(
    request: Request, values: dict[str, str] | None = None, error: str | None = None, status: int = 200
) -> Response:
    web = context(request)
    with web.store.session() as session:
        token = inbox.new_challenge(session)
    return render(
        request,
        "jiucuo.html",
        status,
        token=token,
        types=inbox.PROBLEM_TYPES,
        values=values or {},
        error=error,
        title="我为政府网站找错",
    )


@public.get("/jiucuo")
def jiucuo_form(request: Request, url: str = "") -> Response:
    return _form(request, {"page_url": url[:2000]} if url else None)


@public.get("/jiucuo/challenge/{token}.png")
def jiucuo_challenge(request: Request, token: str) -> Response:
    web = context(request)
    with web.read() as session:
        image = inbox.challenge_image(session, token)
    if image is None:
        return Response("验证码已过期，请刷新页面", status_code=404, media_type="text/plain; charset=utf-8")
    return Response(image, media_type="image/png", headers={"Cache-Control": "no-store"})


@public.post("/jiucuo")
async def jiucuo_submit(request: Request) -> Response:
    web = context(request)
    form = await request.form(max_files=0, max_fields=20, max_part_size=16 * 1024)
    values = {
        k: str(form.get(k) or "")[:4000] for k in ("page_url", "problem_type", "description", "contact")
    }
    if form.get("website"):  # the hidden field only robots fill in
        return _form(request, values, "提交失败，请重试", 400)
    sender = inbox.client_hash(_client(request))
    with web.store.session() as session:
        problem = inbox.rate_problem(session, sender)
        if problem is None and not inbox.take_challenge(
            session, str(form.get("token") or ""), str(form.get("answer") or ""), sender
        ):
            problem = "验证码错误或已过期，请重新计算图中的算式"
    if problem is not None:
        return _form(request, values, problem, 429 if "稍后" in problem or "明天" in problem else 400)
    try:
        with web.store.session() as session:
            report = inbox.receive(
                session,
                inbox.Submission(
                    values["page_url"], values["problem_type"], values["description"], values["contact"]
                ),
                sender,
            )
            reference = inbox.reference(report)
    except inbox.InboxError as exc:
        return _form(request, values, str(exc), 400)
    return RedirectResponse(f"/jiucuo/done?no={reference}", status_code=303)


@public.get("/jiucuo/done")
def jiucuo_done(request: Request, no: str = "") -> Response:
    reference = no if re.fullmatch(r"ZC\d{8}\d{5,}", no) else None
    return render(request, "jiucuo_done.html", reference=reference, title="留言已受理")


# -- the inbox ------------------------------------------------------------------------------------------------------


def _span(value: str, today: date) -> tuple[date, date, str, str]:
    """(start, end, label, value) of the chosen period: a year (2020), quarter (2020Q1) or month (2020-03)."""
    text = (value or "").strip()
    if not text:
        text = str(today.year)
    if m := re.fullmatch(r"(\d{4})\s*年?", text):
        year = int(m[1])
        if 2000 <= year <= 2099:
            return date(year, 1, 1), date(year, 12, 31), f"{year}年", str(year)
    try:
        period = parse_period(text)
    except PeriodError:
        return date(today.year, 1, 1), date(today.year, 12, 31), f"{today.year}年", str(today.year)
    return period.start, period.end, period.label, period.text


@router.get("/inbox")
def inbox_page(
    request: Request,
    user: User_,
    status: str = "",
    period: str = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    web = context(request)
    today = web.today()
    start, end, label, chosen = _span(period, today)
    with web.read() as session:
        listing = rd.list_reports(session, user, status, page)
        _profile, rules, problem = rd.active_rules(session, web.settings.home / "profiles")
        stats = None
        if rules is not None:
            stats = inbox.inbox_stats(session, start, end, as_of=today, rules=rules, unit_ids=user.unit_ids)
        years = sorted({today.year, today.year - 1, start.year}, reverse=True)
    return render(
        request,
        "inbox.html",
        listing=listing,
        stats=stats,
        period_label=label,
        period=chosen,
        years=years,
        rules_problem=problem,
        today=today,
        nav="jiucuo",
    )


def _report_page(
    request: Request, user, report_id: int, error: str | None = None, status: int = 200
) -> Response:  # type: ignore[no-untyped-def]
    web = context(request)
    with web.read() as session:
        detail = rd.report_detail(session, user, report_id)
        _profile, rules, _problem = rd.active_rules(session, web.settings.home / "profiles")
    return render(
        request,
        "report.html",
        status,
        d=detail,
        r=detail.row,
        default_days=rules.report_working_days if rules else 3,
        error=error,
        nav="jiucuo",
    )


@router.get("/inbox/{report_id}")
def report_page(request: Request, user: User_, report_id: int) -> Response:
    return _report_page(request, user, report_id)


@router.post("/inbox/{report_id}/triage")
def triage(request: Request, user: User_, form: Form_, report_id: int) -> Response:
    if user.role is Role.UNIT:
        raise Forbidden("只有检查人员可以核实留言")
    web = context(request)
    verdict = str(form.get("verdict") or "")
    days_text = str(form.get("working_days") or "").strip()
    try:
        with web.read() as session:
            _profile, rules, problem = rd.active_rules(session, web.settings.home / "profiles")
        if days_text:
            if not days_text.isdigit() or len(days_text) > 3:
                raise inbox.InboxError("办理期限应为工作日数")
            days = int(days_text)
        elif rules is not None:
            days = rules.report_working_days
        else:
            raise inbox.InboxError(problem or "指标配置有误")
        with web.store.session() as session:
            inbox.triage(
                session,
                report_id,
                rd.actor_of(user),
                verdict if verdict in (VALID, INVALID) else "",
                str(form.get("note") or ""),
                today=web.today(),
                calendar=web.calendar(),
                working_days=days,
            )
    except inbox.InboxError as exc:
        if str(exc) == "没有找到该留言":
            raise data.NotFound(str(report_id)) from None
        return _report_page(request, user, report_id, str(exc), 400)
    return RedirectResponse(f"/inbox/{report_id}", status_code=303)
