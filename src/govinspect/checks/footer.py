"""Footer identity (INDICATORS.md §3): 网站标识码, ICP备案号, 公安备案号, 党政机关标识, 主办单位, 找错 entry, ads.

Judged on the homepage footer (the template every page shares), against the registry.
"""

from __future__ import annotations

import re
from datetime import date

from govinspect.checks.finding import Finding
from govinspect.extract.model import Footer, SiteModel
from govinspect.registry import identifiers
from govinspect.scoring.profile import Profile

_SPACE = re.compile(r"\s+")


def _footer(model: SiteModel) -> Footer | None:
    home = model.homepage.url
    for footer in model.footers:
        if footer.page_url == home:
            return footer
    return model.footers[0] if model.footers else None


def _squash(text: str) -> str:
    return _SPACE.sub("", identifiers.normalise(text))


def _finding(
    check: str, footer: Footer, message: str, variant: str, expected: str | None, found: str | None
) -> Finding:
    evidence = {"variant": variant, "expected": expected, "found": found}
    return Finding(check, footer.page_url, message, evidence, snapshot_id=footer.snapshot_id)


def _site_code(footer: Footer, expected: str) -> Finding | None:
    check = "footer.site_code"
    if not footer.site_code:
        return _finding(check, footer, "页脚未标注网站标识码", "missing", expected, None)
    printed = identifiers.normalise(footer.site_code)
    problem = identifiers.check_site_code(printed)
    if problem:
        return _finding(
            check,
            footer,
            f"页脚网站标识码“{footer.site_code}”格式错误：{problem}",
            "malformed",
            expected,
            footer.site_code,
        )
    if printed != expected:
        return _finding(
            check,
            footer,
            f"页脚网站标识码“{printed}”与名录中的“{expected}”不一致",
            "mismatch",
            expected,
            printed,
        )
    return None


def _filing(
    check: str, label: str, printed: str | None, expected: str | None, footer: Footer, problem_of
) -> Finding | None:  # type: ignore[no-untyped-def]
    if not printed:
        return _finding(check, footer, f"页脚未标注{label}", "missing", expected, None)
    problem = problem_of(printed)
    if problem:
        return _finding(
            check, footer, f"页脚{label}“{printed}”格式错误：{problem}", "malformed", expected, printed
        )
    if expected and _squash(printed) != _squash(expected):
        return _finding(
            check,
            footer,
            f"页脚{label}“{printed}”与名录中的“{expected}”不一致",
            "mismatch",
            expected,
            printed,
        )
    return None


def _sponsor(footer: Footer, expected: str) -> Finding | None:
    check = "footer.sponsor"
    if not footer.sponsor:
        return _finding(check, footer, "页脚未标注主办单位", "missing", expected, None)
    printed, wanted = _squash(footer.sponsor), _squash(expected)
    if wanted not in printed and printed not in wanted:
        return _finding(
            check,
            footer,
            f"页脚主办单位“{footer.sponsor}”与名录中的“{expected}”不一致",
            "mismatch",
            expected,
            footer.sponsor,
        )
    return None


def check_footer(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    if not model.homepage.answered:
        return []
    footer = _footer(model)
    if footer is None:
        return []
    expected = model.expected
    found = [
        _site_code(footer, expected.site_code),
        _filing("footer.icp", "ICP备案号", footer.icp, expected.icp, footer, identifiers.check_icp),
        _filing("footer.psb", "公安机关备案号", footer.psb, expected.psb, footer, identifiers.check_psb),
        _sponsor(footer, expected.sponsor),
    ]
    if not footer.conac:
        found.append(_finding("footer.conac", footer, "页脚未展示党政机关网站标识", "missing", None, None))
    if not footer.jiucuo:
        found.append(
            _finding("footer.jiucuo", footer, "页面未提供“我为政府网站找错”入口", "missing", None, None)
        )
    for ad in footer.ads:
        found.append(_finding("footer.ads", footer, f"页面含商业广告：{ad}", "ads", None, ad))
    return [f for f in found if f is not None]
