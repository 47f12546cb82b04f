"""Site search and online services: search boxes and the probe's request, result pages, 办事指南 elements, the
checks and the veto rule; the probe against the farm on loopback; real saved pages must not misfire."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from urllib.parse import unquote_to_bytes

import httpx
import pytest

from govinspect.checks.finding import Finding
from govinspect.checks.search import check_search_broken, check_search_missing
from govinspect.checks.services import check_guide_incomplete, check_service_missing
from govinspect.extract.model import (
    Column,
    Expected,
    Homepage,
    SearchProbe,
    ServiceGuide,
    Services,
    SiteModel,
)
from govinspect.extract.page import parse_page
from govinspect.extract.search import (
    SearchRequest,
    choose_articles,
    judge_result,
    probe_requests,
    read_search_boxes,
    read_site_search,
    search_request,
)
from govinspect.extract.services import guide_elements, read_guide, read_services, service_entries
from govinspect.farm import Farm
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.fetch.search_probe import probe_search
from govinspect.scoring.engine import score_site
from govinspect.scoring.profile import load_profile

PROFILE = load_profile("national-2019")
ELEMENTS = list(PROFILE.section("services")["guide_elements"])
AS_OF = date(2020, 3, 31)
REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "data" / "gov_html"


def page(html: str, url: str = "http://www.example.gov.cn/index.html", charset: str = "utf-8"):  # type: ignore[no-untyped-def]
    return parse_page(url, html.encode(charset), headers={"content-type": f"text/html; charset={charset}"})


def model_with(**kw) -> SiteModel:  # type: ignore[no-untyped-def]
    return SiteModel(
        expected=Expected("2100000001", "测试网站", "测试单位"),
        homepage=Homepage("http://www.example.gov.cn/", ()),
        **kw,
    )


# --- 办事指南 -----------------------------------------------------------------------------------------------

GUIDE_TABLE = """<html><head><title>食品经营许可办事指南_测试网站</title></head><body>
<div class="nav"><a href="/">首页</a></div>
<h1 class="title">食品经营许可办事指南</h1>
<table class="guide">
<tr><th>事项名称</th><td>食品经营许可</td></tr>
<tr><th>设定依据</th><td>《中华人民共和国食品安全法》</td></tr>
<tr><th>申请条件</th><td>具有与经营的食品品种、数量相适应的经营场所。</td></tr>
<tr><th>办理材料</th><td>1.申请书；2.营业执照复印件。</td></tr>
<tr><th>办理地点</th><td>市政务服务中心2楼</td></tr>
<tr><th>收费标准</th><td>不收费</td></tr>
<tr><th>联系电话</th><td>0791-12345678</td></tr>
</table></body></html>"""

GUIDE_SYNONYMS = """<html><head><title>临时救助申请_测试网站</title>
<meta name="ColumnName" content="办事指南"></head><body>
<div class="position">当前位置：首页 &gt; 办事服务 &gt; 办事指南</div>
<h1>临时救助申请</h1>
<div id="zoom">
<p>一、受理条件：因火灾、交通事故等意外事件导致基本生活暂时出现严重困难的家庭。</p>
<p>二、申请材料：</p><p>1.临时救助申请书；2.户口簿、身份证。</p>
<p>三、法定依据：《社会救助暂行办法》第四十七条。</p>
<p>四、实施机关：区民政局</p>
<p>五、收费依据及标准：不收费</p>
<p>六、办理地址：区行政服务中心3号窗口</p>
<p>七、办公时间：工作日上午9:00-12:00</p>
<p>八、咨询电话：0791-87654321</p>
<p>九、办事流程</p><p>申请—审核—审批—发放</p>
</div></body></html>"""

GUIDE_DL = """<html><head><title>残疾人证核发 服务指南</title></head><body><h1>残疾人证核发</h1>
<dl><dt>项目名称</dt><dd>残疾人证核发</dd><dt>实施主体</dt><dd>县残联</dd>
<dt>提交材料</dt><dd>身份证、照片</dd><dt>咨询方式</dt><dd>电话 12345</dd>
<dt>收费标准</dt><dd></dd></dl></body></html>"""

NOTICE = """<html><head><title>关于开展2020年度创业补贴申报工作的通知_测试网站</title></head><body>
<h1>关于开展2020年度创业补贴申报工作的通知</h1>
<div id="zoom"><p>各有关单位：</p><p>现就2020年度创业补贴申报工作通知如下。</p>
<p>一、申请条件：在本市登记注册的小微企业。</p><p>二、申请材料：申请表、营业执照。</p>
<p>三、办理地点：市人社局一楼大厅。</p><p>联系电话：0791-11112222</p></div></body></html>"""


def test_a_guide_table_gives_its_elements_in_profile_order() -> None:
    guide = read_guide(page(GUIDE_TABLE, "http://www.example.gov.cn/art/2020/1/2/art_1_2.html"), 5, ELEMENTS)
    assert guide is not None and guide.title == "食品经营许可办事指南"
    assert guide.elements == (
        "事项名称",
        "设定依据",
        "申请条件",
        "办理材料",
        "办理地点",
        "收费标准",
        "联系电话",
    )
    findings = check_guide_incomplete(model_with(services=Services(guides=(guide,))), PROFILE, AS_OF)
    assert len(findings) == 1
    f = findings[0]
    assert f.url.endswith("art_1_2.html") and f.snapshot_id == 5
    assert f.evidence["missing"] == ["办理机构", "办理时间", "办理流程"]
    assert f.evidence["many_missing"] is False and "缺少 3 项要素" in f.message


def test_synonyms_numbered_paragraphs_and_headings_are_read() -> None:
    found = guide_elements(page(GUIDE_SYNONYMS), ELEMENTS)
    assert set(found) == set(ELEMENTS) - {"事项名称"}
    assert (
        found["申请条件"] == "受理条件"
        and found["办理机构"] == "实施机关"
        and found["办理流程"] == "办事流程"
    )


def test_a_definition_list_guide_and_an_empty_value() -> None:
    found = guide_elements(page(GUIDE_DL), ELEMENTS)
    # 收费标准 is printed with no value: missing
    assert set(found) == {"事项名称", "办理机构", "办理材料", "联系电话"}
    assert read_guide(page(GUIDE_DL), None, ELEMENTS) is not None  # 服务指南 in the title


def test_an_ordinary_notice_is_never_a_guide() -> None:
    notice = page(NOTICE, "http://www.example.gov.cn/art/2020/3/1/art_9_9.html")
    assert len(guide_elements(notice, ELEMENTS)) >= 3  # it names elements…
    assert read_guide(notice, 1, ELEMENTS) is None  # …but nothing says it is a guide
    services = read_services(None, {notice.url: (1, notice)}, (), ELEMENTS)
    assert services.guides == ()


def test_the_veto_counts_only_guides_missing_many_elements() -> None:
    def guide(n: int, present: int) -> ServiceGuide:
        return ServiceGuide(
            f"http://www.example.gov.cn/g{n}.html", None, f"指南{n}", tuple(ELEMENTS[:present])
        )

    light = model_with(services=Services(guides=tuple(guide(n, 8) for n in range(6))))
    heavy = model_with(services=Services(guides=tuple(guide(n, 5) for n in range(5))))
    four_heavy = model_with(services=Services(guides=tuple(guide(n, 5) for n in range(4))))
    for model, vetoed in ((light, False), (heavy, True), (four_heavy, False)):
        findings = check_guide_incomplete(model, PROFILE, AS_OF)
        assert findings and all(f.check == "service.guide_incomplete" for f in findings)
        score = score_site(findings, PROFILE)
        assert (score.veto_names == ["服务不实用"]) is vetoed, (model, score)
    assert all(f.evidence["many_missing"] for f in check_guide_incomplete(heavy, PROFILE, AS_OF))


# --- service entries ------------------------------------------------------------------------------------------

HOME = """<html><head><title>测试市人民政府</title></head><body>
<div class="nav"><a href="/col/col1/index.html">首页</a>{nav}<a href="/col/col3/index.html">政务公开</a></div>
<div class="main">{main}<ul>{filler}</ul></div>
<div class="links"><a href="http://www.gov.cn/">中国政府网</a>{friend}</div></body></html>"""


def home_page(nav: str = "", main: str = "", friend: str = ""):  # type: ignore[no-untyped-def]
    filler = "".join(
        f'<li><a href="/art/2020/3/{d}/art_1_{d}.html">关于召开第{d}次全体会议的通知</a></li>'
        for d in range(1, 26)
    )
    return page(HOME.format(nav=nav, main=main, friend=friend, filler=filler))


@pytest.mark.parametrize(
    "kw",
    [
        {"nav": '<a href="/col/col9/index.html">办事服务</a>'},
        {"friend": '<a href="http://www.jxzwfw.gov.cn/">江西政务服务网</a>'},
        {"friend": '<a href="http://gjzwfw.www.gov.cn/"><img src="/i.png" alt="国家政务服务平台"></a>'},
        {"main": '<a href="http://www.zjzwfw.gov.cn/col/col1/index.html"><img src="/z.png"></a>'},
        {"main": '<div class="block"><span>网上办事</span></div>'},
    ],
)
def test_service_entries_on_a_homepage(kw) -> None:  # type: ignore[no-untyped-def]
    home = home_page(**kw)
    services = read_services((home, 1), {home.url: (1, home)}, (), ELEMENTS)
    assert services.entries
    assert check_service_missing(model_with(services=services), PROFILE, AS_OF) == []


def test_no_services_is_a_finding_unless_the_department_has_none() -> None:
    home = home_page(
        main="<p>本市召开优化政务服务营商环境推进大会，会议强调要持续深化改革不断提升群众满意度。</p>"
    )
    services = read_services((home, 1), {home.url: (1, home)}, (), ELEMENTS)
    assert services.entries == ()  # a long headline about 政务服务 is not a service entry
    findings = check_service_missing(model_with(services=services), PROFILE, AS_OF)
    assert [(f.check, f.severity) for f in findings] == [("service.missing", "deduction")]
    assert findings[0].url == home.url and findings[0].snapshot_id == 1
    assert score_site(findings, PROFILE).veto_names == ["服务不实用"]
    no_services = Expected("bm0100001", "部门", "部门", has_services=False)
    assert (
        check_service_missing(replace(model_with(services=services), expected=no_services), PROFILE, AS_OF)
        == []
    )
    assert check_service_missing(model_with(services=Services()), PROFILE, AS_OF) == []  # homepage not read


def test_a_service_column_counts() -> None:
    home = home_page()
    column = Column("http://www.example.gov.cn/col/col7/index.html", "便民服务", None)
    assert service_entries(home, [column]) == [f"便民服务 {column.url}"]


# --- search boxes and the request a browser sends -------------------------------------------------------------

GBK_FORM = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>首页</title></head>
<body><form id="searchform" action="/jrobot/search.do?old=1" method="get" accept-charset="gbk">
<input type="hidden" name="webid" value="33"><input type="hidden" name="pg" value="">
<input type="text" name="q" value="请输入关键字"><input type="image" src="/s.png">
<input type="hidden" name="p" value="1"><input type="submit" value="搜索"></form>
<form action="/login.do" method="post"><input name="username"><input type="password" name="pw"></form>
</body></html>"""


