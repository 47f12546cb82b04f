"""Pagination of list pages, without a browser.

Recognised:

* ordinary links: 下一页/下页/尾页/末页/上一页/Next/Last/»…, and numbered page links inside a pagination container
  (class or id containing page/paging/pagination/fenye/fy/pager);
* TRS / 拓尔思 WCM ``createPageHTML(pageCount, currentPage, "index", "html")`` (also the newer form with a
  container id first, ``createPageHTML('page_div', 5, 1, 'index', 'shtml', 73)``, and arguments given as
  variables, ``var countPage = 5``): pages ``index.html``, ``index_1.html`` … ``index_{n-1}.html`` relative to the
  page;
* 大汉 Hanweb JCMS ``jpage`` lists: the ``<nextgroup>`` URL of the ``<datastore>`` block
  (``/module/web/jpage/dataproxy.jsp?...``) and ``totalRecord``/``perPage`` (or ``<totalrecord>``) from the
  page's scripts give the data-proxy URLs ``…&startrecord=S&endrecord=E&perpage=P`` of every further group;
* ``pageCount``/``totalPage``/``countPage`` variables next to a URL template ``index_{n}.html`` are *not*
  guessed: without a call we know, no URL is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

from govinspect.extract.html import inline_text

__all__ = ["Pagination", "find_pagination"]


@dataclass(frozen=True, slots=True)
class Pagination:
    urls: tuple[str, ...] = ()  # other pages of this list, absolute, in page order, without the current one
    next_url: str | None = None
    total_pages: int | None = None
    kind: str | None = None  # "links" | "trs" | "hanweb" | None


_NEXT_RE = re.compile(r"^(?:下一页|下页|下一頁|后一页|next(?:\s*page)?|>|›|»|>>)$", re.I)
_OTHER_RE = re.compile(
    r"^(?:上一页|上页|前一页|尾页|末页|最后一页|最末页|首页|第一页|prev(?:ious)?|last|first|<|<<|«|‹)$", re.I
)
_NUM_RE = re.compile(r"^\[?\s*(\d{1,4})\s*\]?$")
_PAGER_TOKEN_RE = re.compile(r"page|paging|pagination|pager|fenye|(?:^|[-_])fy(?:[-_]|$)|pagebar|turn", re.I)
_TRS_CALL_RE = re.compile(r"createPageHTML\s*\(([^()]*)\)")
_VAR_RE_TMPL = r"(?:var|let|const)?\s*\b{name}\s*=\s*['\"]?(\d+)"
_STRING_RE = re.compile(r"^['\"]([^'\"]*)['\"]$")
_TOTAL_RECORD_RE = re.compile(r"totalRecord\s*[:=]\s*['\"]?(\d+)|<totalrecord>\s*(\d+)", re.I)
_PER_PAGE_RE = re.compile(r"perPage\s*[:=]\s*['\"]?(\d+)|<perpage>\s*(\d+)", re.I)
_NEXTGROUP_RE = re.compile(r"<nextgroup>\s*(?:<!\[CDATA\[)?\s*<a[^>]+href=['\"]([^'\"]+)['\"]", re.I)
_MAX_PAGES = 500


def _in_pager(el: etree._Element) -> bool:
    for depth, node in enumerate(el.iterancestors()):
        if depth >= 3:
            break
        for attr in ("class", "id"):
            v = node.get(attr)
            if v and _PAGER_TOKEN_RE.search(v):
                return True
        if node.tag in ("body", "html"):
            break
    return False


def _resolve_arg(token: str, scripts: str) -> str | int | None:
    token = token.strip()
    s = _STRING_RE.match(token)
    if s:
        return s.group(1)
    if token.isdigit():
        return int(token)
    if re.fullmatch(r"[A-Za-z_$][\w$]*", token):
        m = re.search(_VAR_RE_TMPL.format(name=re.escape(token)), scripts)
        if m:
            return int(m.group(1))
    return None


def _trs(scripts: str, page_url: str) -> Pagination | None:
    for call in _TRS_CALL_RE.finditer(scripts):
        args = [_resolve_arg(a, scripts) for a in call.group(1).split(",")]
        # count, current, name, ext — optionally after a container id string
        for i in range(len(args) - 3):
            count, current, name, ext = args[i : i + 4]
            if (
                isinstance(count, int)
                and isinstance(current, int)
                and isinstance(name, str)
                and isinstance(ext, str)
                and name
                and ext
            ):
                break
        else:
            continue
        count = min(count, _MAX_PAGES)
        if count <= 1:
            return Pagination(total_pages=max(count, 1), kind="trs")
        pages = [urljoin(page_url, f"{name}.{ext}" if n == 0 else f"{name}_{n}.{ext}") for n in range(count)]
        current = current if 0 <= current < count else 0
        nxt = pages[current + 1] if current + 1 < count else None
        return Pagination(tuple(u for n, u in enumerate(pages) if n != current), nxt, count, "trs")
    return None


def _hanweb(scripts: str, page_url: str) -> Pagination | None:
    m = _NEXTGROUP_RE.search(scripts)
    if m is None:
        return None
    base = urljoin(page_url, m.group(1).replace("&amp;", "&"))
    total_m = _TOTAL_RECORD_RE.search(scripts)
    per_m = _PER_PAGE_RE.search(scripts)
    total = int(next(g for g in total_m.groups() if g)) if total_m else None
    per = int(next(g for g in per_m.groups() if g)) if per_m else 15
    if total is None:
        return Pagination((base,), base, None, "hanweb")
    pages = max(1, -(-total // max(per, 1)))
    group = per * 3  # jpage fetches three pages per request (groupSize 3 is the JCMS default)
    sep = "&" if "?" in base else "?"
    urls = []
    for start in range(group + 1, min(total, _MAX_PAGES * per) + 1, group):
        end = min(start + group - 1, total)
        urls.append(f"{base}{sep}startrecord={start}&endrecord={end}&perpage={per}")
    return Pagination(tuple(urls), urls[0] if urls else None, pages, "hanweb")


def find_pagination(
    root: etree._Element, page_url: str, links: list[tuple[etree._Element, str]]
) -> Pagination:
    """Pagination of a list page: ``links`` are the page's ``(<a> element, absolute URL)`` pairs."""
    scripts = "\n".join(s.text or "" for s in root.iter("script") if s.text)
    found = _trs(scripts, page_url) if "createPageHTML" in scripts else None
    if found is not None and found.urls:
        return found
    if "nextgroup" in scripts:
        hw = _hanweb(scripts, page_url)
        if hw is not None:
            return hw
    urls: list[str] = []
    nxt = None
    here = page_url.split("#", 1)[0]
    for el, url in links:
        if url == here:
            continue
        text = inline_text(el)
        if not text:
            text = (el.get("title") or "").strip()
        if _NEXT_RE.match(text):
            nxt = nxt or url
            urls.append(url)
        elif _OTHER_RE.match(text):
            if text in ("首页", "第一页") and not _in_pager(el):
                continue  # 首页 is the homepage outside a pager
            urls.append(url)
        elif _NUM_RE.match(text) and _in_pager(el):
            urls.append(url)
    if urls:
        return Pagination(tuple(dict.fromkeys(urls)), nxt, None, "links")
    return found or Pagination()
