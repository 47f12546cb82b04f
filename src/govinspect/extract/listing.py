"""Dated entries of list pages, found generically: repeated sibling blocks that each hold one main link.

A *block* is an element (ul/ol/table/tbody/div/dl/…) with at least two element children of the same tag
(li, tr, dd, dt, div, p, span) that each hold a title link (text of 4+ characters, not "更多"/"more"). Each entry's
date is read from its text outside the link (a span/td/em…), else from a date-only element or the start/end of
the link text; any format :func:`govinspect.extract.dates.find_dates` knows, yearless ``03-25`` via
``reference``. Navigation and footer regions are ignored, as are hidden entries.

Column pages: the block with the most dated entries wins (blocks in the main area preferred); with no dated
block, the largest undated block outside sidebars is returned as undated entries. Homepages: every block, plus
standalone dated links.

Limits: lists rendered by JavaScript from JSON are invisible here (大汉 ``<datastore>`` records are handled by
:mod:`govinspect.extract.page`); a list of one entry is not a block (a column page with a single dated entry is
found through its date-bearing sibling structure only when the entry sits in a ul/table with its date).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from lxml import etree

from govinspect.extract.dates import find_dates, parse_date
from govinspect.extract.html import Layout, inline_text

__all__ = ["ListItem", "Listing", "find_placeholder", "homepage_items", "list_items", "newest_date"]


@dataclass(frozen=True, slots=True)
class ListItem:
    title: str
    url: str
    date: date | None
    date_text: str | None


@dataclass(frozen=True, slots=True)
class Listing:
    items: tuple[ListItem, ...]
    placeholder: str | None = None  # 暂无信息-style text shown in the page's main area

    @property
    def newest(self) -> date | None:
        return newest_date(self.items)

    @property
    def blank(self) -> bool:
        return not self.items

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


_ENTRY_TAGS = {"li", "tr", "dd", "dt", "div", "p", "span", "section", "article", "h3", "h4", "a", "table"}
_CONTAINER_SKIP = {"select", "script", "style", "head"}
_MORE_RE = re.compile(
    r"^(?:更多|更多\s*>+|more|more\s*>+|>>|»|查看更多|更多信息|更多>>|\+\s*更多|更多\+|MORE\+?|详细|详情|全文|阅读全文|\[?更多\]?)$",
    re.I,
)
_PLACEHOLDER_RE = re.compile(
    r"(?:对不起|抱歉|提示)?[:：]?(?:本|该|此|当前)?(?:栏目|页面|频道|分类|列表)?(?:下|中|内)?(?:目前|暂时)?"
    r"(?:(?:暂无|没有|无|尚无)(?:相关|任何|符合条件的)?(?:的)?(?:信息|数据|内容|记录|文章|资料|公开信息|结果)(?:可显示|发布|公开)?"
    r"|(?:正在|尚在)(?:建设|维护|更新|完善|整理|采集)中?|(?:建设|维护|完善|整理)中)"
    r"(?:敬请期待|请稍后访问)?|敬请期待|no(?:data|records?)",
    re.I,
)
_PLACEHOLDER_PUNCT_RE = re.compile(r"[\s,，.。!！…~～、\-—]+")
_SIDEBAR_RE = re.compile(
    r"(?:^|[-_])(?:side|sidebar|left|right|aside|sub-?nav|related|xgxx|xglj|rd|hot)(?:[-_\d]|$)", re.I
)
_MAIN_RE = re.compile(
    r"(?:^|[-_])(?:list|lists|news|main|content|con|xxgk|article|items?|lb)(?:[-_\d]|$)", re.I
)


def newest_date(items: Iterable[ListItem]) -> date | None:
    dates = [i.date for i in items if i.date is not None]
    return max(dates) if dates else None


def _title_link(entry: etree._Element, layout: Layout) -> etree._Element | None:
    best, best_len = None, 0
    anchors = [entry] if entry.tag == "a" else entry.iter("a")
    for a in anchors:
        href = (a.get("href") or "").strip()
        unusable = not href or href.startswith("#") or href.lower().startswith(("javascript:", "mailto:"))
        if unusable and not a.get("onclick"):
            continue
        if a in layout.hidden or a in layout.nav or a in layout.footer:
            continue
        text = inline_text(a) or (a.get("title") or "").strip()
        if _MORE_RE.match(text) or len(text) < 4:
            continue
        if len(text) > best_len:
            best, best_len = a, len(text)
    return best


def _entry_date(
    entry: etree._Element, link: etree._Element, reference: date | None
) -> tuple[date | None, str | None]:
    link_text = inline_text(link)
    whole = inline_text(entry) if entry is not link else link_text
    rest = whole.replace(link_text, " ", 1) if link_text else whole
    found = find_dates(rest, reference=reference)
    if found:
        return found[0].date, found[0].text
    # a date-only element inside the link (<a><span>title</span><span>2020-03-25</span></a>)
    for el in link.iter():
        if el is link or not isinstance(el.tag, str):
            continue
        t = inline_text(el)
        if t and len(t) <= 24 and (d := parse_date(t, reference=reference)) is not None:
            return d, t
    # a date at the very start or end of the link text ("标题 2020-03-25", "[03-25] 标题")
    for dm in find_dates(link_text, reference=reference):
        head = link_text[: dm.start].strip(" [(【")
        tail = link_text[dm.end :].strip(" ])】")
        if not head or not tail:
            return dm.date, dm.text
    return None, None


def _entry_title(link: etree._Element) -> str:
    text = inline_text(link)
    title_attr = (link.get("title") or "").strip()
    # truncated link text ("关于开展…") → the title attribute, when it starts the same way
    stem = text.rstrip(".…").rstrip()
    if (
        title_attr
        and len(title_attr) >= len(text)
        and (not text or (stem and title_attr.startswith(stem[:6])))
    ):
        return title_attr
    return text


@dataclass
class _Block:
    container: etree._Element
    entries: list[tuple[etree._Element, etree._Element, date | None, str | None]]

    @property
    def dated(self) -> int:
        return sum(1 for e in self.entries if e[2] is not None)


def _blocks(root: etree._Element, layout: Layout, reference: date | None) -> list[_Block]:
    blocks: list[_Block] = []
    claimed: set[etree._Element] = set()
    for container in root.iter():
        if not isinstance(container.tag, str) or container.tag in _CONTAINER_SKIP:
            continue
        if container in layout.nav or container in layout.footer or container in layout.hidden:
            continue
        children = [c for c in container if isinstance(c.tag, str) and c.tag in _ENTRY_TAGS]
        if len(children) < 2:
            continue
        by_tag: dict[str, list[etree._Element]] = {}
        for c in children:
            by_tag.setdefault(c.tag, []).append(c)
        for group in by_tag.values():
            if len(group) < 2:
                continue
            entries = []
            for child in group:
                if (
                    child in layout.hidden
                    or child in claimed
                    or child in layout.nav
                    or child in layout.footer
                ):
                    continue
                if sum(1 for a in child.iter("a") if a.get("href")) > 4:
                    continue
                link = _title_link(child, layout)
                if link is None:
                    continue
                # an entry holds one main link: several long links → this child is itself a container
                longs = sum(
                    1
                    for a in child.iter("a")
                    if a is not link and len(inline_text(a)) >= 8 and not _MORE_RE.match(inline_text(a))
                )
                if longs:
                    continue
                d, dt = _entry_date(child, link, reference)
                entries.append((child, link, d, dt))
            if len(entries) >= 2:
                blocks.append(_Block(container, entries))
                for child, _, _, _ in entries:
                    claimed.add(child)
    return blocks


def _tokens_upwards(el: etree._Element, depth: int = 6) -> str:
    out = []
    node: etree._Element | None = el
    for _ in range(depth):
        if node is None or node.tag in ("body", "html"):
            break
        out.append(" ".join(filter(None, (node.get("class"), node.get("id")))))
        node = node.getparent()
    return " ".join(out)


def _items(block: _Block, resolve) -> list[ListItem]:
    out = []
    for _child, link, d, dt in block.entries:
        url = resolve(link.get("href") or "")
        if url is None:
            continue
        out.append(ListItem(_entry_title(link), url, d, dt))
    return out


def _resolver(page):
    from govinspect.extract.page import _resolve  # same URL rules as the page's links

    base = getattr(page, "base_url", None) or getattr(page, "url", "")
    return lambda href: _resolve(base, href)


def _tree_and_layout(page) -> tuple[etree._Element, Layout]:
    tree = getattr(page, "tree", None)
    if tree is None:
        tree = page
        return tree, Layout(tree)
    layout = getattr(page, "layout", None) or Layout(tree)
    return tree, layout


def find_placeholder(root: etree._Element, layout: Layout) -> str | None:
    """A blank-column placeholder (暂无信息, 栏目建设中…) shown outside navigation and footer."""
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "title", "head", "option"):
            continue
        if el in layout.nav or el in layout.footer or el in layout.hidden:
            continue
        parent = el.getparent()
        tail_ok = parent is not None and not (
            parent in layout.hidden or parent in layout.nav or parent in layout.footer
        )
        for chunk in (el.text, el.tail if tail_ok else None):
            if (
                chunk
                and len(chunk.strip()) <= 40
                and _PLACEHOLDER_RE.fullmatch(_PLACEHOLDER_PUNCT_RE.sub("", chunk))
            ):
                return chunk.strip()
    return None


def list_items(page, *, reference: date | None = None) -> Listing:
    """The entries of a column/list page (``page`` is a :class:`~govinspect.extract.page.Page` or an lxml tree)."""
    tree, layout = _tree_and_layout(page)
    reference = reference or getattr(page, "reference", None)
    blocks = _blocks(tree, layout, reference)
    placeholder = find_placeholder(tree, layout)
    if not blocks:
        return Listing((), placeholder)
    resolve = _resolver(page)

    def score(b: _Block) -> tuple[float, int]:
        toks = _tokens_upwards(b.container)
        s = b.dated * 10 + len(b.entries)
        if _MAIN_RE.search(toks):
            s *= 1.5
        if _SIDEBAR_RE.search(toks):
            s *= 0.5
        return s, len(b.entries)

    dated = [b for b in blocks if b.dated >= max(2, len(b.entries) // 2)]
    if dated:
        best = max(dated, key=score)
        # the same list split across several containers (a <ul> per 5 items): take siblings of the same shape
        chosen = [
            b
            for b in dated
            if b is best
            or (
                b.container.getparent() is best.container.getparent()
                and b.container.tag == best.container.tag
                and b.container.get("class") == best.container.get("class")
            )
        ]
        items = [it for b in chosen for it in _items(b, resolve)]
    else:
        candidates = [b for b in blocks if not _SIDEBAR_RE.search(_tokens_upwards(b.container))]
        if not candidates:
            return Listing((), placeholder)
        items = _items(max(candidates, key=score), resolve)
    seen: set[str] = set()
    unique = []
    for it in items:
        if it.url in seen:
            continue
        seen.add(it.url)
        unique.append(it)
    return Listing(tuple(unique), placeholder)


def homepage_items(page, *, reference: date | None = None) -> list[ListItem]:
    """Dated items anywhere on a homepage: every list block, plus standalone dated links. Undated entries are
    left out (the homepage check needs dates)."""
    tree, layout = _tree_and_layout(page)
    reference = reference or getattr(page, "reference", None)
    resolve = _resolver(page)
    out: dict[str, ListItem] = {}
    for b in _blocks(tree, layout, reference):
        for it in _items(b, resolve):
            if it.date is not None:
                out.setdefault(it.url, it)
    parent_sizes: dict[object, int] = {}  # a parent's text read once: 50,000 links in one <div> stay linear
    for a in tree.iter("a"):
        if a in layout.nav or a in layout.footer or a in layout.hidden:
            continue
        url = resolve(a.get("href") or "")
        if url is None or url in out:
            continue
        text = inline_text(a)
        if len(text) < 4 or _MORE_RE.match(text):
            continue
        parent = a.getparent()
        if parent is None:
            continue
        size = parent_sizes.get(parent)
        if size is None:
            size = parent_sizes[parent] = len(inline_text(parent))
        d, dt = _entry_date(parent, a, reference) if size <= len(text) + 40 else (None, None)
        if d is not None:
            out[url] = ListItem(_entry_title(a), url, d, dt)
    return list(out.values())
