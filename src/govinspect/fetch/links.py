"""Links out of a page, without a browser: anchors, frames, meta refresh, JavaScript redirects, and the
JavaScript pagination of the common Chinese government CMSs.

Patterns followed without a browser:

* TRS WCM ``createPageHTML(pageCount, currentPage, "index", "html")`` and its ``createPageHTML('page_div',
  pageCount, currentPage, 'index', 'shtml', recordCount)`` variant → ``index_1.html`` … ``index_{n-1}.html``
  relative to the page;
* the older TRS template's ``var countPage = N`` / ``var currentPage = 0`` (with the page's own extension);
* 大汉 (Hanweb) JCMS lists that ship their records as ``<record><![CDATA[…]]></record>`` inside a
  ``<script type="text/xml">`` (the first screen of records; later screens need a POST to dataproxy.jsp,
  which is not followed);
* ``<meta http-equiv="refresh">`` and ``location.href = "…"`` / ``location.replace("…")`` redirect pages
  (common on homepages that forward ``/`` to ``/index.shtml``).

Anything else that only a browser can see (lists built by XHR, pagination by POST) is the job of the
Chromium extension point (see ``fetch.spider``), not implemented yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree
from w3lib.url import safe_url_string

FILE_EXTENSIONS = frozenset(
    [
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "wps",
        "et",
        "dps",
        "ofd",
        "txt",
        "rtf",
        "csv",
        "zip",
        "rar",
        "7z",
        "gz",
        "tgz",
        "tar",
        "bz2",
        "xz",
        "jar",
        "apk",
        "exe",
        "msi",
        "dmg",
        "iso",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "bmp",
        "webp",
        "svg",
        "ico",
        "tif",
        "tiff",
        "psd",
        "mp3",
        "wav",
        "wma",
        "flac",
        "aac",
        "ogg",
        "mp4",
        "avi",
        "mov",
        "wmv",
        "flv",
        "mkv",
        "rm",
        "rmvb",
        "m4v",
        "mpg",
        "mpeg",
        "swf",
        "css",
        "js",
        "json",
        "xml",
        "ceb",
        "caj",
    ]
)

_TRS_PAGE = re.compile(
    r"""createPageHTML\(\s*(?:['"][\w-]*['"]\s*,\s*)?(\d{1,5})\s*,\s*(\d{1,5})\s*,\s*['"]([\w.-]{1,40})['"]\s*,"""
    r"""\s*['"](\w{2,6})['"]"""
)
_TRS_COUNT = re.compile(r"""var\s+countPage\s*=\s*["']?(\d{1,5})""")
_JS_REDIRECT = re.compile(
    r"""(?<![\w$])(?:(?:window|self|top|parent|document)\.)?location(?:\.href)?\s*=\s*["']([^"'\s<>]{1,500})["']"""
    r"""|(?<![\w$])(?:(?:window|self|top|parent|document)\.)?location\.(?:replace|assign)\(\s*["']([^"'\s<>]{1,500})["']"""
)
_HANWEB_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.DOTALL | re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']([^"'<>]{1,1000})["']""", re.IGNORECASE)
_REFRESH_URL = re.compile(r"""url\s*=\s*['"]?([^'";\s]+)""", re.IGNORECASE)
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "file:", "ftp:", "#")
_PARSER = etree.HTMLParser(encoding="utf-8", recover=True, no_network=True, huge_tree=False)
_LINKS = etree.XPath("//a/@href | //area/@href | //frame/@src | //iframe/@src", smart_strings=False)
_BASE = etree.XPath("//base/@href", smart_strings=False)
_REFRESH = etree.XPath(
    "//meta[translate(@http-equiv,'REFSH','refsh')='refresh']/@content", smart_strings=False
)


@dataclass
class PageLinks:
    pages: list[str] = field(default_factory=list)  # HTML-ish links (any host; the crawler filters)
    files: list[str] = field(default_factory=list)  # documents, images, archives: not crawled as pages
    redirects: list[str] = field(default_factory=list)  # meta refresh / JavaScript location targets
    pagination: list[str] = field(default_factory=list)  # JS-only pagination of known CMSs


