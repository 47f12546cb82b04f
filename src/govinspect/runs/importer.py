"""Results in the ``inspect --json`` contract (INDICATORS.md §8): imported as a run, and written from a stored run.

``govinspect results import FILE.json`` takes the results of another run, another govinspect installation or
another tool, so they are reported (``govinspect report --period``) and shown (``govinspect show``) beside this
installation's own. Decisions:

- All or nothing. Every problem of the file is listed, each naming the site (its index in ``sites`` and its code)
  and the field; nothing is stored while one remains.
- Site codes must be in the registry: the contract carries no region, category or unit (主办单位), which the
  circular's tables are made of, so unknown sites are an error naming them (import the registry first).
- The run's period is ``--period``, else the document's own ``period`` (``inspect --json`` writes it), else the
  quarter of ``as_of``; an ``as_of`` before the period began is refused.
- Verdicts, scores, vetoes and findings are stored as the file says. When the file's profile is known here, the
  site is also scored from its findings; if that agrees with the file, the breakdown (fired veto rules, deductions,
  Part 2 and Part 3) is stored too, as for an inspection.
- §8 carries no site model, so by default an imported run has none: it cannot be re-scored, and the report's
  message statistics (留言办理, read from the models) leave its sites out. ``results export --with-models`` adds
  each site's stored model as a ``model`` field (allowed: “other fields may be added”); the import checks it reads
  back as a model of that site and stores it, and then the imported run is a full copy.
- A snapshot id in the file belongs to the database that wrote it: it is kept in the finding's evidence
  (``imported_snapshot_id``), not as a snapshot of this store.
- The same file (by its SHA-256) is imported once; ``again`` imports it as another run.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from govinspect.checks.finding import Finding, Severity
from govinspect.runs.contract import SiteOutcome, document
from govinspect.runs.period import PeriodError, check_as_of, parse_period, quarter_of
from govinspect.scoring.engine import Deduction, FiredVeto, SiteScore, score_site
from govinspect.store import Store
from govinspect.store.models import Site, utcnow
from govinspect.store.results import FindingRow, Run, SiteResult

VERDICTS = ("合格", "不合格")
SEVERITIES = tuple(s.value for s in Severity)
MAX_LISTED = 50  # errors listed; the count says how many more
SCORE_TOLERANCE = 0.005  # scores are printed with two decimals


class ResultsImportError(Exception):
    """The file cannot be imported; ``errors`` lists every problem found (Chinese, each naming site and field)."""

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        self.errors = list(errors)
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class ImportedFinding:
    check: str
    severity: str
    url: str
    message: str
    evidence: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImportedSite:
    index: int
    site_code: str
    name: str
    url: str
    verdict: str
    vetoes: tuple[str, ...]
    score: float | None
    findings: tuple[ImportedFinding, ...]
    model: dict[str, Any] | None = None  # a stored site model (``results export --with-models``), checked


@dataclass(frozen=True)
class ImportedDocument:
    as_of: date
    profile: str
    period: str | None
    sites: tuple[ImportedSite, ...]
    extra: dict[str, Any] = field(default_factory=dict)  # other top-level fields (run_id, …), kept on the run


# -- reading and validating -------------------------------------------------------------------------------------


def _reject_constant(name: str) -> float:
    raise ValueError(f"JSON 不允许 {name}")


def read_json(path: Path) -> tuple[Any, str]:
    """The parsed file and its SHA-256."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ResultsImportError(f"无法读取文件 {path}：{exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ResultsImportError(
            f"{path.name} 不是 UTF-8 编码的 JSON 文件（第 {exc.start} 字节处无法解码）"
        ) from exc
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ResultsImportError(
            f"{path.name} 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}"
        ) from exc
    except ValueError as exc:
        raise ResultsImportError(f"{path.name} 不是有效的 JSON：{exc}") from exc
    return data, hashlib.sha256(raw).hexdigest()


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:60] + "…"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate(data: Any) -> ImportedDocument:
    """The document, or :class:`ResultsImportError` listing every way it breaks the §8 contract."""
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ResultsImportError(
            "文件内容应为 JSON 对象（含 as_of、profile、sites），不是 " + type(data).__name__
        )
    as_of: date | None = None
    raw_as_of = data.get("as_of")
    if not isinstance(raw_as_of, str):
        errors.append(f"缺少 as_of（监测时间点，YYYY-MM-DD），文件中为 {_shown(raw_as_of)}")
    else:
        try:
            as_of = date.fromisoformat(raw_as_of.strip())
        except ValueError:
            errors.append(f"as_of 应为 YYYY-MM-DD 格式的日期，文件中为 {_shown(raw_as_of)}")
    profile = data.get("profile")
    if not isinstance(profile, str) or not profile.strip():
        errors.append(f"缺少 profile（指标配置名称），文件中为 {_shown(profile)}")
    period = data.get("period")
    if period is not None:
        if not isinstance(period, str):
            errors.append(f"period 应为检查期（如 2020Q1），文件中为 {_shown(period)}")
            period = None
        else:
            try:
                period = parse_period(period).text
            except PeriodError as exc:
                errors.append(f"period：{exc}")
                period = None
    raw_sites = data.get("sites")
    sites: list[ImportedSite] = []
    if not isinstance(raw_sites, list):
        errors.append(f"缺少 sites（网站结果列表），文件中为 {_shown(raw_sites)}")
    elif not raw_sites:
        errors.append("sites 为空：文件中没有任何网站的结果")
    else:
        seen: dict[str, int] = {}
        for index, entry in enumerate(raw_sites):
            site = _site(index, entry, errors)
            code = entry.get("site_code") if isinstance(entry, dict) else None
            code = code.strip() if isinstance(code, str) else None
            if code and code in seen:
                errors.append(f"{_where(index, code)}：网站标识码与第 {seen[code] + 1} 个网站重复")
                continue
            if code:
                seen[code] = index
            if site is not None:
                sites.append(site)
    if errors:
        raise ResultsImportError(_summary(errors), errors)
    assert as_of is not None and isinstance(profile, str)
    extra = {k: v for k, v in data.items() if k not in ("as_of", "profile", "period", "sites")}
    return ImportedDocument(as_of, profile.strip(), period, tuple(sites), extra)


