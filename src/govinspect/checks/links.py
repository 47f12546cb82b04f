"""Broken links, verified by a second request; firewall answers are notices (``links.blocked``), not breakage.

Network errors (reset, timeout…) count as broken only for links to other hosts: a link on the site's own host,
whose other pages answered, that fails at the network level says more about the moment (a flaky server, a
throttling firewall) than about the link, so it becomes a notice for a person to confirm. Profiles may list the
errors that do count for internal links under ``internal_broken_errors`` (none by default).
"""

from __future__ import annotations

from datetime import date

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import LinkCheck, SiteModel
from govinspect.scoring.profile import Profile


def _outcome(link: LinkCheck, rules: dict) -> str:  # type: ignore[type-arg]
    broken_statuses = set(rules.get("broken_statuses", []))
    broken_errors = set(rules.get("broken_errors", []))
    if not link.external:
        broken_errors &= set(rules.get("internal_broken_errors", []))
    blocked_statuses = set(rules.get("blocked_statuses", []))
    attempts = list(zip(link.statuses, link.errors or (None,) * len(link.statuses), strict=False))
    if any(status is not None and status < 400 for status, _ in attempts):
        return "ok"
    if any(status in blocked_statuses for status, _ in attempts):
        return "blocked"
    failed = [
        (status, error)
        for status, error in attempts
        if status in broken_statuses or (status is None and error in broken_errors)
    ]
    if len(failed) >= int(rules.get("min_failed_attempts", 2)) and len(failed) == len(attempts):
        return "broken"
    if len(attempts) >= 2 and all(status is None and error for status, error in attempts):
        return "uncertain"  # failed every time, at the network level
    return "unknown"


def check_links(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    rules = dict(profile.section("links"))
    findings = []
    for link in model.links:
        outcome = _outcome(link, rules)
        if outcome not in ("broken", "blocked", "uncertain"):
            continue
        source = link.sources[0] if link.sources else model.homepage.url
        evidence = {
            "target": link.target,
            "sources": list(link.sources[:10]),
            "source_count": len(link.sources),
            "statuses": list(link.statuses),
            "errors": list(link.errors),
            "kind": "external" if link.external else "internal",
        }
        last = link.statuses[-1] if link.statuses else None
        shown = f"HTTP {last}" if last is not None else (link.errors[-1] if link.errors else "无响应")
        if outcome == "broken":
            findings.append(
                Finding("links.broken", source, f"链接无法访问（{shown}）：{link.target}", evidence)
            )
        elif outcome == "uncertain":
            findings.append(
                Finding(
                    "links.broken",
                    source,
                    f"站内链接访问出错（{shown}），网站其他页面可以访问，需人工确认：{link.target}",
                    evidence,
                    Severity.NOTICE,
                )
            )
        else:
            findings.append(
                Finding(
                    "links.blocked",
                    source,
                    f"链接被拒绝访问（{shown}），可能为防火墙拦截，需人工确认：{link.target}",
                    evidence,
                    Severity.NOTICE,
                )
            )
    return findings
