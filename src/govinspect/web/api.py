"""The JSON API, ``/api/v1``: sites, runs and findings, read-only in this release.

Authentication: ``Authorization: Bearer gi_…`` (a token an administrator created for an account), or the
browser's session cookie for the pages' own use. A token acts with its account's role and units; a unit
user's token reads only the unit's sites, and anything else answers 404 exactly as if it did not exist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from govinspect.web import auth, data
from govinspect.web.app import context

bearer = HTTPBearer(auto_error=False, description="API 令牌（管理员在“用户”页面创建）")


def api_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> auth.Principal:
    web = context(request)
    principal = None
    if credentials is not None:
        principal = auth.token_principal(web.store, credentials.credentials)
    elif request.method == "GET":
        principal = auth.session_principal(web.store, request.cookies.get(web.cookie_name))
    if principal is None:
        raise HTTPException(
            401, "需要有效的 API 令牌（Authorization: Bearer …）", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


Api_ = Annotated[auth.Principal, Depends(api_user)]
router = APIRouter(prefix="/api/v1", tags=["v1"])


class Out(BaseModel):
    """An answer read straight from the data layer's views (web/data.py): by attribute, a field whose name there
    differs naming it as its ``validation_alias``; the API's own names are what is serialised."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)


class SiteOut(Out):
    site_code: str = Field(description="网站标识码")
    name: str
    url: str
    region: str
    category: str
    unit: str = Field(description="主办单位")
    status: str = Field(description="运行状态")
    verdict: str | None = Field(description="最近一次已完成检查的结论：合格 / 不合格；未检查为 null")
    score: float | None
    vetoes: list[str]
    run_id: int | None
    as_of: date | None
    findings: dict[str, int] = Field(
        validation_alias="counts", description="各程度的问题数：veto / deduction / notice"
    )


class SiteList(BaseModel):
    total: int
    page: int
    pages: int
    sites: list[SiteOut]


class FindingOut(Out):
    id: int
    check: str = Field(description="检查项编号（INDICATORS.md）")
    check_name: str
    severity: str = Field(description="评分后的程度：veto / deduction / notice")
    raw_severity: str
    url: str
    message: str
    evidence: dict[str, Any] = Field(validation_alias="evidence_raw")
    snapshot_id: int | None
    site_code: str | None = None
    run_id: int | None = None


class FindingList(BaseModel):
    total: int
    page: int
    pages: int
    findings: list[FindingOut]


class DeductionOut(Out):
    group: str
    item: str
    checks: str
    count: int
    points: float


class HistoryOut(Out):
    run_id: int
    kind: str
    period: str | None
    as_of: date
    verdict: str
    score: float | None
    vetoes: list[str]


class SiteDetailOut(BaseModel):
    site_code: str
    name: str
    url: str
    region: str
    category: str
    unit: str
    status: str
    run_id: int | None
    as_of: date | None
    profile: str | None
    verdict: str | None
    score: float | None
    part2: float | None
    part3: float | None
    vetoes: list[str]
    deductions: list[DeductionOut]
    findings: list[FindingOut]
    history: list[HistoryOut]


class RunOut(Out):
    id: int
    kind: str
    period: str | None
    as_of: date
    profile: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    sites: int = Field(description="本任务检查的网站数（主办单位用户：本单位的）")
    passed: int
    failed: int
    pass_rate: str = Field(validation_alias="rate")


class RunDetailOut(RunOut):
    results: list[SiteOut]


def _finding(f: data.FindingView, site_code: str | None = None, run_id: int | None = None) -> FindingOut:
    return FindingOut.model_validate(f).model_copy(update={"site_code": site_code, "run_id": run_id})


