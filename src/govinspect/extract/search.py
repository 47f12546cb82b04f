"""Site search: the homepage's search boxes, the recent articles a probe searches for, the request a browser would
send for them, and whether a result page shows the article. Pure: fetch/search_probe.py sends the requests.

A search box is a form whose text input looks like a search (its name, id, class, placeholder, the action, a
搜索/检索 button) or a box a script drives (an input outside any form, a form without a real action): the latter
counts as a site search but is not probed. The probe searches for the exact title of the newest article of a
news column that is at least ``article_min_age_days`` old (an index may lag a day), and a second one before the
search is called broken: precision first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import quote_plus, urljoin, urlsplit, urlunsplit

from lxml import etree
from w3lib.url import canonicalize_url

from govinspect.extract.html import inline_text, normalise_charset
from govinspect.extract.model import Column, SearchBox, SearchProbe, SiteModel, SiteSearch
from govinspect.extract.page import Page, parse_page

__all__ = [
    "SearchRequest",
    "judge_result",
    "probe_requests",
    "read_search_boxes",
    "read_site_search",
    "search_request",
    "with_probes",
]

_PARAM_NAMES = {
    "q", "query", "keyword", "keywords", "searchword", "searchword1", "kw", "wd", "key", "word", "sw", "qt",
    "searchkey", "searchtext", "search", "sword", "searchvalue", "searchkeyword", "keys", "text", "title",
}  # fmt: skip
_HINT_RE = re.compile(r"search|sousuo|keyword|搜索|检索|关键字|关键词", re.I)
_ACTION_RE = re.compile(
    r"search|sousuo|jsearch|s\.jsp|was5?/|jrobot|query|/so/|/s\?|souso|fulltext|qwjs|/ss/|/sou/|trssearch",
    re.I,
)
_BUTTON_RE = re.compile(r"搜索|检索|搜\s*索|search", re.I)
_WEAK_BUTTON_RE = re.compile(r"查询|查\s*询|go|确定", re.I)
_CORE_PARAMS = {
    "q",
    "query",
    "keyword",
    "keywords",
    "searchword",
    "kw",
    "wd",
    "sword",
    "searchkey",
    "searchtext",
}
_TEXT_TYPES = ("text", "search", "")
_SKIP_TYPES = ("submit", "image", "button", "reset", "file", "password")
_LINK_TEXT_RE = re.compile(r"^(?:站内|全站|全文|高级|站内全文|智能)?(?:搜索|检索)$|^搜\s*索$|^search$", re.I)
_LINK_URL_RE = re.compile(r"/(?:search|sousuo|jsearch|jrobot|was5|so|qwjs)(?:[/._?]|$)", re.I)
_FRAGMENT_RE = re.compile(
    r"\.load\s*\(\s*['\"][^'\"]+\.(?:s?html?|jsp|php|aspx?)|document\.write(?:ln)?\s*\(\s*['\"]\s*<(?:form|input)",
    re.I,
)
_SCRIPT_HINT_RE = re.compile(r"(?<![a-z])search|sousuo|jsearch|jrobot|was5|搜索|检索", re.I)


def _fields_of(form: etree._Element) -> list[tuple[str, str, str]]:
    """(name, value, type) of the form's fields a browser submits, in document order."""
    out: list[tuple[str, str, str]] = []
    for el in form.iter("input", "select", "textarea"):
        name = (el.get("name") or "").strip()
        if not name or el.get("disabled") is not None:
            continue
        if el.tag == "select":
            options = list(el.iter("option"))
            chosen = next(
                (o for o in options if o.get("selected") is not None), options[0] if options else None
            )
            if chosen is not None:
                out.append((name, chosen.get("value", inline_text(chosen)), "select"))
            continue
        if el.tag == "textarea":
            out.append((name, el.text or "", "textarea"))
            continue
        kind = (el.get("type") or "text").strip().lower()
        if kind in _SKIP_TYPES:
            continue
        if kind in ("checkbox", "radio") and el.get("checked") is None:
            continue
        out.append((name, el.get("value") or ("on" if kind in ("checkbox", "radio") else ""), kind))
    return out


