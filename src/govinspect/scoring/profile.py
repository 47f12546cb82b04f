"""Indicator profiles: YAML files where every threshold and point value lives (INDICATORS.md).

A profile may ``extends:`` another; mappings merge key by key, lists of mappings that carry an ``id`` merge
item by item (so a province overrides one deduction without restating the rest), other values replace.
Profiles are found by file path, then in the user's folder (``$GOVINSPECT_HOME/profiles``), then shipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SHIPPED = Path(__file__).parent / "profiles"
DEFAULT_PROFILE = "national-2019"


class ProfileError(Exception):
    """A profile that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class ColumnClass:
    id: str
    name: str
    max_age_days: int | None
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    checks: tuple[str, ...]
    at_least: int = 1
    where: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def matches(self, check: str, evidence: Mapping[str, Any]) -> bool:
        if check not in self.checks:
            return False
        return all(str(evidence.get(key)) in values for key, values in self.where)


@dataclass(frozen=True, slots=True)
class VetoRule:
    id: str
    name: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class DeductionGroup:
    id: str
    name: str
    points: float
    placeholder: bool


@dataclass(frozen=True, slots=True)
class DeductionItem:
    id: str
    group: str
    checks: tuple[str, ...]
    each: float
    cap: float
    placeholder: bool


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    title: str
    pass_score: float
    bonus_min_part2: float
    bonus_max_points: float
    department_without_services_scale: float
    homepage_max_age_days: int
    undated_counts_as_stale: bool
    column_classes: tuple[ColumnClass, ...]
    vetoes: tuple[VetoRule, ...]
    groups: tuple[DeductionGroup, ...]
    deductions: tuple[DeductionItem, ...]
    settings: Mapping[str, Any]  # the merged document, for sections checks read directly
    lineage: tuple[str, ...]  # this profile and the ones it extends, nearest first

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.settings.get(name, {})
        return value if isinstance(value, Mapping) else {}

    def column_class(self, class_id: str) -> ColumnClass | None:
        return next((c for c in self.column_classes if c.id == class_id), None)

    @property
    def has_placeholders(self) -> bool:
        return any(g.placeholder for g in self.groups) or any(d.placeholder for d in self.deductions)