def _summary(errors: Sequence[str]) -> str:
    return f"文件不符合结果文件约定（INDICATORS.md §8），共 {len(errors)} 处错误，未导入任何结果"


def _where(index: int, code: str | None = None) -> str:
    return f"第 {index + 1} 个网站（sites[{index}]{'，' + code if code else ''}）"


def _site(index: int, entry: Any, errors: list[str]) -> ImportedSite | None:
    if not isinstance(entry, dict):
        errors.append(f"{_where(index)}应为 JSON 对象，文件中为 {_shown(entry)}")
        return None
    code = entry.get("site_code")
    code = code.strip() if isinstance(code, str) else code
    if not isinstance(code, str) or not code:
        errors.append(f"{_where(index)}：缺少 site_code（网站标识码），文件中为 {_shown(code)}")
        return None
    where = _where(index, code)
    before = len(errors)

    def need_text(name: str) -> str:
        value = entry.get(name)
        if not isinstance(value, str):
            errors.append(f"{where}：{name} 应为字符串，文件中为 {_shown(value)}")
            return ""
        return value

    name, url = need_text("name"), need_text("url")
    verdict = entry.get("verdict")
    if verdict not in VERDICTS:
        errors.append(f"{where}：verdict 应为“合格”或“不合格”，文件中为 {_shown(verdict)}")
    vetoes = entry.get("vetoes")
    if not isinstance(vetoes, list) or not all(isinstance(v, str) and v.strip() for v in vetoes):
        errors.append(f"{where}：vetoes 应为单项否决名称（字符串）的列表，文件中为 {_shown(vetoes)}")
        vetoes = []
    score = entry.get("score")
    if score is not None and not (_is_number(score) and score >= 0):
        errors.append(f"{where}：score 应为非负数或 null，文件中为 {_shown(score)}")
        score = None
    elif len(errors) == before:
        if vetoes and verdict != "不合格":
            errors.append(f"{where}：有单项否决（{'、'.join(vetoes)}），verdict 却为 {_shown(verdict)}")
        if vetoes and score is not None:
            errors.append(f"{where}：有单项否决时 score 应为 null，文件中为 {_shown(score)}")
        if not vetoes and score is None:
            errors.append(f"{where}：没有单项否决时应有 score（得分），文件中为 null")
    findings = []
    raw_findings = entry.get("findings")
    if not isinstance(raw_findings, list):
        errors.append(f"{where}：findings 应为问题列表，文件中为 {_shown(raw_findings)}")
        raw_findings = []
    for number, item in enumerate(raw_findings):
        finding = _finding(f"{where}的 findings[{number}]", item, errors)
        if finding is not None:
            findings.append(finding)
    model = entry.get("model")
    if model is not None:
        _check_model(where, code, model, errors)
    if len(errors) > before:
        return None
    return ImportedSite(
        index,
        code,
        name,
        url,
        str(verdict),
        tuple(v.strip() for v in vetoes),
        None if score is None else float(score),
        tuple(findings),
        model,
    )


