"""One site's stored result, read back for ``govinspect show`` (and later the dashboard)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from govinspect.store import Store
from govinspect.store.models import Site
from govinspect.store.results import Run, SiteResult


class ResultNotFound(Exception):
    """No such site or no result for it; the message is for an official, in Chinese."""


@dataclass(frozen=True)
class StoredFinding:
    check: str
    severity: str
    url: str
    message: str
    evidence: dict[str, Any]
    snapshot_id: int | None


@dataclass(frozen=True)
class StoredResult:
    site_code: str
    name: str
    url: str
    sponsor: str
    run_id: int
    run_kind: str
    as_of: date
    profile: str
    verdict: str
    score: float | None
    part2: float | None
    part3: float | None
    vetoes: list[str]
    fired: list[dict[str, Any]]
    deductions: list[dict[str, Any]]
    findings: list[StoredFinding] = field(default_factory=list)


def load_result(store: Store, site_code: str, run_id: int | None = None) -> StoredResult:
    """The site's result in ``run_id``, or its newest result of any finished run."""
    with store.session() as session:
        site = session.scalar(select(Site).where(Site.site_code == site_code))
        if site is None:
            raise ResultNotFound(f"名录中没有网站标识码“{site_code}”")
        query = select(SiteResult).join(Run).where(SiteResult.site_code == site_code)
        if run_id is None:
            query = query.where(Run.status == "finished")
        else:
            query = query.where(SiteResult.run_id == run_id)
        result = session.scalars(query.order_by(SiteResult.id.desc()).limit(1)).first()
        if result is None:
            where = f"检查任务 {run_id} 中" if run_id is not None else ""
            raise ResultNotFound(
                f"{where}没有网站 {site_code}（{site.name}）的检查结果，请先运行 govinspect inspect"
            )
        return StoredResult(
            site_code=site.site_code,
            name=site.name,
            url=site.url,
            sponsor=site.unit.name,
            run_id=result.run_id,
            run_kind=result.run.kind,
            as_of=result.run.as_of,
            profile=result.run.profile,
            verdict=result.verdict,
            score=result.score,
            part2=result.part2,
            part3=result.part3,
            vetoes=list(result.vetoes),
            fired=list(result.fired),
            deductions=list(result.deductions),
            findings=[
                StoredFinding(f.check, f.severity, f.url, f.message, dict(f.evidence or {}), f.snapshot_id)
                for f in result.findings
            ],
        )
