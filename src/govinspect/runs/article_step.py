"""Facts about a site's published items, from its parsed pages: which column lists each item and with what date,
the dates each article carries (for ``content.fake_date``), and its policy documents and interpretations (for
``interpretation.*``). Glue between the model builder's parsed pages and the pure extractors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from govinspect.extract.columns import is_article_url
from govinspect.extract.dating import Listed, dated_items
from govinspect.extract.model import DatedItem, ListSeen, PolicyItem
from govinspect.extract.page import Page
from govinspect.extract.policy import listed_interpretation, policy_item

if TYPE_CHECKING:
    from govinspect.runs.model_builder import Override, SiteExtraction, StoredPage


@dataclass(frozen=True, slots=True)
class ColumnEntry:
    """An item as its column lists it."""

    column_url: str
    column_class: str | None
    listed: Listed


@dataclass
class ItemIndex:
    entries: dict[str, ColumnEntry]  # item URL -> its first list entry
    list_pages: set[str]  # URLs of the column pages and their other list pages
    interpretation_columns: list[tuple[str, bool]]  # (column URL, every list page fetched)
    lists: list[ListSeen]


def index_items(extraction: SiteExtraction, overrides: Mapping[str, Override]) -> ItemIndex:
    """Every list entry of every discovered column, over the list pages the crawl fetched."""
    entries: dict[str, ColumnEntry] = {}
    list_pages: set[str] = set()
    interp_columns: list[tuple[str, bool]] = []
    lists: list[ListSeen] = []
    for ref in extraction.column_refs():
        override = overrides.get(ref.url)
        if override is not None and override.ignore:
            continue
        column_class = (override.column_class if override else None) or ref.column_class
        found = extraction.pages.get(ref.url)
        if found is None:
            continue
        first = found[1]
        list_pages.add(ref.url)
        pages = [found]
        complete = True
        for url in first.pagination.urls:
            other = extraction.pages.get(url)
            if other is None:
                complete = False
            else:
                pages.append(other)
        if column_class == "interpretation":
            interp_columns.append((ref.url, complete))
        for snapshot, page in pages:
            list_pages.add(page.url)
            listed = extraction.listing(page).items
            for item in listed:
                entries.setdefault(
                    item.url, ColumnEntry(ref.url, column_class, Listed(item.date, page.url, item.title))
                )
            if listed:
                fetched = snapshot.fetched_at.date() if snapshot.fetched_at else None
                urls = tuple(i.url for i in listed)
                lists.append(ListSeen(page.url, ref.url, fetched, urls, tuple(i.date for i in listed)))
    return ItemIndex(entries, list_pages, interp_columns, lists)


def _articles(extraction: SiteExtraction, index: ItemIndex) -> list[tuple[StoredPage, Page]]:
    home_url = extraction.home[1].url if extraction.home is not None else None
    out: dict[str, tuple[StoredPage, Page]] = {}
    for snapshot, page in extraction.pages.values():
        if page.url in out or page.url == home_url or page.url in index.list_pages:
            continue
        if page.url in index.entries or is_article_url(page.url):
            out[page.url] = (snapshot, page)
    return list(out.values())


def dating_facts(extraction: SiteExtraction, index: ItemIndex) -> tuple[DatedItem, ...]:
    listed = {url: entry.listed for url, entry in index.entries.items()}
    return dated_items(
        (
            (page, snapshot.snapshot_id, snapshot.fetched_at.date() if snapshot.fetched_at else None)
            for snapshot, page in _articles(extraction, index)
        ),
        listed,
    )


def policy_facts(
    extraction: SiteExtraction, index: ItemIndex, key: Callable[[str], str]
) -> tuple[PolicyItem, ...]:
    """Documents and interpretations: fetched pages, then interpretations listed but not fetched (so a document
    whose interpretation lies beyond the page budget is not called uninterpreted)."""
    items: list[PolicyItem] = []
    seen: set[str] = set()
    for snapshot, page in _articles(extraction, index):
        entry = index.entries.get(page.url)
        published = page.article.published
        found = policy_item(
            page,
            snapshot.snapshot_id,
            column_url=entry.column_url if entry else None,
            column_class=entry.column_class if entry else None,
            published=published,
            link_key=key,
        )
        if found is not None:
            items.append(found)
            seen.add(page.url)
    for url, entry in index.entries.items():
        if entry.column_class == "interpretation" and url not in seen and url not in extraction.pages:
            items.append(listed_interpretation(url, entry.listed.title, entry.column_url, entry.listed.date))
    return tuple(items)
