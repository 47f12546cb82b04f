"""The dates a published item carries, one per source, as evidence for forged dates (``content.fake_date``).

An editor types the displayed date (and, on most CMSs, the list date with it); the CMS writes the meta PubDate
and, on many, a date into the URL when the item is created, and numbers items in sequence. Disagreement between
what a reader is shown and what the machine recorded is the evidence; this module only gathers it, page by page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from govinspect.extract.model import DatedItem
from govinspect.extract.page import Page

_DIGITS_RE = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Listed:
    """An item's entry on a list page: the date shown beside its link."""

    date: date | None
    list_url: str
    title: str = ""


def sequence_number(url: str) -> tuple[int, str] | None:
    """The last number of an article URL's file name or query (art_12_456.html, t20200301_456.html,
    content.jsp?id=456) and the URL's scheme with every number masked, or None. A date-like number (8 digits
    starting 19/20) is a date, not a sequence."""
    parts = urlsplit(url)
    name = parts.path.rsplit("/", 1)[-1]
    where = parts.query or name
    numbers = [m for m in _DIGITS_RE.finditer(where) if not re.fullmatch(r"(?:19|20)\d{6}", m.group())]
    if not numbers:
        return None
    value = int(numbers[-1].group())
    scheme = _DIGITS_RE.sub("#", f"{parts.netloc}{parts.path}?{parts.query}")
    return value, scheme


def dated_item(
    page: Page,
    snapshot_id: int | None,
    listed: Listed | None = None,
    fetched: date | None = None,
) -> DatedItem | None:
    """The date evidence of one fetched article page; None when the page shows no date of its own."""
    article = page.article
    displayed = article.displayed_date.date if article.displayed_date is not None else None
    if displayed is None and article.meta_date is None and article.url_date is None:
        return None
    seq = sequence_number(page.url)
    return DatedItem(
        url=page.url,
        snapshot_id=snapshot_id,
        title=(article.title or page.title or "")[:200],
        displayed=displayed,
        meta=article.meta_date,
        url_date=article.url_date,
        listed=listed.date if listed is not None else None,
        list_url=listed.list_url if listed is not None else None,
        fetched=fetched,
        sequence=seq[0] if seq else None,
        sequence_scheme=seq[1] if seq else None,
    )


def dated_items(
    articles: Iterable[tuple[Page, int | None, date | None]],
    listed: Mapping[str, Listed],
) -> tuple[DatedItem, ...]:
    """``articles``: (page, snapshot id, fetch day) of each fetched article page; ``listed``: list entries by
    the item's URL."""
    out: list[DatedItem] = []
    seen: set[str] = set()
    for page, snapshot_id, fetched in articles:
        if page.url in seen:
            continue
        seen.add(page.url)
        item = dated_item(page, snapshot_id, listed.get(page.url), fetched)
        if item is not None:
            out.append(item)
    return tuple(out)
