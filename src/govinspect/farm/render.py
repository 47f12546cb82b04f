"""HTML for the three CMS styles: URL schemes, list markup, pagination, article pages, homepage, footer.

Styles:
- ``trs``: ``/col/col123/index.html`` (more pages ``index_1.html`` … reachable only through the
  ``createPageHTML(pageCount, currentPage, "index", "html")`` call), articles ``/art/2020/4/9/art_123_456.html``;
  ``<ul><li><a/><span>date</span></li>`` lists.
- ``wcm``: ``/xwzx/gzdt/index.shtml`` + ``index_2.shtml`` (or ``list_1.html`` + ``list_2.html``), articles
  ``/xwzx/gzdt/202003/t20200325_456.shtml``; ``<div class="item">`` lists with explicit page links.
- ``jsp``: ``/module/list.jsp?id=12&page=2``, articles ``/content.jsp?id=456``; ``<table>`` lists.
A URL with a query string is stored on disk as ``path@query`` (see ``disk_name``).
"""

from __future__ import annotations

import json
from datetime import date
from html import escape

from govinspect.farm.content import HOME_BLOCKS, Column, Item, Site
from govinspect.farm.plan import SitePlan
from govinspect.farm.site_accounts import MATRIX_TITLE, Listing, footer_html, matrix_html

PAGE_SIZE = 15
META_NAMES = (
    "SiteName",
    "SiteDomain",
    "SiteIDCode",
    "ColumnName",
    "ColumnType",
    "ArticleTitle",
    "PubDate",
    "ContentSource",
)

LIST_DATE_FORMATS = ("iso", "slash", "cn", "dot", "bracket_iso")
HOME_DATE_FORMATS = (*LIST_DATE_FORMATS, "bracket_md")
ARTICLE_DATE_FORMATS = ("pub_iso_time", "date_cn0", "iso", "pubdate_cn", "time_slash", "dot")


def fmt_date(day: date, kind: str, time: str = "00:00:00") -> str:
    if kind == "iso":
        return day.isoformat()
    if kind == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if kind == "cn":
        return f"{day.year}年{day.month}月{day.day}日"
    if kind == "dot":
        return f"{day.year}.{day.month:02d}.{day.day:02d}"
    if kind == "bracket_iso":
        return f"[{day.isoformat()}]"
    if kind == "bracket_md":
        return f"[{day.month:02d}-{day.day:02d}]"
    if kind == "pub_iso_time":
        return f"发布时间：{day.isoformat()} {time}"
    if kind == "date_cn0":
        return f"日期：{day.year}年{day.month:02d}月{day.day:02d}日"
    if kind == "pubdate_cn":
        return f"发布日期：{day.year}年{day.month}月{day.day}日"
    if kind == "time_slash":
        return f"时间：{day.year}/{day.month}/{day.day} {time[:5]}"
    raise ValueError(kind)


def disk_name(path: str) -> str:
    """The file (relative to the site dir) that serves a URL path with an optional query."""
    path = path.lstrip("/")
    if "?" in path:
        path, query = path.split("?", 1)
        return f"{path}@{query}"
    if path == "" or path.endswith("/"):
        return path + "index.html"
    return path


