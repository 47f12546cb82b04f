"""Feeds of posts: RSS 2.0, RSS 1.0 (RDF), Atom and JSON Feed, parsed with lxml and the standard library.

An office that runs an RSSHub instance (or any feed generator) gets one feed per account; this module turns
one feed document into :class:`FeedItem` values. Pure: bytes in, items out, nothing fetched. The XML parser
resolves no entities and loads nothing from the network (a feed is untrusted input).

Dates: RFC 822 (``pubDate``), ISO 8601/RFC 3339 (Atom, JSON Feed, ``dc:date``) and, as a last resort, the
Chinese forms :mod:`govinspect.extract.dates` knows (some generators write ``2020年3月25日 10:21``). A date
without a zone is read as China time (UTC+8). Item HTML becomes plain text with blocks on their own lines.
"""

from __future__ import annotations

import email.utils
import json
import re
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from govinspect.extract.dates import parse_moment
from govinspect.extract.html import parse_html, text_of
from govinspect.newmedia.model import CHINA

MAX_ITEMS = 500  # a feed is a recent window; more than this is a dump, read its newest part only

_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, recover=True, remove_comments=True
)
_ATOM = "http://www.w3.org/2005/Atom"
_RSS1 = "http://purl.org/rss/1.0/"
_DC = "http://purl.org/dc/elements/1.1/"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_TAG_RE = re.compile(r"<[a-zA-Z!/][^>]*>")