@lru_cache(maxsize=200_000)
def is_file_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    name = path.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[-1] in FILE_EXTENSIONS


def absolute(base: str, href: str, encoding: str = "utf-8", origin: str | None = None) -> str | None:
    """An absolute, escaped http(s) URL without fragment, or None for anything else."""
    href = href.strip()
    if not href or href.lower().startswith(_SKIP_SCHEMES):
        return None
    if href.startswith("/") and not href.startswith("//"):
        # Site-absolute links (most of a CMS's navigation) only depend on the origin: cache on that.
        if origin is None:
            parts = urlsplit(base)
            origin = f"{parts.scheme}://{parts.netloc}/"
        return _absolute(origin, href, encoding)
    return _absolute(base, href, encoding)


@lru_cache(maxsize=200_000)
def _absolute(base: str, href: str, encoding: str) -> str | None:
    href = href.replace("\\", "/")
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
    except ValueError:
        return None
    url = urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))
    try:
        return safe_url_string(url, encoding=encoding if encoding.startswith(("gb", "utf")) else "utf-8")
    except (ValueError, UnicodeError, LookupError):
        return None


def trs_pagination(text: str, page_url: str, limit: int) -> list[str]:
    """``index_1.html`` … of a TRS list page (see module docstring), at most ``limit`` pages."""
    out: list[str] = []
    m = _TRS_PAGE.search(text)
    if m:
        count, prefix, ext = int(m.group(1)), m.group(3), m.group(4)
    else:
        c = _TRS_COUNT.search(text)
        if not c:
            return out
        count = int(c.group(1))
        name = urlsplit(page_url).path.rsplit("/", 1)[-1]
        stem, _, ext = name.partition(".")
        prefix = stem.split("_", 1)[0] or "index"
        ext = ext or "html"
    for i in range(1, min(count, limit + 1)):
        url = absolute(page_url, f"{prefix}_{i}.{ext}")
        if url:
            out.append(url)
    return out


def _root(text: str) -> etree._Element | None:
    try:
        return etree.fromstring(text.encode("utf-8", "surrogatepass"), _PARSER)
    except (etree.ParserError, ValueError, UnicodeError):
        return None


MAX_LINKS = 2000  # per page followed by the crawl: parsing runs on the reactor, a trap page must not stall it


def extract_links(
    text: str, page_url: str, *, encoding: str = "utf-8", pagination_limit: int = 10
) -> PageLinks:
    out = PageLinks()
    root = _root(text)
    base = page_url
    hrefs: list[str] = []
    refresh: list[str] = []
    if root is not None:
        for b in _BASE(root)[:1]:
            joined = absolute(page_url, str(b), encoding)
            base = joined or page_url
        # A trap page of 50,000 links: the first MAX_LINKS are plenty (the page budget is a few hundred), and
        # each costs a join, an escape and a canonical form in the crawl.
        hrefs = list(islice(_LINKS(root), MAX_LINKS))
        for content in _REFRESH(root):
            m = _REFRESH_URL.search(str(content))
            if m:
                refresh.append(m.group(1))
    # Hanweb lists: records inside <script type="text/xml"> are not elements to lxml.
    if "<record>" in text or "<RECORD>" in text:
        for record in _HANWEB_RECORD.findall(text)[:500]:
            hrefs.extend(_HREF.findall(record))
    seen: set[str] = set()
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}/"
    for href in hrefs:
        url = absolute(base, href, encoding, origin)
        if not url or url in seen:
            continue
        seen.add(url)
        (out.files if is_file_url(url) else out.pages).append(url)
    if "location" in text:
        for m in list(_JS_REDIRECT.finditer(text))[:5]:
            refresh.append(m.group(1) or m.group(2))
    for href in refresh:
        url = absolute(page_url, href, encoding)
        if url and url not in out.redirects:
            out.redirects.append(url)
    if "createPageHTML" in text or "countPage" in text:
        out.pagination = trs_pagination(text, page_url, pagination_limit)
    return out