class Style:
    def __init__(self, plan: SitePlan, fmt_list: str, fmt_home: str, fmt_article: str):
        self.plan = plan
        self.name = plan.style
        self.fmt_list, self.fmt_home, self.fmt_article = fmt_list, fmt_home, fmt_article
        self.home = (
            "/index.shtml" if plan.style == "wcm" and plan.page_variant == "index_shtml" else "/index.html"
        )
        self.sitemap = {
            "trs": "/col/col1/index.html",
            "wcm": "/wzdt/index.shtml",
            "jsp": "/module/sitemap.jsp",
        }[plan.style]
        self.search_path, self.search_param = {
            "trs": ("/jrobot/search.do", "q"),
            "wcm": ("/was5/web/search", "searchword"),
            "jsp": ("/module/search/index.jsp", "keyword"),
        }[plan.style]

    def col_path(self, col: Column, page: int = 0) -> str:
        if self.name == "trs":
            return f"/col/col{col.cid}/index.html" if page == 0 else f"/col/col{col.cid}/index_{page}.html"
        if self.name == "wcm":
            if self.plan.page_variant == "index_shtml":
                return f"/{col.slug}/index.shtml" if page == 0 else f"/{col.slug}/index_{page + 1}.shtml"
            return f"/{col.slug}/list_{page + 1}.html"
        return f"/module/list.jsp?id={col.cid}" + (f"&page={page + 1}" if page else "")

    def item_path(self, item: Item, col: Column | None = None) -> str:
        col = col or item.column
        d = item.day
        if self.name == "trs":
            return f"/art/{d.year}/{d.month}/{d.day}/art_{col.cid}_{item.aid}.html"
        if self.name == "wcm":
            ext = "shtml" if self.plan.page_variant == "index_shtml" else "html"
            return f"/{col.slug}/{d:%Y%m}/t{d:%Y%m%d}_{item.aid}.{ext}"
        return f"/content.jsp?id={item.aid}"

    def missing_column_path(self, n: int) -> str:
        if self.name == "trs":
            return f"/col/col{90000 + n}/index.html"
        if self.name == "wcm":
            return f"/ztzl/zt{2017 + n % 3}{n:02d}/index.shtml"
        return f"/module/list.jsp?id={90000 + n}"

    def search_url(self, query: str) -> str:
        from urllib.parse import quote

        extra = "webid=1&" if self.name == "trs" else ""
        return f"{self.search_path}?{extra}{self.search_param}={quote(query)}"

    def dated_urls(self) -> bool:
        return self.name in ("trs", "wcm")


def _href(path: str) -> str:
    return escape(path, quote=True)