def test_a_gbk_get_form_keeps_hidden_inputs_in_order_and_its_charset() -> None:
    home = page(GBK_FORM, charset="gbk")
    boxes = read_search_boxes(home)
    assert len(boxes) == 1
    box = boxes[0]
    assert box.action == "http://www.example.gov.cn/jrobot/search.do?old=1" and box.param == "q"
    assert box.fields == (("webid", "33"), ("pg", ""), ("q", "请输入关键字"), ("p", "1"))
    search = read_site_search(home, 3)
    request = search_request(box, "关于 印发通知", "http://www.example.gov.cn/a.html", None, search)
    assert request is not None and request.method == "get" and request.referer == home.url
    query = request.url.split("?", 1)[1]
    assert query.startswith("webid=33&pg=&q=") and query.endswith("&p=1")  # the action's own query is dropped
    sent = query.split("&q=")[1].split("&")[0]
    assert unquote_to_bytes(sent.replace("+", " ")) == "关于 印发通知".encode("gbk")


def test_a_post_form_without_accept_charset_uses_the_page_encoding() -> None:
    html = """<html><head><meta charset="gbk"></head><body>
    <form id="searchForm" method="post" action="/search/sxgovsearch.jsp" target="_blank">
    <input type="hidden" name="channelid" value="9"><input id="kw" name="sword" class="search-input-inner" value="请输入关键词">
    <input type="submit" value=""></form></body></html>"""
    home = page(html, charset="gbk")
    search = read_site_search(home, None)
    (box,) = search.boxes
    request = search_request(box, "山西", "http://www.example.gov.cn/a.html", None, search)
    assert request is not None and request.method == "post"
    assert request.url == "http://www.example.gov.cn/search/sxgovsearch.jsp"
    assert request.body == b"channelid=9&sword=" + b"".join(b"%%%02X" % b for b in "山西".encode("gbk"))
    assert request.content_type == "application/x-www-form-urlencoded"