def _hinted(el: etree._Element) -> bool:
    attrs = (
        el.get("id"),
        el.get("class"),
        el.get("placeholder"),
        el.get("name"),
        el.get("value"),
        el.get("title"),
    )
    return bool(_HINT_RE.search(" ".join(a for a in attrs if a)))


def _search_input(form: etree._Element) -> tuple[etree._Element | None, int]:
    """The form's query input and how plainly the form is a site search (0: not one): a search-like action, a
    search-like form, a hinted input, a 搜索/检索 button, a usual query name. A lone input beside a 查询 button
    (a letter lookup, say) counts as a search box but too weakly to be probed."""
    texts = [
        i
        for i in form.iter("input")
        if (i.get("type") or "text").strip().lower() in _TEXT_TYPES and i.get("name")
    ]
    buttons = [
        b
        for b in form.iter("input", "button")
        if b.tag == "button" or (b.get("type") or "").lower() in ("submit", "image", "button")
    ]
    labels = [(b.get("value") or "") + inline_text(b) + (b.get("alt") or "") for b in buttons]
    by_name = next((i for i in texts if i.get("name", "").strip().lower() in _PARAM_NAMES), None)
    by_hint = next((i for i in texts if _hinted(i)), None)
    chosen = by_name if by_name is not None else by_hint
    signals = (
        bool(_ACTION_RE.search(form.get("action") or ""))
        + _hinted(form)
        + (by_hint is not None)
        + any(_BUTTON_RE.search(label) for label in labels)
    )
    if chosen is None and len(texts) == 1 and (signals or any(_WEAK_BUTTON_RE.search(x) for x in labels)):
        chosen = texts[0]
    if chosen is None:
        return None, 0
    signals += chosen.get("name", "").strip().lower() in _CORE_PARAMS
    if (
        not signals
        and len(texts) == 1
        and (by_name is not None or any(_WEAK_BUTTON_RE.search(x) for x in labels))
    ):
        signals = 1  # weak: a search box for search.missing, not probed
    elif not signals:
        return None, 0
    return chosen, signals


