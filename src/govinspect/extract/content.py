"""What the Chinese text checks find on a site's pages, kept in the site model as evidence.

Pure: a function of the parsed pages, the registry names and the dates. Wording is judged against the date the
page speaks for (its publication date when shown, else the monitoring time point), so the result does not
change when a stored run is re-scored under another ``as_of``, and it is computed once, at extraction.

Every page's visible text gets the fast checks (official-wording lexicon, personal data); every page's HTML
the hidden-link and injected-script checks; article bodies also the typo checker, within a per-site character
budget because that checker is the slow one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from govinspect.extract.model import ContentIssue
from govinspect.extract.page import Page
from govinspect.text.check import check_text
from govinspect.text.finding import TextFinding
from govinspect.text.hidden_links import find_html_threats
from govinspect.text.protect import Whitelist

CONTEXT_CHARS = 24
PHONE = re.compile(r"(?<!\d)(?:0\d{2,3}-?)?\d{7,8}(?!\d)|(?<!\d)1[3-9]\d{9}(?!\d)")


@dataclass(frozen=True)
class ContentOptions:
    typo_chars_per_site: int = 20_000  # article text given to the typo checker per site, newest pages first
    max_issues_per_page: int = 20


@dataclass
class ContentScan:
    """Scans one site's pages; the budget for typos is shared across them."""

    whitelist: Whitelist
    own_hosts: tuple[str, ...]
    as_of: date
    options: ContentOptions = field(default_factory=ContentOptions)
    official_numbers: tuple[str, ...] = ()
    typo_budget: int = 0

    @classmethod
    def for_site(
        cls,
        names: Iterable[str],
        own_hosts: Iterable[str],
        as_of: date,
        options: ContentOptions | None = None,
        footer_text: str = "",
    ) -> ContentScan:
        """``names``: registry names (site, sponsor, units, places) that are never spelling-checked.
        ``footer_text``: the homepage footer, whose contact numbers are the site's own, not personal data."""
        chosen = options or ContentOptions()
        return cls(
            whitelist=Whitelist(names),
            own_hosts=tuple(own_hosts),
            as_of=as_of,
            options=chosen,
            official_numbers=tuple(PHONE.findall(footer_text)),
            typo_budget=chosen.typo_chars_per_site,
        )

    def page(self, page: Page, html: str, *, snapshot_id: int | None, article: bool) -> list[ContentIssue]:
        issues: list[ContentIssue] = []
        published = _published(page) if article else None
        spoken = published if published and published <= self.as_of else self.as_of
        if article:
            text = "\n".join(t for t in (page.article.title or page.title, page.article.text) if t)
            where = "article"
        else:
            text, where = page.body_text, "page"
        typos = article and self.typo_budget > 0
        if typos:
            self.typo_budget -= len(text)
        for finding in check_text(
            text, as_of=spoken, whitelist=self.whitelist, typos=typos, official_numbers=self.official_numbers
        ):
            issues.append(_issue(finding, page.url, snapshot_id, where, published, text))
        for finding in find_html_threats(html, page_url=page.url, own_hosts=self.own_hosts):
            issues.append(_issue(finding, page.url, snapshot_id, "html", published, ""))
        return issues[: self.options.max_issues_per_page]


def _published(page: Page) -> date | None:
    return page.article.published or page.article.url_date


def _issue(
    finding: TextFinding, url: str, snapshot_id: int | None, where: str, published: date | None, text: str
) -> ContentIssue:
    context = ""
    if text and finding.end > finding.start:
        # finding.text stands in for the span itself: for personal data it is the masked number.
        before = text[max(0, finding.start - CONTEXT_CHARS) : finding.start]
        after = text[finding.end : finding.end + CONTEXT_CHARS]
        context = f"{before}{finding.text}{after}".replace("\n", " ")
    return ContentIssue(
        check=finding.check,
        url=url,
        snapshot_id=snapshot_id,
        severity=finding.severity,
        text=finding.text,
        suggestion=finding.suggestion,
        message=finding.message,
        context=context,
        where=where,
        published=published,
        evidence=dict(finding.evidence),
    )
