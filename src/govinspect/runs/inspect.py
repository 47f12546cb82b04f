"""One inspection: crawl the sites, render the pages that need JavaScript, verify links, build site models, run
the checks, score, screenshot the vetoes, store.

The crawl runs in its own process (fetch.crawl); everything after it reads the snapshot store, so a stored run
can be re-checked and re-scored without crawling again. Chromium (one for the run, started only when a page
needs it) is optional: without it the run records, in its options, that rendering and screenshots were skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govinspect.checks.finding import Finding
from govinspect.config import Settings
from govinspect.extract.model import Expected, SiteModel
from govinspect.fetch.browser import BrowserOptions, BrowserSession, find_chromium, unavailable_reason
from govinspect.fetch.crawl import CrawlOptions, CrawlProgress, CrawlTarget, crawl
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.runs.contract import SiteOutcome
from govinspect.runs.evidence import ScreenshotReport, screenshot_vetoes
from govinspect.runs.model_builder import Override, StoredPage
from govinspect.runs.render_step import LazyBrowser, RenderReport, render_site
from govinspect.runs.serialize import model_to_dict
from govinspect.runs.site_judge import (
    JudgeContext,
    JudgeQueue,
    SiteJob,
    default_workers,
    judges,
    stored_pages,
)
from govinspect.scoring.engine import SiteScore
from govinspect.scoring.profile import Profile, load_profile
from govinspect.store import Store
from govinspect.store.models import Site, utcnow
from govinspect.store.results import ColumnOverride, FindingRow, Run, SiteResult
from govinspect.store.snapshots import SnapshotStore
from govinspect.text.check import typo_unavailable_reason


@dataclass(frozen=True)
class InspectOptions:
    as_of: date
    profile: str = "national-2019"
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    links: LinkCheckOptions = field(default_factory=LinkCheckOptions)
    max_external_links: int = 200
    period: str | None = None
    render: bool = True  # Chromium for pages whose content a script draws (when Chromium is installed)
    screenshots: bool = True  # a PNG of each page with a veto finding
    max_render_pages: int = 20  # per site
    max_screenshots: int = 3  # pages per site
    chromium: str = "/usr/bin/chromium"
    # Wording, typos, personal data, hidden links on every page (runs/content_step.py).
    text_checks: bool = True
    workers: int | None = None  # processes judging sites after the crawl (None: one per core, at most 3)
    # CAs trusted besides the system store by the TLS probe, the link checks and the search probe (--ca-file)
    ca_file: str | None = None


@dataclass
class InspectionResult:
    run_id: int
    crawl_id: int | None
    outcomes: list[SiteOutcome]
    profile: Profile
    notes: list[str] = field(default_factory=list)  # what the run left out and why (Chinese, for officials)


Progress = Callable[[str, int, int], None]  # (stage, done, total)


def overrides_for(store: Store, site_code: str) -> dict[str, Override]:
    with store.session() as session:
        rows = session.scalars(select(ColumnOverride).where(ColumnOverride.site_code == site_code))
        return {
            r.url: Override(
                column_class=r.column_class, max_age_days=r.max_age_days, ignore=r.ignore, name=r.name
            )
            for r in rows
        }


def expected_of(site: Site) -> Expected:
    return Expected(
        site.site_code, site.name, site.unit.name, site.icp, site.psb, site.has_services is not False
    )


def save_result(
    store: Store, run_id: int, site_id: int, model: SiteModel, findings: Sequence[Finding], score: SiteScore
) -> bool:
    """Store one site's result in the run, once: a site the run already has (a resumed run, a task a dead worker
    left to another) is kept as first stored; returns whether this call stored it (runs/resume.py)."""
    from sqlalchemy.exc import IntegrityError

    try:
        return _save_result(store, run_id, site_id, model, findings, score)
    except IntegrityError:  # another worker stored it between the check and the insert (uq run_id, site_id)
        return False


def _save_result(
    store: Store, run_id: int, site_id: int, model: SiteModel, findings: Sequence[Finding], score: SiteScore
) -> bool:
    with store.session() as session:
        stored = select(SiteResult.id).where(SiteResult.run_id == run_id, SiteResult.site_id == site_id)
        if session.scalar(stored) is not None:
            return False
        result = SiteResult(
            run_id=run_id,
            site_id=site_id,
            site_code=model.expected.site_code,
            verdict=score.verdict,
            has_services=model.expected.has_services,
            score=score.score,
            part2=score.part2,
            part3=score.part3,
            vetoes=score.veto_names,
            fired=[
                {"rule": v.rule_id, "name": v.name, "condition": v.condition, "count": v.count}
                for v in score.vetoes
            ],
            deductions=[
                {"item": d.item_id, "group": d.group, "count": d.count, "points": d.points}
                for d in score.deductions
            ],
            model=model_to_dict(model),
        )
        for finding, severity in zip(findings, score.severities, strict=True):
            result.findings.append(
                FindingRow(
                    check=finding.check,
                    severity=severity.value,
                    raw_severity=finding.severity.value,
                    url=finding.url,
                    message=finding.message,
                    evidence=finding.evidence,
                    snapshot_id=finding.snapshot_id,
                )
            )
        session.add(result)
    return True


def inspect_sites(
    store: Store,
    settings: Settings,
    site_codes: Sequence[str],
    options: InspectOptions,
    *,
    progress: Progress | None = None,
    run_id: int | None = None,
) -> InspectionResult:
    """``run_id``: add these sites' results to an existing run (a plan's run, resumed: runs/plan.py)."""
    profile = load_profile(options.profile, user_dir=settings.home / "profiles")
    with store.session() as session:
        sites = list(
            session.scalars(select(Site).where(Site.site_code.in_(site_codes)).order_by(Site.site_code))
        )
        for site in sites:
            _ = site.unit.name  # loaded while the session is open
        if run_id is None:
            run = Run(
                as_of=options.as_of,
                profile=profile.id,
                period=options.period,
                options={
                    "crawl": options.crawl.record(),
                    "max_external_links": options.max_external_links,
                    "sites": len(sites),
                    "site_codes": [s.site_code for s in sites],  # what a resume (runs/resume.py) completes
                    **({"ca_file": options.ca_file} if options.ca_file else {}),
                },
            )
            session.add(run)
            session.flush()
            run_id = run.id

    def crawl_progress(update: CrawlProgress) -> None:
        if progress:
            progress(f"crawl:{update.site_code}", update.requests, update.budget)
        store_judged(wait=False)

    snapshots = SnapshotStore(store, settings.snapshots_dir)
    browser_options = BrowserOptions(
        allow_private_networks=options.crawl.allow_private_networks,
        chromium=options.chromium,
        user_agent=options.crawl.user_agent,
        page_timeout_s=options.crawl.timeout,
    )
    browser = LazyBrowser(lambda: BrowserSession(browser_options))
    chromium = find_chromium(options.chromium)
    rendering = RenderReport(available=chromium is not None, note=None if chromium else unavailable_reason())
    shots = ScreenshotReport(available=chromium is not None, note=rendering.note)
    workers = options.workers or default_workers(len(sites))
    by_code = {site.site_code: site for site in sites}
    stored_outcomes: dict[str, SiteOutcome] = {}
    pools = ExitStack()
    queue: JudgeQueue | None = None
    crawl_outcomes: dict[str, dict] = {}  # filled by crawl() before it announces each site

    def store_judged(*, wait: bool) -> None:
        """Store the judged sites' results (during the crawl those ready, at its end all of them), so a run's
        progress counts sites as they are judged."""
        for code, judged in queue.take(wait=wait) if queue else ():
            site = by_code[code]
            findings = judged.findings
            if options.screenshots and chromium is not None:
                findings = screenshot_vetoes(
                    browser,
                    code,
                    findings,
                    judged.score.severities,
                    home=settings.home,
                    run_id=run_id,
                    limit=options.max_screenshots,
                    report=shots,
                )
            save_result(store, run_id, site.id, judged.model, findings, judged.score)
            stored_outcomes[code] = SiteOutcome(code, site.name, site.url, findings, judged.score)
            if progress:
                progress("check", len(stored_outcomes), len(sites))

    def site_crawled(code: str, crawl_id: int) -> None:
        """Judging starts as each site's crawl ends: the first sites are judged while the rest are crawled."""
        nonlocal queue
        site = by_code[code]
        if queue is None:
            context = JudgeContext(
                database_url=settings.database_url,
                snapshots_dir=settings.snapshots_dir,
                crawl_id=crawl_id,
                profile=options.profile,
                profiles_dir=settings.home / "profiles",
                options=options,
            )
            queue = JudgeQueue(pools.enter_context(judges(context, workers, store)), workers)
            with store.session() as session:
                session.get(Run, run_id).crawl_id = crawl_id  # type: ignore[union-attr]
        if options.render:
            stored = stored_pages(snapshots, crawl_id, code)
            _render_site(browser, snapshots, crawl_id, site, stored, profile, options, rendering)
        job = SiteJob(
            site.site_code,
            site.url,
            site.region,
            expected_of(site),
            overrides_for(store, code),
            crawl_outcomes.get(code),
        )
        queue.add(job)
        store_judged(wait=False)

    try:
        with pools:
            report = crawl(
                [CrawlTarget(s.site_code, s.url) for s in sites],
                options.crawl,
                database_url=settings.database_url,
                snapshots_dir=settings.snapshots_dir,
                progress=crawl_progress,
                site_done=site_crawled,
                outcomes=crawl_outcomes,
            )
            with store.session() as session:
                session.get(Run, run_id).crawl_id = report.crawl_id  # type: ignore[union-attr]
            if queue:
                queue.crawl_ended()
            store_judged(wait=True)
    finally:
        browser.close()
    outcomes = [stored_outcomes[site.site_code] for site in sites]

    notes = [n for n in dict.fromkeys((rendering.note, shots.note)) if n]
    if options.text_checks and (reason := typo_unavailable_reason()):
        notes.append(f"错别字检查不可用（{reason}），其余文字检查照常进行")
    with store.session() as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.options = {
            **run.options,
            "browser": {"chromium": chromium, "started": browser.used, "note": notes[0] if notes else None},
            "render": {"enabled": options.render, **rendering.record()},
            "screenshots": {
                "enabled": options.screenshots,
                "per_site": options.max_screenshots,
                **shots.record(),
            },
        }
        if _complete(session, run):
            run.status = "finished"
            run.finished_at = utcnow()
    return InspectionResult(run_id, report.crawl_id, outcomes, profile, notes)


def _complete(session: Session, run: Run) -> bool:
    """Whether every site the run was started with has a result: one site's task of a queued run (tasks.py)
    leaves the run running until the last; a run that names no sites (a plan's) is complete when it ends."""
    codes = (run.options or {}).get("site_codes")
    if not codes:
        return True
    stored = select(func.count()).select_from(SiteResult).where(SiteResult.run_id == run.id)
    return (session.scalar(stored) or 0) >= len(codes)


def _render_site(
    browser: LazyBrowser,
    snapshots: SnapshotStore,
    crawl_id: int,
    site: Site,
    stored: list[StoredPage],
    profile: Profile,
    options: InspectOptions,
    report: RenderReport,
) -> int:
    """Render the site's pages that need JavaScript; a failure here costs the rendering, never the run."""
    try:
        return render_site(
            browser,
            snapshots,
            crawl_id,
            site.site_code,
            stored,
            site.url,
            profile,
            options.as_of,
            report,
            limit=options.max_render_pages,
        )
    except Exception as exc:  # the raw snapshots are still there: extraction reads those
        report.failed["other"] += 1
        report.note = report.note or f"部分页面渲染失败：{exc}"[:300]
        return 0
