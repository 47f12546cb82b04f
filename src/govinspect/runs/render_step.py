"""After the crawl: render in Chromium the few stored pages whose content only a script produces.

Deciding is pure (``plan_renders``): from a site's stored snapshots it picks
* column pages (found as extraction finds them: navigation and the sitemap) whose raw HTML has no list items but
  does have a script that loads them — an inline loader (XHR, ``$.ajax``/``$.get``/``.load``, ``fetch``, a JSON
  address, ``document.write``, ``innerHTML``…) or an empty list-like container next to scripts;
* a homepage whose visible text is nearly empty while it carries scripts.
Pages that already show items are never rendered, so a blank column with a static 暂无信息 stays a static page and
costs nothing. Rendering a page that is truly blank only confirms it: the detector can afford to be generous,
while a column wrongly judged blank would be a false 不合格.

Rendering (``render_step``) stores each result as a snapshot of kind ``rendered`` under the original URL in the
same crawl, so extraction (runs.model_builder) prefers it and everything downstream stays a pure function of the
snapshot store. A page that fails to render keeps its raw snapshot; the run records what happened.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from govinspect.extract.columns import discover_columns, find_sitemap_link
from govinspect.extract.listing import list_items
from govinspect.extract.page import Page, parse_page
from govinspect.fetch.browser import BrowserSession, BrowserUnavailable, Rendered
from govinspect.fetch.links import is_file_url
from govinspect.runs.model_builder import OK_STATUSES, StoredPage
from govinspect.scoring.profile import Profile
from govinspect.store.snapshots import SnapshotRecord, SnapshotStore

RENDERED = "rendered"  # Snapshot.kind of a page as Chromium shows it after its scripts ran

# Inline script code that fills a page after it loads (jQuery, XHR, fetch, axios, JSON(P) sources, templates).
_LOADER_RE = re.compile(
    r"\$\.(?:ajax|get|getJSON|post)\s*\(|\.load\s*\(\s*['\"]|XMLHttpRequest|\bfetch\s*\(|\baxios\b|"
    r"document\.write(?:ln)?\s*\(|\.innerHTML\s*\+?=|insertAdjacentHTML|\.json\b|jsonp|callback=|"
    r"new\s+Vue\b|createApp\s*\(|template\s*\(\s*['\"]|laypage|\.(?:append|html)\s*\(",
    re.I,
)
_LOADER_BYTES_RE = re.compile(_LOADER_RE.pattern.encode(), re.I)
_LISTISH_RE = re.compile(r"list|news|info|article|item|con|data|xxgk|wz|lb|result", re.I)
_CONTAINER_TAGS = frozenset({"div", "ul", "ol", "table", "tbody", "section", "dl"})
# an empty list-like element in raw bytes: a cheap pre-filter before a page is parsed
_EMPTY_CONTAINER_BYTES_RE = re.compile(
    rb"<(div|ul|ol|tbody|table|section|dl)\b[^>]*\b(?:id|class)\s*=\s*[\"']?[^\"'>]*"
    rb"(?:list|news|info|article|item|con|data|xxgk|wz|lb|result)[^>]*>\s*</\1\s*>",
    re.I,
)
_SCRIPT_BYTES_RE = re.compile(rb"<script\b", re.I)
FOLLOW_PER_LIST = 3  # newest items of each rendered list fetched when the crawl never saw them
NEARLY_EMPTY_TEXT = 60  # visible characters of a homepage below which scripts must be drawing it


@dataclass(frozen=True)
class RenderNeed:
    url: str  # the requested URL of the raw snapshot (the rendered one is stored under it)
    snapshot_id: int
    role: str  # homepage | column
    reason: str  # empty_list_loader | empty_list_container | homepage_scripted


def _scripts(tree: etree._Element) -> list[etree._Element]:
    out = []
    for script in tree.iter("script"):
        kind = (script.get("type") or "text/javascript").lower()
        if "javascript" in kind or kind in ("module", "text/ecmascript"):
            out.append(script)
    return out


def _empty_container(page: Page) -> bool:
    tree, layout = page.tree, page.layout
    if tree is None or layout is None:
        return False
    for el in tree.iter(*_CONTAINER_TAGS):
        if el in layout.nav or el in layout.footer:
            continue
        names = f"{el.get('id') or ''} {el.get('class') or ''}"
        if not _LISTISH_RE.search(names):
            continue
        if len(el) == 0 and not (el.text or "").strip():
            return True
    return False


def column_needs_rendering(page: Page, reference: date | None = None) -> str | None:
    """Why a column page's list is drawn by a script (so the raw HTML cannot be judged), or None."""
    if page.tree is None or list_items(page, reference=reference).items:
        return None
    scripts = _scripts(page.tree)
    if not scripts:
        return None
    if any(_LOADER_RE.search(s.text or "") for s in scripts):
        return "empty_list_loader"
    if _empty_container(page):
        return "empty_list_container"
    return None