class FeedError(ValueError):
    """The document is not a feed this module reads; the message says why (in Chinese)."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    item_id: str | None
    url: str | None
    title: str
    text: str
    published: datetime | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    kind: str  # rss | rdf | atom | jsonfeed
    title: str
    link: str | None
    items: tuple[FeedItem, ...]


def looks_like_feed(body: bytes, content_type: str = "") -> bool:
    """Whether a fetched body is a feed rather than a web page (content type first, then the first bytes)."""
    ctype = content_type.lower()
    if any(t in ctype for t in ("rss", "atom", "feed+json", "application/xml", "text/xml")):
        return True
    head = body[:600].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"{"):
        return b"jsonfeed.org" in body[:2000].lower()
    if head.startswith(b"<?xml"):
        head = head.split(b"?>", 1)[-1].lstrip()
    return head.startswith((b"<rss", b"<feed", b"<rdf:rdf", b"<rdf"))


def parse_feed(body: bytes) -> ParsedFeed:
    """Parse a feed document; raises :class:`FeedError` when it is none of the four formats."""
    stripped = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return _json_feed(stripped)
    try:
        root = etree.fromstring(stripped, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise FeedError(f"不是有效的 XML：{exc}") from exc
    if root is None:
        raise FeedError("文档为空或不是 XML")
    name = etree.QName(root).localname.lower()
    if name == "rss":
        return _rss(root)
    if name == "feed" and etree.QName(root).namespace in (_ATOM, None):
        return _atom(root)
    if name == "rdf":
        return _rdf(root)
    raise FeedError(f"根元素 <{name}> 不是 RSS、Atom 或 JSON Feed")


# -- helpers ---------------------------------------------------------------------------------------------------


def html_to_text(value: str) -> str:
    """Visible text of an HTML fragment (blocks on their own lines); plain text passes through."""
    if not value:
        return ""
    if not _TAG_RE.search(value) and "&" not in value:
        return value.strip()
    return text_of(parse_html(value))


def parse_when(value: str | None) -> datetime | None:
    """A feed's date: RFC 822, ISO 8601, or a Chinese date; zone-less values are China time."""
    if not value:
        return None
    value = value.strip()
    if not value:
        return None
    moment: datetime | None = None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None:
        match = parse_moment(value)
        if match is None:
            return None
        moment = match.moment or datetime(match.date.year, match.date.month, match.date.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    return moment


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return "".join(el.itertext()).strip()


def _child(el: etree._Element, *names: tuple[str | None, str]) -> etree._Element | None:
    for namespace, local in names:
        found = el.find(f"{{{namespace}}}{local}" if namespace else local)
        if found is not None:
            return found
    return None


def _item(item_id: str | None, url: str | None, title: str, html: str, when: str | None) -> FeedItem:
    title = html_to_text(title).replace("\n", " ").strip()
    return FeedItem(
        item_id=(item_id or "").strip() or None,
        url=(url or "").strip() or None,
        title=title,
        text=html_to_text(html),
        published=parse_when(when),
    )


# -- the four formats ------------------------------------------------------------------------------------------


def _rss(root: etree._Element) -> ParsedFeed:
    channel = root.find("channel")
    if channel is None:
        raise FeedError("RSS 文档缺少 <channel>")
    items = []
    for node in channel.iter("item"):
        guid = node.find("guid")
        content = _child(node, (_CONTENT, "encoded"))
        html = _text(content) or _text(node.find("description"))
        when = _text(node.find("pubDate")) or _text(_child(node, (_DC, "date")))
        items.append(_item(_text(guid), _text(node.find("link")), _text(node.find("title")), html, when))
        if len(items) >= MAX_ITEMS:
            break
    return ParsedFeed("rss", _text(channel.find("title")), _text(channel.find("link")) or None, tuple(items))


def _atom(root: etree._Element) -> ParsedFeed:
    ns = etree.QName(root).namespace

    def find(el: etree._Element, local: str) -> etree._Element | None:
        return el.find(f"{{{ns}}}{local}" if ns else local)

    def link_of(el: etree._Element) -> str | None:
        links = el.findall(f"{{{ns}}}link" if ns else "link")
        for link in links:
            if link.get("rel", "alternate") == "alternate" and link.get("href"):
                return link.get("href")
        return links[0].get("href") if links else None

    items = []
    for node in root.iter(f"{{{ns}}}entry" if ns else "entry"):
        content = find(node, "content")
        if content is not None and content.get("type") == "xhtml":
            html = etree.tostring(content, encoding="unicode", method="html")
        else:
            html = _text(content) or _text(find(node, "summary"))
        when = _text(find(node, "published")) or _text(find(node, "updated"))
        items.append(_item(_text(find(node, "id")), link_of(node), _text(find(node, "title")), html, when))
        if len(items) >= MAX_ITEMS:
            break
    return ParsedFeed("atom", _text(find(root, "title")), link_of(root), tuple(items))


def _rdf(root: etree._Element) -> ParsedFeed:
    channel = root.find(f"{{{_RSS1}}}channel")
    items = []
    for node in root.iter(f"{{{_RSS1}}}item"):
        url = _text(node.find(f"{{{_RSS1}}}link"))
        about = node.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
        html = _text(_child(node, (_CONTENT, "encoded"))) or _text(node.find(f"{{{_RSS1}}}description"))
        when = _text(node.find(f"{{{_DC}}}date"))
        items.append(_item(about or url, url, _text(node.find(f"{{{_RSS1}}}title")), html, when))
        if len(items) >= MAX_ITEMS:
            break
    title = _text(channel.find(f"{{{_RSS1}}}title")) if channel is not None else ""
    link = _text(channel.find(f"{{{_RSS1}}}link")) if channel is not None else ""
    return ParsedFeed("rdf", title, link or None, tuple(items))


def _json_feed(body: bytes) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FeedError(f"不是有效的 JSON：{exc}") from exc
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        raise FeedError("JSON 文档不是 JSON Feed（缺少 version: https://jsonfeed.org/version/1.x）")
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        raise FeedError("JSON Feed 缺少 items 列表")
    items = []
    for raw in raw_items[:MAX_ITEMS]:
        if not isinstance(raw, dict):
            continue
        html = str(raw.get("content_html") or "") or str(raw.get("content_text") or raw.get("summary") or "")
        when = raw.get("date_published") or raw.get("date_modified")
        items.append(
            _item(
                str(raw["id"]) if raw.get("id") is not None else None,
                str(raw.get("url") or raw.get("external_url") or ""),
                str(raw.get("title") or ""),
                html,
                str(when) if when else None,
            )
        )
    return ParsedFeed(
        "jsonfeed", str(data.get("title") or ""), data.get("home_page_url") or None, tuple(items)
    )
