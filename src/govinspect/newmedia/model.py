"""The new-media vocabulary as pure data: accounts, their menus and sources, posts, and what collection saw.

Everything a new-media check reads is in :class:`AccountFacts` (frozen dataclasses, no I/O), so a stored
collection can be judged again under another profile or ``as_of`` without fetching anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

RUNNING = "运行"
CHINA = timezone(timedelta(hours=8))  # dates of posts are read in China time, as ``as_of`` is


def aware(moment: datetime | None) -> datetime | None:
    """A stored time with its zone: SQLite gives back naive UTC values."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class AccountKey:
    """An account's identity across the registry, imports and feeds: the platform and its account ID."""

    platform: str  # a registry Platform value: 微信公众号, 微博, …
    account_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.account_id}"


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """One entry of an account's menu (微信公众号 自定义菜单): a link (``url``) or an automatic reply."""

    name: str
    url: str | None = None
    reply: str | None = None


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """Where an account's posts come from. ``kind`` names an adapter (``feed``, ``page``, or one registered
    with :func:`govinspect.newmedia.sources.register_adapter`); ``auto`` looks at what the URL returns."""

    url: str
    kind: str = "auto"


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """A registry account with its new-media settings; ``menu`` None means the menu is not known."""

    key: AccountKey
    name: str
    unit: str
    region: str
    status: str = RUNNING
    registered: bool = True
    menu: tuple[MenuEntry, ...] | None = None
    sources: tuple[SourceSpec, ...] = ()
    listed: bool = True  # False: seen in an import or on a site, but not in the registry at all

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    @property
    def home(self) -> str:
        """The address findings about the whole account point at: its first source, else ``platform:id``."""
        return self.sources[0].url if self.sources else str(self.key)


@dataclass(frozen=True, slots=True)
class Post:
    """One published post as collected: where from (``source`` adapter kind, ``source_url``) and when."""

    key: str  # stable identity within the account: the platform's post id, else the URL, else a content hash
    title: str
    text: str
    published: datetime | None
    url: str | None = None
    post_id: str | None = None
    source: str = "feed"
    source_url: str | None = None
    fetched_at: datetime | None = None

    @property
    def day(self) -> date | None:
        """The publication day in China time."""
        return self.published.astimezone(CHINA).date() if self.published else None


def post_key(post_id: str | None, url: str | None, title: str, published: datetime | None) -> str:
    """The key a post is stored under: its id, else its URL, else a hash of its title and time (sha1, hex)."""
    basis = post_id or url or f"{title}\x00{published.isoformat() if published else ''}"
    return hashlib.sha1(basis.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class SourceFact:
    """The last collection from one source: HTTP outcome and whether the page said the account is closed."""

    url: str
    kind: str  # feed | page | menu | import | an adapter's kind
    ok: bool
    status: int | None = None
    error: str | None = None
    fetched_at: datetime | None = None
    items: int = 0  # posts the source listed on its last successful fetch
    closed_text: str | None = None  # e.g. “该帐号已注销”, as the page showed it


@dataclass(frozen=True, slots=True)
class MenuProbe:
    """A menu entry's link as checked at collection: every attempt's status or error class."""

    url: str
    statuses: tuple[int | None, ...] = ()
    errors: tuple[str | None, ...] = ()

    @property
    def failed(self) -> bool:
        """Failed on every attempt: no answer, or 404/410/5xx. A 401/403/429 is blocked, not broken."""
        if not self.statuses:
            return False
        return all(s is None or s in (404, 410) or s >= 500 for s in self.statuses)


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """Everything the new-media checks of one account read."""

    account: AccountInfo
    posts: tuple[Post, ...] = ()
    sources: tuple[SourceFact, ...] = ()
    menu_probes: tuple[MenuProbe, ...] = ()
    peers: tuple[AccountInfo, ...] = ()  # other accounts of the same unit on the same platform
    imported: bool = False  # posts came from an imported list (no source to fetch)
    first_collected: datetime | None = None  # the earliest fetch of any of its sources (coverage)

    @property
    def collected(self) -> bool:
        """Whether anything is known of the account's posts: a source answered, or a list was imported."""
        return self.imported or any(s.ok and s.kind != "menu" for s in self.sources)


@dataclass(frozen=True, slots=True)
class SeenAccount:
    """An account some page or import shows (政务新媒体矩阵, a footer, a QR-code caption, a post list)."""

    key: AccountKey | None  # None when only the name is shown
    name: str
    where: str  # the page URL or the file it was seen in
    how: str  # matrix | footer | qrcode | import
    unit: str | None = None
    latest_post: datetime | None = None
    evidence: dict = field(default_factory=dict)
