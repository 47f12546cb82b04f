"""新媒体: the registered government new-media accounts with their latest verdict, and one account's findings,
evidence and recent posts. Unit users see their units' accounts only (others answer 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from govinspect.web import newmedia_data as nd
from govinspect.web.app import context, render
from govinspect.web.pages import User_

router = APIRouter(include_in_schema=False)


@router.get("/newmedia")
def accounts_page(
    request: Request,
    user: User_,
    q: str = "",
    platform: str = "",
    region: str = "",
    verdict: str = "",
    unit: str = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    filters = nd.AccountFilter(
        q=q[:100],
        platform=platform[:20],
        region=region[:100],
        verdict=verdict if verdict in nd.VERDICTS else "",
        unit=int(unit) if unit.isdigit() and len(unit) < 10 else None,
        page=page,
    )
    with context(request).read() as session:
        listing = nd.list_accounts(session, user, filters)
        options = nd.account_options(session, user)
    template = "_account_table.html" if request.headers.get("hx-request") else "accounts.html"
    return render(request, template, listing=listing, options=options, nav="newmedia")


@router.get("/newmedia/{account_pk}")
def account_page(request: Request, user: User_, account_pk: int) -> Response:
    with context(request).read() as session:
        detail = nd.account_detail(session, user, account_pk)
    return render(request, "nm_account.html", d=detail, a=detail.row, nav="newmedia")
