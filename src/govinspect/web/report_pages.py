"""通报: generate the circular (DOCX, XLSX, HTML, and PDF when asked and LibreOffice is installed) from the web,
for inspectors and administrators only, and download it and the earlier ones.

Generation runs in the request (a sync route, so in the server's thread pool): without PDF it takes a second or
two; the PDF conversion by LibreOffice adds several seconds, so it is a checkbox that defaults off. Each
circular is written to its own folder under ``<home>/reports`` named by time and period, and the files are
served only by those known names (never a path the browser chose).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select

from govinspect.reports.cli import DEFAULT_WORKING_DAYS, DOCX_NAME, HTML_NAME, XLSX_NAME
from govinspect.store.results import Run
from govinspect.web import auth, data
from govinspect.web.app import context, render
from govinspect.web.pages import Form_, User_

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

PDF_NAME = "通报.pdf"
# The files a circular folder may hold, by the short name used in download links.
FILES = {"docx": DOCX_NAME, "pdf": PDF_NAME, "xlsx": XLSX_NAME, "html": HTML_NAME}
LABELS = {
    "docx": "通报正文（DOCX）",
    "pdf": "通报正文（PDF）",
    "xlsx": "附件表格（XLSX）",
    "html": "网页版（HTML）",
}
PERIOD = re.compile(r"^\d{4}(Q[1-4]|-(0[1-9]|1[0-2]))$")
FOLDER = re.compile(r"^\d{8}-\d{6}-(\d{4}(Q[1-4]|-\d{2})|run\d{1,9})$")


def _staff(principal: auth.Principal) -> None:
    """Unit users do not learn the page exists (the circular covers every unit)."""
    if not principal.sees_all:
        raise data.NotFound("reports")


@dataclass(frozen=True)
class Generated:
    name: str  # the folder's name
    made_at: datetime
    subject: str  # 2020Q1 or 检查任务 7
    files: list[tuple[str, str]]  # (short name, label) of the files present


def reports_dir(request: Request) -> Path:
    return context(request).settings.home / "reports"


def _subject(name: str) -> str:
    tail = name.split("-", 2)[2]
    return f"检查任务 {tail[3:]}" if tail.startswith("run") else tail


def generated(folder: Path) -> list[Generated]:
    """The circulars made here, newest first."""
    if not folder.is_dir():
        return []
    out = []
    for path in folder.iterdir():
        if not path.is_dir() or not FOLDER.match(path.name):
            continue
        files = [(k, LABELS[k]) for k, f in FILES.items() if (path / f).is_file()]
        made = datetime.strptime(path.name[:15], "%Y%m%d-%H%M%S")
        out.append(Generated(path.name, made, _subject(path.name), files))
    return sorted(out, key=lambda g: g.name, reverse=True)


def _choices(request: Request) -> tuple[list[str], list[tuple[int, str]]]:
    web = context(request)
    with web.read() as session:
        rows = session.execute(
            select(Run.id, Run.period, Run.kind, Run.as_of)
            .where(Run.status == "finished")
            .order_by(Run.id.desc())
        ).all()
    periods = sorted({p for _, p, _, _ in rows if p}, reverse=True)
    runs = [(i, f"{i}（{kind}，{p or '无检查期'}，{as_of}）") for i, p, kind, as_of in rows]
    return periods, runs


def _page(request: Request, status: int = 200, **values: object) -> Response:
    periods, runs = _choices(request)
    return render(
        request,
        "reports.html",
        status,
        periods=periods,
        runs=runs,
        reports=generated(reports_dir(request)),
        default_days=DEFAULT_WORKING_DAYS,
        nav="circular",
        **values,
    )


@router.get("/reports")
def reports_page(request: Request, user: User_, made: str | None = None) -> Response:
    _staff(user)
    return _page(request, made=made if made and FOLDER.match(made) else None)


def _deadline(web, today, days: int):  # type: ignore[no-untyped-def]
    """``days`` working days after today (today not counted), on the calendar of this home's holiday file."""
    from govinspect.reports.figures import ReportError
    from govinspect.workdays.holidayfile import CalendarError

    try:
        return web.calendar().add_working_days(today, days)
    except CalendarError as exc:
        raise ReportError(f"无法计算整改期限：{exc}") from exc


@router.post("/reports")
def make_report(request: Request, user: User_, form: Form_) -> Response:
    from govinspect.reports.cli import write_report
    from govinspect.reports.figures import ReportError

    _staff(user)
    web = context(request)
    period = str(form.get("period") or "").strip()
    run_text = str(form.get("run") or "").strip()
    compare = [
        p.strip() for p in str(form.get("compare_to") or "").replace("，", ",").split(",") if p.strip()
    ]
    days_text = str(form.get("working_days") or "").strip()
    values = {"form": {"period": period, "run": run_text, "compare_to": ",".join(compare),
                       "working_days": days_text, "pdf": bool(form.get("pdf"))}}  # fmt: skip
    if bool(period) == bool(run_text):
        return _page(request, 400, error="请选择检查期或检查任务之一", **values)
    if period and not PERIOD.match(period):
        return _page(request, 400, error="检查期的格式应为 2020Q1 或 2020-03", **values)
    if run_text and not (run_text.isdigit() and len(run_text) < 10):
        return _page(request, 400, error="检查任务编号应为数字", **values)
    bad = [p for p in compare if not PERIOD.match(p)]
    if bad or len(compare) > 8:
        return _page(
            request, 400, error="对比的往期格式应为 2019Q4 或 2019-12，逗号分隔，最多 8 个", **values
        )
    if days_text and not (days_text.isdigit() and int(days_text) <= 365):
        return _page(request, 400, error="整改期限应为 0 到 365 个工作日", **values)
    today = web.today()
    try:
        due = _deadline(web, today, int(days_text) if days_text else DEFAULT_WORKING_DAYS)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        name = f"{stamp}-{period or 'run' + run_text}"
        out = reports_dir(request) / name
        if out.exists():
            return _page(request, 409, error="同一时间已在生成该期通报，请稍候再试", **values)
        written = write_report(
            web.store,
            out,
            period=period or None,
            run_id=int(run_text) if run_text else None,
            issue_date=today,
            deadline=due,
            compare_to=compare,
            pdf=bool(form.get("pdf")),
        )
    except ReportError as exc:  # ReportCheckError included: the self-check's Chinese message
        return _page(request, 422, error=str(exc), **values)
    except Exception as exc:  # LibreOffice failing, a disk error: say so rather than a bare 500
        log.exception("circular generation failed")
        return _page(request, 500, error=f"生成通报失败：{type(exc).__name__}", **values)
    if written.pdf is not None and written.pdf.name != PDF_NAME:
        written.pdf.replace(out / PDF_NAME)
    return RedirectResponse(f"/reports?made={name}", status_code=303)


@router.get("/reports/{name}/{kind}")
def download(request: Request, user: User_, name: str, kind: str) -> Response:
    _staff(user)
    if not FOLDER.match(name) or kind not in FILES:
        raise data.NotFound(name)
    path = reports_dir(request) / name / FILES[kind]
    if not path.is_file():
        raise data.NotFound(name)
    return FileResponse(
        path, filename=f"{_subject(name)}-{FILES[kind]}", content_disposition_type="attachment"
    )