def _max_length(el: etree._Element) -> int | None:
    raw = (el.get("maxlength") or "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def _scripted_form(form: etree._Element) -> bool:
    """A form a script submits: no real action (submitting would reload the page), or one that never submits."""
    action = (form.get("action") or "").strip()
    onsubmit = (form.get("onsubmit") or "").replace(" ", "").lower()
    return not action or action.startswith(("#", "javascript:")) or onsubmit.startswith("returnfalse")


def read_search_boxes(page: Page) -> tuple[SearchBox, ...]:
    """The page's search boxes: forms (with every field a browser would send) and script-driven boxes."""
    root = page.tree
    if root is None:
        return ()
    hidden = page.layout.hidden if page.layout is not None else set()
    boxes: list[SearchBox] = []
    in_forms: set[etree._Element] = set()
    for form in root.iter("form"):
        in_forms.update(form.iter("input"))
        if form in hidden:
            continue
        chosen, signals = _search_input(form)
        if chosen is None:
            continue
        param = chosen.get("name", "").strip()
        scripted = _scripted_form(form)
        action_raw = (form.get("action") or "").strip()
        action = None if scripted else urljoin(page.base_url, action_raw)
        fields = tuple((n, v) for n, v, _ in _fields_of(form))
        boxes.append(
            SearchBox(
                action=action,
                method=(form.get("method") or "get").strip().lower() or "get",
                param=param,
                fields=fields,
                accept_charset=(form.get("accept-charset") or "").strip() or None,
                scripted=scripted,
                max_length=_max_length(chosen),
                signals=signals,
            )
        )
    if not boxes:
        for i in root.iter("input"):
            if i in in_forms or i in hidden or (i.get("type") or "text").strip().lower() not in _TEXT_TYPES:
                continue
            if _hinted(i) or (i.get("name") or "").strip().lower() in _PARAM_NAMES:
                boxes.append(SearchBox(None, "get", (i.get("name") or "").strip() or None, scripted=True))
                break
    # What page.py recognised and this reader did not (a looser rule): kept as boxes, not probed.
    known = {(b.action, b.param) for b in boxes}
    for form in page.search_forms:
        if (form.action, form.param) not in known and not any(b.param == form.param for b in boxes):
            boxes.append(SearchBox(None, form.method, form.param, scripted=True))
    return tuple(dict.fromkeys(boxes))


def _search_links(page: Page) -> tuple[str, ...]:
    found = []
    for link in page.links:
        if link.kind not in ("a", "area") or link.hidden:
            continue
        text = re.sub(r"\s+", "", link.text)
        if (text and len(text) <= 8 and _LINK_TEXT_RE.search(text)) or _LINK_URL_RE.search(
            urlsplit(link.url).path
        ):
            found.append(f"{text} {link.url}".strip())
    return tuple(dict.fromkeys(found))[:5]


def _script_hints(page: Page) -> tuple[str, ...]:
    """Signs that a search box may exist where this reader cannot see it: search words in scripts or markup,
    a page fragment a script loads (a shared header), a frame of the site's own."""
    text = page.decoded.text
    found = sorted({m.group(0).lower() for m in _SCRIPT_HINT_RE.finditer(text)})[:5]
    if _FRAGMENT_RE.search(text):
        found.append("脚本载入页面片段")
    own = (urlsplit(page.url).hostname or "").lower()
    if any(
        link.kind in ("iframe", "frame") and (urlsplit(link.url).hostname or "").lower() == own
        for link in page.links
    ):
        found.append("内嵌框架")
    return tuple(found)


def read_site_search(page: Page, snapshot_id: int | None) -> SiteSearch:
    """The homepage's search facts (boxes, search-page links, and hints in its markup when neither shows)."""
    boxes = read_search_boxes(page)
    links = _search_links(page)
    return SiteSearch(
        page_url=page.url,
        snapshot_id=snapshot_id,
        boxes=boxes,
        links=links,
        hints=() if boxes or links else _script_hints(page),
        page_links=sum(1 for link in page.links if link.kind in ("a", "area")),
        encoding=page.decoded.encoding,
    )


# --- choosing articles, building the request --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What a browser sends when the form is submitted with ``query`` (fetch/search_probe.py sends it)."""

    query: str
    article_url: str
    article_date: date | None
    url: str
    method: str  # get | post
    body: bytes | None = None
    content_type: str | None = None
    referer: str | None = None


MIN_PROBE_SIGNALS = 2  # a form is probed only when it plainly is the site search (see _search_input)
_ELLIPSIS_RE = re.compile(r"(?:\.{2,}|…+|。。+)$")
_PREFERRED_CLASSES = ("dynamic", "notice", "policy")


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def _title_for(listed: str, page: Page | None) -> str | None:
    """The article's full title: its page's headline when the list's text agrees with it (lists truncate)."""
    listed_c = _compact(_ELLIPSIS_RE.sub("", listed.strip()))
    headline = (page.article.title or "").strip() if page is not None else ""
    if headline and listed_c and _compact(headline).startswith(listed_c):
        return headline
    if not _ELLIPSIS_RE.search(listed.strip()):
        return listed.strip()
    return None


def choose_articles(
    columns: Sequence[Column],
    pages: Mapping[str, Page],
    listing: Callable[[Page], Iterable[object]],
    as_of: date,
    *,
    min_age_days: int = 2,
    count: int = 2,
) -> list[tuple[str, str, date]]:
    """(title, URL, date) of up to ``count`` articles to search for: the newest fetched articles at least
    ``min_age_days`` old, news columns first, then notices, then policy documents."""
    latest = as_of - timedelta(days=min_age_days)
    chosen: list[tuple[str, str, date]] = []
    seen: set[str] = set()
    for wanted in _PREFERRED_CLASSES:
        candidates = []
        for column in columns:
            if column.column_class != wanted or column.ignored or column.url not in pages:
                continue
            for item in listing(pages[column.url]):
                day, url = getattr(item, "date", None), getattr(item, "url", "")
                if day is None or day > latest or url in seen or url not in pages:
                    continue
                title = _title_for(getattr(item, "title", ""), pages[url])
                if title and len(_compact(title)) >= 6:
                    candidates.append((day, title, url))
        for day, title, url in sorted(candidates, key=lambda c: c[0], reverse=True):
            if url in seen or any(_compact(title) == _compact(t) for t, _, _ in chosen):
                continue
            seen.add(url)
            chosen.append((title, url, day))
            if len(chosen) >= count:
                return chosen
    return chosen


def _charset(box: SearchBox, page_encoding: str | None) -> str:
    for label in re.split(r"[\s,;]+", box.accept_charset or ""):
        codec = normalise_charset(label)
        if codec:
            return codec
    return normalise_charset(page_encoding) or "utf-8"


def _encode(value: str, charset: str) -> str:
    try:
        raw = value.encode(charset)
    except UnicodeEncodeError:
        raw = value.encode(charset, "xmlcharrefreplace")  # what browsers send for characters outside it
    return quote_plus(raw)


def search_request(
    box: SearchBox, query: str, article_url: str, article_date: date | None, page: SiteSearch
) -> SearchRequest | None:
    """The request a browser sends when ``box`` is submitted with ``query``; None for a box a script drives."""
    if box.scripted or box.action is None or box.param is None or box.method not in ("get", "post"):
        return None
    if box.max_length is not None:
        query = query[: box.max_length]  # what a browser lets the user type
    fields = list(box.fields) or [(box.param, "")]
    if not any(name == box.param for name, _ in fields):
        fields.append((box.param, ""))
    charset = _charset(box, page.encoding)
    replaced = False
    pairs = []
    for name, value in fields:
        if name == box.param and not replaced:
            value, replaced = query, True
        pairs.append(f"{_encode(name, charset)}={_encode(value, charset)}")
    data = "&".join(pairs)
    parts = urlsplit(box.action)
    if box.method == "get":
        # HTML: a GET form's data replaces the action's query
        url = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", data, ""))
        return SearchRequest(query, article_url, article_date, url, "get", referer=page.page_url)
    url = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))
    return SearchRequest(
        query,
        article_url,
        article_date,
        url,
        "post",
        body=data.encode("ascii"),
        content_type="application/x-www-form-urlencoded",
        referer=page.page_url,
    )


