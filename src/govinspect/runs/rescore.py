"""Re-score a stored run under another profile or ``as_of``, without crawling again.

Every result stores the site model it was judged on; the checks and scoring are pure functions of (model, profile,
as_of), so a new run can be derived from an old one: same crawl, today's registry and column corrections, new
verdicts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select

from govinspect.config import Settings
from govinspect.extract.model import Expected
from govinspect.runs.columns import apply_overrides
from govinspect.runs.contract import SiteOutcome
from govinspect.runs.inspect import InspectionResult, expected_of, overrides_for, save_result
from govinspect.runs.serialize import model_from_dict
from govinspect.runs.site_judge import judge
from govinspect.scoring.profile import Profile, load_profile
from govinspect.store import Store
from govinspect.store.models import utcnow
from govinspect.store.results import Run, SiteResult


@dataclass(kw_only=True)
class RescoreResult(InspectionResult):
    as_of: date


class RescoreError(Exception):
    """A run that cannot be re-scored; the message is for an official, in Chinese."""


def rescore_run(
    store: Store,
    settings: Settings,
    run_id: int,
    *,
    profile: str | None = None,
    as_of: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RescoreResult:
    """A new run (kind ``rescore``) judging the stored models of ``run_id``; the source run is left as it was."""
    with store.session() as session:
        source = session.get(Run, run_id)
        if source is None:
            raise RescoreError(f"没有编号为 {run_id} 的检查任务")
        if source.status != "finished":
            raise RescoreError(f"检查任务 {run_id} 未完成（状态：{source.status}），不能重新评分")
        profile_name = profile or source.profile
        when = as_of or source.as_of
        stored = [
            (r.site_id, r.site_code, r.site.name, r.site.url, r.model, expected_of(r.site))
            for r in session.scalars(
                select(SiteResult).where(SiteResult.run_id == run_id).order_by(SiteResult.site_code)
            )
        ]
        source_crawl, source_period = source.crawl_id, source.period
    loaded = load_profile(profile_name, user_dir=settings.home / "profiles")
    with store.session() as session:
        run = Run(
            kind="rescore",
            as_of=when,
            profile=loaded.id,
            period=source_period,
            crawl_id=source_crawl,
            source_run_id=run_id,
            options={"source_run": run_id, "sites": len(stored)},
        )
        session.add(run)
        session.flush()
        new_id = run.id
    try:
        outcomes = _judge_all(store, stored, new_id, loaded, when, progress)
    except BaseException:
        with store.session() as session:
            session.get(Run, new_id).status = "failed"  # type: ignore[union-attr]
        raise
    with store.session() as session:
        finished = session.get(Run, new_id)
        assert finished is not None
        finished.status = "finished"
        finished.finished_at = utcnow()
    return RescoreResult(new_id, source_crawl, outcomes, loaded, as_of=when)


def _judge_all(
    store: Store,
    stored: list[tuple[int, str, str, str, dict, Expected]],
    run_id: int,
    profile: Profile,
    as_of: date,
    progress: Callable[[int, int], None] | None,
) -> list[SiteOutcome]:
    outcomes = []
    for number, (site_id, code, name, url, data, expected) in enumerate(stored, 1):
        try:
            model = model_from_dict(data)
        except (ValueError, KeyError, TypeError) as exc:
            raise RescoreError(f"网站 {code} 的存储结果无法读取（{exc}），请重新检查该网站") from exc
        # Today's registry (a corrected ICP number, say, or 对外服务) and today's column corrections apply.
        model = apply_overrides(replace(model, expected=expected), overrides_for(store, code))
        findings, score = judge(model, profile, as_of)
        save_result(store, run_id, site_id, model, findings, score)
        outcomes.append(SiteOutcome(code, name, url, findings, score))
        if progress:
            progress(number, len(stored))
    return outcomes