def test_script_driven_boxes_count_as_search_but_are_not_probed() -> None:
    no_action = page(
        '<html><body><form><input class="header_search_txt" name="headSearchword"></form></body></html>'
    )
    loose = page(
        '<html><body><input type="text" id="searchKey" placeholder="搜索"><a onclick="go()">搜</a></body></html>'
    )
    for home in (no_action, loose):
        search = read_site_search(home, None)
        assert search.boxes and all(b.scripted for b in search.boxes)
        assert check_search_missing(model_with(search=search), PROFILE, AS_OF) == []
        requests, why = probe_requests(model_with(search=search), {}, lambda p: [], AS_OF)
        assert requests == [] and why == "搜索框由脚本驱动，未检测"


def test_no_search_on_a_homepage_is_a_deduction_a_search_link_is_enough() -> None:
    bare = home_page()
    search = read_site_search(bare, 9)
    assert search.boxes == () and search.links == () and search.hints == ()
    findings = check_search_missing(model_with(search=search), PROFILE, AS_OF)
    assert [(f.check, f.severity, f.url) for f in findings] == [("search.missing", "deduction", bare.url)]
    linked = home_page(nav='<a href="/search/index.html">站内搜索</a>')
    assert read_site_search(linked, None).links
    assert check_search_missing(model_with(search=read_site_search(linked, None)), PROFILE, AS_OF) == []
    scripted = page(bare.decoded.text.replace("</body>", '<script src="/js/search.js"></script></body>'))
    (notice,) = check_search_missing(model_with(search=read_site_search(scripted, None)), PROFILE, AS_OF)
    assert notice.severity == "notice"
    assert check_search_missing(model_with(), PROFILE, AS_OF) == []  # homepage not read


