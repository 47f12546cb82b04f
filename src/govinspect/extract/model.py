"""The site model: what extraction learned about one site, as pure data the checks read.

Built from a crawl's snapshots (see runs/), never from the network; so a run can be re-checked and re-scored
under another profile or ``as_of`` without fetching again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


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


@dataclass(frozen=True, slots=True)
class DatedItem:
    """The dates one published item carries, source by source (extract/dating.py): the raw evidence of
    ``content.fake_date``. Which sources a site keeps reliably is learned across its items by the check."""

    url: str
    snapshot_id: int | None
    title: str
    displayed: date | None  # next to a label on the page itself (发布时间：…)
    meta: date | None = None  # meta PubDate and the like, written by the CMS
    url_date: date | None = None  # the date a CMS put into the URL when the item was created
    listed: date | None = None  # beside the item's link on a column list page
    list_url: str | None = None
    fetched: date | None = None  # the day the page was fetched
    sequence: int | None = None  # a CMS sequence number in the URL (art_12_456.html -> 456)
    sequence_scheme: str | None = None  # the URL, that number masked: numbers compare within one scheme


@dataclass(frozen=True, slots=True)
class ListSeen:
    """One list page of a column as a run saw it: the items it showed, newest first, with their dates. Kept so
    a later run can tell an item that appeared afterwards under an earlier date (back-dating)."""

    url: str
    column_url: str
    fetched: date | None
    urls: tuple[str, ...]
    dates: tuple[date | None, ...]  # aligned with urls
    run_id: int | None = None  # the earlier run, when read back as history


@dataclass(frozen=True, slots=True)
class PolicyItem:
    """A policy document or an interpretation the crawl saw (extract/policy.py): fetched, or only listed."""

    url: str
    kind: str  # document | interpretation
    title: str
    snapshot_id: int | None = None
    fetched: bool = True  # False: known from a list entry only (its page was not fetched)
    doc_no: str | None = None  # 文号 of a document, as printed
    published: date | None = None
    names: tuple[str, ...] = ()  # the 《…》 titles it cites or carries
    doc_nos: tuple[str, ...] = ()  # 文号 an interpretation's text cites
    links: tuple[str, ...] = ()  # the items its page links to (canonical URLs)
    column_url: str | None = None
    interpretation_kind: str | None = None  # 文字解读 | 图解 | 视频解读 | 问答


@dataclass(frozen=True, slots=True)
class Certificate:
    """The certificate a server presented, read even when verification failed."""

    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    names: tuple[str, ...] = ()  # subjectAltName DNS names and IP addresses


@dataclass(frozen=True, slots=True)
class TlsProbe:
    """A TLS handshake with the site's host (fetch/transport.py), verified against the system CAs."""

    host: str
    port: int
    probed_at: datetime  # the probe's own clock (UTC): a certificate expires in real time, not at as_of
    verified: bool | None = None  # None: no handshake verified or failed verification (see error)
    verify_error: str | None = None  # OpenSSL's reason when verification failed
    verify_code: int | None = None
    certificate: Certificate | None = None
    error: str | None = None  # the probe itself failed (connect, timeout, handshake): recorded, not judged


@dataclass(frozen=True, slots=True)
class Ipv6Probe:
    """Whether the site's host is served over IPv6: an AAAA record and a connection that succeeds."""

    host: str
    port: int
    status: str  # served | no_aaaa | unreachable | not_tested
    addresses: tuple[str, ...] = ()
    reason: str | None = None  # why not tested, or the connection errors
    probed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MixedResource:
    """An http:// subresource of a page, reported on the first page (homepage first) that loads it."""

    page_url: str
    snapshot_id: int | None
    url: str
    kind: str  # script | stylesheet | iframe | frame | embed | object | img | audio | video | icon …
    active: bool  # scripts, styles, frames, plugins: browsers block them on an https page
    pages: int = 1  # fetched pages that load it


@dataclass(frozen=True, slots=True)
class Transport:
    """How the site is served: its scheme, the network probes run after the crawl, and mixed content."""

    scheme: str | None = None  # of the homepage as served (after redirects); None when it never answered
    host: str | None = None
    tls: TlsProbe | None = None
    ipv6: Ipv6Probe | None = None
    mixed: tuple[MixedResource, ...] = ()