class Renderer:
    def __init__(
        self,
        site: Site,
        style: Style,
        external: str,
        scripted: frozenset[str] = frozenset(),
        listing: Listing | None = None,
    ):
        self.site, self.style, self.plan, self.ext = site, style, site.plan, external
        self.listing = listing  # the new-media accounts the site names (farm/site_accounts.py)
        self.scripted = scripted  # slugs of columns whose first list page is filled by list.js from JSON
        p = self.plan
        self.charset_meta = p.encoding[2]
        self.meta_style = p.index % 2

    # ---------- frame ----------
    def head(self, title: str, meta: dict[str, str]) -> str:
        cs = self.charset_meta
        charset = (
            f'<meta charset="{cs}">'
            if self.meta_style
            else f'<meta http-equiv="Content-Type" content="text/html; charset={cs}">'
        )
        metas = ""
        if self.site.has_meta:
            metas = "".join(f'<meta name="{k}" content="{escape(v)}">\n' for k, v in meta.items())
        js = (
            '<script type="text/javascript" src="/js/page.js"></script>\n' if self.style.name == "trs" else ""
        )
        return (
            f"<!DOCTYPE html>\n<html>\n<head>\n{charset}\n<title>{escape(title)}</title>\n{metas}"
            f'<link rel="stylesheet" type="text/css" href="/css/style.css">\n{js}</head>\n'
        )

    def site_meta(self, col: Column | None = None) -> dict[str, str]:
        p = self.plan
        meta = {"SiteName": p.name, "SiteDomain": f"{p.host}:{p.port}", "SiteIDCode": p.site_code}
        if col is not None:
            meta["ColumnName"] = col.name
            meta["ColumnType"] = col.name
        return meta

    def header(self) -> str:
        p, st = self.plan, self.style
        nav = [f'<li><a href="{st.home}">首页</a></li>']
        for col in self.site.columns:
            nav.append(f'<li><a href="{_href(st.col_path(col))}">{escape(col.name)}</a></li>')
        for title, url in self.site.extra_home_nav:
            nav.append(f'<li><a href="{_href(url)}" target="_blank">{title}</a></li>')
        nav.append(f'<li><a href="{st.sitemap}">网站地图</a></li>')
        search = ""
        if self.site.search != "missing":
            hidden = '<input type="hidden" name="webid" value="1">' if st.name == "trs" else ""
            search = (
                f'<form class="search" action="{st.search_path}" method="get" accept-charset="{self.plan.encoding[0]}">'
                f'{hidden}<input type="text" name="{st.search_param}" placeholder="请输入关键字">'
                '<input type="submit" value="搜索"></form>'
            )
        return (
            f'<body>\n<div class="top"><div class="logo"><a href="{st.home}">{escape(p.name)}</a></div>{search}</div>\n'
            f'<div class="nav"><ul>{"".join(nav)}</ul></div>\n'
        )

    def footer(self, extra: str = "") -> str:
        """``extra``: ready HTML put first in the footer (the homepage's new-media accounts)."""
        f, p, ext = self.site.footer, self.plan, self.ext
        lines = []
        top = [f'<a href="{self.style.sitemap}">网站地图</a>']
        if f.get("jiucuo"):
            top.append(
                f'<a href="{ext}/zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code={p.site_code}" target="_blank">'
                '<img src="/images/jiucuo.png" alt="我为政府网站找错">我为政府网站找错</a>'
            )
        lines.append(" | ".join(top))
        sponsor = f"主办单位：{escape(f['sponsor'])}　" if f.get("sponsor") else ""
        lines.append(f"{sponsor}联系电话：{p.phone}")
        ids = []
        if f.get("site_code"):
            ids.append(f"网站标识码：{f['site_code']}")
        if f.get("icp"):
            ids.append(f'<a href="{ext}/beian.miit.gov.cn/" target="_blank">{f["icp"]}</a>')
        if f.get("psb"):
            digits = "".join(ch for ch in f["psb"] if ch.isdigit())
            ids.append(
                f'<a href="{ext}/www.beian.gov.cn/portal/registerSystemInfo?recordcode={digits}" target="_blank">'
                f'<img src="/images/ga.png" alt="公安备案">{f["psb"]}</a>'
            )
        lines.append("　".join(ids))
        if f.get("conac"):
            lines.append(
                f'<span id="_ideConac"><a href="{ext}/bszs.conac.cn/sitename?method=show&amp;id={p.site_code}" '
                'target="_blank"><img src="/images/red.png" alt="党政机关" title="党政机关"></a></span>'
            )
        body = extra + "".join(f"<p>{line}</p>\n" for line in lines)
        return f'<div class="footer">\n{body}</div>\n</body>\n</html>\n'

    # ---------- lists ----------
    def list_entries(self, items: list[Item], fmt: str) -> str:
        st = self.style
        out = []
        for it in items:
            href, title, shown = _href(st.item_path(it)), escape(it.title), fmt_date(it.display_day, fmt)
            if st.name == "trs":
                out.append(
                    f'<li><a href="{href}" title="{title}" target="_blank">{title}</a><span>{shown}</span></li>'
                )
            elif st.name == "wcm":
                out.append(
                    f'<div class="item"><span class="date">{shown}</span><a href="{href}">{title}</a></div>'
                )
            else:
                out.append(
                    f'<tr><td class="title"><a href="{href}">{title}</a></td><td class="date">{shown}</td></tr>'
                )
        if st.name == "trs":
            return f'<ul class="list">\n{chr(10).join(out)}\n</ul>'
        if st.name == "wcm":
            return f'<div class="list-con">\n{chr(10).join(out)}\n</div>'
        return f'<table class="list" width="100%">\n{chr(10).join(out)}\n</table>'

    def message_table(self, items: list[Item]) -> str:
        rows = ["<tr><th>标题</th><th>留言时间</th><th>答复时间</th><th>答复单位</th><th>状态</th></tr>"]
        for it in items:
            m = it.message
            submit = m.submit if m.show_submit else ""
            reply = m.reply if (m.reply and m.show_reply) else ""
            rows.append(
                f'<tr><td class="title"><a href="{_href(self.style.item_path(it))}">{escape(it.title)}</a></td>'
                f'<td class="submit-time">{submit}</td><td class="reply-time">{reply}</td>'
                f'<td class="reply-unit">{escape(m.unit) if m.reply else ""}</td><td class="status">{m.status}</td></tr>'
            )
        return '<table class="messages" width="100%">\n' + "\n".join(rows) + "\n</table>"

    def pagination(self, col: Column, page: int, pages: int) -> str:
        st = self.style
        if st.name == "trs":
            return (
                f'<div class="pages"><script>createPageHTML({pages}, {page}, "index", "html");</script></div>'
            )
        if pages <= 1:
            return f'<div class="page">共{pages}页</div>'
        links = [f'<a href="{_href(st.col_path(col, 0))}">首页</a>']
        if page > 0:
            links.append(f'<a href="{_href(st.col_path(col, page - 1))}">上一页</a>')
        if page < pages - 1:
            links.append(f'<a href="{_href(st.col_path(col, page + 1))}">下一页</a>')
        links.append(f'<a href="{_href(st.col_path(col, pages - 1))}">尾页</a>')
        return f'<div class="page">共{pages}页 当前第{page + 1}页 {" ".join(links)}</div>'

    def column_pages(self, col: Column) -> dict[str, str]:
        items = col.sorted_items()
        pages = max(1, -(-len(items) // PAGE_SIZE))
        out = {}
        for page in range(pages):
            chunk = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
            if page == 0 and col.slug in self.scripted:
                listing = self.scripted_listing(col)
            elif not chunk:
                listing = '<div class="empty">暂无信息</div>'
            elif col.role in ("board", "mailbox"):
                listing = self.message_table(chunk)
            else:
                listing = self.list_entries(chunk, self.style.fmt_list)
            html = (
                self.head(f"{col.name}_{self.plan.name}", self.site_meta(col))
                + self.header()
                + f'<div class="position">当前位置：<a href="{self.style.home}">首页</a> &gt; {escape(col.name)}</div>\n'
                + f'<div class="main"><h2 class="col-title">{escape(col.name)}</h2>\n{listing}\n'
                + self.pagination(col, page, pages)
                + "</div>\n"
                + self.footer()
            )
            out[self.style.col_path(col, page)] = html
        return out

    def scripted_listing(self, col: Column) -> str:
        """An empty container that list.js fills from the column's JSON (an XHR), as many CMSs do."""
        box = f"gi-list-{col.cid}"
        return (
            f'<div id="{box}" class="list-con"></div>\n'
            '<script type="text/javascript" src="/js/list.js"></script>\n'
            f'<script type="text/javascript">loadColumnList("{box}", "{self.json_path(col)}");</script>'
        )

    @staticmethod
    def json_path(col: Column) -> str:
        return f"/api/list/{col.cid}.json"

    def scripted_data(self) -> dict[str, str]:
        """The JSON behind each scripted column (UTF-8, whatever the pages' encoding): its first list page."""
        out = {}
        for col in self.site.columns:
            if col.slug in self.scripted:
                items = col.sorted_items()[:PAGE_SIZE]
                entries = [
                    {"title": it.title, "url": self.style.item_path(it), "date": it.display_day.isoformat()}
                    for it in items
                ]
                out[self.json_path(col)] = json.dumps(
                    {"total": len(col.items), "items": entries}, ensure_ascii=False, separators=(",", ":")
                )
        return out

    # ---------- articles ----------
    def article(self, it: Item) -> str:
        col, st, p = it.column, self.style, self.plan
        meta = self.site_meta(col) | {
            "ArticleTitle": it.title,
            "PubDate": f"{it.day.isoformat()} {it.time[:5]}",
            "ContentSource": it.source,
        }
        parts = [f'<h1 class="title">{escape(it.title)}</h1>']
        info = fmt_date(it.display_day, st.fmt_article, it.time)
        parts.append(
            f'<div class="info"><span class="date">{info}</span>　<span>来源：{escape(it.source)}</span></div>'
        )
        if it.doc_no:
            parts.append(
                '<table class="doc-meta">'
                f"<tr><th>发布机构</th><td>{escape(p.sponsor)}</td><th>发文字号</th><td>{it.doc_no}</td></tr>"
                f"<tr><th>成文日期</th><td>{it.written.isoformat()}</td><th>发布日期</th><td>{it.day.isoformat()}</td></tr>"
                "</table>"
            )
        if it.message is not None:
            m = it.message
            parts.append('<table class="message-detail">')
            parts.append(f"<tr><th>留言人</th><td>{m.submitter}</td></tr>")
            if m.show_submit:
                parts.append(f'<tr><th>留言时间</th><td class="submit-time">{m.submit}</td></tr>')
            parts.append(f"<tr><th>留言内容</th><td>{escape(m.question)}</td></tr>")
            parts.append(f'<tr><th>办理状态</th><td class="status">{m.status}</td></tr>')
            if m.reply:
                parts.append(f'<tr><th>答复单位</th><td class="reply-unit">{escape(m.unit)}</td></tr>')
                if m.show_reply:
                    parts.append(f'<tr><th>答复时间</th><td class="reply-time">{m.reply}</td></tr>')
                parts.append(f"<tr><th>答复内容</th><td>{escape(m.answer or '')}</td></tr>")
            parts.append("</table>")
        if it.guide is not None:
            rows = "".join(f"<tr><th>{k}</th><td>{escape(v)}</td></tr>" for k, v in it.guide.items())
            parts.append(f'<table class="guide">{rows}</table>')
        body = "\n".join(f"<p>{escape(par)}</p>" for par in it.body)
        parts.append(f'<div class="content" id="zoom">\n{body}\n{it.extra_html}</div>')
        if it.survey is not None and it.partner is not None and it.link_partner:
            parts.append(
                f'<div class="related">征集结果：<a href="{_href(st.item_path(it.partner))}">{escape(it.partner.title)}</a></div>'
            )
        elif it.partner is not None and it.link_partner:
            label = (
                "相关解读"
                if it.doc_no
                else ("相关文件" if it.survey is None and it.column.role == "interp" else "相关链接")
            )
            parts.append(
                f'<div class="related">{label}：<a href="{_href(st.item_path(it.partner))}">{escape(it.partner.title)}</a></div>'
            )
        for title, url in self.site.article_links.get(it.aid, []):
            parts.append(
                f'<div class="attachment">相关链接：<a href="{_href(url)}">{escape(title)}</a></div>'
            )
        return (
            self.head(f"{it.title}_{p.name}", meta)
            + self.header()
            + f'<div class="position">当前位置：<a href="{st.home}">首页</a> &gt; '
            f'<a href="{_href(st.col_path(col))}">{escape(col.name)}</a></div>\n'
            + f'<div class="main article">\n{chr(10).join(parts)}\n</div>\n'
            + self.footer()
        )

    # ---------- homepage, sitemap ----------
    def homepage(self) -> str:
        st, site = self.style, self.site
        blocks = []
        for slug in HOME_BLOCKS:
            col = site.column(slug)
            if col is None:
                continue
            items = col.sorted_items()[:6]
            listing = self.list_entries(items, st.fmt_home) if items else '<div class="empty">暂无信息</div>'
            blocks.append(
                f'<div class="block"><div class="block-title"><span>{escape(col.name)}</span>'
                f'<a class="more" href="{_href(st.col_path(col))}">更多</a></div>\n'
                f"{listing}</div>"
            )
        for role, label in (("board", "互动交流"), ("survey", "征集调查"), ("service", "办事服务")):
            col = next((c for c in site.columns if c.role == role), None)
            if col is None:
                continue
            items = [it for it in col.sorted_items() if it.partner is None or it.survey is not None][:5]
            links = "".join(
                f'<li><a href="{_href(st.item_path(it))}">{escape(it.title)}</a></li>' for it in items
            )
            blocks.append(
                f'<div class="block {role}"><div class="block-title"><span>{label}</span>'
                f'<a class="more" href="{_href(st.col_path(col))}">更多</a></div><ul>{links}</ul></div>'
            )
        friends = "".join(
            f'<li><a href="{_href(url)}" target="_blank">{escape(title)}</a></li>'
            for title, url in site.home_links
        )
        return (
            self.head(self.plan.name, self.site_meta())
            + self.header()
            + '<div class="main home">\n'
            + "\n".join(blocks)
            + f'\n<div class="links"><span>相关链接</span><ul>{friends}</ul></div>\n{site.home_extra}</div>\n'
            + self.footer(footer_html(self.listing) if self.listing else "")
        )

    def matrix(self) -> str:
        """The 政务新媒体矩阵 page (sites with a listing that has one)."""
        return (
            self.head(f"{MATRIX_TITLE}_{self.plan.name}", self.site_meta())
            + self.header()
            + matrix_html(self.listing)  # type: ignore[arg-type]
            + self.footer()
        )

    def sitemap(self) -> str:
        st = self.style
        cols = "".join(
            f'<li><a href="{_href(st.col_path(c))}">{escape(c.name)}</a></li>' for c in self.site.columns
        )
        return (
            self.head(f"网站地图_{self.plan.name}", self.site_meta())
            + self.header()
            + f'<div class="main"><h2>网站地图</h2><ul class="sitemap">{cols}</ul></div>\n'
            + self.footer()
        )

    def all_pages(self) -> dict[str, str]:
        pages = {self.style.home: self.homepage(), self.style.sitemap: self.sitemap()}
        if self.listing is not None and self.listing.matrix_path:
            pages[self.listing.matrix_path] = self.matrix()
        for col in self.site.columns:
            pages.update(self.column_pages(col))
            for it in col.items:
                pages[self.style.item_path(it)] = self.article(it)
        return pages


PAGE_JS = """function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt) {
  if (_nPageCount == null || _nPageCount <= 1) { return; }
  var nCurrIndex = _nCurrIndex || 0;
  function url(i) { return i == 0 ? _sPageName + "." + _sPageExt : _sPageName + "_" + i + "." + _sPageExt; }
  document.write("\\u5171" + _nPageCount + "\\u9875 ");
  document.write("<a href=\\"" + url(0) + "\\">\\u9996\\u9875</a> ");
  if (nCurrIndex > 0) { document.write("<a href=\\"" + url(nCurrIndex - 1) + "\\">\\u4e0a\\u4e00\\u9875</a> "); }
  if (nCurrIndex < _nPageCount - 1) { document.write("<a href=\\"" + url(nCurrIndex + 1) + "\\">\\u4e0b\\u4e00\\u9875</a> "); }
  document.write("<a href=\\"" + url(_nPageCount - 1) + "\\">\\u5c3e\\u9875</a>");
}
"""

LIST_JS = """function loadColumnList(boxId, source) {
  var box = document.getElementById(boxId);
  function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;"); }
  var xhr = new XMLHttpRequest();
  xhr.open("GET", source, true);
  xhr.onreadystatechange = function () {
    if (xhr.readyState !== 4) { return; }
    if (xhr.status !== 200) { box.innerHTML = "<div class=\\"error\\">\\u52a0\\u8f7d\\u5931\\u8d25</div>"; return; }
    var data = JSON.parse(xhr.responseText), rows = [];
    for (var i = 0; i < data.items.length; i++) {
      var it = data.items[i];
      rows.push("<li><a href=\\"" + esc(it.url) + "\\" target=\\"_blank\\" title=\\"" + esc(it.title) + "\\">" +
        esc(it.title) + "</a><span>" + esc(it.date) + "</span></li>");
    }
    box.innerHTML = rows.length ? "<ul class=\\"list\\">" + rows.join("") + "</ul>"
      : "<div class=\\"empty\\">\\u6682\\u65e0\\u4fe1\\u606f</div>";
  };
  xhr.send();
}
"""

CSS = """body{font-family:"Microsoft YaHei",SimSun,sans-serif;margin:0;font-size:14px}
.top{background:#b5120f;color:#fff;padding:16px}.nav ul{list-style:none;display:flex;flex-wrap:wrap;margin:0;padding:0}
.nav li{margin:4px 10px}.main{width:1000px;margin:10px auto}.list li span,.date{float:right;color:#888}
.footer{border-top:3px solid #b5120f;text-align:center;color:#555;padding:10px}
"""

# 1x1 transparent PNG
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