def test_articles_are_the_newest_news_at_least_two_days_old_with_full_titles() -> None:
    @dataclass
    class Item:
        title: str
        url: str
        date: date | None

    base = "http://www.example.gov.cn"
    listed = [
        Item("今天的新闻标题一二三", f"{base}/a0.html", date(2020, 3, 31)),
        Item("市政府召开常务会议研究部署...", f"{base}/a1.html", date(2020, 3, 29)),
        Item("昨天发布的另一条新闻", f"{base}/a2.html", date(2020, 3, 30)),
        Item("不曾抓取的新闻标题", f"{base}/a3.html", date(2020, 3, 28)),
        Item("三月二十日的工作动态", f"{base}/a4.html", date(2020, 3, 20)),
    ]
    pages = {
        f"{base}/col/1/": page("<html><body></body></html>", f"{base}/col/1/"),
        f"{base}/col/2/": page("<html><body></body></html>", f"{base}/col/2/"),
        f"{base}/a0.html": page("<html><body><h1>今天的新闻标题一二三</h1></body></html>"),
        f"{base}/a1.html": page(
            "<html><head><title>市政府召开常务会议研究部署春耕生产工作_测试网站</title></head><body>"
            '<h1 class="title">市政府召开常务会议研究部署春耕生产工作</h1></body></html>'
        ),
        f"{base}/a2.html": page("<html><body><h1>昨天发布的另一条新闻</h1></body></html>"),
        f"{base}/a4.html": page("<html><body><h1>三月二十日的工作动态</h1></body></html>"),
        f"{base}/n1.html": page("<html><body><h1>通知公告的标题文字</h1></body></html>"),
    }
    notice = [Item("通知公告的标题文字", f"{base}/n1.html", date(2020, 3, 29))]
    columns = (
        Column(f"{base}/col/1/", "政务要闻", "dynamic"),
        Column(f"{base}/col/2/", "通知公告", "notice"),
    )
    lists = {f"{base}/col/1/": listed, f"{base}/col/2/": notice}
    chosen = choose_articles(columns, pages, lambda p: lists[p.url], AS_OF)
    assert chosen == [
        ("市政府召开常务会议研究部署春耕生产工作", f"{base}/a1.html", date(2020, 3, 29)),
        ("三月二十日的工作动态", f"{base}/a4.html", date(2020, 3, 20)),
    ]