def probe_requests(
    model: SiteModel,
    pages: Mapping[str, Page],
    listing: Callable[[Page], Iterable[object]],
    as_of: date,
    *,
    min_age_days: int = 2,
    count: int = 2,
) -> tuple[list[SearchRequest], str | None]:
    """The searches to send for this site, and why none when there are none (kept in the model)."""
    search = model.search
    if search is None:
        return [], "首页未读取"
    probe_boxes = sorted(
        (b for b in search.boxes if not b.scripted and b.action), key=lambda b: b.signals, reverse=True
    )
    if not probe_boxes:
        return [], "搜索框由脚本驱动，未检测" if search.boxes else "首页无可提交的搜索框"
    if probe_boxes[0].signals < MIN_PROBE_SIGNALS:
        return [], "未能确认站内搜索表单（可能为信件查询等），未检测"
    articles = choose_articles(model.columns, pages, listing, as_of, min_age_days=min_age_days, count=count)
    if not articles:
        return [], f"未找到发布于 {min_age_days} 天前的新闻类文章，未检测"
    box = probe_boxes[0]
    requests = [search_request(box, title, url, day, search) for title, url, day in articles]
    return [r for r in requests if r is not None], None


def with_probes(model: SiteModel, probes: Sequence[SearchProbe], note: str | None) -> SiteModel:
    if model.search is None:
        return model
    return replace(model, search=replace(model.search, probes=tuple(probes), probe_note=note))


# --- judging a result page ---------------------------------------------------------------------------------

