"""Dates on Chinese government pages: formats, traps, yearless dates, labels, URLs, meta tags, real pages."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest

from govinspect.extract.dates import (
    DateMatch,
    find_dates,
    labelled_date,
    meta_pubdate,
    parse_date,
    parse_moment,
    url_date,
)

D = date(2020, 3, 25)
REF = date(2020, 4, 1)

# ---------------------------------------------------------------------------------------------------------------
# parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-03-25", D),
        ("2020-3-5", date(2020, 3, 5)),
        ("2020/03/25", D),
        ("2020.03.25", D),
        ("2020.3.25", D),
        ("2020年3月25日", D),
        ("2020年03月25日", D),
        ("2020 年 3 月 25 日", D),
        ("2020年3月25号", D),
        ("2020年03月25日 10:21", D),
        ("2020年3月25日10时21分", D),
        ("20200325", D),
        ("２０２０－０３－２５", D),
        ("２０２０年３月２５日", D),
        ("二〇二〇年三月二十五日", D),
        ("二○二○年三月二十五日", D),
        ("二〇一九年十二月三十一日", date(2019, 12, 31)),
        ("二〇二〇年十月一日", date(2020, 10, 1)),
        ("二〇二〇年三月十日", date(2020, 3, 10)),
        ("[2020-03-25]", D),
        ("[ 2020-03-25 ]", D),
        ("【2020-03-25】", D),
        ("（2020-03-25）", D),
        ("  2020-03-25\n", D),
        ("2020-03-25 10:21:33", D),
        ("2020-03-25 10:21", D),
        ("2020-04-09T10:30:00+08:00", date(2020, 4, 9)),
        ("2007-08-20-23:59:59", date(2007, 8, 20)),
        ("2020-02-29", date(2020, 2, 29)),
        ("1949年10月1日", date(1949, 10, 1)),
    ],
)
def test_parse_date_formats(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2020-02-30",
        "2019-02-29",
        "2020-13-01",
        "2020-00-10",
        "2020年4月31日",
        "3020-01-01",
        "1020-01-01",
        "19890325",  # 8 digits only from 1990
        "20201325",
        "202003251",
        "2020-03",
        "2020年3月",
        "2020-03/25",  # mixed separators
        "25/03/2020",  # day first: not a Chinese site's format
        "20-03-25",  # two-digit year
        "二〇二〇年三月三十二日",
        "10:21",
        "10:21:33",
        "",
        "   ",
        "发布时间：2020-03-25",  # a label is labelled_date's business, parse_date takes one date
        "2020-03-25 至 2020-03-27",
    ],
)
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text, reference=REF) is None


@pytest.mark.parametrize(
    ("text", "reference", "expected"),
    [
        ("03-25", REF, D),
        ("(03-25)", REF, D),
        ("[03-25]", REF, D),
        ("03/25", REF, D),
        ("3月25日", REF, D),
        ("03月25日", REF, D),
        # across the year boundary: in early January, December's dates are last year's
        ("12-28", date(2020, 1, 5), date(2019, 12, 28)),
        ("12月28日", date(2020, 1, 5), date(2019, 12, 28)),
        ("01-03", date(2020, 1, 5), date(2020, 1, 3)),
        # reference + 1 day is still this year (time zones, pages published late at night)
        ("04-02", REF, date(2020, 4, 2)),
        ("04-03", REF, date(2019, 4, 3)),
        ("01-01", date(2019, 12, 31), date(2020, 1, 1)),
        # Feb 29 goes back to the last leap year
        ("02-29", date(2021, 3, 1), date(2020, 2, 29)),
        ("02-29", date(2020, 2, 27), date(2016, 2, 29)),
        ("02-29", date(2020, 2, 28), date(2020, 2, 29)),
    ],
)
def test_yearless_with_reference(text: str, reference: date, expected: date) -> None:
    assert parse_date(text, reference=reference) == expected
    (m,) = find_dates(f"某某通知 {text}", reference=reference)
    assert m.date == expected
    assert m.has_year is False


@pytest.mark.parametrize("text", ["03-25", "(03-25)", "3月25日"])
def test_yearless_without_reference_is_none(text: str) -> None:
    assert parse_date(text) is None
    assert find_dates(f"某某通知 {text}") == []


def test_parse_moment_keeps_the_time() -> None:
    m = parse_moment("2020年03月25日 10:21")
    assert m is not None and m.moment == datetime(2020, 3, 25, 10, 21)
    m = parse_moment("2020-03-25 10:21:33")
    assert m is not None and m.moment == datetime(2020, 3, 25, 10, 21, 33)
    m = parse_moment("2020-04-09T10:30:00+08:00")
    assert m is not None and m.moment == datetime(2020, 4, 9, 10, 30, tzinfo=timezone(timedelta(hours=8)))
    m = parse_moment("2020-03-25")
    assert m is not None and m.moment is None
    # an impossible time is not a time: the date stands alone and the rest makes the string not one date
    assert parse_moment("2020-03-25 25:61") is None


# ---------------------------------------------------------------------------------------------------------------
# find_dates


def test_find_dates_spans_and_text() -> None:
    text = "关于做好春季防火工作的通知 2020-03-25 10:21:33 浏览次数：12 另见２０２０年３月２６日的通知。"
    matches = find_dates(text)
    assert [m.date for m in matches] == [D, date(2020, 3, 26)]
    first, second = matches
    assert text[first.start : first.end] == first.text == "2020-03-25 10:21:33"
    assert first.moment == datetime(2020, 3, 25, 10, 21, 33)
    assert first.has_year
    assert text[second.start : second.end] == second.text == "２０２０年３月２６日"


def test_find_dates_in_a_list_page() -> None:
    text = (
        "通知公告 · 关于2020年清明节放假的通知 [2020-03-25] · 市政府常务会议召开 (03-20) "
        "· 二〇二〇年三月十八日 · 12-28 年终总结 · 20200301"
    )
    got = [(m.date, m.has_year) for m in find_dates(text, reference=REF)]
    assert got == [
        (D, True),
        (date(2020, 3, 20), False),
        (date(2020, 3, 18), True),
        (date(2019, 12, 28), False),
        (date(2020, 3, 1), True),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "赣府发〔2020〕3号",
        "国办发〔2019〕11号",
        "赣府字[2020]12号",
        "2020年第12号公告",
        "联系电话：0793-8221234",
        "电话(0791)86245678",
        "服务热线 400-820-3025",
        "手机13820200325",
        "身份证号360102199003251234",
        "统一社会信用代码 11330000002482188R",
        "编号：20200325",
        "文件编号20200325",
        "第20200325号",
        "20200325_1.pdf",
        "20200325.5",
        "a20200325b",
        "版本 v2020.3.1",
        "软件版本：2020.03.25",
        "1.2020.3.4",
        "价格12.25元",
        "2020.35元",
        "增长12.5%",
        "10:21",
        "10:21:33",
        "12:30-13:30",
        "12:10-12:30",
        "时段 09:10-10:30",
        "1-10月德清县固定资产投资",
        "第12-15条",
        "共10-12人",
        "得分3/4",
        "2020年1月15万元",
        "2020年3月",
        "2020-02-30",
        "2020-03-25.1",
        "2020-03-25-1",
        "0793-2020-03-25",
        "ISBN 978-7-2020-3-1",
        "详见 http://www.jx.gov.cn/art/2020/3/25/art_1_2.html",
        "/art/2020/3/25/art_123_456.html",
        "http://www.gov.cn/zhengce/2020-03/25/content_123.htm",
        "www.gov.cn/xinwen/2020-03-25/x.htm",
        "见 http://x.gov.cn/search.jsp?d=2020-03-25&p=1",
    ],
)
def test_find_dates_traps(text: str) -> None:
    assert find_dates(text, reference=REF) == []


def test_url_does_not_hide_the_date_after_it() -> None:
    text = "原文 http://www.gov.cn/art/2020/3/25/art_1.html 发布于 2020-03-26"
    assert [m.date for m in find_dates(text)] == [date(2020, 3, 26)]


@pytest.mark.parametrize(
    "text",
    [
        "2020.03.25-2020.03.27",
        "2020.03.25—2020.03.27",
        "2020-03-25~2020-03-27",
        "2020年3月25日至2020年3月27日",
    ],
)
def test_find_dates_ranges(text: str) -> None:
    assert [m.date for m in find_dates(text)] == [D, date(2020, 3, 27)]


def test_find_dates_empty() -> None:
    assert find_dates("") == []
    assert find_dates("没有日期的正文。") == []


# ---------------------------------------------------------------------------------------------------------------
# labelled_date


@pytest.mark.parametrize(
    ("text", "expected", "label"),
    [
        ("标题 发布时间：2020-03-25 10:21 来源：市政府办", D, "发布时间"),
        ("发布日期: 2020-03-25 字号：[大][中][小]", D, "发布日期"),
        ("发布日期：2020年3月25日", D, "发布日期"),
        ("日期：2020-03-25 作者：张三", D, "日期"),
        ("时间： 2020-03-25 06:23 来源： 山西日报", D, "时间"),
        ("来源：市发改委 发布时间：2020-03-25 浏览次数：", D, "发布时间"),
        ("信息来源：市政府办 更新时间：2020-03-25", D, "更新时间"),
        ("索引号：001 发文日期：2020-03-25 文号：赣府发〔2020〕3号", D, "发文日期"),
        ("成文日期：2020年03月25日", D, "成文日期"),
        ("[ 2020-03-25 ] 【打印】【关闭】", D, "[]"),
        ("2019年06月15日08:18 来源： 人民网-文化频道", date(2019, 6, 15), "来源"),
        ("2020-03-25 10:30:00 | 来源：新华网", D, "来源"),
        ("来源：某某县人民政府办公室 2020-03-25 浏览：", D, "来源"),
        ("发布时间：２０２０－０３－２５", D, "发布时间"),
        ("发布时间为2020-03-25", D, "发布时间"),
        ("发布于 2020年3月25日", D, "发布于"),
        ("Publish Date: 2020-03-25", D, "Publish Date"),
    ],
)
def test_labelled_date(text: str, expected: date, label: str) -> None:
    m = labelled_date(text)
    assert m is not None
    assert m.date == expected
    assert m.label is not None and m.label.startswith(label[:2])
    assert text[m.start : m.end] == m.text


def test_labelled_date_prefers_publication_over_written_over_updated() -> None:
    text = "更新时间：2020-04-01 成文日期：2020-03-20 正文…… 发布日期：2020-03-25"
    m = labelled_date(text)
    assert m is not None and m.date == D and m.label == "发布日期"
    m = labelled_date("更新时间：2020-04-01 成文日期：2020-03-20")
    assert m is not None and m.date == date(2020, 3, 20)
    m = labelled_date("更新时间：2020-04-01 正文提到2020年3月1日的会议")
    assert m is not None and m.date == date(2020, 4, 1)
    # a date standing right before 来源: is the article's header, preferred to an update time
    m = labelled_date("最后更新：2020-04-01 …… 2020-03-25 10:00 来源：新华网")
    assert m is not None and m.date == D and m.label == "来源"


def test_labelled_date_first_of_a_tier_wins() -> None:
    m = labelled_date("发布时间：2020-03-25 …… 相关文章 发布时间：2019-01-01")
    assert m is not None and m.date == D


@pytest.mark.parametrize(
    "text",
    [
        "（2007年6月29日第十届全国人民代表大会常务委员会第二十八次会议通过）",  # a date in the body, no label
        "会议时间：2020年3月25日 地点：市政府",  # an event's time, not a publication label
        "北京时间6月24日12时55分，天宫一号……",
        "截止日期：2020-03-25",
        "发布时间：",
        "发布时间：2020-02-30",
        "",
    ],
)
def test_labelled_date_none_without_a_publication_label(text: str) -> None:
    assert labelled_date(text, reference=REF) is None


def test_labelled_yearless_needs_reference() -> None:
    assert labelled_date("发布时间：03-25") is None
    m = labelled_date("发布时间：03-25", reference=REF)
    assert m is not None and m.date == D and not m.has_year


# ---------------------------------------------------------------------------------------------------------------
# url_date


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://www.jiangxi.gov.cn/art/2020/4/9/art_123_456.html", date(2020, 4, 9)),
        ("http://fgw.zj.gov.cn/art/2016/11/22/art_1621004_30332664.html", date(2016, 11, 22)),
        ("http://www.nea.gov.cn/t20200409_123456.html", date(2020, 4, 9)),
        ("http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml", date(2019, 9, 18)),
        ("./t20190918_693227.shtml", date(2019, 9, 18)),
        ("http://x.gov.cn/zwgk/202004/t20200409_123.html", date(2020, 4, 9)),
        ("http://www.gov.cn/zhengce/content/2020-04/09/content_5500000.htm", date(2020, 4, 9)),
        ("http://www.gov.cn/xinwen/2020-04/09/content_123.htm", date(2020, 4, 9)),
        ("http://www.xinhuanet.com/politics/2020-04/09/c_1125834567.htm", date(2020, 4, 9)),
        ("https://www.univ.edu.cn/2020/0409/c123a456/page.htm", date(2020, 4, 9)),
        ("http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", date(2019, 6, 15)),
        ("http://x.gov.cn/news/20200409/abc.html", date(2020, 4, 9)),
        ("http://x.gov.cn/news/2020/04/09/abc.html", date(2020, 4, 9)),
        ("http://x.gov.cn/list.jsp?id=3&date=2020-04-09", date(2020, 4, 9)),
    ],
)
def test_url_date(url: str, expected: date) -> None:
    assert url_date(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://www.jiangxi.gov.cn/col/col123/index.html",
        "http://x.gov.cn/art/2020/2/30/art_1_2.html",  # invalid day
        "http://www.gov.cn/zhengce/202304/content_6750000.htm",  # month only
        "http://x.gov.cn/news/12345678/abc.html",
        "http://x.gov.cn/uploads/W020190918266010069764.jpg",  # upload stamp, not an article date
        "http://x.gov.cn/2020/4/9/x.html",  # unpadded bare path: ambiguous with ids
        "http://x.gov.cn/art/2020/4/9/t20200101_1.html",  # two patterns disagree
        "http://x.gov.cn/t1020409_1.html",
        "",
    ],
)
def test_url_date_rejects(url: str) -> None:
    assert url_date(url) is None


# ---------------------------------------------------------------------------------------------------------------
# meta_pubdate


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"PubDate": "2020-04-09 10:30"}, date(2020, 4, 9)),
        ({"pubdate": "2020-04-09"}, date(2020, 4, 9)),
        ({"publishdate": "2019-06-15"}, date(2019, 6, 15)),
        ({"article:published_time": "2020-04-09T10:30:00+08:00"}, date(2020, 4, 9)),
        ({"firstpublishedtime": "2007-08-20-23:59:59"}, date(2007, 8, 20)),
        ({"PUBDATE": "20200409103000"}, date(2020, 4, 9)),
        ({"PubDate": "202004091030"}, date(2020, 4, 9)),
        ({"PubDate": "20200409"}, date(2020, 4, 9)),
        ({"PubDate": " 2020年4月9日 "}, date(2020, 4, 9)),
        # the first readable key in preference order wins; unreadable values fall through
        ({"firstpublishedtime": "2020-01-01", "PubDate": "2020-04-09"}, date(2020, 4, 9)),
        ({"PubDate": "", "publishdate": "2020-04-09"}, date(2020, 4, 9)),
    ],
)
def test_meta_pubdate(meta: dict[str, str], expected: date) -> None:
    assert meta_pubdate(meta) == expected


@pytest.mark.parametrize(
    "meta",
    [
        {},
        {"Maketime": "2019-03-22 12:28:37"},  # template build time, not publication
        {"lastmodifiedtime": "2007-08-20-23:59:59"},
        {"PubDate": "2020-02-30"},
        {"PubDate": "20201399000000"},
        {"PubDate": "unknown"},
    ],
)
def test_meta_pubdate_none(meta: dict[str, str]) -> None:
    assert meta_pubdate(meta) is None


# ---------------------------------------------------------------------------------------------------------------
# Real pages from ../shared/data/gov_html (read in place)

GOV_HTML = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gov_html"

# file → (date the page displays next to a label, meta publication date, URL date of the page's own URL).
# Found by reading each page. other-1 (a 国务院公报 page on www.gov.cn) displays no publication date at all: the
# only date in its text is the adoption date inside the resolution; its meta firstpublishedtime is 2007-08-20.
# people-1 shows "2019年06月15日08:18 来源： 人民网-文化频道" (the date stands before 来源, without a label).
REAL_PAGES: dict[str, tuple[date | None, date | None, date | None]] = {
    "cmse-1.html": (date(2012, 6, 24), None, None),
    "gzggw-1.html": (date(2016, 11, 22), date(2016, 11, 22), date(2016, 11, 22)),
    "other-1.html": (None, date(2007, 8, 20), None),
    "people-1.meta-gb2312-actually-utf8.html": (date(2019, 6, 15), date(2019, 6, 15), None),
    "shanxi-1.html": (date(2019, 9, 18), date(2019, 9, 18), date(2019, 9, 18)),
}


class _Page(HTMLParser):
    """Text (without script and style) and meta name/property → content of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.meta: dict[str, str] = {}
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "meta":
            a = dict(attrs)
            key, content = a.get("name") or a.get("property"), a.get("content")
            if key and content is not None:
                self.meta.setdefault(key, content)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _read_page(name: str) -> _Page:
    raw = (GOV_HTML / name).read_bytes()
    try:
        html = raw.decode("utf-8")  # people-1 declares GB2312 but is UTF-8
    except UnicodeDecodeError:
        html = raw.decode("gb18030")
    page = _Page()
    page.feed(html)
    page.close()
    return page