def _check_model(where: str, code: str, model: Any, errors: list[str]) -> None:
    """An optional field beyond §8: the site model, so message statistics and re-scoring work on the import."""
    from govinspect.runs.serialize import model_from_dict

    if not isinstance(model, dict):
        errors.append(f"{where}：model 应为网站模型（JSON 对象），文件中为 {_shown(model)}")
        return
    try:
        built = model_from_dict(model)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        errors.append(f"{where}：model 不是本版本可读的网站模型（{str(exc)[:120]}）")
        return
    if built.expected.site_code != code:
        errors.append(f"{where}：model 属于网站 {built.expected.site_code}，不是 {code}")


def _finding(where: str, item: Any, errors: list[str]) -> ImportedFinding | None:
    if not isinstance(item, dict):
        errors.append(f"{where} 应为 JSON 对象，文件中为 {_shown(item)}")
        return None
    before = len(errors)
    values: dict[str, str] = {}
    for name in ("check", "url", "message"):
        value = item.get(name)
        if not isinstance(value, str) or (name == "check" and not value.strip()):
            errors.append(
                f"{where}.{name} 应为{'非空' if name == 'check' else ''}字符串，文件中为 {_shown(value)}"
            )
        else:
            values[name] = value.strip() if name == "check" else value
    severity = item.get("severity")
    if severity not in SEVERITIES:
        errors.append(f"{where}.severity 应为 veto、deduction 或 notice，文件中为 {_shown(severity)}")
    evidence = item.get("evidence", {})
    if not isinstance(evidence, dict):
        errors.append(f"{where}.evidence 应为 JSON 对象，文件中为 {_shown(evidence)}")
    snapshot = item.get("snapshot_id")
    if snapshot is not None and (not isinstance(snapshot, int) or isinstance(snapshot, bool)):
        errors.append(f"{where}.snapshot_id 应为整数，文件中为 {_shown(snapshot)}")
    if len(errors) > before:
        return None
    evidence = dict(evidence)
    if snapshot is not None:
        evidence["imported_snapshot_id"] = snapshot
    return ImportedFinding(values["check"], str(severity), values["url"], values["message"], evidence)


# -- importing ----------------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    run_id: int
    period: str
    period_from: str  # 参数 | 文件 | 监测时间点
    as_of: date
    profile: str
    sites: int
    failed: int
    findings: int
    rescored: int  # sites whose breakdown was recomputed and agreed with the file
    notes: list[str] = field(default_factory=list)