# --- judging result pages ------------------------------------------------------------------------------------


@dataclass
class Answer:
    """A search's answer as fetch/search_probe.py gives it (plain data)."""

    status: int | None
    body: bytes = b""
    error: str | None = None
    url: str = "http://www.example.gov.cn/jrobot/search.do?q=x"
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "text/html; charset=utf-8"})


TITLE = "市政府召开常务会议研究部署春耕生产工作"
REQUEST = SearchRequest(
    TITLE, "http://www.example.gov.cn/art/2020/3/29/art_1_5.html", date(2020, 3, 29), "http://x/s?q=1", "get"
)


def results(inner: str) -> bytes:
    return f"<html><head><title>搜索结果</title></head><body>{inner}</body></html>".encode()


@pytest.mark.parametrize(
    ("answer", "found"),
    [
        (Answer(200, results('<ul><li><a href="/art/2020/3/29/art_1_5.html">无关标题</a></li></ul>')), True),
        (
            Answer(
                200, results('<a href="/redirect?id=5">市政府召开<em>常务会议</em>研究部署春耕生产工作</a>')
            ),
            True,
        ),
        (Answer(200, results('<a href="/r?id=5">市政府召开常务会议研究部署...</a>')), True),
        (Answer(200, results(f"<p>关键词：{TITLE}　共找到0条结果</p><p>未找到相关结果</p>")), False),
        (Answer(200, results(f"<p>您搜索的“{TITLE}”共找到 3 条</p><a href='/o.html'>其他文章</a>")), False),
        (Answer(200, b"<html><body></body></html>"), False),
        (Answer(404), False),
        (Answer(None, error="timeout"), False),
        (Answer(403), None),
        (Answer(None, error="blocked_ssrf"), None),
        (Answer(200, b'<html><body><div id="app"></div><script src="/s.js"></script>x</body></html>'), None),
    ],
)
def test_a_result_page_is_judged(answer: Answer, found: bool | None) -> None:
    probe = judge_result(REQUEST, answer)
    assert probe.found is found, probe
    assert probe.query == TITLE and probe.url == REQUEST.url and probe.status == answer.status


def test_broken_needs_two_articles_not_found() -> None:
    def probe(found: bool | None, n: int = 1) -> SearchProbe:
        return SearchProbe(
            f"标题{n}", f"http://www.example.gov.cn/{n}.html", AS_OF, f"http://x/s?q={n}", found=found
        )

    home = home_page(main='<form action="/s"><input name="q"></form>')
    search = read_site_search(home, 2)

    def findings(*probes: SearchProbe) -> list[Finding]:
        return check_search_broken(model_with(search=replace(search, probes=probes)), PROFILE, AS_OF)

    (broken,) = findings(probe(False, 1), probe(False, 2))
    assert broken.severity == "deduction" and broken.url == "http://x/s?q=1"
    assert broken.evidence["query"] == "标题1" and broken.evidence["article"].endswith("/1.html")
    assert len(broken.evidence["probes"]) == 2
    assert findings(probe(True)) == []
    assert [f.severity for f in findings(probe(False))] == ["notice"]  # one article only
    assert [f.severity for f in findings(probe(False, 1), probe(None, 2))] == ["notice"]
    assert [f.severity for f in findings(probe(None))] == ["notice"]
    assert findings() == []