@pytest.mark.skipif(not GOV_HTML.is_dir(), reason=f"real pages not available: {GOV_HTML} is absent")
def test_real_pages_are_all_covered() -> None:
    assert sorted(p.name for p in GOV_HTML.glob("*.html")) == sorted(REAL_PAGES)


_SCRIPT_RE = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>")
_TAG_RE = re.compile(r"<[^>]*>")


def _crude_text(name: str) -> str:
    """Tags stripped by a regex, as a quick scraper would: comment remnants and entities stay messy."""
    raw = (GOV_HTML / name).read_bytes()
    try:
        html = raw.decode("utf-8")
    except UnicodeDecodeError:
        html = raw.decode("gb18030")
    return _TAG_RE.sub(" ", _SCRIPT_RE.sub(" ", html)).replace("&nbsp;", " ")


@pytest.mark.skipif(not GOV_HTML.is_dir(), reason=f"real pages not available: {GOV_HTML} is absent")
@pytest.mark.parametrize("strip", ["html.parser", "regex"])
@pytest.mark.parametrize("name", sorted(REAL_PAGES))
def test_real_page_dates(name: str, strip: str) -> None:
    shown, meta_date, own_url_date = REAL_PAGES[name]
    page = _read_page(name)
    text = " ".join(page.parts) if strip == "html.parser" else _crude_text(name)
    found = labelled_date(text)
    assert (found.date if found else None) == shown, found
    # the same with a reference date: yearless text elsewhere on the page must not take over
    found = labelled_date(text, reference=date(2024, 1, 1))
    assert (found.date if found else None) == shown, found
    assert meta_pubdate(page.meta) == meta_date
    own_url = next((v for k, v in page.meta.items() if k.lower() == "url"), "")
    assert url_date(own_url) == own_url_date


@pytest.mark.skipif(not GOV_HTML.is_dir(), reason=f"real pages not available: {GOV_HTML} is absent")
def test_real_page_footer_links_are_not_dates() -> None:
    # shanxi-1 lists ministries with links such as http://www.gov.cn/guoqing/2018-05/03/content_5287353.htm
    text = " ".join(_read_page("shanxi-1.html").parts)
    assert "2018-05/03" in text
    assert [m.date for m in find_dates(text)] == [date(2019, 9, 18)]


def test_datematch_is_a_value() -> None:
    a = DateMatch(D, 0, 10, "2020-03-25", True)
    assert a == DateMatch(D, 0, 10, "2020-03-25", True)
    assert a.moment is None and a.label is None
