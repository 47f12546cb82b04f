"""extract.page / footer / pagination: real government pages, and snippets in the styles of common CMSs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from govinspect.extract.page import parse_page

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "gov_html"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"real pages not available: {SHARED} is absent")

# Found by reading each page: headline, displayed date, 网站标识码 printed in the footer, meta SiteName, 主办.
REAL = {
    "cmse-1.html": (
        "天宫一号与神舟九号载人交会对接任务第二场新闻发布会",
        date(2012, 6, 24),
        None,
        None,
        "中国载人航天工程办公室",
    ),
    "gzggw-1.html": (
        "1-10月德清县固定资产投资结构趋稳趋优",
        date(2016, 11, 22),
        "3300000020",
        "浙江省发展和改革委员会",
        None,
    ),
    "other-1.html": (
        "全国人民代表大会常务委员会关于批准财政部发行特别国债购买外汇及调整2007 年末国债余额限额的决议",
        None,  # a 国务院公报 page shows no publication date (only the adoption date inside the text)
        "bm01000001",
        None,
        "国务院办公厅",
    ),
    "people-1.meta-gb2312-actually-utf8.html": (
        "女儿出嫁，郑板桥画了几笔兰花当嫁妆",
        date(2019, 6, 15),
        None,
        None,
        None,
    ),
    "shanxi-1.html": (
        "山西品牌丝路行（南美站）正式启动",
        date(2019, 9, 18),
        "1400000045",
        "山西省人民政府门户网站",
        "山西省人民政府办公厅",
    ),
}


@needs_shared
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_pages(name: str) -> None:
    headline, shown, code, site_name, sponsor = REAL[name]
    page = parse_page(
        "http://www.example.gov.cn/a/b/c.html", (SHARED / name).read_bytes(), reference=date(2024, 1, 1)
    )
    assert page.article.title == headline
    assert (page.article.displayed_date.date if page.article.displayed_date else None) == shown
    assert (page.footer.site_code.value if page.footer.site_code else None) == code
    assert page.meta_get("sitename") == site_name
    assert page.footer.sponsor == sponsor
    assert "\ufffd" not in page.body_text


@needs_shared
def test_real_page_footers() -> None:
    def load(name: str):
        return parse_page("http://www.example.gov.cn/", (SHARED / name).read_bytes())

    gz = load("gzggw-1.html").footer
    assert gz.icp.value == "浙ICP备05018911号" and gz.psb.value == "浙公网安备 33010602009328号"
    assert gz.conac and gz.jiucuo  # the 找错 link is display:none but present
    gov = load("other-1.html")
    assert (
        gov.footer.icp.value == "京ICP备05070218号" and gov.footer.psb.value == "京公网安备 11010202000001号"
    )
    assert gov.footer.conac and not gov.footer.jiucuo and "网站纠错" in gov.footer.jiucuo_other
    assert gov.article.meta_date == date(2007, 8, 20)
    sx = load("shanxi-1.html")
    assert (
        sx.footer.jiucuo and "kaipuyun" in sx.footer.jiucuo_evidence
    )  # <script id="_jiucuo_" src=…jiucuo.js>
    assert sx.footer.ads == ()  # 国家烟草专卖局 is a ministry, not an advert
    assert sx.pagination.total_pages == 1 and sx.pagination.urls == ()
    assert sx.article.source == "山西日报"
    cm = load("cmse-1.html").footer
    assert cm.icp.value == "京ICP备20027467号-1" and cm.site_code is None and not cm.conac
    people = load("people-1.meta-gb2312-actually-utf8.html")
    assert people.decoded.mismatch and people.article.source == "人民网-文化频道"


# ---------------------------------------------------------------------------------------------------------------
# Footers in several layouts


def _footer(html: str, url: str = "http://www.sr.gov.cn/"):
    return parse_page(url, html.encode("utf-8"), headers={"Content-Type": "text/html; charset=utf-8"}).footer


def test_trs_style_footer_with_split_identifiers_and_fullwidth_digits() -> None:
    f = _footer(
        """<html><body><div class="main"><p>正文</p></div>
        <div class="footer"><div class="ft-con">
          <p>主办单位：上饶市人民政府办公室　承办：上饶市大数据中心　联系电话：0793-8208123</p>
          <p>网站标识码：<span>３６１１０００００３</span>　<a href="https://beian.miit.gov.cn">赣ICP备<span>05005419</span>号</a>
             <a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=36110202000123"><img src="/ga.png">赣公网安备 36110202000123号</a></p>
          <span id="_ideConac"><script src="https://dcs.conac.cn/js/17/000/0000/40672248/CA170000000406722480002.js"></script></span>
          <script id="_jiucuo_" sitecode="3611000003" src="https://zfwzgl.www.gov.cn/exposure/jiucuo.js"></script>
        </div></div></body></html>"""
    )
    assert f.found_by == "element"
    assert f.site_code.value == "3611000003" and f.site_code.valid
    assert f.icp.value == "赣ICP备05005419号"
    assert f.psb.value == "赣公网安备 36110202000123号"
    assert f.sponsor == "上饶市人民政府办公室"
    assert f.contact.phone == "0793-8208123"
    assert f.conac and f.jiucuo and not f.ads


def test_table_footer_of_an_old_cms_without_footer_classes() -> None:
    # 华炜/old ASP sites: a table at the bottom, no id/class hints → the tail of the visible text is used
    f = _footer(
        """<html><body><table><tr><td><a href="/col1">工作动态</a></td></tr></table>
        <table width="1000"><tr><td align="center">版权所有：恩平市人民政府 &nbsp; 地址：恩平市恩城新平北路 邮编：529400<br>
        恩平市人民政府主办 &nbsp; 粤ICP备 05085446 号 &nbsp; 网站标识码4407850057 &nbsp; 粤公网安备44078502000006号<br>
        <a href="http://bszs.conac.cn/sitename?method=show&id=ABC"><img src="/red.png"></a>
        <a href="https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code=4407850057&url=x"><img src="/jiucuo.png"></a>
        </td></tr></table></body></html>""",
        "http://www.enping.gov.cn/",
    )
    assert f.found_by == "tail"
    assert f.site_code.value == "4407850057"
    assert f.icp.value == "粤ICP备05085446号"  # the spaces inside are closed up
    assert f.psb.value == "粤公网安备 44078502000006号"
    assert f.sponsor == "恩平市人民政府"  # "…主办" written after the name
    assert f.contact.address and f.conac and f.jiucuo


def test_malformed_identifiers_keep_their_raw_text() -> None:
    f = _footer(
        """<html><body><div id="bottom"><p>主办：某某县人民政府</p>
        <p>网站标识码：361100003 赣ICP备1234号 赣公网安备 3611020200012号</p></div></body></html>"""
    )
    assert f.site_code.raw == "361100003" and f.site_code.value is None and f.site_code.error
    assert f.icp.raw.startswith("赣ICP备1234") and f.icp.value is None and f.icp.error
    assert f.psb.value is None and "3611020200012" in f.psb.raw and f.psb.error


def test_site_code_with_an_unknown_division_is_malformed() -> None:
    f = _footer('<html><body><div class="copyright">网站标识码：9999990001</div></body></html>')
    assert f.site_code.value is None and "行政区划" in f.site_code.error


def test_missing_identifiers_are_none_and_badge_text_is_not_a_code() -> None:
    f = _footer(
        """<html><body><div class="footer"><p>Copyright © 某某局 版权所有</p>
        <p>党政机关网站标识</p></div></body></html>"""
    )
    assert f.site_code is None and f.icp is None and f.psb is None and f.sponsor is None
    assert f.conac  # the text names the 党政机关 identity
    assert not f.jiucuo


def test_site_code_run_into_the_next_number() -> None:
    f = _footer(
        '<html><body><div class="foot"><span>网站标识码：3300000020</span><span>33010602009328</span></div></body></html>'
    )
    assert f.site_code.value == "3300000020"


def test_ads_are_conservative() -> None:
    f = _footer(
        """<html><body><div class="main">
        <a href="http://www.example-ad.com/1">名表奢侈品专卖</a>
        <a href="https://item.taobao.com/item.htm?id=1">特产</a>
        <a href="http://www.gsxt.gov.cn/">广告审查信息</a>
        <a href="/gyjg">公益广告</a>
        <div style="display:none"><a href="http://bc.example.com/">百家乐在线真人娱乐</a></div>
        </div></body></html>"""
    )
    assert [a.url for a in f.ads] == ["http://www.example-ad.com/1", "https://item.taobao.com/item.htm?id=1"]


# ---------------------------------------------------------------------------------------------------------------
# Links, meta, search forms


LINKS_PAGE = """<html><head><base href="http://www.example.gov.cn/sub/">
<meta name="SiteName" content="某某市人民政府"><meta name="ColumnName" content="工作动态">
<link rel="stylesheet" href="../css/a.css"><script src="/js/jquery.js"></script></head>
<body><div id="daohang"><ul><li><a href="index.html">首页</a></li><li><a href="gzdt/">工作动态</a></li></ul></div>
<div class="main"><a href="art/1.html#top">文章一</a> <a href="#x">锚点</a> <a href="javascript:void(0)">JS</a>
<a href="mailto:a@b.cn">邮件</a> <a href="tel:12345">电话</a> <a href=" http://other.gov.cn/x
">外部</a> <iframe src="//video.example.com/v.html" width="0" height="0"></iframe>
<img src="img/1.png" alt="图"><form action="/search/s.jsp" method="POST"><input type="text" name="searchWord"></form>
</div></body></html>"""


def test_links_are_resolved_against_base_and_filtered() -> None:
    page = parse_page("http://www.example.gov.cn/a/b.html", LINKS_PAGE.encode())
    by_text = {(link.kind, link.text): link for link in page.links}
    urls = [link.url for link in page.links]
    assert by_text[("a", "文章一")].url == "http://www.example.gov.cn/sub/art/1.html"
    assert by_text[("a", "工作动态")].nav and not by_text[("a", "文章一")].nav
    assert by_text[("a", "外部")].url == "http://other.gov.cn/x"
    assert "http://www.example.gov.cn/css/a.css" in urls and "http://www.example.gov.cn/js/jquery.js" in urls
    iframe = next(link for link in page.links if link.kind == "iframe")
    assert iframe.url == "http://video.example.com/v.html" and iframe.hidden
    assert not any(u.startswith(("javascript", "mailto", "tel")) for u in urls)
    assert not any(link.text == "锚点" for link in page.links)
    assert page.meta_get("sitename") == "某某市人民政府" and page.missing_meta() == [
        "SiteDomain",
        "SiteIDCode",
        "ColumnType",
        "ArticleTitle",
        "PubDate",
        "ContentSource",
    ]
    assert page.search_forms[0].action == "http://www.example.gov.cn/search/s.jsp"
    assert page.search_forms[0].method == "post" and page.search_forms[0].param == "searchWord"


def test_scripted_search_box_without_a_form_counts() -> None:
    page = parse_page(
        "http://x.gov.cn/",
        '<html><body><input id="searchText" placeholder="请输入关键字"><a onclick="doSearch()">搜索</a></body></html>'.encode(),
    )
    assert page.search_forms and page.search_forms[0].scripted and page.search_forms[0].action is None


def test_no_search_form() -> None:
    page = parse_page(
        "http://x.gov.cn/",
        b"<html><body><form action='/login'><input name='user'><input type='password' name='pw'></form></body></html>",
    )
    assert page.search_forms == ()


def test_binary_served_as_html() -> None:
    page = parse_page(
        "http://x.gov.cn/a.html", b"%PDF-1.5\n\x00\x01\x02binary", headers={"content-type": "text/html"}
    )
    assert page.looks_binary and page.links == () and page.body_text == "" and page.footer.site_code is None


# ---------------------------------------------------------------------------------------------------------------
# Article pages


def test_wcm_article_facts() -> None:
    html = """<html><head><meta name="ArticleTitle" content="关于做好2020年春耕生产工作的通知">
    <meta name="PubDate" content="2020-03-20 09:30"><meta name="ContentSource" content="市农业农村局">
    <title>关于做好2020年春耕生产工作的通知_某某市人民政府</title></head><body>
    <div class="nav"><a href="/">首页</a> 2020年3月31日 星期二</div>
    <div class="article"><h1>关于做好2020年春耕生产工作的通知</h1>
    <div class="info">发布时间：2020-03-25 10:21　来源：市农业农村局　浏览次数：123</div>
    <div class="TRS_Editor"><p>各县（市、区）人民政府：</p><p>为做好春耕生产，现就有关事项通知如下。</p></div></div>
    </body></html>"""
    page = parse_page(
        "http://www.a.gov.cn/zwgk/tzgg/202003/t20200325_123.html", html.encode(), reference=date(2020, 3, 31)
    )
    a = page.article
    assert a.title == "关于做好2020年春耕生产工作的通知"
    assert a.displayed_date.date == date(2020, 3, 25) and a.displayed_date.label == "发布时间"
    assert a.meta_date == date(2020, 3, 20) and a.url_date == date(2020, 3, 25)
    assert a.source == "市农业农村局"
    assert "春耕生产" in a.text and "首页" not in a.text


# ---------------------------------------------------------------------------------------------------------------
# Pagination


def _pagination(html: str, url: str):
    return parse_page(url, html.encode()).pagination


def test_trs_create_page_html() -> None:
    p = _pagination(
        '<html><body><ul></ul><script>createPageHTML(4, 1, "index", "html");</script></body></html>',
        "http://www.jx.gov.cn/col/col123/index_1.html",
    )
    assert p.kind == "trs" and p.total_pages == 4
    assert p.urls == (
        "http://www.jx.gov.cn/col/col123/index.html",
        "http://www.jx.gov.cn/col/col123/index_2.html",
        "http://www.jx.gov.cn/col/col123/index_3.html",
    )
    assert p.next_url == "http://www.jx.gov.cn/col/col123/index_2.html"


def test_trs_wcm_variables_and_container_id_forms() -> None:
    p = _pagination(
        """<html><body><script>var countPage = 3//共多少页
        var currentPage = 0; createPageHTML(countPage, currentPage, "index", "shtml");</script></body></html>""",
        "http://www.a.gov.cn/xwzx/gzdt/index.shtml",
    )
    assert p.urls == (
        "http://www.a.gov.cn/xwzx/gzdt/index_1.shtml",
        "http://www.a.gov.cn/xwzx/gzdt/index_2.shtml",
    )
    p2 = _pagination(
        "<html><body><script>createPageHTML('page_div',2,0,'list','html',30);</script></body></html>",
        "http://www.a.gov.cn/x/list.html",
    )
    assert p2.urls == ("http://www.a.gov.cn/x/list_1.html",)


def test_trs_single_page_has_no_other_pages() -> None:
    p = _pagination(
        '<html><body><script>createPageHTML(1, 0, "index", "html");</script></body></html>',
        "http://a.gov.cn/c/index.html",
    )
    assert p.urls == () and p.total_pages == 1


def test_hanweb_jpage_datastore() -> None:
    html = """<html><body><div id="4171609"><script type="text/xml"><datastore>
    <nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1&path=/&columnid=123&unitid=4171609&webname=%E6%9F%90&permissiontype=0"></a>]]></nextgroup>
    <recordset>
    <record><![CDATA[<li><a href="/art/2020/3/25/art_123_1.html" title="关于春耕的通知">关于春耕的通知</a><span>2020-03-25</span></li>]]></record>
    <record><![CDATA[<li><a href="/art/2020/3/20/art_123_2.html" title="市政府召开常务会议">市政府召开常务会议</a><span>2020-03-20</span></li>]]></record>
    </recordset></datastore></script>
    <script>$('#4171609').jpage({dataStore:dataStore,totalRecord:100,perPage:15,groupSize:3,proxyUrl:'/module/web/jpage/dataproxy.jsp'});</script></div>
    </body></html>"""
    page = parse_page("http://www.zj.gov.cn/col/col123/index.html", html.encode())
    p = page.pagination
    assert p.kind == "hanweb" and p.total_pages == 7
    assert p.urls[0].startswith("http://www.zj.gov.cn/module/web/jpage/dataproxy.jsp?page=1&")
    assert p.urls[0].endswith("&startrecord=46&endrecord=90&perpage=15")
    assert p.urls[1].endswith("&startrecord=91&endrecord=100&perpage=15") and len(p.urls) == 2
    # the records are real links of the page
    assert "http://www.zj.gov.cn/art/2020/3/25/art_123_1.html" in [link.url for link in page.links]


def test_ordinary_pager_links() -> None:
    html = """<html><body><div class="nav"><a href="/index.html">首页</a></div>
    <div class="page">共5页 <a href="list_1.html">首页</a> <a href="list_2.html">上一页</a> <a href="list_2.html">2</a>
    <a href="list_4.html">4</a> <a href="list_4.html">下一页</a> <a href="list_5.html">尾页</a></div></body></html>"""
    p = _pagination(html, "http://www.a.gov.cn/tzgg/list_3.html")
    assert p.kind == "links" and p.next_url == "http://www.a.gov.cn/tzgg/list_4.html"
    assert set(p.urls) == {
        "http://www.a.gov.cn/tzgg/list_1.html",
        "http://www.a.gov.cn/tzgg/list_2.html",
        "http://www.a.gov.cn/tzgg/list_4.html",
        "http://www.a.gov.cn/tzgg/list_5.html",
    }
    assert "http://www.a.gov.cn/index.html" not in p.urls  # 首页 of the navigation is the homepage


def test_sponsor_is_read_from_the_footer_not_from_an_article() -> None:
    body = "<p>本次培训由市委宣传部主办 各单位积极参加。</p>" + "<p>正文段落内容。</p>" * 200
    f = _footer(
        f'<html><body><div class="main">{body}</div><div class="footer">版权所有 某某局</div></body></html>'
    )
    assert f.sponsor is None


# ---------------------------------------------------------------------------------------------------------------
# Resolution shared across pages, lazy facts


def test_links_resolve_alike_whichever_page_resolved_them_first() -> None:
    # Resolutions are remembered across pages, keyed by the part of the base each spelling depends on: a
    # relative path on the directory, a root-relative path on the host, anything odd on the whole base.
    from urllib.parse import urldefrag, urljoin

    hrefs = [
        "c.html",
        "../b.html",
        "./",
        "/r/1.html",
        "//cdn.example.com/x",
        "http:///p",
        "?q=1",
        "http://o.gov.cn",
    ]
    body = "".join(f'<a href="{h}">{n}</a>' for n, h in enumerate(hrefs))
    for url in (
        "http://a.gov.cn/x/y/1.html",
        "http://a.gov.cn/x/z/2.html",
        "http://a.gov.cn/x/y/",
        "https://a.gov.cn/x/y/3.html?p=2",
        "http://b.gov.cn:8080/x/y/1.html",
        "http://a.gov.cn",
    ):
        page = parse_page(url, f"<html><body>{body}</body></html>".encode())
        assert [link.url for link in page.links] == [urldefrag(urljoin(url, h))[0] for h in hrefs], url


def test_footer_article_forms_and_pagination_are_read_when_asked() -> None:
    import lxml.html

    page = parse_page(
        "http://x.gov.cn/col/index.html",
        '<html><body><form action="/s.jsp"><input name="searchword"></form><div><p>正文</p></div>'
        '<a href="index_1.html">下一页</a><div class="footer">网站标识码：3611000003</div></body></html>'.encode(),
    )
    assert not {"footer", "article", "search_forms", "pagination"} & set(vars(page))
    assert page.footer.site_code is not None and page.footer is page.footer
    assert page.search_forms[0].param == "searchword"
    assert page.pagination.urls == ("http://x.gov.cn/col/index_1.html",)
    assert "正文" in page.article.text
    # the tree keeps lxml.html's element classes (form fields, text_content) for the extractors that read it
    form = next(page.tree.iter("form"))
    assert isinstance(form, lxml.html.FormElement) and list(form.fields) == ["searchword"]
