"""Scoring an account: the site scoring engine, run on the profile's ``newmedia`` part.

The ``newmedia`` section carries its own ``vetoes``, ``deduction_groups``, ``deductions`` and ``pass_score`` in
the shapes of the site profile; they are read by the same profile reader, so a province overrides one
new-media item by id exactly as it overrides a site item.
"""

from __future__ import annotations

from collections.abc import Sequence

from govinspect.checks.finding import Finding
from govinspect.scoring import profile as profiles
from govinspect.scoring.engine import SiteScore, score_site
from govinspect.scoring.profile import Profile, ProfileError

_PARTS = ("vetoes", "deduction_groups", "deductions", "pass_score")
_CACHE: dict[int, tuple[Profile, Profile]] = {}


def newmedia_profile(profile: Profile) -> Profile:
    """The profile whose vetoes, deductions and pass score are the ``newmedia`` section's."""
    cached = _CACHE.get(id(profile))
    if cached is not None and cached[0] is profile:
        return cached[1]
    section = profile.section("newmedia")
    missing = [k for k in ("vetoes", "deduction_groups", "deductions") if k not in section]
    if missing:
        raise ProfileError(f"指标配置“{profile.id}”的 newmedia 部分缺少：{'、'.join(missing)}")
    document = dict(profile.settings) | {k: section[k] for k in _PARTS if k in section}
    document["bonus"] = {"min_part2": 100, "max_points": 0}  # no bonus part for accounts
    built = profiles._build(document, profile.lineage)  # the same reader as the site profile
    _CACHE[id(profile)] = (profile, built)
    return built


def score_account(findings: Sequence[Finding], profile: Profile) -> SiteScore:
    """Verdict, vetoes and score of one account under ``profile`` (the whole profile, not its part)."""
    return score_site(findings, newmedia_profile(profile))
