"""检查任务: the runs, and — for inspectors and administrators — plans made and started from the web.

A plan is drawn in the request (``make_plan``: a few queries); starting it spawns ``govinspect run start`` as
a detached process (web/launch.py) and returns at once. The plan page then polls until the command's run
exists and moves to the run's page, which polls the run's progress (from the database) until it has ended.
Unit users see the runs that checked their sites, and nothing of plans (404, as for a page that does not exist).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from govinspect.runs.plan import (
    STRATA_FIELDS,
    PlanError,
    PlanView,
    list_plans,
    load_plan,
    make_plan,
    prepare_start,
)
from govinspect.store.results import Run
from govinspect.web import auth, data
from govinspect.web.app import context, render
from govinspect.web.launch import Launch
from govinspect.web.pages import Form_, User_
from govinspect.web.run_data import (
    PlanForm,
    RunProgress,
    StartForm,
    finished_periods,
    plan_error_field,
    plan_runs,
    read_plan_form,
    read_start_form,
    refused_addresses,
    run_progress,
)

router = APIRouter(include_in_schema=False)
SHOWN_SITES = 1000  # a province's full plan has thousands: the page lists these, the CLI the rest
RUN_STATUS = {"running": "进行中", "finished": "已完成", "failed": "已中止"}
# The CLI's advice, said the way the form offers it.
_WEB_WORDING = (
    ("加 --again 新建任务", "请点击“再查一遍”新建任务"),
    ("如确认该进程已中止，加 --takeover 接续执行", "请等待其完成后刷新本页"),
    ("请核对 --as-of 与 --period", "请核对监测时间点"),
    ("请核对 --include-failed-from，", "请核对所选检查期，"),
    ("--include-failed-from ", "复查的检查期 "),
    ("，或先导入该期结果（govinspect results import）", ""),
)


def _staff(principal: auth.Principal) -> None:
    """Plans cover every unit: unit users do not learn these pages exist."""
    if not principal.sees_all:
        raise data.NotFound("plans")


def web_wording(message: str) -> str:
    for cli, web in _WEB_WORDING:
        message = message.replace(cli, web)
    return message


# -- the list of runs, and the plan form ------------------------------------------------------------------------


def _runs_page(
    request: Request, user: auth.Principal, form: PlanForm | None = None, status: int = 200, error: str = ""
) -> Response:
    web = context(request)
    with web.read() as session:
        runs = data.list_runs(session, user)
        periods = finished_periods(session) if user.sees_all else []
    plans = list_plans(web.store)[::-1] if user.sees_all else []
    return render(
        request,
        "runs.html",
        status,
        runs=runs,
        plans=plans,
        periods=periods,
        form=form or PlanForm(),
        error=error,
        fields=STRATA_FIELDS,
        run_status=RUN_STATUS,
        nav="runs",
    )


@router.get("/runs")
def runs_page(request: Request, user: User_) -> Response:
    return _runs_page(request, user)


@router.get("/runs/plans")
def plans_list(request: Request, user: User_) -> Response:
    _staff(user)
    return RedirectResponse("/runs#plans", status_code=303)


@router.post("/runs/plans")
def create_plan(request: Request, user: User_, form: Form_) -> Response:
    _staff(user)
    values = read_plan_form(form)
    if not values.ok:
        return _runs_page(request, user, values, 400)
    assert values.parsed_period is not None
    try:
        plan = make_plan(
            context(request).store,
            values.parsed_period,
            ratio=values.parsed_ratio if values.mode == "sample" else None,
            by=tuple(values.by),
            include_failed_from=values.parsed_failed_from,
            seed=values.parsed_seed,
        )
    except PlanError as exc:
        message = web_wording(str(exc))
        where = plan_error_field(message)
        if where:
            values.errors[where] = message
            return _runs_page(request, user, values, 400)
        return _runs_page(request, user, values, 400, error=message)
    return RedirectResponse(f"/runs/plans/{plan.id}", status_code=303)


# -- a plan: its sites, and starting it ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanState:
    """What the plan page offers: ``start`` (a first run), ``again`` (the plan was inspected), ``resume`` (its
    run stopped part-way), ``launching`` (the command is starting) or ``running`` (its run is under way)."""

    mode: str
    progress: RunProgress | None = None
    launch: Launch | None = None
    launch_failed: tuple[str, ...] = ()  # the log's last lines of a command that ended before its run began


def plan_state(request: Request, plan_id: int) -> PlanState:
    web = context(request)
    launch = web.launcher.latest(plan_id)
    with web.read() as session:
        runs = plan_runs(session, plan_id)
        latest = runs[-1] if runs else None
        progress = (
            run_progress(session, latest.id, web.launcher, queued=bool(web.settings.broker_url))
            if latest
            else None
        )
    if launch is not None and not any(launch.owns(r.id) for r in runs):
        if launch.alive():
            return PlanState("launching", progress, launch)
        failed = tuple(web.launcher.log_tail(launch)) if launch.exit_code not in (None, 0) else ()
        base = plan_state_of(progress)
        return PlanState(base.mode, progress, launch, failed)
    return plan_state_of(progress, launch)


def plan_state_of(progress: RunProgress | None, launch: Launch | None = None) -> PlanState:
    if progress is None:
        return PlanState("start", None, launch)
    if progress.running:
        return PlanState("running", progress, launch)
    if progress.phase == "stalled":
        return PlanState("resume", progress, launch)
    return PlanState("again", progress, launch)


def _plan_page(
    request: Request, plan_id: int, start: StartForm | None = None, status: int = 200, error: str = ""
) -> Response:
    web = context(request)
    try:
        plan = load_plan(web.store, plan_id)
    except PlanError:
        raise data.NotFound(str(plan_id)) from None
    state = plan_state(request, plan_id)
    with web.read() as session:
        done = dict(
            session.execute(
                select(Run.id, func.count())
                .select_from(Run)
                .join(Run.results)
                .where(Run.plan_id == plan_id)
                .group_by(Run.id)
            ).all()
        )
    runs = [(run_id, RUN_STATUS.get(s, s), done.get(run_id, 0)) for run_id, s in plan.runs]
    if start is None:
        start = StartForm(as_of=web.today().isoformat(), again=state.mode == "again")
    return render(
        request,
        "plan.html",
        status,
        plan=plan,
        state=state,
        runs=runs,
        start=start,
        error=error,
        fields=STRATA_FIELDS,
        strata=_strata_label(plan),
        shown_sites=SHOWN_SITES,
        nav="runs",
    )


def _strata_label(plan: PlanView) -> str:
    return " × ".join(STRATA_FIELDS.get(f, f) for f in plan.by) or "不分层"


@router.get("/runs/plans/{plan_id}")
def plan_page(request: Request, user: User_, plan_id: int) -> Response:
    _staff(user)
    return _plan_page(request, plan_id)


@router.post("/runs/plans/{plan_id}/start")
def start_plan_run(request: Request, user: User_, form: Form_, plan_id: int) -> Response:
    """Check the form and the plan's state here (errors beside the fields), then spawn the command."""
    _staff(user)
    web = context(request)
    values = read_start_form(form)
    state = plan_state(request, plan_id)
    if state.mode in ("launching", "running"):
        shown = state.progress.run_id if state.mode == "running" and state.progress else None
        message = f"计划 {plan_id} 的检查正在执行{f'（检查任务 {shown}）' if shown else ''}，请等待其完成，不能重复开始"
        return _plan_page(request, plan_id, values, 409, error=message)
    start = None
    if not values.errors:
        try:
            start = prepare_start(
                web.store,
                plan_id,
                as_of=None if values.resume else values.parsed_as_of,
                again=values.again,
                today=web.today(),
            )
        except PlanError as exc:
            message = web_wording(str(exc))
            if "没有编号为" in message:
                raise data.NotFound(str(plan_id)) from None
            if "监测时间点" in message and not values.resume:
                values.errors["as_of"] = message
            else:
                return _plan_page(request, plan_id, values, 400, error=message)
    if start is not None and not values.allow_private:
        with web.read() as session:
            refused = refused_addresses(session, list(start.codes))
        if refused:
            values.errors["allow_private"] = (
                f"以下 {len(refused)} 家网站的地址指向内网或本机，检查时将被拒绝：{'、'.join(refused[:5])}"
                f"{'等' if len(refused) > 5 else ''}。如确为本辖区内网网站，请勾选此项"
            )
    if values.errors or start is None:
        return _plan_page(request, plan_id, values, 400)
    with web.read() as session:
        newest = session.scalar(select(func.max(Run.id)).where(Run.plan_id == plan_id)) or 0
    try:
        web.launcher.start(
            plan_id, values.arguments(), user=user.username, after_run=newest, resume_run=start.resume_run
        )
    except (RuntimeError, OSError) as exc:
        return _plan_page(request, plan_id, values, 409, error=f"未能开始检查：{exc}")
    return RedirectResponse(f"/runs/plans/{plan_id}", status_code=303)