def import_results(
    store: Store,
    path: Path,
    *,
    period: str | None = None,
    again: bool = False,
    profiles_dir: Path | None = None,
) -> ImportReport:
    """Validate the whole file, then store it as one finished run of kind ``import`` in one transaction."""
    data, digest = read_json(path)
    doc = validate(data)
    try:
        if period is not None:
            chosen, source = parse_period(period), "参数"
        elif doc.period is not None:
            chosen, source = parse_period(doc.period), "文件"
        else:
            chosen, source = quarter_of(doc.as_of), "监测时间点"
        check_as_of(chosen, doc.as_of)
    except PeriodError as exc:
        raise ResultsImportError(str(exc)) from exc
    profile = _profile(doc.profile, profiles_dir)
    with store.session() as session:
        if not again:
            for run_id, options in session.execute(
                select(Run.id, Run.options).where(Run.kind == "import", Run.status == "finished")
            ):
                if (options or {}).get("sha256") == digest:
                    raise ResultsImportError(
                        f"{path.name} 已于检查任务 {run_id} 导入过（内容相同）；如确需再导入一次，加 --again"
                    )
        codes = [s.site_code for s in doc.sites]
        known: dict[str, Site] = {}
        for start in range(0, len(codes), 500):
            for site in session.scalars(select(Site).where(Site.site_code.in_(codes[start : start + 500]))):
                known[site.site_code] = site
        unknown = [s for s in doc.sites if s.site_code not in known]
        if unknown:
            errors = [
                f"{_where(s.index, s.site_code)}：名录中没有这个网站标识码（{s.name}）" for s in unknown
            ]
            raise ResultsImportError(
                f"名录中没有 {len(unknown)} 个网站标识码：{'、'.join(s.site_code for s in unknown[:20])}"
                f"{'等' if len(unknown) > 20 else ''}。请先用 govinspect registry import 导入这些网站，未导入任何结果",
                errors,
            )
        report = ImportReport(
            run_id=0,
            period=chosen.text,
            period_from=source,
            as_of=doc.as_of,
            profile=doc.profile,
            sites=len(doc.sites),
            failed=sum(1 for s in doc.sites if s.verdict == "不合格"),
            findings=sum(len(s.findings) for s in doc.sites),
            rescored=0,
        )
        run = Run(
            kind="import",
            period=chosen.text,
            as_of=doc.as_of,
            profile=doc.profile,
            status="finished",
            options={
                "source_file": path.name,
                "sha256": digest,
                "sites": len(doc.sites),
                "period_from": source,
                "document": doc.extra,
            },
        )
        session.add(run)
        session.flush()
        renamed = []
        disagree = []
        for site in doc.sites:
            registered = known[site.site_code]
            if site.name and site.name != registered.name:
                renamed.append(f"{site.site_code}（文件：{site.name}；名录：{registered.name}）")
            breakdown = _rescore(site, profile, registered.has_services is not False)
            if breakdown is None and profile is not None:
                disagree.append(site.site_code)
            report.rescored += breakdown is not None
            result = SiteResult(
                run_id=run.id,
                site_id=registered.id,
                site_code=site.site_code,
                verdict=site.verdict,
                score=site.score,
                part2=breakdown.part2 if breakdown else None,
                part3=breakdown.part3 if breakdown else None,
                vetoes=list(site.vetoes),
                fired=_fired_rows(breakdown) if breakdown else [],
                deductions=_deduction_rows(breakdown) if breakdown else [],
                has_services=registered.has_services is not False,
                model=site.model or {},
            )
            result.findings = [
                FindingRow(
                    check=f.check,
                    severity=f.severity,
                    raw_severity=f.severity,
                    url=f.url,
                    message=f.message,
                    evidence=f.evidence,
                    snapshot_id=None,
                )
                for f in site.findings
            ]
            session.add(result)
        run.options = {**run.options, "rescored": report.rescored}
        run.finished_at = utcnow()
        report.run_id = run.id
    if renamed:
        report.notes.append(
            f"{len(renamed)} 个网站的名称与名录不同，通报按名录名称：{'；'.join(renamed[:5])}{'等' if len(renamed) > 5 else ''}"
        )
    if profile is None:
        report.notes.append(f"本机没有指标配置 {doc.profile}：按文件中的结论与得分保存，无扣分明细")
    elif disagree:
        report.notes.append(
            f"{len(disagree)} 个网站按指标配置 {doc.profile} 由问题重新计分的结论或得分与文件不同，"
            f"以文件为准（无扣分明细）：{'、'.join(disagree[:10])}{'等' if len(disagree) > 10 else ''}"
        )
    return report