# --- the probe against the farm ------------------------------------------------------------------------------


def _farm_site(farm: Farm, state: str):  # type: ignore[no-untyped-def]
    return next(s for s in farm.sites if s.search == state and s.behaviour is None)


def _home(site) -> object:  # type: ignore[no-untyped-def]
    response = httpx.get(site.homepage_url, timeout=10, verify=False)  # some farm sites are https
    return parse_page(site.homepage_url, response.content, headers=dict(response.headers))


def _requests(farm: Farm, site, titles: list[tuple[str, str]]) -> list[SearchRequest]:  # type: ignore[no-untyped-def]
    search = read_site_search(_home(site), None)
    box = next(b for b in search.boxes if not b.scripted)
    out = [search_request(box, t, site.base_url + p, None, search) for t, p in titles]
    return [r for r in out if r is not None]


def _old_titles(farm: Farm, site, n: int = 2) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    index = json.loads((farm.root / "search" / f"{site.site_code}.json").read_text("utf-8"))
    return [(t, p) for t, p, d in index if (farm.as_of - date.fromisoformat(d)).days >= 2][:n]


def test_the_probe_finds_an_article_on_a_working_search(farm_server: Farm) -> None:
    site = _farm_site(farm_server, "ok")
    requests = _requests(farm_server, site, _old_titles(farm_server, site))
    probes = probe_search(requests, judge_result, LinkCheckOptions(timeout=10, allow_private_networks=True))
    assert len(probes) == 1 and probes[0].found is True and probes[0].status == 200  # one success settles it
    assert probes[0].hits and probes[0].hits >= 1


def test_the_probe_reports_a_broken_search_after_two_articles(farm_server: Farm) -> None:
    site = _farm_site(farm_server, "broken")
    truth = next(t for t in farm_server.truth()["sites"] if t["site_code"] == site.site_code)
    defect = next(d for d in truth["defects"] if d["check"] == "search.broken")
    index_titles = _old_titles(farm_server, site, 50)
    recent = [(defect["evidence"]["query"], defect["evidence"]["article"].removeprefix(site.base_url))]
    assert recent[0][0] not in {t for t, _ in index_titles}  # the farm's index lacks the recent articles
    second = ("另一篇近期文章的标题", "/none.html")
    probes = probe_search(
        _requests(farm_server, site, [*recent, second]),
        judge_result,
        LinkCheckOptions(timeout=10, allow_private_networks=True),
    )
    assert [p.found for p in probes] == [False, False]
    assert probes[0].hits == 0 and probes[0].note == "搜索结果为空"
    search = replace(read_site_search(_home(site), None), probes=tuple(probes))
    (finding,) = check_search_broken(model_with(search=search), PROFILE, AS_OF)
    assert finding.severity == "deduction" and finding.url.startswith(site.base_url + site.search_path)
    assert finding.evidence["query"] == recent[0][0]


def test_the_probe_honours_the_ssrf_guard(farm_server: Farm) -> None:
    site = _farm_site(farm_server, "ok")
    requests = _requests(farm_server, site, _old_titles(farm_server, site))
    probes = probe_search(requests, judge_result, LinkCheckOptions(timeout=5, allow_private_networks=False))
    assert len(probes) == 1 and probes[0].found is None and probes[0].error == "blocked_ssrf"


def test_farm_sites_without_search_or_services(farm_server: Farm) -> None:
    site = _farm_site(farm_server, "missing")
    search = read_site_search(_home(site), None)
    (finding,) = check_search_missing(model_with(search=search), PROFILE, AS_OF)
    assert finding.severity == "deduction"
    truth = farm_server.truth()["sites"]
    no_service = next(t for t in truth if any(d["check"] == "service.missing" for d in t["defects"]))
    fs = next(s for s in farm_server.sites if s.site_code == no_service["site_code"])
    home = _home(fs)
    assert "政务服务" not in home.decoded.text  # the farm drops the platform links too
    services = read_services((home, None), {home.url: (None, home)}, (), ELEMENTS)
    assert [f.severity for f in check_service_missing(model_with(services=services), PROFILE, AS_OF)] == [
        "deduction"
    ]
    with_service = next(s for s in farm_server.sites if s.site_code != fs.site_code and s.behaviour is None)
    home = _home(with_service)
    assert read_services((home, None), {home.url: (None, home)}, (), ELEMENTS).entries