@router.get("/runs/plans/{plan_id}/launch")
def launch_status(request: Request, user: User_, plan_id: int) -> Response:
    """Polled while the command starts: moves to the run's page once the run exists, or reloads the plan page
    when the command ended first (the page then shows why)."""
    _staff(user)
    state = plan_state(request, plan_id)
    if state.mode != "launching":
        target = (
            f"/runs/{state.progress.run_id}"
            if state.progress is not None
            and state.launch is not None
            and state.launch.owns(state.progress.run_id)
            else f"/runs/plans/{plan_id}"
        )
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return render(request, "_launch_status.html", plan_id=plan_id, launch=state.launch)


# -- a run, and its progress ------------------------------------------------------------------------------------


def progress_for(request: Request, user: auth.Principal, run_id: int) -> RunProgress:
    """The run's progress, for inspectors and administrators (a unit user, or no such run: NotFound)."""
    _staff(user)
    web = context(request)
    with web.read() as session:
        progress = run_progress(session, run_id, web.launcher, queued=bool(web.settings.broker_url))
    if progress is None:
        raise data.NotFound(str(run_id))
    return progress


@router.get("/runs/{run_id}")
def run_page(request: Request, user: User_, run_id: int) -> Response:
    web = context(request)
    with web.read() as session:
        detail = data.run_detail(session, user, run_id)
    inspected = detail.run.kind in (data.RUN_KINDS["inspect"], data.RUN_KINDS["recheck"])
    progress = progress_for(request, user, run_id) if user.sees_all and inspected else None
    return render(request, "run.html", detail=detail, progress=progress, nav="runs")


@router.get("/runs/{run_id}/progress")
def run_progress_fragment(request: Request, user: User_, run_id: int) -> Response:
    """Polled by the run page while the run is under way; once it has ended, the page reloads to show the
    results, the final summary and the rectification form."""
    progress = progress_for(request, user, run_id)
    if request.headers.get("hx-request") and not progress.running:
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return render(request, "_run_progress.html", progress=progress)
