"""Post sources behind one adapter interface: feeds, public web pages, and whatever an office adds.

An adapter has a ``kind`` and one coroutine, ``collect(job, http) -> Collected``: given an account's source
(URL and the state of the last fetch), it returns the posts it read now. The checks never see adapters, only
stored posts, so an adapter for an authorised platform API is added with :func:`register_adapter` and a
``kind:`` prefix in the accounts file, without touching a check.

Built in:

* ``feed`` — RSS, Atom or JSON Feed (an RSSHub route, a CMS's feed); conditional GET, so an unchanged feed
  costs a 304.
* ``page`` — a public web page: an H5 list of an account's articles (each article not yet stored is fetched and
  read), a single H5 article, or an app's download page (its labelled update date is its latest “post”). A page
  that says the account was closed (该帐号已注销…) is recorded as such.
* ``auto`` — fetches the URL and hands the answer to ``feed`` or ``page`` by what it is.

Imports of post lists (imports.py) are the third source; they are files, not adapters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from govinspect.extract.page import parse_page
from govinspect.newmedia.feed import FeedError, looks_like_feed, parse_feed
from govinspect.newmedia.http import Fetched, Http
from govinspect.newmedia.model import CHINA, AccountInfo, Post, SourceSpec, post_key

DEFAULT_CLOSURE_PHRASES = (
    "该帐号已注销", "该账号已注销", "帐号已注销", "账号已注销", "此帐号已自主注销", "此账号已自主注销",
    "该帐号已停止运营", "该账号已停止运营", "该账号已关闭", "该帐号已关闭", "账号已被封禁", "帐号已被封禁",
)  # fmt: skip


@dataclass(frozen=True)
class SourceJob:
    account: AccountInfo
    spec: SourceSpec
    etag: str | None = None
    last_modified: str | None = None
    known: frozenset[str] = frozenset()  # keys of the account's stored posts: pages already read are skipped
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    closure_phrases: Sequence[str] = DEFAULT_CLOSURE_PHRASES
    max_articles: int = 30  # article pages read per list page and collection (newest first)


@dataclass
class Collected:
    kind: str
    url: str
    ok: bool
    status: int | None = None
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    posts: list[Post] = field(default_factory=list)
    items: int = 0
    closed_text: str | None = None


class PostAdapter(Protocol):
    kind: str

    async def collect(self, job: SourceJob, http: Http) -> Collected: ...


ADAPTERS: dict[str, PostAdapter] = {}


def register_adapter(adapter: PostAdapter) -> None:
    """Make ``adapter`` available under its ``kind`` (a platform API client, say)."""
    ADAPTERS[adapter.kind] = adapter


def adapter_for(kind: str) -> PostAdapter | None:
    return ADAPTERS.get(kind)


def _base(job: SourceJob, kind: str, fetched: Fetched) -> Collected:
    return Collected(
        kind=kind,
        url=job.spec.url,
        ok=fetched.ok,
        status=fetched.status,
        error=fetched.error,
        etag=fetched.headers.get("etag") or (job.etag if fetched.not_modified else None),
        last_modified=fetched.headers.get("last-modified")
        or (job.last_modified if fetched.not_modified else None),
        not_modified=fetched.not_modified,
    )


class FeedAdapter:
    kind = "feed"

    async def collect(self, job: SourceJob, http: Http) -> Collected:
        fetched = await http.get(job.spec.url, etag=job.etag, last_modified=job.last_modified)
        return self.read(job, fetched)

    def read(self, job: SourceJob, fetched: Fetched) -> Collected:
        out = _base(job, self.kind, fetched)
        if not fetched.ok or fetched.not_modified:
            return out
        try:
            feed = parse_feed(fetched.body)
        except FeedError:
            out.ok, out.error = False, "not_a_feed"
            out.closed_text = _closure(fetched.body.decode("utf-8", "replace"), job.closure_phrases)
            return out
        for item in feed.items:
            url = item.url or None
            out.posts.append(
                Post(
                    key=post_key(item.item_id, url, item.title or item.text[:200], item.published),
                    title=item.title or item.text[:60].replace("\n", " "),
                    text=item.text,
                    published=item.published,
                    url=url,
                    post_id=item.item_id,
                    source=self.kind,
                    source_url=job.spec.url,
                    fetched_at=job.now,
                )
            )
        out.items = len(feed.items)
        return out


class PageAdapter:
    kind = "page"

    async def collect(self, job: SourceJob, http: Http) -> Collected:
        fetched = await http.get(job.spec.url, etag=job.etag, last_modified=job.last_modified)
        return await self.read(job, fetched, http)

    async def read(self, job: SourceJob, fetched: Fetched, http: Http) -> Collected:
        out = _base(job, self.kind, fetched)
        if fetched.not_modified:
            return out
        body_text = ""
        if fetched.body:
            page = parse_page(fetched.final_url, fetched.body, headers=fetched.headers, reference=_today(job))
            body_text = page.body_text
            out.closed_text = _closure(body_text, job.closure_phrases)
        if not fetched.ok or out.closed_text:
            return out
        from govinspect.extract.listing import list_items

        listing = list_items(page, reference=_today(job))
        dated = [item for item in listing.items if item.date is not None]
        if len(dated) >= 2:
            out.items = len(dated)
            dated.sort(key=lambda item: item.date, reverse=True)  # type: ignore[arg-type, return-value]
            todo = [item for item in dated if post_key(None, item.url, "", None) not in job.known]
            pages = await asyncio.gather(*(http.get(item.url) for item in todo[: job.max_articles]))
            read = {p.url: p for p in pages}
            for item in dated:
                key = post_key(None, item.url, "", None)
                if key in job.known and item.url not in read:
                    continue
                article = read.get(item.url)
                post = _article_post(job, article, item.url) if article is not None and article.ok else None
                if post is None:
                    when = datetime(item.date.year, item.date.month, item.date.day, tzinfo=CHINA)  # type: ignore[union-attr]
                    post = Post(key, item.title, "", when, item.url, None, self.kind, job.spec.url, job.now)
                out.posts.append(post)
            return out
        post = _article_post(job, fetched, job.spec.url, page=page)
        if post is not None:
            out.posts.append(post)
            out.items = 1
        return out


def _today(job: SourceJob) -> date:
    return job.now.astimezone(CHINA).date()


def _closure(text: str, phrases: Sequence[str]) -> str | None:
    head = text[:3000]
    return next((p for p in phrases if p in head), None)


def _article_post(job: SourceJob, fetched: Fetched, url: str, page=None) -> Post | None:  # type: ignore[no-untyped-def]
    """One article (or an app page's labelled update date) as a post; None when the page shows no date."""
    if page is None:
        page = parse_page(fetched.final_url, fetched.body, headers=fetched.headers, reference=_today(job))
    article = page.article
    shown = article.displayed_date
    if shown is None:
        return None
    when = shown.moment or datetime(shown.date.year, shown.date.month, shown.date.day)
    if when.tzinfo is None:
        when = when.replace(tzinfo=CHINA)
    title = article.title or page.title
    return Post(
        post_key(None, url, "", None), title, article.text, when, url, None, "page", job.spec.url, job.now
    )


class AutoAdapter:
    """Fetches once and lets the answer decide: a feed goes to ``feed``, anything else to ``page``."""

    kind = "auto"

    def __init__(self, feed: FeedAdapter, page: PageAdapter) -> None:
        self.feed, self.page = feed, page

    async def collect(self, job: SourceJob, http: Http) -> Collected:
        fetched = await http.get(job.spec.url, etag=job.etag, last_modified=job.last_modified)
        if fetched.ok and not fetched.not_modified and looks_like_feed(fetched.body, fetched.content_type):
            return self.feed.read(job, fetched)
        if fetched.not_modified:
            return _base(job, "auto", fetched)
        return await self.page.read(job, fetched, http)


_FEED, _PAGE = FeedAdapter(), PageAdapter()
for _adapter in (_FEED, _PAGE, AutoAdapter(_FEED, _PAGE)):
    register_adapter(_adapter)