def _profile(name: str, profiles_dir: Path | None):  # type: ignore[no-untyped-def]
    from govinspect.scoring.profile import ProfileError, load_profile

    try:
        return load_profile(name, user_dir=profiles_dir)
    except ProfileError:
        return None


def _rescore(site: ImportedSite, profile, has_services: bool) -> SiteScore | None:  # type: ignore[no-untyped-def]
    """The site scored from its findings, when that agrees with the file (verdict, vetoes, score, severities)."""
    if profile is None:
        return None
    findings = [Finding(f.check, f.url, f.message, f.evidence, Severity(f.severity)) for f in site.findings]
    score = score_site(findings, profile, has_services=has_services)
    same_score = (score.score is None and site.score is None) or (
        score.score is not None
        and site.score is not None
        and abs(score.score - site.score) <= SCORE_TOLERANCE
    )
    severities = [s.value for s in score.severities]
    if (
        score.verdict == site.verdict
        and same_score
        and score.veto_names == list(site.vetoes)
        and severities == [f.severity for f in site.findings]
    ):
        return score
    return None


def _fired_rows(score: SiteScore) -> list[dict[str, Any]]:
    return [
        {"rule": v.rule_id, "name": v.name, "condition": v.condition, "count": v.count} for v in score.vetoes
    ]


def _deduction_rows(score: SiteScore) -> list[dict[str, Any]]:
    return [
        {"item": d.item_id, "group": d.group, "count": d.count, "points": d.points} for d in score.deductions
    ]


# -- stored runs back to outcomes and the contract ------------------------------------------------------------


def stored_outcomes(store: Store, run_id: int) -> list[SiteOutcome]:
    """Every site of a stored run as the inspection returned it (for a resumed run, the sites of every attempt)."""
    outcomes = []
    with store.session() as session:
        query = (
            select(SiteResult, Site)
            .join(Site, SiteResult.site_id == Site.id)
            .where(SiteResult.run_id == run_id)
            .order_by(SiteResult.site_code)
        )
        for result, site in session.execute(query).all():
            fired = {f.get("name"): f for f in result.fired or []}
            vetoes = [
                FiredVeto(
                    str(fired.get(name, {}).get("rule", "")),
                    name,
                    int(fired.get(name, {}).get("condition", 0)),
                    int(fired.get(name, {}).get("count", 0)),
                    (),
                )
                for name in result.vetoes or []
            ]
            deductions = [
                Deduction(d["item"], d["group"], int(d["count"]), float(d["points"]))
                for d in result.deductions or []
            ]
            findings = [
                Finding(
                    f.check, f.url, f.message, dict(f.evidence or {}), Severity(f.raw_severity), f.snapshot_id
                )
                for f in result.findings
            ]
            score = SiteScore(
                result.verdict,
                vetoes,
                result.score,
                result.part2,
                result.part3,
                deductions,
                [Severity(f.severity) for f in result.findings],
            )
            outcomes.append(SiteOutcome(site.site_code, site.name, site.url, findings, score))
    return outcomes


def run_document(store: Store, run_id: int, *, models: bool = False) -> dict[str, Any]:
    """The §8 document of a stored run (what ``inspect --json`` wrote, for any run: resumed, re-scored, imported);
    ``models`` adds each site's stored model, so an import elsewhere keeps message statistics and re-scoring."""
    with store.session() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise ResultsImportError(f"没有编号为 {run_id} 的检查任务")
        if run.status != "finished":
            raise ResultsImportError(f"检查任务 {run_id} 尚未完成（状态：{run.status}）")
        as_of, profile, period, kind = run.as_of, run.profile, run.period, run.kind
        stored = (
            dict(
                session.execute(
                    select(SiteResult.site_code, SiteResult.model).where(SiteResult.run_id == run_id)
                ).all()
            )
            if models
            else {}
        )
    extra: dict[str, Any] = {"run_id": run_id, "kind": kind}
    if period:
        extra["period"] = period
    data = document(as_of, profile, stored_outcomes(store, run_id), **extra)
    for entry in data["sites"]:
        if stored.get(entry["site_code"]):
            entry["model"] = stored[entry["site_code"]]
    return data
