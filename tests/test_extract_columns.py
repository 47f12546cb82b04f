"""extract.columns: classification by the profile's keywords, discovery from navigation and the sitemap."""

from __future__ import annotations

import pytest

from govinspect.extract.columns import classify_column, discover_columns, find_sitemap_link
from govinspect.extract.page import parse_page
from govinspect.scoring.profile import load_profile

CLASSES = load_profile().column_classes


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("政策解读", "interpretation"),
        ("政策文件解读", "interpretation"),
        ("政策文件", "policy"),
        ("规范性文件", "policy"),
        ("通知公告", "notice"),
        ("公示公告", "notice"),
        ("工作动态", "dynamic"),
        ("政务要闻", "dynamic"),
        ("媒体关注", "dynamic"),
        ("人事任免", "personnel"),
        ("规划计划", "plan"),
        ("在线咨询", "interaction"),
        ("领导信箱", "interaction"),
        ("机构职能", "static"),
        ("专题专栏", None),
        ("扫黑除恶专题", None),
        ("财政预决算", None),
        ("", None),
    ],
)
def test_classify_column(name: str, expected: str | None) -> None:
    assert classify_column(name, CLASSES) == expected


HOME = """<html><head><title>某某市人民政府</title></head><body>
<div class="top"><a href="/index.html">某某市人民政府</a></div>
<div class="nav"><ul>
 <li><a href="/index.html">首页</a></li>
 <li><a href="/col/col11/index.html">政务要闻</a></li>
 <li><a href="/col/col12/index.html">通知公告</a></li>
 <li><a href="/col/col13/index.html"> 政策解读 </a></li>
 <li><a href="http://other.gov.cn/col/col1/index.html">上级政府</a></li>
 <li><a href="/art/2020/3/1/art_11_5.html">一篇文章</a></li>
 <li><a href="/files/guide.pdf">办事指南下载</a></li>
 <li><a href="/col/col1/index.html">网站地图</a></li>
</ul></div>
<div class="main"><a href="/col/col99/index.html">正文中的栏目链接</a></div>
<div class="footer"><a href="/col/col1/index.html">网站地图</a></div></body></html>"""

SITEMAP = """<html><body><div class="nav"><a href="/col/col11/index.html">要闻</a></div>
<div class="main"><ul class="sitemap"><li><a href="/col/col11/index.html">要闻（地图里的名字）</a></li>
<li><a href="/col/col14/index.html">人事信息</a></li><li><a href="/col/col15/index.html">统计数据</a></li></ul></div></body></html>"""


def test_discover_columns_from_nav_and_sitemap() -> None:
    home = parse_page("http://www.a.gov.cn/index.html", HOME.encode())
    assert find_sitemap_link(home) == "http://www.a.gov.cn/col/col1/index.html"
    sitemap = parse_page("http://www.a.gov.cn/col/col1/index.html", SITEMAP.encode())
    cols = discover_columns(home, sitemap, profile_classes=CLASSES)
    got = [(c.url.removeprefix("http://www.a.gov.cn"), c.name, c.column_class, c.source) for c in cols]
    assert got == [
        ("/col/col11/index.html", "政务要闻", "dynamic", "nav"),
        ("/col/col12/index.html", "通知公告", "notice", "nav"),
        ("/col/col13/index.html", "政策解读", "interpretation", "nav"),
        ("/col/col14/index.html", "人事信息", "personnel", "sitemap"),
        ("/col/col15/index.html", "统计数据", None, "sitemap"),
    ]


def test_meta_column_names_of_fetched_pages() -> None:
    home = parse_page("http://www.a.gov.cn/", HOME.encode())
    col = parse_page(
        "http://www.a.gov.cn/col/col77/index.html",
        '<html><head><meta name="ColumnName" content="部门文件"></head><body></body></html>'.encode(),
    )
    art = parse_page(
        "http://www.a.gov.cn/art/2020/3/1/art_77_1.html",
        '<html><head><meta name="ColumnName" content="部门文件"></head><body></body></html>'.encode(),
    )
    cols = discover_columns(home, None, profile_classes=CLASSES, pages=[col, art])
    meta = [c for c in cols if c.source == "meta"]
    assert [(c.url, c.name, c.column_class) for c in meta] == [
        ("http://www.a.gov.cn/col/col77/index.html", "部门文件", "policy")
    ]