def homepage_needs_rendering(page: Page) -> str | None:
    """A homepage with almost no visible text but scripts: its content is drawn after load."""
    if page.tree is None:
        return None
    visible = re.sub(r"\s+", "", page.body_text or "")
    if len(visible) < NEARLY_EMPTY_TEXT and _scripts(page.tree):
        return "homepage_scripted"
    return None


def _may_need(body: bytes) -> bool:
    """Cheap test on raw bytes: only pages with a script and a loader or an empty list box are parsed."""
    return bool(_SCRIPT_BYTES_RE.search(body)) and bool(
        _LOADER_BYTES_RE.search(body) or _EMPTY_CONTAINER_BYTES_RE.search(body)
    )


def plan_renders(
    stored: Sequence[StoredPage], home_url: str, profile: Profile, as_of: date, *, limit: int = 20
) -> list[RenderNeed]:
    """The pages of one site to render, homepage first, at most ``limit``. Pure: reads bodies, no network."""
    ok = [s for s in stored if s.kind in ("homepage", "page") and s.status in OK_STATUSES]
    home_snap = next((s for s in ok if s.kind == "homepage"), None)
    if home_snap is None:
        return []
    by_url: dict[str, StoredPage] = {}
    for snap in ok:
        by_url.setdefault(snap.url, snap)
        by_url.setdefault(snap.final_url or snap.url, snap)

    def parsed(snap: StoredPage) -> Page | None:
        body = snap.load_body()
        if not body:
            return None
        page = parse_page(snap.final_url or snap.url, body, headers=snap.headers, reference=as_of)
        return None if page.decoded.looks_binary else page

    needs: list[RenderNeed] = []
    home = parsed(home_snap)
    if home is None:
        return []
    reason = homepage_needs_rendering(home)
    if reason:
        needs.append(RenderNeed(home_snap.url, home_snap.snapshot_id, "homepage", reason))
    sitemap_url = find_sitemap_link(home)
    sitemap = parsed(by_url[sitemap_url]) if sitemap_url and sitemap_url in by_url else None
    seen = {home_snap.url}
    for ref in discover_columns(home, sitemap, profile_classes=profile.column_classes):
        snap = by_url.get(ref.url)
        if snap is None or snap.url in seen:
            continue
        seen.add(snap.url)
        body = snap.load_body()
        if not body or not _may_need(body):
            continue
        page = parsed(snap)
        reason = column_needs_rendering(page, as_of) if page is not None else None
        if reason:
            needs.append(RenderNeed(snap.url, snap.snapshot_id, "column", reason))
    return needs[:limit]


@dataclass
class RenderReport:
    """What the render step did, for the run's options (JSON)."""

    available: bool = True
    note: str | None = None
    detected: int = 0
    rendered: int = 0
    skipped: int = 0  # beyond the per-site limit, or Chromium unavailable
    followed: int = 0  # newest items of rendered lists, fetched because the crawl could not see them
    failed: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    pages: list[dict[str, Any]] = field(default_factory=list)  # the first few, as examples

    def record(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "note": self.note,
            "detected": self.detected,
            "rendered": self.rendered,
            "skipped": self.skipped,
            "followed": self.followed,
            "failed": dict(self.failed),
            "reasons": dict(self.reasons),
            "pages": self.pages[:50],
        }


