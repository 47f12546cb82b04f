"""The queries behind the 新媒体 pages: registered accounts with their latest judged result, one account's
findings and recent posts. A unit user sees only their units' accounts (by ``Account.unit_id``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from govinspect.checks.names import SEVERITY_NAMES, check_name
from govinspect.newmedia.tables import AccountFindingRow, AccountResult, NewMediaRun, PostRow
from govinspect.store.models import Account, Unit
from govinspect.web.auth import Principal
from govinspect.web.data import PAGE_SIZE, NotFound, QueryArgs

VERDICTS = ("合格", "不合格", "未判定")
RECENT_POSTS = 20


def scoped_accounts(query: Select, principal: Principal) -> Select:
    """Restrict a query that involves ``Account`` to the accounts the user may see."""
    if principal.sees_all:
        return query
    return query.where(Account.unit_id.in_(sorted(principal.unit_ids or ())))


def _latest():  # type: ignore[no-untyped-def]
    """Per registered account, its newest result from a finished new-media run."""
    return (
        select(AccountResult.account_pk.label("account_pk"), func.max(AccountResult.id).label("result_id"))
        .join(NewMediaRun, NewMediaRun.id == AccountResult.run_id)
        .where(NewMediaRun.status == "finished", AccountResult.account_pk.is_not(None))
        .group_by(AccountResult.account_pk)
        .subquery()
    )


@dataclass(frozen=True)
class AccountFilter(QueryArgs):
    q: str = ""
    platform: str = ""
    region: str = ""
    verdict: str = ""
    unit: int | None = None
    page: int = 1


@dataclass(frozen=True)
class AccountRow:
    id: int
    platform: str
    account_id: str
    name: str
    unit: str
    region: str
    status: str
    verdict: str | None
    score: float | None
    vetoes: tuple[str, ...]
    latest_post: str | None
    as_of: date | None


@dataclass(frozen=True)
class AccountPage:
    rows: list[AccountRow]
    total: int
    page: int
    pages: int
    filters: AccountFilter


@dataclass(frozen=True)
class AccountOptions:
    platforms: list[str]
    regions: list[str]
    units: list[tuple[int, str]]


def _row(account: Account, unit: str, result: AccountResult | None, as_of: date | None) -> AccountRow:
    facts = (result.facts or {}) if result else {}
    return AccountRow(
        account.id, account.platform, account.account_id, account.account_name, unit, account.region,
        account.status, result.verdict if result else None, result.score if result else None,
        tuple(result.vetoes or ()) if result else (), facts.get("latest"), as_of,
    )  # fmt: skip


def list_accounts(
    session: Session, principal: Principal, filters: AccountFilter, size: int = PAGE_SIZE
) -> AccountPage:
    latest = _latest()
    query = (
        select(Account, Unit.name, AccountResult, NewMediaRun.as_of)
        .join(Unit, Account.unit_id == Unit.id)
        .outerjoin(latest, latest.c.account_pk == Account.id)
        .outerjoin(AccountResult, AccountResult.id == latest.c.result_id)
        .outerjoin(NewMediaRun, NewMediaRun.id == AccountResult.run_id)
    )
    query = scoped_accounts(query, principal)
    if q := filters.q.strip()[:100]:
        query = query.where(
            or_(
                Account.account_name.contains(q, autoescape=True),
                Account.account_id.contains(q, autoescape=True),
                Unit.name.contains(q, autoescape=True),
            )
        )
    if filters.platform:
        query = query.where(Account.platform == filters.platform)
    if filters.region:
        query = query.where(Account.region == filters.region)
    if filters.unit is not None:
        query = query.where(Account.unit_id == filters.unit)
    if filters.verdict == "未判定":
        query = query.where(or_(AccountResult.id.is_(None), AccountResult.verdict.is_(None)))
    elif filters.verdict:
        query = query.where(AccountResult.verdict == filters.verdict)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // size))
    page = min(max(1, filters.page), pages)
    rows = session.execute(
        query.order_by(Account.platform, Account.account_name, Account.id)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return AccountPage([_row(a, u, r, d) for a, u, r, d in rows], total, page, pages, filters)


def account_options(session: Session, principal: Principal) -> AccountOptions:
    base = scoped_accounts(select(Account), principal).subquery()
    platforms = sorted(session.scalars(select(base.c.platform).distinct()))
    regions = sorted(session.scalars(select(base.c.region).distinct()))
    units = session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_(select(base.c.unit_id))).order_by(Unit.name)
    ).all()
    return AccountOptions(platforms, regions, [(i, n) for i, n in units])


@dataclass(frozen=True)
class AccountFinding:
    check: str
    check_name: str
    severity: str
    severity_name: str
    url: str
    message: str
    evidence: list[tuple[str, str]]  # (key, value as text)


@dataclass(frozen=True)
class Post:
    title: str
    text: str
    url: str | None
    published_at: datetime | None
    source: str


@dataclass(frozen=True)
class AccountDetail:
    row: AccountRow
    run_id: int | None
    period: str | None
    deductions: list[dict[str, Any]]
    findings: list[AccountFinding]
    sources: list[dict[str, Any]]
    posts: list[Post] = field(default_factory=list)


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def account_detail(session: Session, principal: Principal, account_pk: int) -> AccountDetail:
    account = session.get(Account, account_pk)
    if account is None or not (principal.sees_all or account.unit_id in (principal.unit_ids or ())):
        raise NotFound(str(account_pk))
    unit = session.scalar(select(Unit.name).where(Unit.id == account.unit_id)) or ""
    latest = _latest()
    found = session.execute(
        select(AccountResult, NewMediaRun)
        .join(latest, latest.c.result_id == AccountResult.id)
        .join(NewMediaRun, NewMediaRun.id == AccountResult.run_id)
        .where(latest.c.account_pk == account.id)
    ).first()
    result, run = (found[0], found[1]) if found else (None, None)
    findings: list[AccountFinding] = []
    if result is not None:
        rows = session.scalars(
            select(AccountFindingRow)
            .where(AccountFindingRow.result_id == result.id)
            .order_by(AccountFindingRow.id)
        )
        findings = [
            AccountFinding(
                f.check,
                check_name(f.check),
                f.severity,
                SEVERITY_NAMES.get(f.severity, f.severity),
                f.url,
                f.message,
                [(str(k), _text(v)) for k, v in (f.evidence or {}).items()],
            )
            for f in rows
        ]
    posts = session.scalars(
        select(PostRow)
        .where(PostRow.platform == account.platform, PostRow.account_id == account.account_id)
        .order_by(PostRow.published_at.desc().nulls_last(), PostRow.id.desc())
        .limit(RECENT_POSTS)
    )
    return AccountDetail(
        _row(account, unit, result, run.as_of if run else None),
        run.id if run else None,
        run.period if run else None,
        list(result.deductions or []) if result else [],
        findings,
        list((result.facts or {}).get("sources") or []) if result else [],
        [Post(p.title, p.text, p.url, p.published_at, p.source) for p in posts],
    )
