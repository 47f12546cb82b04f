"""The Chinese text checks over one site's stored pages, between extraction and the checks.

Kept beside the model builder rather than inside it: the builder reads structure (columns, dates, links,
footers), this step reads words. Both are pure functions of the same parsed snapshots.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from govinspect.extract.columns import is_article_url
from govinspect.extract.content import ContentOptions, ContentScan
from govinspect.extract.model import ContentIssue
from govinspect.extract.page import Page
from govinspect.runs.model_builder import SiteExtraction
from govinspect.scoring.profile import Profile


def content_options(profile: Profile) -> ContentOptions:
    section = profile.section("content")
    defaults = ContentOptions()
    return ContentOptions(
        typo_chars_per_site=int(section.get("typo_chars_per_site", defaults.typo_chars_per_site)),
        max_issues_per_page=int(section.get("max_issues_per_page", defaults.max_issues_per_page)),
    )


def _is_article(page: Page) -> bool:
    return is_article_url(page.url) or (
        page.article.displayed_date is not None and len(page.article.text) > 80
    )


def _with_profile_severity(issue: ContentIssue, profile: Profile) -> ContentIssue:
    """A profile may lower a check's severity (e.g. typos to notices while the checker is being proven)."""
    wanted = profile.section("content").get(f"{issue.check.removeprefix('content.')}_severity")
    if wanted in ("notice", "deduction") and issue.severity != "notice" and wanted != issue.severity:
        return replace(issue, severity=wanted)
    return issue


def scan_site(extraction: SiteExtraction, region: str = "") -> tuple[ContentIssue, ...]:
    """Every fetched page once (the homepage first, then in crawl order, which puts the newest articles before
    older ones), so the typo budget goes to what the circular would quote."""
    expected = extraction.expected
    home_page = extraction.home[1] if extraction.home is not None else None
    hosts = {urlsplit(u).hostname or "" for u in (extraction.home_url, home_page.url if home_page else "")}
    scan = ContentScan.for_site(
        [expected.name, expected.sponsor, region],
        sorted(h for h in hosts if h),
        extraction.as_of,
        content_options(extraction.profile),
        footer_text=home_page.footer.text if home_page is not None else "",
    )
    seen: set[int] = set()
    issues: list[ContentIssue] = []
    ordered = ([extraction.home] if extraction.home is not None else []) + list(extraction.pages.values())
    for snapshot, page in ordered:
        if snapshot.snapshot_id in seen or page.looks_binary:
            continue
        seen.add(snapshot.snapshot_id)
        issues += scan.page(
            page, page.decoded.text, snapshot_id=snapshot.snapshot_id, article=_is_article(page)
        )
    return tuple(_with_profile_severity(issue, extraction.profile) for issue in issues)
