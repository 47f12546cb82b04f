"""The registry in the database: import (all-or-nothing upsert by key), listing, export and summaries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from govinspect.registry.model import AccountRecord, Platform, RunStatus, SiteCategory, SiteRecord
from govinspect.registry.validate import RowError, read_registry, write_accounts, write_sites
from govinspect.store import Store
from govinspect.store.models import Account, Site, Unit

_SITE_FIELDS = ("name", "url", "region", "division_code", "category", "status", "icp", "psb")
_ACCOUNT_FIELDS = ("account_name", "region", "status", "registered")


class RegistryImportError(Exception):
    """A file with invalid rows: nothing was imported. Each error names its row and column."""

    def __init__(self, path: Path, errors: Sequence[RowError]):
        self.path = path
        self.errors = list(errors)
        super().__init__(f"{path.name}：{len(self.errors)} 处错误，未导入任何记录")


@dataclass
class ImportReport:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[RowError] = field(default_factory=list)
    keys: list[object] = field(default_factory=list)  # the keys imported, in file order

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def skipped_rows(self) -> int:
        """Errors are listed per cell; this is how many whole rows they left out."""
        return len({error.row for error in self.skipped})


def import_file(store: Store, path: Path, *, skip_invalid: bool = False) -> ImportReport:
    """Import a registry file; with invalid rows, nothing is written unless ``skip_invalid``."""
    validated = read_registry(path)
    if validated.errors and not skip_invalid:
        raise RegistryImportError(path, validated.errors)
    report = ImportReport(
        kind=validated.kind, skipped=list(validated.errors), keys=[r.key for r in validated.records]
    )
    with store.session() as session:
        if validated.kind == "sites":
            _upsert_sites(session, validated.records, report)
        else:
            _upsert_accounts(session, validated.records, report)
    return report


def _units(session: Session, names: Iterable[str]) -> dict[str, Unit]:
    wanted = set(names)
    units = {u.name: u for u in session.scalars(select(Unit).where(Unit.name.in_(wanted)))}
    for name in sorted(wanted - set(units)):
        units[name] = Unit(name=name)
        session.add(units[name])
    session.flush()
    return units


def _apply(row: Site | Account, values: dict[str, object]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _count(report: ImportReport, created: bool, changed: bool) -> None:
    if created:
        report.created += 1
    elif changed:
        report.updated += 1
    else:
        report.unchanged += 1


def _upsert_sites(session: Session, records: Sequence[SiteRecord], report: ImportReport) -> None:
    units = _units(session, (r.sponsor for r in records))
    codes = [r.site_code for r in records]
    existing = {s.site_code: s for s in session.scalars(select(Site).where(Site.site_code.in_(codes)))}
    for record in records:
        values: dict[str, object] = {f: getattr(record, f) for f in _SITE_FIELDS}
        values["category"] = record.category.value
        values["status"] = record.status.value
        values["unit_id"] = units[record.sponsor].id
        if record.has_services is not None:
            values["has_services"] = record.has_services
        site = existing.get(record.site_code)
        created = site is None
        if site is None:
            site = Site(site_code=record.site_code)
            session.add(site)
        _count(report, created, _apply(site, values))


def _upsert_accounts(session: Session, records: Sequence[AccountRecord], report: ImportReport) -> None:
    units = _units(session, (r.sponsor for r in records))
    existing = {(a.platform, a.account_id): a for a in session.scalars(select(Account))}
    for record in records:
        values: dict[str, object] = {f: getattr(record, f) for f in _ACCOUNT_FIELDS}
        values["status"] = record.status.value
        values["unit_id"] = units[record.sponsor].id
        account = existing.get(record.key)
        created = account is None
        if account is None:
            account = Account(platform=record.platform.value, account_id=record.account_id)
            session.add(account)
        _count(report, created, _apply(account, values))


def sites(session: Session, *, region: str | None = None, category: str | None = None) -> list[Site]:
    query = select(Site).options(joinedload(Site.unit)).order_by(Site.site_code)
    if region:
        query = query.where(Site.region == region)
    if category:
        query = query.where(Site.category == category)
    return list(session.scalars(query))


def accounts(session: Session, *, region: str | None = None, platform: str | None = None) -> list[Account]:
    query = select(Account).options(joinedload(Account.unit)).order_by(Account.platform, Account.account_id)
    if region:
        query = query.where(Account.region == region)
    if platform:
        query = query.where(Account.platform == platform)
    return list(session.scalars(query))


def site_record(site: Site) -> SiteRecord:
    return SiteRecord(
        site_code=site.site_code,
        name=site.name,
        url=site.url,
        sponsor=site.unit.name,
        region=site.region,
        category=SiteCategory(site.category),
        status=RunStatus(site.status),
        icp=site.icp,
        psb=site.psb,
        division_code=site.division_code,
        has_services=site.has_services,
    )


def account_record(account: Account) -> AccountRecord:
    return AccountRecord(
        platform=Platform(account.platform),
        account_name=account.account_name,
        account_id=account.account_id,
        sponsor=account.unit.name,
        region=account.region,
        status=RunStatus(account.status),
        registered=account.registered,
    )


def export_file(store: Store, path: Path, kind: str = "sites") -> int:
    """Write the registry in the import format (CSV or XLSX by extension); returns the number of rows."""
    with store.session() as session:
        if kind == "sites":
            site_records = [site_record(s) for s in sites(session)]
        else:
            account_records = [account_record(a) for a in accounts(session)]
    if kind == "sites":
        write_sites(path, site_records)
        return len(site_records)
    write_accounts(path, account_records)
    return len(account_records)


@dataclass
class Summary:
    """Counts for a circular-style table: rows are regions, columns categories (or platforms)."""

    regions: list[str]
    columns: list[str]
    counts: Counter[tuple[str, str]]

    def total(self, region: str | None = None, column: str | None = None) -> int:
        return sum(
            n
            for (r, c), n in self.counts.items()
            if (region is None or r == region) and (column is None or c == column)
        )


def _region_order(regions: Iterable[str]) -> list[str]:
    # Province-level groups first, as the circulars list them, then the rest by name.
    return sorted(set(regions), key=lambda r: (not r.startswith("省"), r))


def site_summary(session: Session, *, running_only: bool = True) -> Summary:
    query = select(Site.region, Site.category)
    if running_only:
        query = query.where(Site.status == RunStatus.RUNNING.value)
    counts = Counter((region, category) for region, category in session.execute(query))
    return Summary(_region_order(r for r, _ in counts), [c.value for c in SiteCategory], counts)


def account_summary(session: Session, *, running_only: bool = True) -> Summary:
    query = select(Account.region, Account.platform)
    if running_only:
        query = query.where(Account.status == RunStatus.RUNNING.value)
    counts = Counter((region, platform) for region, platform in session.execute(query))
    return Summary(_region_order(r for r, _ in counts), [p.value for p in Platform], counts)
