"""Scoring a site's findings under a profile (INDICATORS.md §1): vetoes, Part 2 deductions, Part 3 bonus.

Pure: the same findings, profile and flags always give the same verdict, so a stored run can be re-scored
under another profile without re-crawling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from govinspect.checks.finding import Finding, Severity
from govinspect.scoring.profile import Profile

PASS = "合格"
FAIL = "不合格"


@dataclass(frozen=True, slots=True)
class FiredVeto:
    rule_id: str
    name: str
    condition: int  # which of the rule's conditions held (0-based)
    count: int  # how many findings it counted
    findings: tuple[int, ...]  # indices into the scored findings


@dataclass(frozen=True, slots=True)
class Deduction:
    item_id: str
    group: str
    count: int
    points: float


@dataclass
class SiteScore:
    verdict: str
    vetoes: list[FiredVeto]
    score: float | None  # Part 2 + Part 3; None when a veto fired
    part2: float | None
    part3: float | None
    deductions: list[Deduction]
    severities: list[Severity] = field(default_factory=list)  # aligned with the findings scored

    @property
    def veto_names(self) -> list[str]:
        return list(dict.fromkeys(v.name for v in self.vetoes))


def _counts(finding: Finding) -> bool:
    """Notices are evidence for a person to confirm: they never fire a veto or cost points."""
    return finding.severity is not Severity.NOTICE


def _problem_key(finding: Finding) -> tuple[str, str, str]:
    # One broken target linked from ten pages is one problem; so is one stale column seen twice. Two different
    # wrong words on one page are two problems.
    evidence = finding.evidence
    return (finding.check, str(evidence.get("target") or finding.url), str(evidence.get("text") or ""))


def _fired(profile: Profile, findings: Sequence[Finding]) -> list[FiredVeto]:
    fired = []
    for rule in profile.vetoes:
        for number, condition in enumerate(rule.conditions):
            matched: dict[tuple[str, str, str], int] = {}
            for index, finding in enumerate(findings):
                if _counts(finding) and condition.matches(finding.check, finding.evidence):
                    matched.setdefault(_problem_key(finding), index)
            if len(matched) >= condition.at_least:
                fired.append(FiredVeto(rule.id, rule.name, number, len(matched), tuple(matched.values())))
                break
    return fired


def _part2(
    profile: Profile, findings: Sequence[Finding], has_services: bool
) -> tuple[float, list[Deduction]]:
    by_check = {check: item for item in profile.deductions for check in item.checks}
    problems: dict[str, set[tuple[str, str, str]]] = {}
    for finding in findings:
        item = by_check.get(finding.check)
        if item is not None and _counts(finding):
            problems.setdefault(item.id, set()).add(_problem_key(finding))
    deductions = []
    per_group: dict[str, float] = {}
    for item in profile.deductions:
        count = len(problems.get(item.id, ()))
        if count:
            points = min(item.each * count, item.cap)
            deductions.append(Deduction(item.id, item.group, count, points))
            per_group[item.group] = per_group.get(item.group, 0.0) + points
    scored_groups = [g for g in profile.groups if has_services or g.id != "service"]
    available = sum(g.points for g in scored_groups)
    lost = sum(min(per_group.get(g.id, 0.0), g.points) for g in scored_groups)
    part2 = available - lost
    if not has_services:
        part2 *= profile.department_without_services_scale
    return round(min(part2, 100.0), 2), deductions


def score_site(
    findings: Sequence[Finding],
    profile: Profile,
    *,
    has_services: bool = True,
    bonus_points: float = 0.0,
) -> SiteScore:
    """``has_services`` False: a department without external services, scored out of 75 and scaled ×4/3."""
    fired = _fired(profile, findings)
    in_veto = {index for veto in fired for index in veto.findings}
    deducted_checks = {check for item in profile.deductions for check in item.checks}
    severities = [
        Severity.NOTICE
        if not _counts(f)
        else Severity.VETO
        if i in in_veto
        else Severity.DEDUCTION
        if f.check in deducted_checks
        else f.severity
        for i, f in enumerate(findings)
    ]
    if fired:
        return SiteScore(FAIL, fired, None, None, None, [], severities)
    part2, deductions = _part2(profile, findings, has_services)
    part3 = min(bonus_points, profile.bonus_max_points) if part2 > profile.bonus_min_part2 else 0.0
    verdict = PASS if part2 >= profile.pass_score else FAIL
    return SiteScore(verdict, [], round(part2 + part3, 2), part2, part3, deductions, severities)
