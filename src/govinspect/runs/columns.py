"""The column map an inspector corrects: export what a run discovered, import the corrections.

No heuristic classifies every site's columns right, so the discovered map goes out as a spreadsheet; the inspector
fixes a column's category, its update period, or marks it "ignore", and imports it back. Later runs (and
``rescore``) apply the corrections by column URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from govinspect.extract.model import SiteModel
from govinspect.registry.tabular import Row, read_table, write_table
from govinspect.runs.model_builder import Override
from govinspect.scoring.profile import Profile
from govinspect.store import Store
from govinspect.store.models import Site
from govinspect.store.results import ColumnOverride, Run, SiteResult

SITE_CODE = "网站标识码"
SITE_NAME = "网站名称"
COLUMN_NAME = "栏目名称"
COLUMN_URL = "栏目地址"
FOUND_CLASS = "识别类别"
CLASS = "更正类别"
MAX_AGE = "更新周期（天）"
IGNORE = "忽略"
ITEMS = "条目数"
NEWEST = "最新日期"
NOTE = "备注"
HEADERS = [
    SITE_CODE,
    SITE_NAME,
    COLUMN_NAME,
    COLUMN_URL,
    FOUND_CLASS,
    CLASS,
    MAX_AGE,
    IGNORE,
    ITEMS,
    NEWEST,
    NOTE,
]
REQUIRED = (SITE_CODE, COLUMN_URL, CLASS, MAX_AGE, IGNORE)

YES = {"是", "y", "yes", "true", "1", "忽略", "√"}
NO = {"", "否", "n", "no", "false", "0"}
MAX_AGE_LIMIT = 3650


class ColumnFileError(Exception):
    """Rows that cannot be imported; nothing was imported. Each error names its row and column."""

    def __init__(self, source: str, errors: list[str]):
        self.errors = errors
        super().__init__(f"栏目更正文件“{os.path.basename(source)}”有 {len(errors)} 处错误，未导入任何更正")


@dataclass
class ColumnImportReport:
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    sites: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Correction:
    site_code: str
    url: str
    name: str | None
    column_class: str | None
    max_age_days: int | None
    ignore: bool
    note: str | None

    @property
    def empty(self) -> bool:
        return self.column_class is None and self.max_age_days is None and not self.ignore and not self.note


def class_label(profile: Profile, class_id: str | None) -> str:
    if class_id is None:
        return ""
    found = profile.column_class(class_id)
    return found.name if found else class_id


def _class_id(profile: Profile, text: str) -> str | None:
    """A category as the inspector types it: its Chinese name (动态要闻) or its id (dynamic)."""
    for column_class in profile.column_classes:
        if text in (column_class.id, column_class.name):
            return column_class.id
    return None


def latest_results(session: Session, site_codes: Iterable[str] | None = None) -> dict[str, SiteResult]:
    """Each site's newest result of a finished run."""
    query = select(SiteResult).join(Run).where(Run.status == "finished").order_by(SiteResult.id)
    if site_codes is not None:
        query = query.where(SiteResult.site_code.in_(list(site_codes)))
    return {result.site_code: result for result in session.scalars(query)}


def export_columns(
    store: Store, path: str | os.PathLike[str], profile: Profile, site_codes: list[str]
) -> int:
    """Write the discovered columns of each site's latest run, with the corrections already in force."""
    rows: list[list[str]] = []
    with store.session() as session:
        names = {s.site_code: s.name for s in session.scalars(select(Site))}
        results = latest_results(session, site_codes or None)
        query = select(ColumnOverride).order_by(ColumnOverride.site_code, ColumnOverride.id)
        if site_codes:
            query = query.where(ColumnOverride.site_code.in_(site_codes))
        overrides: dict[tuple[str, str], ColumnOverride] = {
            (o.site_code, o.url): o for o in session.scalars(query)
        }
        codes = site_codes or sorted({*results, *(code for code, _ in overrides)})
        for code in codes:
            seen = set()
            for column in results[code].model.get("columns", []) if code in results else []:
                seen.add(column["url"])
                rows.append(
                    _row(profile, code, names.get(code, ""), column, overrides.get((code, column["url"])))
                )
            for (override_code, url), override in overrides.items():
                if override_code == code and url not in seen:  # corrected earlier, not seen in the latest run
                    rows.append(_row(profile, code, names.get(code, ""), {"url": url}, override))
    write_table(path, HEADERS, rows)
    return len(rows)


def _row(
    profile: Profile, code: str, site_name: str, column: Mapping, override: ColumnOverride | None
) -> list[str]:
    return [
        code,
        site_name,
        (override.name if override and override.name else None) or column.get("name") or "",
        column["url"],
        class_label(profile, column.get("found_class") or column.get("column_class")),
        class_label(profile, override.column_class) if override else "",
        str(override.max_age_days) if override and override.max_age_days is not None else "",
        "是" if override and override.ignore else "",
        str(column["items"]) if "items" in column else "",
        column.get("newest") or "",
        (override.note or "") if override else "",
    ]


