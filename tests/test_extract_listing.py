"""extract.listing: list entries and dates in the markup of common CMSs, placeholders, homepage items."""

from __future__ import annotations

from datetime import date

from govinspect.extract.listing import homepage_items, list_items, newest_date
from govinspect.extract.page import parse_page

REF = date(2020, 3, 31)
CHROME = """<div class="header"><div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/gzdt/">工作动态 2020-03-30</a></li>
<li><a href="/tzgg/">通知公告</a></li></ul></div></div>{main}
<div class="footer"><ul><li><a href="/about">关于我们的网站声明</a><span>2020-03-31</span></li>
<li><a href="/map">网站地图与使用帮助</a><span>2020-03-31</span></li></ul>网站标识码：3611000003</div>"""


def _listing(main: str, url: str = "http://www.a.gov.cn/col/col1/index.html"):
    html = f"<html><head><title>栏目</title></head><body>{CHROME.format(main=main)}</body></html>"
    return list_items(parse_page(url, html.encode("utf-8")), reference=REF)


def test_trs_ul_li_with_span_dates() -> None:
    lst = _listing(
        """<div class="main"><ul class="list">
        <li><a href="/art/2020/3/25/art_1_1.html" title="市政府召开第十次常务会议">市政府召开第十次常务会议</a><span>2020-03-25</span></li>
        <li><a href="/art/2020/3/2/art_1_2.html" title="关于开展春季植树活动的通知">关于开展春季植树…</a><span>2020-03-02</span></li>
        <li><a href="/art/2020/2/9/art_1_3.html">全市疫情防控工作推进会召开</a><span>2020-02-09</span></li>
        <li><a href="/col/col1/index.html">更多</a></li></ul></div>"""
    )
    assert [i.date for i in lst] == [date(2020, 3, 25), date(2020, 3, 2), date(2020, 2, 9)]
    assert lst.items[1].title == "关于开展春季植树活动的通知"  # the title attribute completes a cut title
    assert lst.items[0].url == "http://www.a.gov.cn/art/2020/3/25/art_1_1.html"
    assert lst.newest == date(2020, 3, 25) and lst.placeholder is None


def test_table_rows_with_date_cells_and_chinese_dates() -> None:
    lst = _listing(
        """<table class="list"><tr><th>标题</th><th>发布日期</th></tr>
        <tr><td><a href="content.jsp?id=9">关于2019年度考核结果的公示</a></td><td>2020年3月5日</td></tr>
        <tr><td><a href="content.jsp?id=8">某某局召开党组会议</a></td><td>2020/2/28</td></tr>
        <tr><td><a href="content.jsp?id=7">某某局开展安全生产检查</a></td><td>2020.02.03</td></tr></table>""",
        "http://www.a.gov.cn/module/list.jsp?id=12",
    )
    assert [i.date for i in lst] == [date(2020, 3, 5), date(2020, 2, 28), date(2020, 2, 3)]
    assert lst.items[0].url == "http://www.a.gov.cn/module/content.jsp?id=9"
    assert lst.items[0].date_text == "2020年3月5日"  # the 2019 inside the title is not the date


def test_div_blocks_and_bracketed_and_yearless_dates() -> None:
    lst = _listing(
        """<div class="list-con">
        <div class="item"><span class="date">[2020-03-25]</span><a href="./202003/t20200325_1.shtml">工作动态标题之一</a></div>
        <div class="item"><span class="date">[03-20]</span><a href="./202003/t20200320_2.shtml">工作动态标题之二</a></div>
        <div class="item"><a href="./201912/t20191228_3.shtml">工作动态标题之三</a><em>12-28</em></div></div>""",
        "http://www.a.gov.cn/xwzx/gzdt/index.shtml",
    )
    assert [i.date for i in lst] == [date(2020, 3, 25), date(2020, 3, 20), date(2019, 12, 28)]


def test_date_inside_the_link() -> None:
    lst = _listing(
        """<ul class="news"><li><a href="/a/1.html"><span class="t">春耕备耕工作有序推进</span><span class="d">2020-03-21</span></a></li>
        <li><a href="/a/2.html">疫情防控工作会议召开 2020-03-11</a></li>
        <li><a href="/a/3.html">关于2020年3月1日起施行新规的说明</a></li></ul>"""
    )
    assert [i.date for i in lst] == [date(2020, 3, 21), date(2020, 3, 11), None]