# --- real saved pages ----------------------------------------------------------------------------------------


@pytest.mark.skipif(not REAL_PAGES.is_dir(), reason="../shared/data/gov_html (real saved pages) is absent")
def test_real_pages_search_boxes_and_no_guides() -> None:
    probed = {}
    for path in sorted(REAL_PAGES.glob("*.html")):
        real = parse_page("http://www.example.gov.cn/a/b.html", path.read_bytes())
        search = read_site_search(real, None)
        assert search.boxes, path.name  # every saved page has a search box
        probed[path.stem] = [b for b in search.boxes if not b.scripted]
        assert read_guide(real, None, ELEMENTS) is None, path.name
    assert probed["other-1"] == []  # a form with no action, driven by a script
    (zj,) = probed["gzggw-1"]
    assert zj.action == "http://search.zj.gov.cn/jrobotfront/search.do" and zj.param == "q"
    assert [n for n, _ in zj.fields] == ["websiteid", "pg", "p", "tpl", "category", "od", "q"]
    gz = parse_page("http://www.example.gov.cn/a/b.html", (REAL_PAGES / "gzggw-1.html").read_bytes())
    assert any("浙江政务服务网" in e for e in service_entries(gz))


def test_a_guide_whose_elements_sit_behind_script_tabs_is_not_judged() -> None:
    tabs = """<html><head><title>取水许可办事指南</title></head><body><h1>取水许可办事指南</h1>
    <table><tr><th>事项名称</th><td>取水许可</td></tr><tr><th>办理机构</th><td>县水利局</td></tr>
    <tr><th>办理地点</th><td>县政务服务中心</td></tr></table>
    <ul class="tabs"><li>申请条件</li><li>办理材料</li><li>办理流程</li><li>收费标准</li></ul>
    <div id="tab-content"></div></body></html>"""
    assert len(guide_elements(page(tabs), ELEMENTS)) == 3
    assert read_guide(page(tabs), None, ELEMENTS) is None
    plain = tabs.replace(
        '<ul class="tabs"><li>申请条件</li><li>办理材料</li><li>办理流程</li><li>收费标准</li></ul>', ""
    )
    assert read_guide(page(plain), None, ELEMENTS) is not None


def test_a_lookup_box_is_a_search_box_but_not_probed_and_maxlength_cuts_the_query() -> None:
    lookup = page(
        '<html><body><form action="/xjcx.jsp" method="post"><input name="cxm"><input type="submit" value="查询">'
        "</form></body></html>"
    )
    search = read_site_search(lookup, None)
    assert search.boxes and search.boxes[0].signals == 1
    assert check_search_missing(model_with(search=search), PROFILE, AS_OF) == []
    requests, why = probe_requests(model_with(search=search), {}, lambda p: [], AS_OF)
    assert requests == [] and why is not None and "未检测" in why
    short = page(
        '<html><body><form action="/search.do"><input name="q" maxlength="6"><button>搜索</button></form></body></html>'
    )
    search = read_site_search(short, None)
    (box,) = search.boxes
    assert box.signals >= 2 and box.max_length == 6
    request = search_request(box, "一二三四五六七八九", "http://www.example.gov.cn/a.html", None, search)
    assert request is not None and request.query == "一二三四五六"


def test_a_frame_of_the_site_makes_a_missing_search_a_notice() -> None:
    framed = page(home_page().decoded.text.replace("</body>", '<iframe src="/top.html"></iframe></body>'))
    search = read_site_search(framed, None)
    assert search.hints == ("内嵌框架",)
    assert [f.severity for f in check_search_missing(model_with(search=search), PROFILE, AS_OF)] == ["notice"]


