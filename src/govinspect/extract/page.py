"""One fetched page → its facts: title, meta tags, links, footer, visible text, article facts, search forms,
pagination. Pure: bytes, URL and headers in; frozen dataclasses out (the parsed tree rides along, uncompared,
for :mod:`govinspect.extract.listing`).

The facts every page needs (links, visible text) are read at once; the footer, the article facts, the search
forms and the pagination are read from the tree on first use and kept, since most pages of a site are never
asked for their footer or pagination. The tree must therefore not be changed after parsing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from urllib.parse import urldefrag, urljoin, urlparse, urlsplit

from lxml import etree
from lxml import html as lxml_html

from govinspect.extract.dates import DateMatch, labelled_date, meta_pubdate, url_date
from govinspect.extract.footer import FOOTER_TAIL_CHARS, Footer, read_footer
from govinspect.extract.html import Decoded, Layout, decode_html, inline_text, parse_html, text_of
from govinspect.extract.pagination import Pagination, find_pagination

__all__ = [
    "Article",
    "Link",
    "Page",
    "SearchForm",
    "charset_from_headers",
    "parse_page",
]

TRS_META_NAMES = (
    "SiteName",
    "SiteDomain",
    "SiteIDCode",
    "ColumnName",
    "ColumnType",
    "ArticleTitle",
    "PubDate",
    "ContentSource",
)


@dataclass(frozen=True, slots=True)
class Link:
    url: str  # absolute, fragment removed
    kind: str  # a | area | iframe | frame | script | img | link | form | embed
    text: str = ""  # anchor text (img alt / title when the anchor has no text)
    hidden: bool = False
    hidden_reason: str | None = None  # display:none | visibility:hidden | off-screen | zero-size | class | …
    nav: bool = False  # inside navigation (nav, header-menu, id/class nav/menu/daohang/dh)
    footer: bool = False  # inside the footer block
    raw: str = ""  # the attribute as written


@dataclass(frozen=True, slots=True)
class SearchForm:
    action: str | None  # absolute; None for a scripted search box outside any form
    method: str  # get | post
    param: str | None  # the text input's name
    scripted: bool = False


@dataclass(frozen=True, slots=True)
class Article:
    title: str | None
    displayed_date: DateMatch | None  # the date shown next to a label near the headline
    url_date: date | None
    meta_date: date | None
    source: str | None  # 来源
    text: str  # the main text

    @property
    def published(self) -> date | None:
        """The date the page says it was published: the one shown by the headline, else meta PubDate."""
        return self.displayed_date.date if self.displayed_date is not None else self.meta_date


@dataclass(frozen=True)
class Page:
    """``footer``, ``article``, ``search_forms`` and ``pagination`` are computed from the tree when first read."""

    url: str
    title: str
    meta: dict[str, str]
    links: tuple[Link, ...]
    body_text: str
    decoded: Decoded
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    reference: date | None = None
    tree: etree._Element | None = field(default=None, compare=False, repr=False)
    layout: Layout | None = field(default=None, compare=False, repr=False)

    @cached_property
    def _body(self) -> etree._Element:
        root = self._root
        return next(root.iter("body"), root)

    @cached_property
    def _root(self) -> etree._Element:
        return self.tree if self.tree is not None else parse_html("")

    @cached_property
    def _layout(self) -> Layout:
        return self.layout if self.layout is not None else Layout(self._root)

    @cached_property
    def _footer_part(self) -> tuple[str, str]:
        """(the footer block's text, how it was found)."""
        return _footer_block(self._root, self._layout, self.body_text)

    @cached_property
    def footer(self) -> Footer:
        footer_text, found_by = self._footer_part
        return read_footer(
            footer_text,
            found_by,
            self.body_text,
            text_of(self._body, None, include_hidden=True),
            self.links,
            _markers(self._root),
            host=(urlsplit(self.url).hostname or ""),
        )

    @cached_property
    def article(self) -> Article:
        return _article(self)

    @cached_property
    def search_forms(self) -> tuple[SearchForm, ...]:
        return tuple(_search_forms(self._root, self.base_url, self._layout))

    @cached_property
    def anchors(self) -> tuple[tuple[etree._Element, str], ...]:
        """The ``<a>`` elements with a link, and its absolute URL, in document order."""
        resolve = _Resolver(self.base_url)
        found = []
        for el in self._root.iter("a"):
            raw = el.get("href")
            url = resolve(raw) if raw is not None else None
            if url is not None:
                found.append((el, url))
        return tuple(found)

    @cached_property
    def pagination(self) -> Pagination:
        base = self.base_url
        return find_pagination(self._root, self.url if base == self.url else base, list(self.anchors))

    def meta_get(self, name: str, default: str | None = None) -> str | None:
        """A meta tag's content, the name matched case-insensitively."""
        wanted = name.lower()
        for k, v in self.meta.items():
            if k.lower() == wanted:
                return v
        return default

    def missing_meta(self, names: tuple[str, ...] = TRS_META_NAMES) -> list[str]:
        """The TRS/national meta tags absent (or empty) on this page."""
        return [n for n in names if not (self.meta_get(n) or "").strip()]

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def looks_binary(self) -> bool:
        return self.decoded.looks_binary


# ---------------------------------------------------------------------------------------------------------------

_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-.:]+)", re.I)
_DROP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "sms:", "callto:")
_LINK_ATTRS = (
    ("a", "href"),
    ("area", "href"),
    ("iframe", "src"),
    ("frame", "src"),
    ("script", "src"),
    ("img", "src"),
    ("link", "href"),
    ("form", "action"),
    ("embed", "src"),
)
_LINK_ATTR = dict(_LINK_ATTRS)
_SEARCH_PARAMS = {
    "q",
    "query",
    "keyword",
    "keywords",
    "searchword",
    "searchword1",
    "kw",
    "wd",
    "key",
    "word",
    "sw",
    "qt",
    "searchkey",
    "searchtext",
    "search",
    "text",
    "title",
    "content",
    "s",
}
_SEARCH_ACTION_RE = re.compile(
    r"search|sousuo|jsearch|s\.jsp|was5|jrobot|query|/so/|/s\?|souso|fulltext", re.I
)
_SEARCH_HINT_RE = re.compile(r"search|sousuo|keyword|搜索|检索|关键字|关键词", re.I)
_MARKER_IDS = {"_ideConac", "imgConac", "_jiucuo_", "_ideJiucuo"}
_SOURCE_RE = re.compile(
    r"(?:信息来源|文章来源|稿件来源|新闻来源|来源|稿源|发布机构|来源单位)\s*[:：]\s*"
    r"(?P<v>[^\s|丨｜【】\[\]]{1,40}?)(?=\s|$|[|丨｜【】\[\]]|作者|编辑|发布|时间|日期|浏览|点击|字号|阅读)"
)
_TITLE_SPLIT_RE = re.compile(r"\s*(?:_|\||｜|--|—|–| - )\s*")
_HEADLINE_HINT_RE = re.compile(r"(?:^|[-_])(?:title|tit|bt|biaoti|headline|article-title)(?:[-_\d]|$)", re.I)
_MAIN_HINT_RE = re.compile(
    r"zoom|TRS_Editor|TRS_UEDITOR|Custom_UnionStyle|article|content|main-?txt|pages_content|detail|zw|wzy|"
    r"news_?con|(?:^|[-_])(?:con|nr|txt|text)(?:[-_]|$)",
    re.I,
)