class LazyBrowser:
    """One Chromium for the run, started on first use; a failed start is remembered and not retried."""

    def __init__(self, make: Callable[[], BrowserSession]):
        self._make = make
        self.session: BrowserSession | None = None
        self.problem: str | None = None
        self.used = False  # Chromium was started during the run

    def get(self) -> BrowserSession | None:
        if self.session is None and self.problem is None:
            session = self._make()
            try:
                session.start()
            except BrowserUnavailable as exc:
                self.problem = str(exc)
                return None
            self.session = session
            self.used = True
        return self.session

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def render_site(
    browser: LazyBrowser,
    snapshots: SnapshotStore,
    crawl_id: int,
    site_code: str,
    stored: Sequence[StoredPage],
    home_url: str,
    profile: Profile,
    as_of: date,
    report: RenderReport,
    *,
    limit: int = 20,
    follow: int = FOLLOW_PER_LIST,
) -> int:
    """Render one site's pages that need it and store them; returns how many rendered snapshots were stored.

    A rendered list's newest ``follow`` items the crawl never fetched (their links only exist once the script
    ran) are fetched through Chromium too and stored under their own URL with the list as referrer, so their
    dates and content are judged like any article's; they count against ``limit``."""
    needs = plan_renders(stored, home_url, profile, as_of, limit=limit + 1)
    if len(needs) > limit:
        report.skipped += 1  # at least one more than the limit; the exact count would cost more parsing
        needs = needs[:limit]
    report.detected += len(needs)
    report.reasons.update(n.reason for n in needs)
    if not needs:
        return 0
    session = browser.get()
    if session is None:
        report.available = False
        report.note = browser.problem
        report.skipped += len(needs)
        return 0
    records = []
    for need in needs:
        result = session.render(need.url)
        outcome = result.error or ("ok" if result.html and result.status in OK_STATUSES else "http")
        if len(report.pages) < 50:
            report.pages.append(
                {"site_code": site_code, "url": need.url, "reason": need.reason, "outcome": outcome}
            )
        if outcome != "ok":
            report.failed[outcome] += 1  # the raw snapshot stays the one extraction reads
            continue
        records.append(_rendered_record(site_code, crawl_id, need.url, result, need.url))
    rendered = len(records)
    fetched = {u for snap in stored for u in (snap.url, snap.final_url or snap.url)}
    room = max(0, limit - len(needs))
    for url, referrer in unfetched_items(records, fetched, as_of, per_list=follow)[:room]:
        result = session.render(url)
        if result.error or not result.html or result.status not in OK_STATUSES:
            report.failed["followed"] += 1
            continue
        records.append(_rendered_record(site_code, crawl_id, url, result, referrer))
        report.followed += 1
    snapshots.save_many(records)
    report.rendered += rendered
    return len(records)


def _rendered_record(
    site_code: str, crawl_id: int, url: str, result: Rendered, referrer: str
) -> SnapshotRecord:
    assert result.html is not None
    return SnapshotRecord(
        site_code=site_code,
        url=url,
        crawl_id=crawl_id,
        kind=RENDERED,
        final_url=result.final_url,
        status=result.status,
        headers={"content-type": ["text/html; charset=utf-8"]},
        content_type="text/html; charset=utf-8",
        encoding="utf-8",
        body=result.html.encode("utf-8"),
        fetched_at=datetime.now(UTC),
        elapsed_ms=result.elapsed_ms,
        referrer=referrer,
    )


def unfetched_items(
    rendered: Sequence[SnapshotRecord], fetched: set[str], as_of: date, *, per_list: int = FOLLOW_PER_LIST
) -> list[tuple[str, str]]:
    """(item URL, list URL) for each rendered column's newest items on the list's own host that no snapshot
    holds, newest first within a list. Pure."""
    out: list[tuple[str, str]] = []
    seen = set(fetched)
    for record in rendered:
        page_url = record.final_url or record.url
        page = parse_page(page_url, record.body or b"", headers=record.headers, reference=as_of)
        items = sorted(
            list_items(page, reference=as_of).items, key=lambda it: it.date or date.min, reverse=True
        )
        host = urlsplit(page_url).netloc
        taken = 0
        for item in items:
            if taken >= per_list:
                break
            if urlsplit(item.url).netloc != host or item.url in seen or is_file_url(item.url):
                continue
            seen.add(item.url)
            out.append((item.url, record.url))
            taken += 1
    return out