def merge(base: Any, override: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    if _is_id_list(base) and _is_id_list(override):
        merged_items = {item["id"]: item for item in base}
        order = [item["id"] for item in base]
        for item in override:
            if item["id"] in merged_items:
                merged_items[item["id"]] = merge(merged_items[item["id"]], item)
            else:
                merged_items[item["id"]] = item
                order.append(item["id"])
        return [merged_items[i] for i in order]
    return override


def _is_id_list(value: Any) -> bool:
    return (
        isinstance(value, list) and bool(value) and all(isinstance(i, Mapping) and "id" in i for i in value)
    )


def _find(name: str, search: Sequence[Path]) -> Path:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    for folder in search:
        for suffix in (".yaml", ".yml"):
            path = folder / f"{name}{suffix}"
            if path.is_file():
                return path
    known = sorted({p.stem for folder in search if folder.is_dir() for p in folder.glob("*.y*ml")})
    raise ProfileError(f"找不到指标配置“{name}”（可用：{'、'.join(known) or '无'}）")


def _read(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProfileError(f"指标配置 {path} 无法读取：{exc}") from exc
    if not isinstance(document, dict):
        raise ProfileError(f"指标配置 {path} 应为键值结构")
    return document


def _resolve(
    name: str, search: Sequence[Path], seen: tuple[str, ...]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    path = _find(name, search)
    document = _read(path)
    profile_id = str(document.get("id") or path.stem)
    if profile_id in seen:
        raise ProfileError(f"指标配置的继承关系成环：{' → '.join((*seen, profile_id))}")
    parent = document.get("extends")
    if not parent:
        return document, (profile_id,)
    base, lineage = _resolve(str(parent), search, (*seen, profile_id))
    merged = merge(base, {k: v for k, v in document.items() if k != "extends"})
    return merged, (profile_id, *lineage)


def load_profile(name: str = DEFAULT_PROFILE, *, user_dir: Path | None = None) -> Profile:
    search = [d for d in (user_dir, SHIPPED) if d is not None]
    document, lineage = _resolve(name, search, ())
    return _build(document, lineage)


def shipped_profiles() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


class _Reader:
    """Typed access to a profile document that names the key in every error."""

    def __init__(self, profile_id: str):
        self.profile_id = profile_id

    def fail(self, key: str, why: str) -> ProfileError:
        return ProfileError(f"指标配置“{self.profile_id}”的 {key}：{why}")

    def number(
        self, data: Mapping[str, Any], key: str, where: str, *, optional: bool = False
    ) -> float | None:
        value = data.get(key)
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(f"{where}.{key}", f"应为非负数，实际为 {value!r}")
        return float(value)

    def strings(self, data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = data.get(key)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{where}.{key}", "应为非空的字符串列表")
        return tuple(value)

    def items(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) and "id" in v for v in value):
            raise self.fail(key, "应为带 id 的条目列表")
        return value


def _build(doc: Mapping[str, Any], lineage: tuple[str, ...]) -> Profile:
    read = _Reader(lineage[0])
    bonus = doc.get("bonus") or {}
    freshness = doc.get("freshness") or {}
    classes = []
    for class_id, spec in (freshness.get("column_classes") or {}).items():
        if not isinstance(spec, Mapping):
            raise read.fail(f"freshness.column_classes.{class_id}", "应为键值结构")
        age = read.number(spec, "max_age_days", f"freshness.column_classes.{class_id}", optional=True)
        keywords = spec.get("keywords") or []
        classes.append(
            ColumnClass(
                str(class_id),
                str(spec.get("name", class_id)),
                None if age is None else int(age),
                tuple(keywords),
            )
        )

    vetoes = []
    for rule in read.items(doc, "vetoes"):
        conditions = []
        for i, spec in enumerate(rule.get("when") or []):
            where = f"vetoes.{rule['id']}.when[{i}]"
            if "any" in spec:
                conditions.append(Condition(read.strings(spec, "any", where), 1))
            elif "count" in spec:
                at_least = read.number(spec, "at_least", where)
                filters = tuple(
                    (str(k), tuple(str(x) for x in (v if isinstance(v, list) else [v])))
                    for k, v in (spec.get("where") or {}).items()
                )
                conditions.append(Condition(read.strings(spec, "count", where), int(at_least or 1), filters))
            else:
                raise read.fail(where, "条件应写 any 或 count")
        if not conditions:
            raise read.fail(f"vetoes.{rule['id']}.when", "至少需要一个条件")
        vetoes.append(VetoRule(str(rule["id"]), str(rule.get("name", rule["id"])), tuple(conditions)))

    groups = tuple(
        DeductionGroup(
            str(g["id"]),
            str(g.get("name", g["id"])),
            float(read.number(g, "points", f"deduction_groups.{g['id']}") or 0),
            bool(g.get("placeholder")),
        )
        for g in read.items(doc, "deduction_groups")
    )
    group_ids = {g.id for g in groups}
    total = sum(g.points for g in groups)
    if groups and abs(total - 100) > 1e-6:
        raise read.fail("deduction_groups", f"各组分值之和应为100，实际为 {total:g}")
    deductions = []
    claimed: dict[str, str] = {}
    for item in read.items(doc, "deductions"):
        where = f"deductions.{item['id']}"
        if item.get("group") not in group_ids:
            raise read.fail(f"{where}.group", f"“{item.get('group')}”不是已定义的扣分组")
        checks = read.strings(item, "checks", where)
        for check in checks:
            if check in claimed:
                raise read.fail(f"{where}.checks", f"{check} 已由 {claimed[check]} 扣分，同一问题不重复扣分")
            claimed[check] = str(item["id"])
        deductions.append(
            DeductionItem(
                str(item["id"]), str(item["group"]), checks,
                float(read.number(item, "each", where) or 0), float(read.number(item, "cap", where) or 0),
                bool(item.get("placeholder")),
            )
        )  # fmt: skip

    return Profile(
        id=lineage[0],
        title=str(doc.get("title", lineage[0])),
        pass_score=float(read.number(doc, "pass_score", "") or 0),
        bonus_min_part2=float(read.number(bonus, "min_part2", "bonus") or 0),
        bonus_max_points=float(read.number(bonus, "max_points", "bonus") or 0),
        department_without_services_scale=float(
            read.number(doc, "department_without_services_scale", "") or 1
        ),
        homepage_max_age_days=int(read.number(freshness, "homepage_max_age_days", "freshness") or 0),
        undated_counts_as_stale=bool(freshness.get("undated_counts_as_stale", True)),
        column_classes=tuple(classes),
        vetoes=tuple(vetoes),
        groups=groups,
        deductions=tuple(deductions),
        settings=doc,
        lineage=lineage,
    )