@router.get("/sites", response_model=SiteList, summary="网站列表（含最近一次结论）")
def sites(
    request: Request,
    user: Api_,
    q: str = "",
    region: str = "",
    category: str = "",
    verdict: Annotated[str, Query(description="合格 / 不合格 / 未检查")] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SiteList:
    filters = data.SiteFilter(q=q[:100], region=region, category=category, verdict=verdict, page=page)
    with context(request).read() as session:
        listing = data.list_sites(session, user, filters, size=size)
    return SiteList(
        total=listing.total,
        page=listing.page,
        pages=listing.pages,
        sites=[SiteOut.model_validate(r) for r in listing.rows],
    )


@router.get("/sites/{site_code}", response_model=SiteDetailOut, summary="一个网站的结论、得分、问题与历史")
def site(request: Request, user: Api_, site_code: str, run: int | None = None) -> SiteDetailOut:
    web = context(request)
    with web.read() as session:
        d = data.site_detail(session, user, site_code, web.profiles, run)
    return SiteDetailOut(
        site_code=d.site_code,
        name=d.name,
        url=d.url,
        region=d.region,
        category=d.category,
        unit=d.unit,
        status=d.status,
        run_id=d.run_id,
        as_of=d.as_of,
        profile=d.profile,
        verdict=d.verdict,
        score=d.score,
        part2=d.part2,
        part3=d.part3,
        vetoes=[v.name for v in d.vetoes],
        deductions=[DeductionOut.model_validate(x) for x in d.deductions],
        findings=[_finding(f, d.site_code, d.run_id) for f in d.findings],
        history=[HistoryOut.model_validate(h) for h in d.history],
    )


@router.get("/runs", response_model=list[RunOut], summary="检查任务列表")
def runs(request: Request, user: Api_) -> list[RunOut]:
    with context(request).read() as session:
        rows = data.list_runs(session, user)
    return [RunOut.model_validate(r) for r in rows]


@router.get("/runs/{run_id}", response_model=RunDetailOut, summary="一个检查任务及其各网站结论")
def run(request: Request, user: Api_, run_id: int) -> RunDetailOut:
    with context(request).read() as session:
        detail = data.run_detail(session, user, run_id)
    return RunDetailOut.model_validate(
        {**RunOut.model_validate(detail.run).model_dump(), "results": detail.results}
    )


class RecentSiteOut(Out):
    site_code: str
    name: str
    verdict: str


class RunProgressOut(Out):
    run_id: int
    plan_id: int | None = Field(description="检查计划编号（按计划执行的任务）")
    status: str = Field(description="running 进行中 / finished 已完成 / failed 已中止")
    phase: str = Field(
        description="crawl 抓取网页 / check 检查与评分 / queued 任务队列执行中 / finished / failed / stalled 执行中断"
    )
    phase_label: str
    total: int = Field(description="本任务要检查的网站数")
    done: int = Field(description="已存有结果的网站数")
    passed: int
    failed: int
    percent: int
    started_at: datetime
    finished_at: datetime | None
    elapsed_seconds: int
    failures: list[str] = Field(description="出错情况（中文）：进程异常结束、任务中断或中止")
    log_tail: list[str] = Field(description="异常结束时命令输出的最后几行")
    recent: list[RecentSiteOut] = Field(description="最近完成的网站（最新在前）")


@router.get(
    "/runs/{run_id}/progress",
    response_model=RunProgressOut,
    summary="检查任务的进度：已检查网站数、结论计数、用时与出错情况（检查人员与管理员）",
)
def run_progress(request: Request, user: Api_, run_id: int) -> RunProgressOut:
    from govinspect.web.run_pages import progress_for

    return RunProgressOut.model_validate(progress_for(request, user, run_id))


@router.get("/findings", response_model=FindingList, summary="问题列表（默认为各网站最近一次结果中的问题）")
def findings(
    request: Request,
    user: Api_,
    run: int | None = None,
    site: str | None = None,
    check: str | None = None,
    severity: Annotated[str | None, Query(description="veto / deduction / notice")] = None,
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> FindingList:
    with context(request).read() as session:
        listing = data.list_findings(
            session, user, run_id=run, site_code=site, check=check, severity=severity, page=page, size=size
        )
    return FindingList(
        total=listing.total,
        page=listing.page,
        pages=listing.pages,
        findings=[_finding(f, code, run_id) for f, code, _name, run_id in listing.rows],
    )


@router.get("/findings/{finding_id}", response_model=FindingOut, summary="一个问题及其证据")
def finding(request: Request, user: Api_, finding_id: int) -> FindingOut:
    with context(request).read() as session:
        detail = data.finding_detail(session, user, finding_id)
    return _finding(detail.finding, detail.site_code, detail.run_id)


class TicketOut(BaseModel):
    id: int
    site_code: str
    site_name: str
    unit: str = Field(description="主办单位")
    source: str = Field(description="finding（检查发现）/ report（网民找错）")
    check: str | None = Field(description="检查项编号；网民留言为 null")
    problem: str
    severity: str
    message: str
    url: str
    status: str = Field(description="open 待整改 / fixed 待复核 / reopened 复核未通过 / closed 已销号")
    deadline: date
    deadline_provisional: bool = Field(description="该年节假日安排尚未录入，期限暂按双休日推算")
    overdue: bool
    opened_on: date
    reopen_count: int
    run_id: int | None
    report_id: int | None


class TicketList(BaseModel):
    total: int
    page: int
    pages: int
    overdue: int
    tickets: list[TicketOut]


@router.get("/tickets", response_model=TicketList, summary="整改事项（主办单位用户只能读取本单位的）")
def tickets(
    request: Request,
    user: Api_,
    status: Annotated[str, Query(description="open / fixed / reopened / closed")] = "",
    overdue: bool = False,
    run: int | None = None,
    q: str = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> TicketList:
    from govinspect.web import rectify_data as rd

    web = context(request)
    filters = rd.TicketFilter(status=status, overdue=overdue, q=q[:100], run=run, page=page)
    with web.read() as session:
        listing = rd.list_tickets(
            session, user, filters, today=web.today(), calendar=web.calendar(), remind_before=None, size=size
        )
    return TicketList(
        total=listing.total,
        page=listing.page,
        pages=listing.pages,
        overdue=listing.overdue,
        tickets=[
            TicketOut(
                id=t.id,
                site_code=t.site_code,
                site_name=t.site_name,
                unit=t.unit,
                source=t.source,
                check=None if t.source == "report" else t.check,
                problem=t.problem,
                severity=t.severity,
                message=t.message,
                url=t.url,
                status=t.status,
                deadline=t.deadline,
                deadline_provisional=t.provisional,
                overdue=t.overdue,
                opened_on=t.opened_on,
                reopen_count=t.reopen_count,
                run_id=t.run_id,
                report_id=t.report_id,
            )
            for t in listing.rows
        ],
    )


class AccountOut(BaseModel):
    id: int
    platform: str = Field(description="平台：微信公众号、微博……")
    account_id: str
    name: str
    unit: str = Field(description="主办单位")
    region: str
    status: str = Field(description="运行状态")
    verdict: str | None = Field(description="最近一次新媒体检查的结论：合格 / 不合格；未判定为 null")
    score: float | None
    vetoes: list[str]
    latest_post: str | None = Field(description="最近一次发布的日期")
    as_of: date | None


class AccountList(BaseModel):
    total: int
    page: int
    pages: int
    accounts: list[AccountOut]


class AccountFindingOut(BaseModel):
    check: str
    check_name: str
    severity: str
    url: str
    message: str
    evidence: dict[str, str]


class AccountDetailOut(AccountOut):
    run_id: int | None = Field(description="新媒体检查任务编号")
    findings: list[AccountFindingOut]


def _account(row: Any) -> dict[str, Any]:
    return {
        "id": row.id, "platform": row.platform, "account_id": row.account_id, "name": row.name, "unit": row.unit,
        "region": row.region, "status": row.status, "verdict": row.verdict, "score": row.score,
        "vetoes": list(row.vetoes), "latest_post": row.latest_post, "as_of": row.as_of,
    }  # fmt: skip


@router.get("/accounts", response_model=AccountList, summary="政务新媒体账号列表（含最近一次结论）")
def accounts(
    request: Request,
    user: Api_,
    q: str = "",
    platform: str = "",
    region: str = "",
    verdict: Annotated[str, Query(description="合格 / 不合格 / 未判定")] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AccountList:
    from govinspect.web import newmedia_data as nd

    filters = nd.AccountFilter(
        q=q[:100], platform=platform[:20], region=region[:100], verdict=verdict, page=page
    )
    with context(request).read() as session:
        listing = nd.list_accounts(session, user, filters, size=size)
    return AccountList(
        total=listing.total,
        page=listing.page,
        pages=listing.pages,
        accounts=[AccountOut(**_account(r)) for r in listing.rows],
    )


@router.get("/accounts/{account_pk}", response_model=AccountDetailOut, summary="一个新媒体账号的结论与问题")
def account(request: Request, user: Api_, account_pk: int) -> AccountDetailOut:
    from govinspect.web import newmedia_data as nd

    with context(request).read() as session:
        d = nd.account_detail(session, user, account_pk)
    return AccountDetailOut(
        **_account(d.row),
        run_id=d.run_id,
        findings=[
            AccountFindingOut(
                check=f.check,
                check_name=f.check_name,
                severity=f.severity,
                url=f.url,
                message=f.message,
                evidence=dict(f.evidence),
            )
            for f in d.findings
        ],
    )
