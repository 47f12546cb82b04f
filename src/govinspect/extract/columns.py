"""Columns (栏目) of a site: discovered from the homepage navigation, the 网站地图 page and pages' meta
``ColumnName``; classified into the indicator profile's column classes by keyword.

Classification: among the profile's keywords found in the column name, the one whose match ends last wins (a
Chinese noun phrase has its head at the end: 政策文件解读 is an interpretation, 解读 ends last), then the longest
(政策解读 over 政策). Names ending in 专题/专栏 are topic sections and stay unclassified unless a keyword is at
the very end. Unknown names → None: a person confirms them through the column corrections of the run.

Discovery keeps only links on the homepage's own host (subdomains such as ``xxgk.`` are other sites here), and
skips article pages (URLs that carry a date or an article pattern), files (.pdf/.doc/.xls/.zip…), the homepage
itself and utility links (首页, 网站地图, 登录, 无障碍…).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from govinspect.extract.dates import url_date

__all__ = ["ColumnRef", "classify_column", "discover_columns", "find_sitemap_link", "is_article_url"]


@dataclass(frozen=True, slots=True)
class ColumnRef:
    url: str
    name: str
    column_class: str | None
    source: str  # nav | sitemap | meta


_FILE_RE = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|ofd|zip|rar|7z|gz|tar|txt|csv|jpe?g|png|gif|bmp|mp[34]|avi|flv|wmv|swf|apk|exe)$",
    re.I,
)
_ARTICLE_RE = re.compile(
    r"/art_\d+_\d+\.|/content[_-]\d+|/content\.jsp|/t\d{8}_\d+|/art/\d{4}/|detail|showinfo|/c\d+[a-]\d+/page\.htm|"
    r"/info/\d+/\d+\.htm|/news/\d{5,}|[?&](?:articleid|newsid|infoid|docid|contentid|aid|articleId)=|/\d{6,}\.s?html?$",
    re.I,
)
_HOME_PATH_RE = re.compile(r"^/?(?:(?:index|default|main|home)\.(?:s?html?|jsp|aspx?|php))?$", re.I)
_UTILITY_RE = re.compile(
    r"^(?:首页|返回首页|网站首页|主页|网站地图|站点地图|登录|注册|无障碍|无障碍浏览|长者模式|关怀版|适老化|English|EN|繁体|繁體|简体|"
    r"手机版|移动版|更多|more|设为首页|加入收藏|收藏本站|RSS|打印|关闭|返回顶部|个人中心|退出)$",
    re.I,
)
_TOPIC_SUFFIXES = ("专题", "专栏")
_SITEMAP_TEXT_RE = re.compile(r"网站地图|站点地图|网站导航")


def classify_column(name: str, profile_classes: Sequence[object]) -> str | None:
    """The id of the profile column class whose keyword best matches ``name``, or None."""
    name = re.sub(r"\s+", "", name or "")
    if not name:
        return None
    best: tuple[int, int] | None = None
    best_id: str | None = None
    for cls in profile_classes:
        for kw in getattr(cls, "keywords", ()) or ():
            if not kw:
                continue
            pos = name.rfind(kw)
            if pos < 0:
                continue
            rank = (pos + len(kw), len(kw))
            if best is None or rank > best:
                best, best_id = rank, getattr(cls, "id", None)
    if best is None:
        return None
    if name.endswith(_TOPIC_SUFFIXES) and best[0] < len(name):
        return None
    return best_id


def is_article_url(url: str) -> bool:
    return url_date(url) is not None or bool(_ARTICLE_RE.search(url))


def _is_home(url: str, home_url: str) -> bool:
    u, h = urlsplit(url), urlsplit(home_url)
    if u.query:
        return False
    return u.path == h.path or bool(_HOME_PATH_RE.match(u.path))


def find_sitemap_link(home) -> str | None:
    """The URL of the 网站地图/站点地图 page linked from a page."""
    for link in getattr(home, "links", ()):
        if link.kind == "a" and _SITEMAP_TEXT_RE.search(link.text or ""):
            return link.url
    return None


def _candidates(page, *, nav_only: bool) -> Iterable[tuple[str, str]]:
    for link in getattr(page, "links", ()):
        if link.kind not in ("a", "area") or link.hidden:
            continue
        if nav_only and not link.nav:
            continue
        if not nav_only and link.footer:
            continue
        yield link.url, (link.text or "").strip()


def discover_columns(
    home,
    sitemap=None,
    *,
    profile_classes: Sequence[object],
    pages: Iterable[object] = (),
) -> list[ColumnRef]:
    """Columns from the homepage's navigation links, the sitemap page's links and the ``ColumnName`` meta tag
    of other fetched ``pages`` (each names the page's own URL). First name seen for a URL wins."""
    home_url = home.url
    host = (urlsplit(home_url).hostname or "").lower()
    out: dict[str, ColumnRef] = {}

    def offer(url: str, name: str, source: str) -> None:
        name = re.sub(r"\s+", " ", name).strip(" >»›·|")
        if not name or len(name) > 30 or _UTILITY_RE.match(name) or _SITEMAP_TEXT_RE.search(name):
            return
        parts = urlsplit(url)
        if (parts.hostname or "").lower() != host:
            return
        if _FILE_RE.search(parts.path) or is_article_url(url) or _is_home(url, home_url):
            return
        if url in out:
            return
        out[url] = ColumnRef(url, name, classify_column(name, profile_classes), source)

    for url, name in _candidates(home, nav_only=True):
        offer(url, name, "nav")
    if sitemap is not None:
        for url, name in _candidates(sitemap, nav_only=False):
            offer(url, name, "sitemap")
    for page in pages:
        meta_get = getattr(page, "meta_get", None)
        name = meta_get("ColumnName") if meta_get else None
        if name and not is_article_url(page.url):
            offer(page.url, name, "meta")
    return list(out.values())