def read_corrections(
    path: str | os.PathLike[str], profile: Profile, known_sites: set[str]
) -> list[Correction]:
    """Parse and validate the whole file first: one bad cell and nothing is imported."""
    table = read_table(path, header_predicate=lambda cells: SITE_CODE in cells and COLUMN_URL in cells)
    missing = [h for h in REQUIRED if h not in table.headers]
    if missing:
        raise ColumnFileError(table.source or str(path), [f"缺少列：{'、'.join(missing)}"])
    errors: list[str] = []
    corrections: dict[tuple[str, str], Correction] = {}
    for row in table.rows:
        correction = _correction(row, profile, known_sites, errors)
        if correction is None:
            continue
        key = (correction.site_code, correction.url)
        if key in corrections:
            errors.append(f"第{row.number}行“{COLUMN_URL}”列：该网站的这个栏目在文件中重复出现")
        corrections[key] = correction
    if errors:
        raise ColumnFileError(table.source or str(path), errors)
    return list(corrections.values())


def _correction(row: Row, profile: Profile, known_sites: set[str], errors: list[str]) -> Correction | None:
    def cell(name: str) -> str:
        return row.values.get(name, "").strip()

    def error(column: str, why: str) -> None:
        errors.append(f"第{row.number}行“{column}”列：{why}")

    code, url = cell(SITE_CODE), cell(COLUMN_URL)
    if not code and not url:
        return None
    before = len(errors)
    if code not in known_sites:
        error(SITE_CODE, f"名录中没有网站标识码“{code}”" if code else "不能为空")
    if not url.startswith(("http://", "https://")):
        error(COLUMN_URL, "应为以 http:// 或 https:// 开头的栏目网址")
    column_class = None
    if cell(CLASS):
        column_class = _class_id(profile, cell(CLASS))
        if column_class is None:
            names = "、".join(c.name for c in profile.column_classes)
            error(CLASS, f"不认识的类别“{cell(CLASS)}”，可选：{names}")
    max_age = None
    if cell(MAX_AGE):
        try:
            max_age = int(float(cell(MAX_AGE)))
            if not 1 <= max_age <= MAX_AGE_LIMIT or max_age != float(cell(MAX_AGE)):
                raise ValueError
        except ValueError:
            error(MAX_AGE, f"应为 1 到 {MAX_AGE_LIMIT} 之间的整数天数，而不是“{cell(MAX_AGE)}”")
            max_age = None
    ignore_text = cell(IGNORE).lower()
    if ignore_text not in YES | NO:
        error(IGNORE, f"应填“是”或留空，而不是“{cell(IGNORE)}”")
    if len(errors) > before:
        return None
    return Correction(
        site_code=code,
        url=url,
        name=cell(COLUMN_NAME) or None,
        column_class=column_class,
        max_age_days=max_age,
        ignore=ignore_text in YES,
        note=cell(NOTE) or None,
    )


def import_columns(store: Store, path: str | os.PathLike[str], profile: Profile) -> ColumnImportReport:
    """Store the corrections; a row with every correction cell empty removes that column's earlier correction."""
    with store.session() as session:
        known = set(session.scalars(select(Site.site_code)))
    corrections = read_corrections(path, profile, known)
    report = ColumnImportReport()
    with store.session() as session:
        existing = {
            (o.site_code, o.url): o
            for o in session.scalars(
                select(ColumnOverride).where(ColumnOverride.site_code.in_({c.site_code for c in corrections}))
            )
        }
        for correction in corrections:
            report.sites.add(correction.site_code)
            current = existing.get((correction.site_code, correction.url))
            if correction.empty:
                if current is not None:
                    session.delete(current)
                    report.removed += 1
                continue
            values = {
                "name": correction.name,
                "column_class": correction.column_class,
                "max_age_days": correction.max_age_days,
                "ignore": correction.ignore,
                "note": correction.note,
            }
            if current is None:
                session.add(ColumnOverride(site_code=correction.site_code, url=correction.url, **values))
                report.created += 1
            elif any(getattr(current, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(current, key, value)
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def apply_overrides(model: SiteModel, overrides: Mapping[str, Override]) -> SiteModel:
    """A stored model under today's corrections, so ``rescore`` honours corrections made (or removed) after
    the crawl: every column goes back to what discovery said, then the current correction, if any, applies."""
    columns = []
    for column in model.columns:
        override = overrides.get(column.url, Override())
        found = column.found_class or column.column_class
        columns.append(
            replace(
                column,
                column_class=override.column_class or found,
                found_class=found,
                name=override.name or column.name,
                ignored=override.ignore,
                max_age_days=override.max_age_days,
            )
        )
    return replace(model, columns=tuple(columns))