def test_several_labels_on_one_line() -> None:
    html = """<html><head><title>就业失业登记_办事指南</title></head><body><h1>就业失业登记</h1>
    <p>事项名称：就业失业登记；设定依据：《就业服务与就业管理规定》；受理条件：本市户籍劳动者。</p>
    <p>办理地点：区人社局一楼；办理时间：工作日；咨询电话：12333。</p></body></html>"""
    found = guide_elements(page(html), ELEMENTS)
    assert set(found) == {"事项名称", "设定依据", "申请条件", "办理地点", "办理时间", "联系电话"}
    prose = "<html><body><p>会议指出，要优化办理流程，提高审批效率，联系电话12345随时畅通。</p></body></html>"
    assert guide_elements(page(prose), ELEMENTS) == {}


def test_a_service_hall_guide_with_nested_window_tables() -> None:
    def row(label: str, value: str) -> str:
        return f'<tr><td width="20%"><div align="center">{label}</div></td><td><div>{value}</div></td></tr>'

    window = (
        '<table><tr><td align="right">工作时间：</td><td>周一至周五 9:00-12:00</td></tr>'
        '<tr><td align="right">窗口地址：</td><td>区行政服务大厅A区</td></tr>'
        '<tr><td align="right">联系电话：</td><td>0755-28949000</td></tr></table>'
    )
    rows = [
        row("事项名称", "建筑工程施工许可"),
        row("法律依据", "《建筑法》第八条"),
        row("办理条件", "已办理用地批准手续"),
        row("申请材料", "申请表；用地批准文件"),
        row("办理时限", "法定时限：7个工作日"),
        row("事项收费", "不收费"),
        row("决定机关", "区住房和建设局"),
        row("窗口办理", window),
        row("窗口办理流程", "受理—审核—发证"),
    ]
    html = f"<html><head><title>行政服务大厅--办事指南</title></head><body><table>{''.join(rows)}</table></body></html>"
    guide = read_guide(page(html), None, ELEMENTS)
    assert guide is not None and guide.elements == tuple(ELEMENTS)
    assert check_guide_incomplete(model_with(services=Services(guides=(guide,))), PROFILE, AS_OF) == []


def test_search_and_service_facts_survive_the_stored_model() -> None:
    from govinspect.runs.serialize import model_from_dict, model_to_dict

    home = page(GBK_FORM, charset="gbk")
    probe = SearchProbe(
        "标题", "http://www.example.gov.cn/a.html", date(2020, 3, 20), "http://x/s?q=1", found=False
    )
    search = replace(
        read_site_search(home, 4), probes=(probe, replace(probe, query="标题二")), probe_note=None
    )
    guide = read_guide(page(GUIDE_TABLE), 6, ELEMENTS)
    assert guide is not None
    model = model_with(search=search, services=Services(home.url, 4, ("办事服务 http://x/",), 30, (guide,)))
    back = model_from_dict(json.loads(json.dumps(model_to_dict(model))))
    assert back.search == model.search and back.services == model.services
    assert check_search_broken(back, PROFILE, AS_OF) == check_search_broken(model, PROFILE, AS_OF)
    assert check_guide_incomplete(back, PROFILE, AS_OF) == check_guide_incomplete(model, PROFILE, AS_OF)


def test_the_site_footer_phone_is_not_the_guides() -> None:
    footer = '<div class="footer"><p>主办单位：测试市人民政府办公室　联系电话：0791-88888888</p></div>'
    html = GUIDE_TABLE.replace("<tr><th>联系电话</th><td>0791-12345678</td></tr>", "").replace(
        "</body>", footer + "</body>"
    )
    guide = read_guide(page(html), None, ELEMENTS)
    assert guide is not None and "联系电话" not in guide.elements


def test_a_failed_search_request_is_asked_again() -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            ok = len(seen) > 1
            body = results(f'<a href="/art/1.html">{TITLE}</a>') if ok else b"busy"
            self.send_response(200 if ok else 503)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        request = replace(REQUEST, url=f"{base}/s?q=1", article_url=f"{base}/art/1.html")
        options = LinkCheckOptions(timeout=5, retry_spacing=0.05, allow_private_networks=True)
        (probe,) = probe_search([request], judge_result, options)
    finally:
        server.shutdown()
        server.server_close()
    assert len(seen) == 2 and probe.found is True and probe.status == 200