def charset_from_headers(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    for k, v in headers.items():
        if k.lower() == "content-type" and isinstance(v, str):
            m = _CHARSET_RE.search(v)
            return m.group(1) if m else None
    return None


def _clean_url(raw: str) -> str:
    if "\t" in raw or "\n" in raw or "\r" in raw:
        raw = re.sub(r"[\t\n\r]", "", raw)
    return raw.strip()


def _resolve(base: str, raw: str) -> str | None:
    return _resolve_clean(base, _clean_url(raw))


def _resolve_clean(base: str, value: str) -> str | None:
    if not value or value.startswith("#"):
        return None
    if value.lower().startswith(_DROP_SCHEMES):
        return None
    try:
        absolute = urljoin(base, value)
    except ValueError:
        return None
    absolute = urldefrag(absolute)[0]
    if not absolute.lower().startswith(("http://", "https://", "ftp://")):
        return None
    return absolute


_RESOLVED: dict[tuple[tuple[str, ...], str], str | None] = {}
_RESOLVED_MAX = 50_000


class _Resolver:
    """``_resolve(base, raw)`` for the links of one page, remembered across pages: an absolute link's target
    depends only on the base's scheme, a root-relative one's on the scheme and host, a relative path's on the
    base's directory (``urljoin`` reads no more of the base in those cases), so a site's navigation, repeated
    on every page, is resolved once. Anything else is keyed by the whole base."""

    __slots__ = ("base", "scopes")

    def __init__(self, base: str) -> None:
        self.base = base
        try:
            b = urlparse(base)
        except ValueError:
            self.scopes: tuple[tuple[str, ...], ...] | None = None
        else:
            self.scopes = (
                ("abs", b.scheme),
                ("root", b.scheme, b.netloc),
                ("dir", b.scheme, b.netloc, b.path[: b.path.rfind("/") + 1]),
                ("base", base),
            )

    def __call__(self, raw: str) -> str | None:
        value = _clean_url(raw)
        scopes = self.scopes
        if scopes is None or not value:
            return _resolve_clean(self.base, value)
        first = value[0]
        if first == "/":
            scope = scopes[1] if value[1:2] not in ("/", "\\") else scopes[3]
        elif value.startswith(("http://", "https://")):
            after = value[value.index("//") + 2 : value.index("//") + 3]
            scope = scopes[0] if after and after not in "/?#\\" else scopes[3]
        elif first > " " and first not in "?#;" and ":" not in value:
            scope = scopes[2]
        else:
            scope = scopes[3]
        key = (scope, value)
        try:
            return _RESOLVED[key]
        except KeyError:
            pass
        if len(_RESOLVED) >= _RESOLVED_MAX:
            _RESOLVED.clear()
        resolved = _RESOLVED[key] = _resolve_clean(self.base, value)
        return resolved


def _meta(root: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in root.iter("meta"):
        key = m.get("name") or m.get("property") or m.get("itemprop")
        content = m.get("content")
        if key and content is not None:
            out.setdefault(key.strip(), content.strip())
    return out


def _base_url(root: etree._Element, url: str) -> str:
    for b in root.iter("base"):
        href = b.get("href")
        if href and href.strip():
            resolved = _resolve(url, href)
            if resolved:
                return resolved
    return url


_RECORD_RE = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)


def _expand_datastores(root: etree._Element) -> None:
    """大汉 JCMS keeps list entries as CDATA records inside ``<script type="text/xml"><datastore>``: parse them
    into real elements right after the script, so lists and links see them."""
    for script in list(root.iter("script")):
        text = script.text or ""
        if "<recordset" not in text.lower() and "<record>" not in text.lower():
            continue
        records = _RECORD_RE.findall(text)
        if not records:
            continue
        holder = etree.Element("div", {"class": "gi-datastore"})
        for record in records:
            wrap = etree.SubElement(holder, "div", {"class": "gi-record"})
            try:
                parts = lxml_html.fragments_fromstring(record.strip())
            except (etree.ParserError, ValueError):
                continue
            for part in parts:
                if isinstance(part, str):
                    wrap.text = (wrap.text or "") + part
                else:
                    wrap.append(part)
        parent = script.getparent()
        if parent is not None:
            parent.insert(parent.index(script) + 1, holder)
            holder.tail, script.tail = script.tail, None


def _links(root: etree._Element, base: str, layout: Layout) -> list[Link]:
    links: list[Link] = []
    resolve = _Resolver(base)
    hidden, nav, footer = layout.hidden, layout.nav, layout.footer
    for el in root.iter(*_LINK_ATTR):
        tag = el.tag
        raw = el.get(_LINK_ATTR[tag])
        if raw is None:
            continue
        url = resolve(raw)
        if url is None:
            continue
        text = ""
        if tag == "a" or tag == "area":
            text = inline_text(el)
            if not text:
                img = next(el.iter("img"), None)
                text = (
                    el.get("title") or (img.get("alt") or img.get("title") or "" if img is not None else "")
                ).strip()
        elif tag == "img":
            text = (el.get("alt") or el.get("title") or "").strip()
        elif tag == "iframe" or tag == "frame":
            text = (el.get("title") or el.get("name") or "").strip()
        reason = hidden.get(el)
        links.append(
            Link(
                url=url,
                kind=tag,
                text=text,
                hidden=reason is not None,
                hidden_reason=reason,
                nav=el in nav,
                footer=el in footer,
                raw=raw,
            )
        )
    return links


def _markers(root: etree._Element) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for el in root.iter("img", "input", "span", "div", "script", "a"):
        eid = el.get("id")
        if eid in _MARKER_IDS:
            out.append(("id", eid))
        if el.tag == "img":
            for attr in ("alt", "title"):
                v = el.get(attr)
                if v:
                    out.append((attr, v))
    return out


def _footer_block(root: etree._Element, layout: Layout, body_text: str) -> tuple[str, str]:
    total = max(len(body_text), 1)
    texts: list[str] = []
    for el in layout.footer_roots:
        if el in layout.hidden:
            continue
        t = text_of(el, layout)
        if not t or (len(t) > 0.6 * total and len(t) > 3000):
            continue
        texts.append(t)
    if texts:
        return "\n".join(texts), "element"
    if body_text:
        return body_text[-FOOTER_TAIL_CHARS:], "tail"
    return "", "none"


def _search_forms(root: etree._Element, base: str, layout: Layout) -> list[SearchForm]:
    forms: list[SearchForm] = []
    in_form: set[etree._Element] = set()
    for form in root.iter("form"):
        inputs = [
            i for i in form.iter("input") if (i.get("type") or "text").lower() in ("text", "search", "")
        ]
        in_form.update(form.iter("input"))
        action_raw = form.get("action") or ""
        action = _resolve(base, action_raw) if action_raw.strip() else base
        param = None
        for i in inputs:
            name = (i.get("name") or "").strip()
            if name and name.lower() in _SEARCH_PARAMS:
                param = name
                break
        hinted = bool(_SEARCH_ACTION_RE.search(action_raw)) or any(
            _SEARCH_HINT_RE.search(
                " ".join(filter(None, (i.get("id"), i.get("class"), i.get("placeholder"))))
            )
            for i in inputs
        )
        if param is None and hinted and inputs:
            param = (inputs[0].get("name") or "").strip() or None
        if (param is not None and (hinted or len(inputs) == 1)) or (hinted and inputs):
            forms.append(SearchForm(action, (form.get("method") or "get").lower(), param))
    if not forms:
        for i in root.iter("input"):
            if i in in_form or i in layout.hidden:
                continue
            if (i.get("type") or "text").lower() not in ("text", "search", ""):
                continue
            hint = " ".join(filter(None, (i.get("id"), i.get("class"), i.get("name"), i.get("placeholder"))))
            if _SEARCH_HINT_RE.search(hint) or (i.get("name") or "").lower() in _SEARCH_PARAMS:
                forms.append(SearchForm(None, "get", i.get("name") or None, scripted=True))
                break
    return list(dict.fromkeys(forms))


def _headline(root: etree._Element, layout: Layout, title: str, meta_title: str | None) -> str | None:
    candidates: list[str] = []
    for el in root.iter("h1", "h2", "h3", "div", "p", "td", "span", "strong"):
        if el in layout.nav or el in layout.footer or el in layout.hidden:
            continue
        if el.tag in ("div", "p", "td", "span", "strong"):
            toks = " ".join(filter(None, (el.get("class"), el.get("id"))))
            if not toks or not _HEADLINE_HINT_RE.search(toks):
                continue
        t = inline_text(el)
        if 4 <= len(t) <= 200:
            candidates.append(t)
    compact_title = re.sub(r"\s+", "", title)
    for t in candidates:
        if re.sub(r"\s+", "", t) in compact_title:
            return t
    if meta_title and meta_title.strip():
        return meta_title.strip()
    h1 = next((inline_text(h) for h in root.iter("h1") if h not in layout.hidden and inline_text(h)), None)
    if h1:
        return h1
    parts = [p for p in _TITLE_SPLIT_RE.split(title) if p]
    return parts[0] if parts else None


def _main_text(root: etree._Element, layout: Layout) -> str:
    best, best_len = None, 0
    for el in root.iter("div", "td", "article", "section"):
        if el in layout.nav or el in layout.footer or el in layout.hidden:
            continue
        direct = sum(
            len(inline_text(c)) for c in el if c.tag in ("p", "br") or (c.tag == "div" and len(c) == 0)
        )
        direct += len((el.text or "").strip())
        toks = " ".join(filter(None, (el.get("class"), el.get("id"))))
        if toks and _MAIN_HINT_RE.search(toks):
            direct = int(direct * 1.2) + 1
        if direct > best_len:
            best, best_len = el, direct
    return text_of(best, layout) if best is not None else ""


def _source(window: str, body_text: str, meta: Mapping[str, str]) -> str | None:
    for text in (window, body_text):
        m = _SOURCE_RE.search(text)
        if m:
            return m.group("v").strip()
    for k, v in meta.items():
        if k.lower() in ("contentsource", "source") and v.strip():
            return re.sub(r"^(?:信息)?来源\s*[:：]\s*", "", v.strip()) or None
    return None


MAX_ANCHORS = 5000  # far above any real page (a big site map has a few thousand); see bounded_anchors
_ANCHOR_OPEN = re.compile(r"<a\b[^>]*>", re.I)


def bounded_anchors(text: str, limit: int = MAX_ANCHORS) -> str:
    """A page with more links than any real one (a crawler trap of 50,000) keeps its first ``limit`` links;
    the rest lose their ``<a>`` tag and stay as text. Every later step walks the links, several of them per
    link: unbounded, one such page costs minutes. The rest of the page (its footer) is kept."""
    if text.count("<a") + text.count("<A") <= limit:
        return text
    seen = 0

    def keep(m: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return m.group(0) if seen <= limit else ""

    return _ANCHOR_OPEN.sub(keep, text)


def parse_page(
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    reference: date | None = None,
) -> Page:
    """Every fact of a page that the checks use. Never raises on junk, binary or empty bodies."""
    decoded = decode_html(body, header_charset=charset_from_headers(headers))
    root = parse_html(bounded_anchors(decoded.text) if not decoded.looks_binary else "")
    _expand_datastores(root)
    layout = Layout(root)
    base = _base_url(root, url)
    meta = _meta(root)
    title_el = next(root.iter("title"), None)
    title = inline_text(title_el) if title_el is not None else ""

    body_el = next(root.iter("body"), root)
    body_text = text_of(body_el, layout)
    links = _links(root, base, layout)
    return Page(
        url=url,
        title=title,
        meta=meta,
        links=tuple(links),
        body_text=body_text,
        decoded=decoded,
        base_url=base,
        headers=dict(headers or {}),
        reference=reference,
        tree=root,
        layout=layout,
    )


def _article(page: Page) -> Article:
    root, layout, body_text, meta = page._root, page._layout, page.body_text, page.meta
    reference = page.reference
    meta_title = next((v for k, v in meta.items() if k.lower() == "articletitle"), None)
    headline = _headline(root, layout, page.title, meta_title)
    window = body_text
    if headline:
        pos = body_text.find(headline)
        if pos < 0:
            pos = body_text.find(headline[:12])
        if pos >= 0:
            window = body_text[pos : pos + len(headline) + 600]
    shown = labelled_date(window, reference=reference) if window else None
    if shown is None and window is not body_text:
        footer_text, found_by = page._footer_part
        main_part = body_text[: len(body_text) - len(footer_text)] if found_by == "tail" else body_text
        shown = labelled_date(main_part, reference=reference)
    return Article(
        title=headline,
        displayed_date=shown,
        url_date=url_date(page.url),
        meta_date=meta_pubdate(meta),
        source=_source(window, body_text, meta),
        text=_main_text(root, layout),
    )
