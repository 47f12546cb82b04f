"""From a crawl's snapshots of one site to its site model: the glue between fetch, extract and the checks.

Two steps, so link targets of every page can be verified (a network step) between them:
``SiteExtraction.read(...)`` parses the stored pages once and lists the link targets to verify;
``.model(link_results)`` completes the site model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from w3lib.url import canonicalize_url

from govinspect.extract.columns import ColumnRef, discover_columns, find_sitemap_link, is_article_url
from govinspect.extract.interaction import read_interaction
from govinspect.extract.listing import Listing, homepage_items, list_items, newest_date
from govinspect.extract.model import (
    Attempt,
    Column,
    Expected,
    Footer,
    Homepage,
    LinkCheck,
    PageMeta,
    Services,
    SiteModel,
    SiteSearch,
)
from govinspect.extract.page import Page, parse_page
from govinspect.extract.search import SearchRequest, probe_requests, read_site_search
from govinspect.extract.services import read_services
from govinspect.extract.transport import site_transport
from govinspect.runs.article_step import dating_facts, index_items, policy_facts
from govinspect.scoring.profile import Profile

LINK_KINDS = frozenset({"a", "area", "iframe", "frame"})
OK_STATUSES = frozenset({200, 203, 304})


@dataclass(frozen=True)
class StoredPage:
    """What the builder needs of one snapshot; the runs layer fills it from the snapshot store."""

    snapshot_id: int
    url: str
    final_url: str | None
    kind: str  # homepage | page | file
    status: int | None
    error: str | None
    headers: Mapping[str, str]
    attempt: int = 1
    load_body: Callable[[], bytes | None] = field(default=lambda: None, compare=False, repr=False)
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class Override:
    column_class: str | None = None
    max_age_days: int | None = None
    ignore: bool = False
    name: str | None = None


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _key(url: str) -> str:
    """One spelling of a URL, so a link written one way matches the snapshot of its target."""
    try:
        return canonicalize_url(url)
    except (ValueError, UnicodeError):
        return url


def _meta_present(page: Page, profile: Profile) -> frozenset[str]:
    wanted = {tag for tags in profile.section("metadata").get("required", {}).values() for tag in tags}
    return frozenset(tag for tag in wanted if page.meta_get(tag))


@dataclass
class SiteExtraction:
    expected: Expected
    home_url: str
    attempts: tuple[Attempt, ...]
    profile: Profile
    as_of: date
    pages: dict[str, tuple[StoredPage, Page]] = field(default_factory=dict)  # by URL (requested and final)
    failed: dict[str, StoredPage] = field(default_factory=dict)
    home: tuple[StoredPage, Page] | None = None
    sources: dict[str, list[str]] = field(default_factory=dict)  # link target -> pages linking to it
    fetched: set[str] = field(default_factory=set)  # canonical URLs fetched without error (pages, files)
    failed_keys: set[str] = field(default_factory=set)  # canonical URLs whose fetch failed
    _listings: dict[str, Listing] = field(default_factory=dict, repr=False)

    @classmethod
    def read(
        cls,
        expected: Expected,
        home_url: str,
        stored: Sequence[StoredPage],
        profile: Profile,
        as_of: date,
    ) -> SiteExtraction:
        homepage_tries = sorted((s for s in stored if s.kind == "homepage"), key=lambda s: s.attempt)
        extraction = cls(
            expected=expected,
            home_url=home_url,
            attempts=tuple(Attempt(s.status, s.error) for s in homepage_tries),
            profile=profile,
            as_of=as_of,
        )
        home_links: list[str] = []
        for snapshot in stored:
            ok = snapshot.status in OK_STATUSES
            if ok:
                extraction.fetched.update(_key(u) for u in (snapshot.url, snapshot.final_url or snapshot.url))
            else:
                extraction.failed_keys.add(_key(snapshot.url))
            if snapshot.kind == "file":
                continue  # a HEAD of a document: no body, not a page
            if not ok:
                extraction.failed.setdefault(snapshot.url, snapshot)
                continue
            body = snapshot.load_body()
            if not body:
                continue
            page = parse_page(
                snapshot.final_url or snapshot.url, body, headers=snapshot.headers, reference=as_of
            )
            if page.decoded.looks_binary:
                continue
            for url in {snapshot.url, snapshot.final_url or snapshot.url}:
                if snapshot.kind == "rendered":
                    # the page after Chromium ran its scripts (runs.render_step, stored after the raw fetch):
                    # it replaces the raw page of the same URL, the homepage included
                    extraction.pages[url] = (snapshot, page)
                    if extraction.home is not None and extraction.home[0].url == snapshot.url:
                        extraction.home = (snapshot, page)
                else:
                    extraction.pages.setdefault(url, (snapshot, page))
            is_home = snapshot.kind == "homepage" and extraction.home is None
            if is_home:
                extraction.home = (snapshot, page)
            for link in page.links:
                if link.kind in LINK_KINDS and link.url.startswith(("http://", "https://")):
                    extraction.sources.setdefault(link.url, []).append(page.url)
                    if is_home:
                        home_links.append(link.url)
        # Homepage links first: when the unfetched targets outnumber the bound, those are verified.
        order = {url: n for n, url in enumerate(dict.fromkeys([*home_links, *extraction.sources]))}
        extraction.sources = dict(sorted(extraction.sources.items(), key=lambda kv: order[kv[0]]))
        return extraction

    @property
    def site_hosts(self) -> set[str]:
        hosts = {_host(self.home_url)}
        if self.home is not None:
            hosts.add(_host(self.home[1].url))
        return hosts

    def link_targets(self, max_external: int = 200, max_unfetched: int = 300) -> list[str]:
        """Targets to verify: internal targets whose fetch failed; internal targets the crawl never fetched
        (beyond the page budget or depth, documents not checked), bounded, homepage links first; and
        external targets (bounded). So a broken link on a fetched page is found whether or not its target
        fell within the page budget."""
        hosts = self.site_hosts
        internal, unfetched, external = [], [], []
        for url in self.sources:
            if _host(url) not in hosts:
                external.append(url)
                continue
            key = _key(url)
            if url in self.failed or key in self.failed_keys:
                internal.append(url)
            elif key not in self.fetched:
                unfetched.append(url)
        return internal + unfetched[:max_unfetched] + external[:max_external]

    def listing(self, page: Page) -> Listing:
        """The list entries of a fetched list page, parsed once however many facts need them."""
        found = self._listings.get(page.url)
        if found is None:
            found = self._listings[page.url] = list_items(page, reference=self.as_of)
        return found

    def column_refs(self) -> list[ColumnRef]:
        if self.home is None:
            return []
        home_page = self.home[1]
        sitemap_url = find_sitemap_link(home_page)
        sitemap = self.pages.get(sitemap_url)[1] if sitemap_url and sitemap_url in self.pages else None
        # Columns come from navigation and the sitemap. Meta ColumnName is left out here: every page of a
        # paginated list carries it, and an older page 2 must not be judged as a column of its own.
        return discover_columns(home_page, sitemap, profile_classes=self.profile.column_classes)

    def _columns(self, overrides: Mapping[str, Override]) -> tuple[Column, ...]:
        columns = []
        for ref in self.column_refs():
            override = overrides.get(ref.url, Override())
            column_class = override.column_class or ref.column_class
            name = override.name or ref.name
            if ref.url in self.failed:
                failed = self.failed[ref.url]
                columns.append(
                    Column(ref.url, name, column_class, status=failed.status, snapshot_id=failed.snapshot_id)
                )
                continue
            found = self.pages.get(ref.url)
            if found is None:
                continue  # not fetched (page budget): not judged
            snapshot, page = found
            listing = self.listing(page)
            dated = [item for item in listing.items if item.date is not None]
            columns.append(
                Column(
                    url=ref.url,
                    name=name,
                    column_class=column_class,
                    status=snapshot.status,
                    snapshot_id=snapshot.snapshot_id,
                    items=len(listing.items),
                    undated=len(listing.items) - len(dated),
                    newest=newest_date(dated),
                    placeholder=listing.placeholder if not listing.items else None,
                    ignored=override.ignore,
                    max_age_days=override.max_age_days,
                    found_class=ref.column_class,
                )
            )
        return tuple(columns)

    def _homepage(self) -> Homepage:
        if self.home is None:
            return Homepage(self.home_url, self.attempts)
        snapshot, page = self.home
        items = [item for item in homepage_items(page, reference=self.as_of) if item.date is not None]
        newest = newest_date(items)
        return Homepage(
            url=page.url,
            attempts=self.attempts,
            snapshot_id=snapshot.snapshot_id,
            newest=newest,
            dated_items=len(items),
            navigation_only=not items,
        )

    def _footers(self) -> tuple[Footer, ...]:
        if self.home is None:
            return ()
        snapshot, page = self.home
        facts = page.footer

        def printed(found) -> str | None:  # type: ignore[no-untyped-def]
            return None if found is None else (found.value or found.raw)

        return (
            Footer(
                page_url=page.url,
                snapshot_id=snapshot.snapshot_id,
                text=facts.text[:2000],
                site_code=printed(facts.site_code),
                icp=printed(facts.icp),
                psb=printed(facts.psb),
                conac=facts.conac,
                sponsor=facts.sponsor,
                jiucuo=facts.jiucuo,
                ads=tuple(ad.text for ad in facts.ads),
            ),
        )

    def _metas(self, column_urls: set[str]) -> tuple[PageMeta, ...]:
        metas: dict[str, PageMeta] = {}
        for snapshot, page in self.pages.values():
            if page.url in metas:
                continue
            if self.home is not None and page.url == self.home[1].url:
                kind = "home"
            elif page.url in column_urls or snapshot.url in column_urls:
                kind = "column"
            elif is_article_url(page.url):
                kind = "article"
            else:
                continue
            metas[page.url] = PageMeta(
                page.url, snapshot.snapshot_id, _meta_present(page, self.profile), kind
            )
        return tuple(metas.values())

    def _search(self) -> SiteSearch | None:
        """The homepage's site search (extract/search.py); the probes are added after the crawl."""
        return None if self.home is None else read_site_search(self.home[1], self.home[0].snapshot_id)

    def _services(self, columns: Sequence[Column]) -> Services:
        """Service entries on the homepage and the 办事指南 pages read (extract/services.py)."""
        section = self.profile.section("services")
        pages = {url: (snapshot.snapshot_id, page) for url, (snapshot, page) in self.pages.items()}
        home = None if self.home is None else (self.home[1], self.home[0].snapshot_id)
        elements = [str(e) for e in section.get("guide_elements", ())]
        minimum = int(section.get("guide_min_elements", 3))
        return read_services(home, pages, columns, elements, min_elements=minimum)

    def search_requests(self, model: SiteModel) -> tuple[list[SearchRequest], str | None]:
        """The searches the probe sends after the crawl (recent articles' exact titles), or why none."""
        section = self.profile.section("search")
        pages = {url: page for url, (_, page) in self.pages.items()}
        return probe_requests(
            model,
            pages,
            self.listing,
            self.as_of,
            min_age_days=int(section.get("article_min_age_days", 2)),
            count=int(section.get("probe_articles", 2)),
        )

    def model(
        self,
        link_results: Mapping[str, object] | None = None,
        overrides: Mapping[str, Override] | None = None,
    ) -> SiteModel:
        columns = self._columns(overrides or {})
        items = index_items(self, overrides or {})
        links = []
        for target, result in (link_results or {}).items():
            statuses = tuple(getattr(result, "statuses", ()))
            errors = tuple(getattr(result, "errors", ()))
            sources = tuple(dict.fromkeys(self.sources.get(target, ())))
            links.append(
                LinkCheck(target, sources, statuses, errors, external=_host(target) not in self.site_hosts)
            )
        return SiteModel(
            expected=self.expected,
            homepage=self._homepage(),
            columns=columns,
            footers=self._footers(),
            links=tuple(links),
            metas=self._metas({c.url for c in columns}),
            search=self._search(),
            services=self._services(columns),
            dated_items=dating_facts(self, items),
            policy=policy_facts(self, items, _key),
            interpretation_columns=tuple(items.interpretation_columns),
            lists=tuple(items.lists),
            transport=site_transport(self.home, self.pages.values()),
            interaction=read_interaction(
                self.home[1] if self.home else None,
                {url: (page, snapshot.snapshot_id) for url, (snapshot, page) in self.pages.items()},
                channel_keywords=self.profile.section("interaction").get("channel_keywords", ()),
                excluded_keywords=self.profile.section("interaction").get("excluded_channel_keywords", ()),
            ),
        )
