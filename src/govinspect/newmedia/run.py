"""A new-media check run: stored posts and source states -> facts -> checks -> scores -> stored results.

Nothing here fetches: collection (collect.py) is a separate step, so a run can be repeated under another
profile or ``as_of`` on the same posts. A running registry account is judged (合格/不合格) when anything is
known of its posts (a source answered, or a list was imported); an account that cannot be judged, is closed
in the registry, or is not in it at all gets a result only when reconciliation found something, with no
verdict. The JSON mirrors the site contract (INDICATORS.md §8) with ``accounts`` in place of ``sites``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govinspect.checks.finding import Finding, Severity
from govinspect.newmedia.accounts import load_accounts, registry_pks
from govinspect.newmedia.checks import run_checks
from govinspect.newmedia.model import (
    AccountFacts,
    AccountInfo,
    AccountKey,
    MenuProbe,
    Post,
    SeenAccount,
    SourceFact,
    SourceSpec,
    aware,
)
from govinspect.newmedia.reconcile import closed_seen, unregistered_seen
from govinspect.newmedia.scoring import score_account
from govinspect.newmedia.tables import AccountFindingRow, AccountResult, NewMediaRun, PostRow, SourceState
from govinspect.scoring.engine import SiteScore
from govinspect.scoring.profile import Profile
from govinspect.store import Store
from govinspect.text.check import check_text

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class AccountOutcome:
    account: AccountInfo
    findings: Sequence[Finding]
    score: SiteScore | None  # None: not judged (reconciliation findings only)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def judged(self) -> bool:
        return self.score is not None


@dataclass
class NewMediaResult:
    run_id: int
    as_of: date
    profile: Profile
    period: str | None
    outcomes: list[AccountOutcome]
    not_collected: int = 0  # running registry accounts with nothing known of their posts


def _account_of_unlisted(key: AccountKey, name: str | None) -> AccountInfo:
    return AccountInfo(
        key=key, name=name or key.account_id, unit="", region="", registered=False, listed=False
    )


def load_facts(session: Session, keys: Iterable[AccountKey] | None = None) -> list[AccountFacts]:
    """Facts of every registry account (or of ``keys``), plus accounts known only from imported posts."""
    wanted = set(keys) if keys is not None else None
    accounts = [a for a in load_accounts(session) if wanted is None or a.key in wanted]
    listed = {a.key for a in accounts}
    all_listed = set(registry_pks(session))
    posts: dict[AccountKey, list[Post]] = defaultdict(list)
    for row in session.scalars(select(PostRow)):
        key = AccountKey(row.platform, row.account_id)
        if wanted is not None and key not in wanted:
            continue
        posts[key].append(
            Post(
                row.post_key,
                row.title,
                row.text,
                aware(row.published_at),
                row.url,
                row.post_id,
                row.source,
                row.source_url,
                aware(row.fetched_at),
            )
        )
    sources: dict[AccountKey, list[SourceFact]] = defaultdict(list)
    probes: dict[AccountKey, list[MenuProbe]] = defaultdict(list)
    first: dict[AccountKey, datetime] = {}
    imported: set[AccountKey] = set()
    for state in session.scalars(select(SourceState)):
        key = AccountKey(state.platform, state.account_id)
        if state.kind == "menu":
            probes[key].append(
                MenuProbe(state.url, tuple(a[0] for a in state.attempts), tuple(a[1] for a in state.attempts))
            )
            continue
        if state.kind == "import":
            imported.add(key)
        sources[key].append(
            SourceFact(
                state.url,
                state.kind,
                state.ok,
                state.status,
                state.error,
                aware(state.fetched_at),
                state.items,
                state.closed_text,
            )
        )
        when = aware(state.first_fetched_at)
        if when is not None and (key not in first or when < first[key]):
            first[key] = when
    groups: dict[tuple[str, str], list[AccountInfo]] = defaultdict(list)
    for account in load_accounts(session) if wanted is not None else accounts:
        if account.running:
            groups[(account.unit, account.key.platform)].append(account)
    unlisted = [
        _account_of_unlisted(key, None) for key in posts if key not in all_listed and key not in listed
    ]
    facts = []
    for account in [*accounts, *unlisted]:
        key = account.key
        peers = (
            tuple(p for p in groups.get((account.unit, key.platform), ()) if p.key != key)
            if account.listed
            else ()
        )
        facts.append(
            AccountFacts(
                account=account,
                posts=tuple(posts.get(key, ())),
                sources=tuple(sources.get(key, ())),
                menu_probes=tuple(probes.get(key, ())),
                peers=peers,
                imported=key in imported,
                first_collected=first.get(key),
            )
        )
    return facts


def judge(facts: AccountFacts, profile: Profile, as_of: date) -> AccountOutcome:
    """Checks and score of one account (pure)."""
    findings = run_checks(facts, profile, as_of)
    account = facts.account
    judged = (
        account.listed
        and account.running
        and facts.collected
        and not any(s.closed_text for s in facts.sources)
    )
    score = score_account(findings, profile) if judged else None
    dated = [p.day for p in facts.posts if p.day is not None and p.day <= as_of]
    summary = {
        "latest": max(dated).isoformat() if dated else None,
        "posts": len(dated),
        "sources": [
            {
                "url": s.url,
                "kind": s.kind,
                "ok": s.ok,
                "status": s.status,
                "error": s.error,
                **({"closed_text": s.closed_text} if s.closed_text else {}),
            }
            for s in facts.sources
        ],
        "collected": facts.collected,
    }
    return AccountOutcome(account, findings, score, summary)


PARALLEL_FROM = 200  # accounts: below this, one process judges them (a pool's start-up costs more)
CHUNK = 25


def _judge_chunk(args: tuple[list[AccountFacts], Profile, date]) -> list[AccountOutcome]:
    chunk, profile, as_of = args
    return [judge(one, profile, as_of) for one in chunk]


def judge_all(
    facts: Sequence[AccountFacts],
    profile: Profile,
    as_of: date,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[AccountOutcome]:
    """Judge every account, in worker processes when there are many: the text checks (the typo checker
    above all) are CPU-bound. The checkers are loaded once here first, so forked workers share them."""
    count = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if count <= 1 or len(facts) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        outcomes = []
        for done, one in enumerate(facts, start=1):
            outcomes.append(judge(one, profile, as_of))
            if progress:
                progress(done, len(facts))
        return outcomes
    check_text("预热", as_of=as_of)  # load the lexicon and the typo model before forking
    chunks = [list(facts[i : i + CHUNK]) for i in range(0, len(facts), CHUNK)]
    outcomes = []
    with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork")) as pool:
        for result in pool.map(_judge_chunk, [(c, profile, as_of) for c in chunks]):
            outcomes.extend(result)
            if progress:
                progress(len(outcomes), len(facts))
    return outcomes


def check_accounts(
    store: Store,
    profile: Profile,
    as_of: date,
    *,
    period: str | None = None,
    keys: Iterable[AccountKey] | None = None,
    progress: Progress | None = None,
    options: dict[str, Any] | None = None,
    workers: int | None = None,
    seen: Sequence[SeenAccount] = (),
) -> NewMediaResult:
    """Judge the accounts from stored posts, store a run with its results, and return the outcomes."""
    with store.session() as session:
        run = NewMediaRun(
            period=period, as_of=as_of, profile=profile.id, status="running", options=options or {}
        )
        session.add(run)
        session.flush()
        run_id = run.id
        facts = load_facts(session, keys)
        pks = registry_pks(session)
    outcomes: list[AccountOutcome] = []
    not_collected = 0
    for one, outcome in zip(
        facts, judge_all(facts, profile, as_of, workers=workers, progress=progress), strict=True
    ):
        if one.account.listed and one.account.running and not one.collected:
            not_collected += 1
        if outcome.judged or outcome.findings:
            outcomes.append(outcome)
    if seen:
        registry = [f.account for f in facts if f.account.listed]
        at = {o.account.key: i for i, o in enumerate(outcomes)}
        for info, finding in closed_seen(seen, registry):  # on the closed account's own result
            if info.key in at:
                old = outcomes[at[info.key]]
                outcomes[at[info.key]] = AccountOutcome(
                    info, [*old.findings, finding], old.score, old.summary
                )
            else:
                at[info.key] = len(outcomes)
                outcomes.append(AccountOutcome(info, [finding], None, {"seen": finding.evidence["how"]}))
        for account, finding in unregistered_seen(seen, registry):
            platform = str(account.evidence.get("platform", ""))
            info = AccountInfo(AccountKey(platform, f"name:{account.name}"), account.name, "", "", registered=False,
                               listed=False, sources=(SourceSpec(account.where),))  # fmt: skip
            outcomes.append(AccountOutcome(info, [finding], None, {"seen": account.how}))
    with store.session() as session:
        for outcome in outcomes:
            session.add(_result_row(run_id, outcome, pks.get(outcome.account.key)))
        run = session.get(NewMediaRun, run_id)
        assert run is not None
        run.status = "finished"
        run.finished_at = datetime.now(UTC)
        judged = [o for o in outcomes if o.judged]
        run.summary = {
            "judged": len(judged),
            "failed": sum(1 for o in judged if o.score and o.score.verdict == "不合格"),
            "not_collected": not_collected,
            "reconciliation_only": len(outcomes) - len(judged),
        }
    return NewMediaResult(run_id, as_of, profile, period, outcomes, not_collected)


def _result_row(run_id: int, outcome: AccountOutcome, account_pk: int | None) -> AccountResult:
    score = outcome.score
    severities = score.severities if score else [f.severity for f in outcome.findings]
    row = AccountResult(
        run_id=run_id,
        account_pk=account_pk,
        platform=outcome.account.key.platform,
        account_id=outcome.account.key.account_id,
        name=outcome.account.name,
        verdict=score.verdict if score else None,
        score=score.score if score else None,
        vetoes=score.veto_names if score else [],
        fired=[
            {"rule": v.rule_id, "name": v.name, "condition": v.condition, "count": v.count}
            for v in score.vetoes
        ]
        if score
        else [],
        deductions=[
            {"item": d.item_id, "group": d.group, "count": d.count, "points": d.points}
            for d in score.deductions
        ]
        if score
        else [],
        facts=outcome.summary,
    )
    row.findings = [
        AccountFindingRow(
            check=f.check,
            severity=Severity(s).value,
            raw_severity=f.severity.value,
            url=f.url,
            message=f.message,
            evidence=f.evidence,
        )
        for f, s in zip(outcome.findings, severities, strict=True)
    ]
    return row


def account_entry(outcome: AccountOutcome) -> dict[str, Any]:
    score = outcome.score
    severities = score.severities if score else [f.severity for f in outcome.findings]
    account = outcome.account
    return {
        "platform": account.key.platform,
        "account_id": account.key.account_id,
        "name": account.name,
        "unit": account.unit,
        "url": account.home,
        "registered": account.registered if account.listed else None,
        "verdict": score.verdict if score else None,
        "vetoes": score.veto_names if score else [],
        "score": score.score if score else None,
        "findings": [
            {
                "check": f.check,
                "severity": Severity(s).value,
                "url": f.url,
                "message": f.message,
                "evidence": f.evidence,
            }
            for f, s in zip(outcome.findings, severities, strict=True)
        ],
    }


def document(result: NewMediaResult) -> dict[str, Any]:
    return {
        "as_of": result.as_of.isoformat(),
        "profile": result.profile.id,
        "run_id": result.run_id,
        **({"period": result.period} if result.period else {}),
        "accounts": [account_entry(o) for o in result.outcomes],
    }


def latest_results(session: Session, period: str | None) -> dict[tuple[str, str], AccountResult]:
    """Per account, its judged result from the latest finished new-media run of ``period`` (for reports)."""
    if not period:
        return {}
    runs = session.scalars(
        select(NewMediaRun.id)
        .where(NewMediaRun.period == period, NewMediaRun.status == "finished")
        .order_by(NewMediaRun.id)
    ).all()
    chosen: dict[tuple[str, str], AccountResult] = {}
    for run_id in runs:
        for result in session.scalars(
            select(AccountResult).where(AccountResult.run_id == run_id, AccountResult.verdict.is_not(None))
        ):
            chosen[(result.platform, result.account_id)] = result
    return chosen
