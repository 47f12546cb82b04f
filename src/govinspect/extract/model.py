"""The site model: what extraction learned about one site, as pure data the checks read.

Built from a crawl's snapshots (see runs/), never from the network; so a run can be re-checked and re-scored
under another profile or ``as_of`` without fetching again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Expected:
    """What the registry says: what the site should print in its footer, and whether it offers services."""

    site_code: str
    name: str
    sponsor: str
    icp: str | None = None
    psb: str | None = None
    has_services: bool = True  # False: a department without external services (scored ×4/3 out of 75)


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at fetching the homepage."""

    status: int | None
    error: str | None  # dns|connect|tls|timeout|reset|http|… or None


@dataclass(frozen=True, slots=True)
class Homepage:
    url: str
    attempts: tuple[Attempt, ...]
    snapshot_id: int | None = None
    newest: date | None = None  # newest dated item shown on the homepage
    dated_items: int = 0
    navigation_only: bool = False  # a portal page with no dated items of its own

    @property
    def answered(self) -> bool:
        return any(a.status is not None and a.status < 400 for a in self.attempts)

    @property
    def blocked(self) -> bool:
        """A firewall answer (403/429) is not an outage."""
        return not self.answered and any(a.status in (403, 429) for a in self.attempts)


@dataclass(frozen=True, slots=True)
class Column:
    url: str
    name: str
    column_class: str | None  # a profile column class id, or None when unclassified
    status: int | None = 200
    snapshot_id: int | None = None
    items: int = 0
    undated: int = 0
    newest: date | None = None
    placeholder: str | None = None  # 暂无信息-style text shown instead of items
    ignored: bool = False  # an inspector's correction: not to be judged
    max_age_days: int | None = None  # an inspector's correction of the class's update period
    found_class: str | None = None  # what discovery said, before an inspector's correction


@dataclass(frozen=True, slots=True)
class Footer:
    page_url: str
    snapshot_id: int | None = None
    text: str = ""
    site_code: str | None = None  # as printed (may be malformed)
    icp: str | None = None
    psb: str | None = None
    conac: bool = False
    sponsor: str | None = None
    jiucuo: bool = False
    ads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LinkCheck:
    """A link target and what fetching it (twice, when it failed) gave."""

    target: str
    sources: tuple[str, ...]  # pages that link to it
    statuses: tuple[int | None, ...]
    errors: tuple[str | None, ...] = ()
    external: bool = False


@dataclass(frozen=True, slots=True)
class PageMeta:
    url: str
    snapshot_id: int | None
    present: frozenset[str]  # names of the meta tags the page has (as the profile spells them)
    kind: str = "article"  # home|column|article


@dataclass(frozen=True, slots=True)
class ContentIssue:
    """A text check's finding on one page (extract/content.py): wording, typos, personal data, hidden links."""

    check: str
    url: str
    snapshot_id: int | None
    severity: str  # veto | deduction | notice, as the text check judged it
    text: str  # the words found (masked for personal data)
    suggestion: str | None
    message: str
    context: str = ""  # the sentence around it (personal data masked)
    where: str = "page"  # article | page | html
    published: date | None = None  # the page's publication date, which the wording was judged against
    evidence: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SiteModel:
    expected: Expected
    homepage: Homepage
    columns: tuple[Column, ...] = ()
    footers: tuple[Footer, ...] = ()
    links: tuple[LinkCheck, ...] = ()
    metas: tuple[PageMeta, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)
    content: tuple[ContentIssue, ...] = ()
