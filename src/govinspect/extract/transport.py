"""Mixed content: the http:// subresources a page loads (W3C Mixed Content), read from parsed pages.

Pure: pages in, :class:`~govinspect.extract.model.MixedResource` out. An https page that loads an http script,
stylesheet, frame or plugin has it blocked by browsers (active content); http images, audio and video are
upgraded or shown with a warning (passive content). Only what the browser fetches by itself counts: links,
``rel=canonical`` and friends, scripts inside conditional comments or ``<noscript>``, and ``data-src`` lazy
loading placeholders are not subresources.

On an http page the same URLs are no problem yet, but once the site moves to https every absolute http://
resource of another host becomes mixed content; those are collected too (``active`` as they would be), for a
notice. The page's own host is left out there: it moves with the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol
from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

from govinspect.extract.model import MixedResource, Transport
from govinspect.extract.page import Page

# (tag, attribute) -> (kind, active)
_ELEMENTS: dict[tuple[str, str], tuple[str, bool]] = {
    ("script", "src"): ("script", True),
    ("iframe", "src"): ("iframe", True),
    ("frame", "src"): ("frame", True),
    ("embed", "src"): ("embed", True),
    ("object", "data"): ("object", True),
    ("img", "src"): ("img", False),
    ("input", "src"): ("img", False),  # <input type=image>
    ("audio", "src"): ("audio", False),
    ("video", "src"): ("video", False),
    ("video", "poster"): ("img", False),
    ("source", "src"): ("source", False),
    ("track", "src"): ("track", True),
}
_TAGS = sorted({tag for tag, _ in _ELEMENTS} | {"link"})
_ACTIVE_RELS = {"stylesheet": "stylesheet", "preload": "preload", "modulepreload": "preload"}
_PASSIVE_RELS = {"icon", "apple-touch-icon", "apple-touch-icon-precomposed"}
_SCRIPT_TYPES = {"", "module", "text/javascript", "application/javascript", "application/x-javascript",
                 "text/ecmascript", "application/ecmascript", "text/jscript", "text/livescript"}  # fmt: skip
# From Page.links when a page has no tree: kinds page.py records whose role is known without the element.
_LINK_KINDS = {"script": True, "iframe": True, "frame": True, "embed": True, "img": False}


def _kind(el: etree._Element) -> list[tuple[str, str, bool]]:
    """(attribute value, kind, active) of the subresources an element makes the browser fetch."""
    tag = el.tag
    if tag == "link":
        rels = set((el.get("rel") or "").lower().split())
        href = el.get("href")
        if not href:
            return []
        for rel, kind in _ACTIVE_RELS.items():
            if rel in rels:
                return [(href, kind, True)]
        if rels & _PASSIVE_RELS or "shortcut" in rels:
            return [(href, "icon", False)]
        return []
    if tag == "script" and (el.get("type") or "").strip().lower() not in _SCRIPT_TYPES:
        return []  # a template or data block: not fetched
    if tag == "input" and (el.get("type") or "").lower() != "image":
        return []
    found = []
    for (t, attr), (kind, active) in _ELEMENTS.items():
        if t == tag:
            value = el.get(attr)
            if value:
                found.append((value, kind, active))
    return found


def _inside_noscript(el: etree._Element) -> bool:
    return any(a.tag == "noscript" for a in el.iterancestors())


def _resolve(base: str, raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    try:
        absolute = urldefrag(urljoin(base, value))[0]
    except ValueError:
        return None
    return absolute if absolute.lower().startswith("http://") else None


def page_http_resources(page: Page) -> list[tuple[str, str, bool]]:
    """(url, kind, active) of every http:// subresource the page loads, in document order, once each."""
    seen: dict[str, tuple[str, str, bool]] = {}
    base = page.base_url or page.url
    if page.tree is not None:
        for el in page.tree.iter(*_TAGS):
            for raw, kind, active in _kind(el):
                url = _resolve(base, raw)
                if url and url not in seen and not _inside_noscript(el):
                    seen[url] = (url, kind, active)
    else:
        for link in page.links:
            if link.kind in _LINK_KINDS and link.url.startswith("http://") and link.url not in seen:
                seen[link.url] = (link.url, link.kind, _LINK_KINDS[link.kind])
    return list(seen.values())


def mixed_resources(
    pages: Iterable[tuple[int | None, Page]], site_scheme: str | None, limit: int = 500
) -> tuple[MixedResource, ...]:
    """The http subresources of a site's pages, each once, on the first page given that loads it (pass the
    homepage first), counting the pages that load it. https pages: every http resource. http pages of an http
    site: resources of other hosts only (what would become mixed content after a move to https). Pages of
    another scheme than the site's are left out (an http leftover of an https site is not its template)."""
    first: dict[str, MixedResource] = {}
    counts: dict[str, int] = {}
    done: set[str] = set()
    for snapshot_id, page in pages:
        if page.url in done:
            continue
        done.add(page.url)
        scheme = urlsplit(page.url).scheme.lower()
        if scheme != site_scheme or scheme not in ("http", "https"):
            continue
        own = (urlsplit(page.url).hostname or "").lower()
        for url, kind, active in page_http_resources(page):
            if scheme == "http" and (urlsplit(url).hostname or "").lower() == own:
                continue
            counts[url] = counts.get(url, 0) + 1
            if url not in first and len(first) < limit:
                first[url] = MixedResource(page.url, snapshot_id, url, kind, active)
    return tuple(
        MixedResource(r.page_url, r.snapshot_id, r.url, r.kind, r.active, counts[r.url])
        for r in first.values()
    )


class _Snapshot(Protocol):
    @property
    def snapshot_id(self) -> int | None: ...


def site_transport(
    home: tuple[_Snapshot, Page] | None, pages: Iterable[tuple[_Snapshot, Page]], limit: int = 500
) -> Transport:
    """The transport facts the stored pages give: the homepage's scheme and host as served, and mixed content
    (homepage first). The network probes are added after (fetch/transport.py)."""
    if home is None:
        return Transport()
    url = home[1].url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    ordered = [home, *pages]
    mixed = mixed_resources(((s.snapshot_id, p) for s, p in ordered), scheme, limit)
    return Transport(scheme=scheme, host=(parts.hostname or "").lower(), mixed=mixed)
