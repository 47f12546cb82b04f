"""严重表述错误, 错别字, 错敏词, personal data, illegal content, dark links, injected scripts.

The text checks ran at extraction (extract/content.py) and left their issues in the site model; here each
problem becomes one finding. The same wording in a shared template shows on every page: it is one problem,
reported on the first page with the others listed, so a header typo is not deducted fifty times.
"""

from __future__ import annotations

from datetime import date

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import ContentIssue, SiteModel
from govinspect.scoring.profile import Profile

MAX_PAGES_LISTED = 10


def _key(issue: ContentIssue) -> tuple[str, ...]:
    target = issue.evidence.get("target") or issue.evidence.get("src")
    if target:
        return (issue.check, str(target))
    return (issue.check, issue.text, issue.suggestion or "")


def check_content(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    grouped: dict[tuple[str, ...], list[ContentIssue]] = {}
    for issue in model.content:
        grouped.setdefault(_key(issue), []).append(issue)
    findings = []
    for issues in grouped.values():
        first = issues[0]
        pages = list(dict.fromkeys(i.url for i in issues))
        evidence = {
            **first.evidence,
            "text": first.text,
            "suggestion": first.suggestion,
            "context": first.context,
            "published": first.published.isoformat() if first.published else None,
            "where": first.where,
        }
        if len(pages) > 1:
            evidence["pages"] = pages[:MAX_PAGES_LISTED]
            evidence["page_count"] = len(pages)
        findings.append(
            Finding(
                first.check,
                first.url,
                first.message,
                {k: v for k, v in evidence.items() if v not in (None, "", [], {})},
                Severity(first.severity),
                first.snapshot_id,
            )
        )
    return findings