def test_undated_entries_are_kept_undated() -> None:
    lst = _listing(
        """<ul class="list"><li><a href="/a/1.html">机构职能介绍之一</a></li><li><a href="/a/2.html">机构职能介绍之二</a></li></ul>"""
    )
    assert len(lst) == 2 and all(i.date is None for i in lst) and newest_date(lst.items) is None


def test_navigation_and_footer_are_not_entries() -> None:
    lst = _listing('<div class="main"><p>本栏目暂无信息</p></div>')
    assert lst.items == () and lst.placeholder == "本栏目暂无信息"


def test_placeholders() -> None:
    for text in (
        "暂无数据",
        "暂无信息",
        "无相关信息",
        "该栏目正在建设中",
        "栏目建设中，敬请期待",
        "没有记录",
    ):
        lst = _listing(f'<div class="main"><div class="empty">{text}</div></div>')
        assert lst.placeholder and lst.blank, text
    lst = _listing(
        '<div class="main"><p>市政府建设中心城区的计划正在推进，欢迎提出意见建议和批评。</p></div>'
    )
    assert lst.placeholder is None  # prose that mentions 建设 is not a placeholder


def test_hanweb_datastore_records_are_entries() -> None:
    lst = _listing(
        """<div id="4171609"><script type="text/xml"><datastore><recordset>
        <record><![CDATA[<li><a href="/art/2020/3/25/art_1_1.html">大汉列表第一条信息</a><span>2020-03-25</span></li>]]></record>
        <record><![CDATA[<li><a href="/art/2020/3/24/art_1_2.html">大汉列表第二条信息</a><span>2020-03-24</span></li>]]></record>
        <record><![CDATA[<li><a href="/art/2020/3/23/art_1_3.html">大汉列表第三条信息</a><span>2020-03-23</span></li>]]></record>
        </recordset></datastore></script></div>"""
    )
    assert [i.date for i in lst] == [date(2020, 3, 25), date(2020, 3, 24), date(2020, 3, 23)]


def test_hidden_entries_are_skipped() -> None:
    lst = _listing(
        """<ul class="list"><li><a href="/a/1.html">看得见的信息标题</a><span>2020-03-01</span></li>
        <li><a href="/a/2.html">看得见的信息标题二</a><span>2020-02-01</span></li>
        <li style="display:none"><a href="/a/3.html">隐藏的信息标题</a><span>2020-03-30</span></li></ul>"""
    )
    assert lst.newest == date(2020, 3, 1) and len(lst) == 2


def test_main_list_beats_sidebar() -> None:
    lst = _listing(
        """<div class="left-side"><ul><li><a href="/h/1.html">热点信息一号标题</a><span>2020-03-30</span></li>
        <li><a href="/h/2.html">热点信息二号标题</a><span>2020-03-29</span></li></ul></div>
        <div class="content"><ul class="list">
        <li><a href="/a/1.html">本栏目信息一号</a><span>2019-01-05</span></li>
        <li><a href="/a/2.html">本栏目信息二号</a><span>2018-12-05</span></li>
        <li><a href="/a/3.html">本栏目信息三号</a><span>2018-11-05</span></li></ul></div>"""
    )
    assert lst.newest == date(2019, 1, 5)


def test_homepage_items_from_blocks_and_standalone_links() -> None:
    html = f"""<html><body>{
        CHROME.format(
            main='''<div class="block"><div class="block-title"><span>要闻</span><a class="more" href="/yw/">更多</a></div>
        <ul><li><a href="/a/1.html">要闻第一条标题</a><span>[03-28]</span></li><li><a href="/a/2.html">要闻第二条标题</a><span>[03-27]</span></li></ul></div>
        <div class="focus"><p><a href="/a/9.html">焦点新闻一则标题</a> 2020-03-30</p></div>
        <div class="banner"><a href="/zt/">专题专栏入口</a></div>'''
        )
    }</body></html>"""
    items = homepage_items(parse_page("http://www.a.gov.cn/", html.encode()), reference=REF)
    got = {i.url.rsplit("/", 1)[-1]: i.date for i in items}
    assert got == {"1.html": date(2020, 3, 28), "2.html": date(2020, 3, 27), "9.html": date(2020, 3, 30)}