@dataclass(frozen=True, slots=True)
class Channel:
    """A link to an online consultation/suggestion entrance (留言, 咨询, 信箱…), or an excluded one (信访, 举报)."""

    name: str
    url: str
    found_on: str  # the page that links to it
    where: str = "page"  # home | sitemap | page


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a message board, from its detail page and/or its list row (extract/interaction.py)."""

    url: str  # the detail page (the list page when the row links nowhere)
    title: str
    board: str | None = None  # the list page that shows its row
    submitted: datetime | None = None
    replied: datetime | None = None
    unit: str | None = None  # 答复单位
    status: str | None = None  # as printed
    state: str = "unknown"  # answered | pending | invalid | unknown
    state_basis: str | None = None  # status | reply | no_reply_shown
    missing: tuple[str, ...] = ()  # submit_time / reply_time: shown nowhere, though its place was there
    detail: bool = False  # its detail page was read
    record: int = 0  # the record's index on a page that shows several
    snapshot_id: int | None = None


@dataclass(frozen=True, slots=True)
class Survey:
    """A 征集调查 / 征求意见 item, its period, and the result published for it (if one was seen)."""

    url: str
    title: str
    start: date | None = None
    end: date | None = None
    period: str = ""  # the text the period was read from
    result_url: str | None = None
    result_title: str | None = None
    listed: bool = False  # a list page (its column) other than the homepage was read
    snapshot_id: int | None = None


@dataclass(frozen=True, slots=True)
class Interaction:
    """Interaction facts: channels, message boards and surveys (互动交流)."""

    judged: bool = False  # the homepage was read
    home_links: int = 0  # visible links on the homepage (few: a scripted page, channels may be unseen)
    sitemap: bool = False  # a 网站地图 page was read
    channels: tuple[Channel, ...] = ()
    excluded: tuple[Channel, ...] = ()
    boards: tuple[str, ...] = ()  # list pages that show message tables
    messages: tuple[Message, ...] = ()
    surveys: tuple[Survey, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchBox:
    """A site-search box on the homepage: a form a probe can submit, or a box a script drives (not probed)."""

    action: str | None  # absolute; None for a scripted box
    method: str = "get"
    param: str | None = None  # the text input's name
    fields: tuple[tuple[str, str], ...] = ()  # every field a browser sends, in order (the text input's too)
    accept_charset: str | None = None
    scripted: bool = False
    max_length: int | None = None  # the text input's maxlength: a browser cuts the query there
    signals: int = 0  # how plainly it is a site search (search-like action, 搜索 button, hinted input…)


@dataclass(frozen=True, slots=True)
class SearchProbe:
    """One search for the exact title of a recent article (fetch/search_probe.py) and what the result showed."""

    query: str
    article_url: str
    article_date: date | None
    url: str  # the search URL requested (GET: with its query; POST: the action)
    method: str = "get"
    status: int | None = None
    error: str | None = None
    found: bool | None = None  # None: not judged (blocked, refused, results drawn by a script…)
    hits: int | None = None  # the result count the page printed
    note: str | None = None


@dataclass(frozen=True, slots=True)
class SiteSearch:
    """The homepage's site search (extract/search.py) and the probes run against it after the crawl."""

    page_url: str
    snapshot_id: int | None = None
    boxes: tuple[SearchBox, ...] = ()
    links: tuple[str, ...] = ()  # links to a search page ("text url")
    hints: tuple[str, ...] = ()  # search words in the page's scripts or markup, where no box was found
    page_links: int = 0  # links on the homepage (a near-empty page is not judged)
    encoding: str | None = None  # the homepage's encoding: a form without accept-charset sends in it
    probes: tuple[SearchProbe, ...] = ()
    probe_note: str | None = None  # why no probe ran


@dataclass(frozen=True, slots=True)
class ServiceGuide:
    """A 办事指南 page and the guide elements it shows (extract/services.py)."""

    url: str
    snapshot_id: int | None
    title: str
    elements: tuple[str, ...]  # canonical element names found (synonyms mapped), in the profile's order
    labels: tuple[str, ...] = ()  # the labels as printed


@dataclass(frozen=True, slots=True)
class Services:
    """Online services: service columns, entries and platform links on the homepage, and the guides read."""

    page_url: str | None = None  # the homepage; None when it was not read
    snapshot_id: int | None = None
    entries: tuple[str, ...] = ()  # what shows services ("text url"), a few
    page_links: int = 0
    guides: tuple[ServiceGuide, ...] = ()


@dataclass(frozen=True, slots=True)
class ProbeSeen:
    """One availability probe of the homepage (fetch/probe.py), from the probe store: attached when judging."""

    at: datetime  # when it started (UTC)
    vantage: str  # the network it was made from
    error: str | None = None  # None: the homepage opened; dns|connect|tls|timeout|reset|http|blocked|…
    status: int | None = None
    latency_ms: int | None = None


@dataclass(frozen=True, slots=True)
class CrawlOutcome:
    """How the crawl of the site ended (fetch/worker.py ``site_outcome``), attached when judging: whether the pages
    read are all that the crawl would have read. ``reason`` None: complete; else failures | time_budget |
    page_budget | crawl_ended."""

    reason: str | None = None
    detail: str | None = None  # the crawler's own words when it stopped the site
    pages: int = 0  # fetched without error
    requests: int = 0
    max_pages: int | None = None  # the page budget
    unfetched: int = 0  # URLs found and never fetched (a floor: new finds counted up to 2,000)
    unfetched_columns: int = 0  # of them, column pages
    unfetched_sample: tuple[str, ...] = ()
    elapsed_s: float | None = None
    time_budget_s: float | None = None
    consecutive_failures: int = 0


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
    dated_items: tuple[DatedItem, ...] = ()
    policy: tuple[PolicyItem, ...] = ()
    transport: Transport = field(default_factory=Transport)
    interpretation_columns: tuple[tuple[str, bool], ...] = ()  # (column URL, every list page fetched)
    lists: tuple[ListSeen, ...] = ()  # the column list pages this run read
    history: tuple[ListSeen, ...] = ()  # the same, as earlier runs read them (attached when judging)
    interaction: Interaction = field(default_factory=Interaction)
    search: SiteSearch | None = None  # None: the homepage was not read
    services: Services = field(default_factory=Services)
    probes: tuple[ProbeSeen, ...] = ()  # availability probes of the week before as_of (attached when judging)
    crawl: CrawlOutcome | None = None  # how the site's crawl ended (attached when judging); None: not known