_NO_RESULT_RE = re.compile(
    r"未找到|没有找到|找不到|未能找到|未检索到|没有检索到|未搜索到|没有搜索到|未查询到|没有查询到|无相关(?:结果|信息|内容|记录)|"
    r"暂无(?:相关)?(?:结果|记录|搜索结果|检索结果)|"
    r"(?:共|找到|检索到|搜索到|查询到)\s*0\s*(?:条|个|篇|项)|(?<!\d)0\s*条(?:结果|记录|信息)|检索结果为空|搜索结果为空|no\s+results?",
    re.I,
)
_HITS_RE = re.compile(
    r"(?:共|找到|检索到|搜索到|查询到|相关(?:结果|信息|文章)?约?)[^\d\n]{0,8}?(\d[\d,]*)\s*(?:条|个|篇|项)"
)
_RESULT_PAGE_RE = re.compile(r"(?:搜索|检索|查询)结果|结果列表|search\s*results?", re.I)
_ECHO_RE = re.compile(
    r"(?:关键[词字]|检索词|搜索词|查询词|您搜索|您检索|您查询|搜索|检索|查询|[“\"'「『])\W{0,3}$"
)
BLOCKED_STATUSES = frozenset({401, 403, 429})
UNJUDGED_ERRORS = frozenset({"blocked_ssrf", "invalid_url", "too_large"})


def _same_url(a: str, b: str) -> bool:
    try:
        ca, cb = canonicalize_url(a), canonicalize_url(b)
    except (ValueError, UnicodeError):
        return a == b
    if ca == cb:
        return True
    pa, pb = urlsplit(ca), urlsplit(cb)
    return len(pa.path) > 1 and (pa.path, pa.query) == (pb.path, pb.query)


def _shows_title(title: str, page: Page) -> bool:
    """The title as a result: a link's text (a list may cut it short), or the text outside the query's echo."""
    want = _compact(title)
    for link in page.links:
        if link.kind not in ("a", "area"):
            continue
        text = _compact(link.text)
        cut = _compact(_ELLIPSIS_RE.sub("", text))
        if want and (want in text or (cut != text and len(cut) >= 8 and want.startswith(cut))):
            return True
    text = _compact(page.body_text)
    start = text.find(want)
    while want and start >= 0:
        if not _ECHO_RE.search(text[max(0, start - 8) : start]):
            return True
        start = text.find(want, start + 1)
    return False


def judge_result(request: SearchRequest, response: object) -> SearchProbe:
    """Whether a search's answer shows the article. ``response`` has ``status``, ``error``, ``body``,
    ``headers`` and ``url`` (fetch/search_probe.py). Refusals (401/403/429, our own guard) are not judged."""
    status = getattr(response, "status", None)
    error = getattr(response, "error", None)
    probe = SearchProbe(
        query=request.query,
        article_url=request.article_url,
        article_date=request.article_date,
        url=request.url,
        method=request.method,
        status=status,
        error=error,
    )
    if status in BLOCKED_STATUSES:
        return replace(probe, note=f"搜索请求被拒绝（HTTP {status}），可能为防火墙拦截")
    if status is None:
        if error in UNJUDGED_ERRORS:
            return replace(probe, note=f"未能检测（{error}）")
        return replace(probe, found=False, note=f"搜索请求失败（{error or '网络错误'}）")
    if status >= 400:
        return replace(probe, found=False, note=f"搜索返回错误（HTTP {status}）")
    body = getattr(response, "body", b"") or b""
    page = parse_page(
        getattr(response, "url", None) or request.url, body, headers=getattr(response, "headers", None)
    )
    if page.decoded.looks_binary:
        return replace(probe, note="搜索结果不是网页")
    hits_match = _HITS_RE.search(page.body_text)
    hits = int(hits_match.group(1).replace(",", "")) if hits_match else None
    probe = replace(probe, hits=hits)
    if any(link.kind in ("a", "area") and _same_url(link.url, request.article_url) for link in page.links):
        return replace(probe, found=True)
    if _shows_title(request.query, page):
        return replace(probe, found=True)
    if not _compact(page.body_text):
        return replace(probe, found=False, note="搜索结果页为空白")
    if _NO_RESULT_RE.search(page.body_text) or hits == 0:
        return replace(probe, found=False, note="搜索结果为空")
    if hits is not None:
        return replace(probe, found=False, note=f"搜索结果（{hits} 条）中无该文章")
    if _RESULT_PAGE_RE.search(page.title + page.body_text[:2000]):
        return replace(probe, found=False, note="搜索结果中无该文章")
    return replace(probe, note="结果页未显示检索结果（可能由脚本加载），需人工确认")
