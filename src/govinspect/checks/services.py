"""服务不实用: no online services on the homepage (``service.missing``, a veto), and 办事指南 pages missing
elements of the profile's list (``service.guide_incomplete``: a deduction each; the profile's veto rule counts
those missing at least ``services.incomplete_missing_elements``, flagged ``many_missing`` in the evidence)."""

from __future__ import annotations

from datetime import date

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import SiteModel
from govinspect.scoring.profile import Profile

# A homepage with fewer links is likely drawn by scripts: what it lacks is for a person to confirm.
MIN_PAGE_LINKS = 20


def check_service_missing(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    services = model.services
    if not model.expected.has_services or services.page_url is None:
        return []
    if services.entries or services.guides:
        return []
    evidence = {
        "links_on_page": services.page_links,
        "looked_for": "办事服务/网上办事/政务服务/办事指南/在线办理栏目或入口、政务服务平台链接",
    }
    if services.page_links < MIN_PAGE_LINKS:
        return [
            Finding(
                "service.missing",
                services.page_url,
                f"首页未发现办事服务栏目或入口（首页仅 {services.page_links} 个链接，可能由脚本生成），需人工确认",
                evidence,
                Severity.NOTICE,
                services.snapshot_id,
            )
        ]
    return [
        Finding(
            "service.missing",
            services.page_url,
            "首页无办事服务栏目或入口，也未链接政务服务平台，无在线服务",
            evidence,
            Severity.DEDUCTION,
            services.snapshot_id,
        )
    ]


def check_guide_incomplete(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    section = profile.section("services")
    elements = [str(e) for e in section.get("guide_elements", ())]
    threshold = int(section.get("incomplete_missing_elements", 4))
    findings = []
    for guide in model.services.guides:
        shown = set(guide.elements) | set(guide.labels)
        missing = [e for e in elements if e not in shown]
        if not missing:
            continue
        findings.append(
            Finding(
                "service.guide_incomplete",
                guide.url,
                f"办事指南“{guide.title}”缺少 {len(missing)} 项要素：{'、'.join(missing)}",
                {
                    "guide": guide.title,
                    "missing": missing,
                    "present": list(guide.elements),
                    "missing_count": len(missing),
                    "many_missing": len(missing) >= threshold,
                    "threshold": threshold,
                },
                Severity.DEDUCTION,
                guide.snapshot_id,
            )
        )
    return findings
