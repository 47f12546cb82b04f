"""Interaction (互动回应): extraction on small pages, the checks on hand-built models, statistics, and the farm's
truth (models built from the farm's pages on disk)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from govinspect.checks.finding import Severity
from govinspect.checks.interaction import (
    check_no_channel,
    check_reply_overdue,
    check_reply_slow,
    check_survey_feedback,
    interaction_stats,
)
from govinspect.extract.columns import find_sitemap_link
from govinspect.extract.interaction import (
    classify_status,
    detail_records,
    find_channels,
    listed_messages,
    read_interaction,
    survey_of,
)
from govinspect.extract.model import (
    Attempt,
    Channel,
    Expected,
    Homepage,
    Interaction,
    Message,
    SiteModel,
    Survey,
)
from govinspect.extract.page import Page, parse_page
from govinspect.farm import Farm, FarmSite
from govinspect.farm.compare import match_key, normalise_url
from govinspect.scoring.engine import FAIL, score_site
from govinspect.scoring.profile import load_profile
from govinspect.workdays.schedule import Calendar

AS_OF = date(2020, 3, 31)
PROFILE = load_profile("national-2019")
CALENDAR = Calendar.build()
KEYWORDS = PROFILE.section("interaction")["channel_keywords"]
EXCLUDED = PROFILE.section("interaction")["excluded_channel_keywords"]
BASE = "http://www.example.gov.cn"
CHECKS = ("interaction.no_channel", "interaction.reply_overdue", "interaction.reply_slow")
ALL_CHECKS = (*CHECKS, "interaction.survey_feedback_missing")


def page(html: str, url: str = f"{BASE}/hdjl/zxzx/index.html") -> Page:
    return parse_page(url, f"<html><head><meta charset='utf-8'></head><body>{html}</body></html>".encode(),
                      reference=AS_OF)  # fmt: skip


# --------------------------------------------------------------------------------------------------------------
# Message lists


def test_a_header_labelled_table_gives_rows_with_times_unit_status_and_link() -> None:
    rows = listed_messages(
        page(
            """<div class="nav"><a href="/">首页</a></div><table>
            <tr><td>序号</td><td>信件标题</td><td>提问时间</td><td>办理状态</td><td>受理单位</td><td>回复时间</td></tr>
            <tr><td>1</td><td><a href="/hdjl/art_1.html" title="关于小区路灯长期不亮的咨询">关于小区路灯…</a></td>
                <td>2020-03-02 09:31</td><td>已办结</td><td>市住建局</td><td>2020年3月4日</td></tr>
            <tr><td>2</td><td><a href="/hdjl/art_2.html">关于道路积水严重的问题</a></td>
                <td>2020/3/20</td><td>办理中</td><td></td><td></td></tr>
            <tr><td colspan="6">共2条 <a href="?page=2">下一页</a></td></tr>
            </table>"""
        )
    )
    assert [r.url for r in rows] == [f"{BASE}/hdjl/art_1.html", f"{BASE}/hdjl/art_2.html"]
    first, second = rows
    assert first.title == "关于小区路灯长期不亮的咨询"
    assert first.submitted == datetime(2020, 3, 2, 9, 31) and first.replied == datetime(2020, 3, 4)
    assert first.unit == "市住建局" and first.status == "已办结" and first.missing == ()
    assert (
        second.replied is None and second.status == "办理中" and second.missing == ()
    )  # pending: no reply due


def test_empty_cells_under_time_headers_are_missing_times() -> None:
    rows = listed_messages(
        page(
            """<table><tr><th>标题</th><th>留言时间</th><th>答复时间</th><th>状态</th></tr>
            <tr><td><a href="/a/1.html">关于公积金提取条件的咨询</a></td><td></td><td>2020-03-05</td><td>已回复</td></tr>
            <tr><td><a href="/a/2.html">关于医保异地报销的咨询</a></td><td>2020-03-01</td><td> </td><td>已回复</td></tr>
            </table>"""
        )
    )
    assert [r.missing for r in rows] == [("submit_time",), ("reply_time",)]


def test_a_list_of_rows_and_a_list_of_labelled_entries() -> None:
    ul = listed_messages(
        page(
            """<ul class="msg"><li class="head"><span>标题</span><span>留言时间</span><span>状态</span></li>
            <li><span><a href="/m/1.html">关于学校周边交通拥堵的建议</a></span><span>2020-02-03</span><span>已答复</span></li>
            <li><span><a href="/m/2.html">关于农村饮水水质问题的反映</a></span><span>2020-02-05</span><span>待回复</span></li>
            </ul>"""
        )
    )
    assert [(r.submitted, classify_status(r.status)) for r in ul] == [
        (datetime(2020, 2, 3), "answered"),
        (datetime(2020, 2, 5), "pending"),
    ]
    entries = listed_messages(
        page(
            """<div class="list">
            <div class="entry"><a href="/m/3.html">关于养老保险转移接续的咨询</a>
              <span>留言时间：2020-01-06</span><span>回复时间：2020-01-20</span><span>状态：已回复</span></div>
            <div class="entry"><a href="/m/4.html">关于居住证办理材料的咨询</a>
              <span>留言时间：2020-01-08</span><span>状态：办理中</span></div>
            </div>"""
        )
    )
    assert [(r.url, r.submitted, r.replied) for r in entries] == [
        (f"{BASE}/m/3.html", datetime(2020, 1, 6), datetime(2020, 1, 20)),
        (f"{BASE}/m/4.html", datetime(2020, 1, 8), None),
    ]


def test_news_lists_and_tables_without_message_labels_are_not_boards() -> None:
    assert (
        listed_messages(
            page(
                """<table><tr><th>标题</th><th>发布时间</th></tr>
            <tr><td><a href="/a/1.html">市政府召开常务会议研究部署安全生产工作</a></td><td>2020-03-02</td></tr>
            <tr><td><a href="/a/2.html">关于开展消防安全检查的通知</a></td><td>2020-03-01</td></tr></table>"""
            )
        )
        == []
    )
    # 办件公示: service cases with 受理时间/办结时间/办理状态 are not messages
    assert (
        listed_messages(
            page(
                """<table><tr><th>事项名称</th><th>申请人</th><th>受理时间</th><th>办结时间</th><th>办理状态</th></tr>
            <tr><td><a href="/bj/1.html">个体工商户设立登记</a></td><td>王**</td><td>2020-03-02</td><td></td>
            <td>已办结</td></tr></table>"""
            )
        )
        == []
    )


# --------------------------------------------------------------------------------------------------------------
# Message details

DETAIL = """<h1>关于公积金提取条件的咨询</h1><div class="info">发布时间：2020-03-12 10:00　来源：市政府办公室</div>
<table class="detail">
<tr><th>留言人</th><td>张**</td></tr>
{submit}<tr><th>留言内容</th><td>您好！请问公积金提取条件应如何办理？</td></tr>
<tr><th>办理状态</th><td>{status}</td></tr>
{reply}</table>"""
SUBMIT = "<tr><th>留言时间</th><td>2020-03-02 09:31:22</td></tr>"
REPLY = (
    "<tr><th>答复单位</th><td>市住房公积金中心</td></tr><tr><th>答复时间</th><td>2020-03-16 16:02:11</td></tr>"
    "<tr><th>答复内容</th><td>您好！请携带身份证到服务大厅办理。</td></tr>"
)


def test_a_detail_page_with_th_td_rows() -> None:
    (rec,) = detail_records(page(DETAIL.format(submit=SUBMIT, status="已回复", reply=REPLY)))
    assert rec.submitter == "张**" and rec.question.startswith("您好")
    assert rec.submitted == datetime(2020, 3, 2, 9, 31, 22) and rec.replied == datetime(
        2020, 3, 16, 16, 2, 11
    )
    assert rec.unit == "市住房公积金中心" and rec.status == "已回复" and rec.missing == ()


def test_missing_times_on_a_detail_page_are_judged_inside_the_record_only() -> None:
    # the page's 发布时间 line is outside the record: the submit time is still missing
    (rec,) = detail_records(page(DETAIL.format(submit="", status="已回复", reply=REPLY)))
    assert rec.missing == ("submit_time",)
    no_reply_time = REPLY.replace("<tr><th>答复时间</th><td>2020-03-16 16:02:11</td></tr>", "")
    (rec,) = detail_records(page(DETAIL.format(submit=SUBMIT, status="已回复", reply=no_reply_time)))
    assert rec.missing == ("reply_time",)
    # another dated row in the record (受理时间) may be the submission under another name: not claimed
    other = "<tr><th>受理时间</th><td>2020-03-03</td></tr>"
    (rec,) = detail_records(page(DETAIL.format(submit=other, status="已回复", reply=REPLY)))
    assert rec.missing == ()
    (rec,) = detail_records(page(DETAIL.format(submit=SUBMIT, status="办理中", reply="")))
    assert rec.missing == () and classify_status(rec.status) == "pending"


def test_labelled_paragraphs_and_definition_lists() -> None:
    (rec,) = detail_records(
        page(
            """<div class="con"><p>来信人：李**　来信时间：2019年12月2日</p><p>来信内容：小区垃圾清运不及时。</p>
            <p>回复单位：区城管局</p><p>回复时间：2019年12月9日</p><p>回复内容：已安排清运。</p></div>"""
        )
    )
    assert rec.submitted == datetime(2019, 12, 2) and rec.replied == datetime(2019, 12, 9)
    assert rec.unit == "区城管局"
    (rec,) = detail_records(
        page("<dl><dt>咨询内容</dt><dd>企业开办流程是什么？</dd><dt>提问时间</dt><dd>2020-01-02</dd></dl>")
    )
    assert rec.submitted == datetime(2020, 1, 2) and rec.question == "企业开办流程是什么？"


def test_forms_articles_and_qa_interpretations_are_not_messages() -> None:
    form = """<form action="/post"><table><tr><td>留言标题：</td><td><input type="text" name="t"></td></tr>
    <tr><td>留言人：</td><td><input type="text" name="n"></td></tr>
    <tr><td>留言内容：</td><td><textarea name="c"></textarea></td></tr></table></form>"""
    assert detail_records(page(form)) == []
    article = """<h1>市长信箱上月收到群众留言120件</h1><p>发布时间：2020-03-02</p>
    <p>3月2日，记者从市政府获悉，上月市长信箱共收到留言120件，留言内容涉及城市管理、教育等方面，已全部答复。</p>"""
    assert detail_records(page(article)) == []
    qa = "<h1>一问一答读懂新政</h1><p>问：什么是公积金？</p><p>答：公积金是……</p>"
    assert detail_records(page(qa)) == []


def test_statuses() -> None:
    assert [classify_status(s) for s in ("已回复", "已办结", "办理中", "未回复", "待答复", "已受理", "不予受理")] == [
        "answered", "answered", "pending", "pending", "pending", "pending", "invalid"
    ]  # fmt: skip
    assert classify_status("") is None and classify_status("公开") is None


# --------------------------------------------------------------------------------------------------------------
# Channels and surveys


def test_channels_exclude_petitions_and_article_titles() -> None:
    home = page(
        """<div class="nav"><a href="/hdjl/">互动交流</a><a href="/xf/">网上信访</a><a href="/jb/">纪检监察举报</a></div>
        <ul class="menu" style="display:none"><li><a href="/hdjl/szxx/">市长信箱</a></li></ul>
        <a href="https://www.12345.example.cn/"><img src="/i.png" alt="12345政务服务便民热线"></a>
        <a href="/art/2020/3/2/art_1_2.html">市政协召开咨询会</a>
        <a href="/news/x.html">关于开展2020年度网上咨询服务满意度评价工作的通知</a>""",
        f"{BASE}/index.html",
    )
    channels, excluded = find_channels([(home, "home")], KEYWORDS, EXCLUDED)
    # a hidden drop-down menu counts, an image link by its alt text
    assert [c.name for c in channels] == ["互动交流", "市长信箱", "12345政务服务便民热线"]
    assert [c.name for c in excluded] == ["网上信访", "纪检监察举报"]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("征集时间：2020年1月2日至2020年2月1日。", date(2020, 1, 2), date(2020, 2, 1)),
        ("征求意见时间为2019年12月20日至1月19日。", date(2019, 12, 20), date(2020, 1, 19)),
        ("意见反馈截止时间：2020年3月1日。", None, date(2020, 3, 1)),
        ("请于2020年3月1日前将意见发送至邮箱。", None, date(2020, 3, 1)),
    ],
)
def test_survey_periods(text: str, start: date | None, end: date | None) -> None:
    survey = survey_of(
        page(
            f"<h1>关于《某某市河道管理办法（征求意见稿）》公开征求意见的公告</h1><div id='zoom'><p>{text}</p></div>",
            f"{BASE}/art/2020/1/2/art_9_1.html",
        )
    )
    assert survey is not None and (survey.start, survey.end) == (start, end)


def test_surveys_need_a_survey_title_and_a_period() -> None:
    assert survey_of(page("<h1>关于开展安全生产检查的通知</h1><p>检查时间：2020年1月2日至2月1日</p>")) is None
    assert survey_of(page("<h1>2020年营商环境网上问卷调查</h1><p>欢迎广大群众参与。</p>")) is None
    assert (
        survey_of(page("<h1>2020年营商环境网上问卷调查结果</h1><p>调查时间：2020年1月2日至2月1日</p>"))
        is None
    )


def _site(pages: dict[str, str]) -> Interaction:
    parsed = {url: (page(html, url), n) for n, (url, html) in enumerate(pages.items())}
    return read_interaction(
        parsed[f"{BASE}/index.html"][0], parsed, channel_keywords=KEYWORDS, excluded_keywords=EXCLUDED
    )


def test_a_survey_result_is_found_by_its_title_not_by_another_surveys() -> None:
    survey = "<h1>关于{t}工作意见建议征集的公告</h1><div id='zoom'><p>征集时间：2019年11月1日至2019年12月1日。</p></div>"
    ia = _site(
        {
            f"{BASE}/index.html": '<a href="/zjdc/">征集调查</a>',
            f"{BASE}/zjdc/": (
                '<ul><li><a href="/zjdc/1.html">关于森林防火工作意见建议征集的公告</a></li>'
                '<li><a href="/zjdc/2.html">关于森林防火工作意见建议征集结果反馈</a></li>'
                '<li><a href="/zjdc/3.html">关于文明城市创建工作意见建议征集的公告</a></li></ul>'
            ),
            f"{BASE}/zjdc/1.html": survey.format(t="森林防火"),
            f"{BASE}/zjdc/3.html": survey.format(t="文明城市创建"),
        }
    )
    by_url = {s.url: s for s in ia.surveys}
    assert by_url[f"{BASE}/zjdc/1.html"].result_url == f"{BASE}/zjdc/2.html"
    assert by_url[f"{BASE}/zjdc/3.html"].result_url is None and by_url[f"{BASE}/zjdc/3.html"].listed


def test_an_earlier_surveys_result_on_the_same_subject_is_not_this_ones() -> None:
    ia = _site(
        {
            f"{BASE}/index.html": '<a href="/zjdc/">征集调查</a>',
            f"{BASE}/zjdc/": (
                '<ul><li><a href="/zjdc/3.html">2020年社会信用体系建设网上问卷调查</a></li>'
                '<li><a href="/zjdc/2.html">关于社会信用体系建设工作意见建议征集结果反馈</a></li>'
                '<li><a href="/zjdc/1.html">关于社会信用体系建设工作意见建议征集的公告</a></li></ul>'
            ),
            f"{BASE}/zjdc/1.html": (
                "<h1>关于社会信用体系建设工作意见建议征集的公告</h1><p>发布时间：2019-11-02</p>"
                "<div id='zoom'><p>征集时间：2019年11月2日至2019年12月2日。</p></div>"
            ),
            f"{BASE}/zjdc/2.html": (
                "<h1>关于社会信用体系建设工作意见建议征集结果反馈</h1><p>发布时间：2019-12-14</p>"
                "<div id='zoom'><p>共收到意见建议12条，已采纳5条。</p></div>"
            ),
            f"{BASE}/zjdc/3.html": (
                "<h1>2020年社会信用体系建设网上问卷调查</h1><p>发布时间：2020-01-21</p>"
                "<div id='zoom'><p>征集时间：2020年1月21日至2020年2月20日。</p></div>"
            ),
        }
    )
    by_url = {s.url: s for s in ia.surveys}
    assert by_url[f"{BASE}/zjdc/1.html"].result_url == f"{BASE}/zjdc/2.html"
    assert by_url[f"{BASE}/zjdc/3.html"].result_url is None  # its result would come after 2020-01-21


def test_list_rows_and_detail_pages_are_joined_detail_first() -> None:
    ia = _site(
        {
            f"{BASE}/index.html": '<a href="/hdjl/">在线咨询</a>',
            f"{BASE}/hdjl/": """<table><tr><th>标题</th><th>留言时间</th><th>状态</th></tr>
                <tr><td><a href="/hdjl/1.html">关于公积金提取条件的咨询</a></td><td>2020-03-01</td><td>已回复</td></tr>
                <tr><td><a href="/hdjl/2.html">关于医保异地报销的咨询</a></td><td>2020-03-03</td><td>已回复</td></tr>
                </table>""",
            f"{BASE}/hdjl/1.html": DETAIL.format(submit=SUBMIT, status="已回复", reply=REPLY),
        }
    )
    by_url = {m.url: m for m in ia.messages}
    one, two = by_url[f"{BASE}/hdjl/1.html"], by_url[f"{BASE}/hdjl/2.html"]
    assert one.detail and one.submitted == datetime(2020, 3, 2, 9, 31, 22) and one.unit == "市住房公积金中心"
    assert not two.detail and two.submitted == datetime(2020, 3, 3) and two.state == "answered"
    assert one.board == two.board == f"{BASE}/hdjl/" and ia.boards == (f"{BASE}/hdjl/",)


# --------------------------------------------------------------------------------------------------------------
# Checks on hand-built models

HOME = f"{BASE}/index.html"


def model(interaction: Interaction, *, answered: bool = True, home: str = HOME) -> SiteModel:
    return SiteModel(
        expected=Expected("3611000003", "上饶市人民政府", "上饶市人民政府办公室"),
        homepage=Homepage(home, (Attempt(200 if answered else None, None if answered else "connect"),)),
        interaction=interaction,
    )


def msg(submitted: str | None, replied: str | None = None, *, state: str = "answered", **kw) -> Message:  # type: ignore[no-untyped-def]
    return Message(
        url=kw.pop("url", f"{BASE}/hdjl/{submitted}.html"),
        title="关于道路积水严重的咨询",
        submitted=datetime.fromisoformat(submitted) if submitted else None,
        replied=datetime.fromisoformat(replied) if replied else None,
        state=state,
        state_basis=kw.pop("state_basis", "status"),
        **kw,
    )


def test_no_channel_only_when_the_homepage_was_read_and_nothing_counts() -> None:
    petitions = Interaction(
        judged=True, home_links=40, sitemap=True, excluded=(Channel("网上信访", f"{BASE}/xf/", HOME, "home"),)
    )
    (f,) = check_no_channel(model(petitions), PROFILE, AS_OF)
    assert (
        f.severity is Severity.DEDUCTION and f.url == HOME and f.evidence["excluded_present"] == ["网上信访"]
    )
    assert score_site([f], PROFILE).verdict == FAIL
    mailbox = Channel("局长信箱", f"{BASE}/ldxx/", HOME, "home")
    assert check_no_channel(model(Interaction(True, 40, True, channels=(mailbox,))), PROFILE, AS_OF) == []
    assert check_no_channel(model(petitions, answered=False), PROFILE, AS_OF) == []
    assert check_no_channel(model(Interaction()), PROFILE, AS_OF) == []
    (scripted,) = check_no_channel(model(Interaction(True, home_links=3)), PROFILE, AS_OF)
    assert scripted.severity is Severity.NOTICE


def test_reply_overdue_within_the_year_before_as_of() -> None:
    messages = (
        msg("2019-11-11 15:02:18", state="pending", status="办理中"),  # 141 days: overdue
        msg("2020-01-15 10:00:00", state="pending", status="办理中"),  # 76 days: within 3 months
        msg("2018-12-01 10:00:00", state="pending", status="办理中"),  # more than a year before
        msg("2019-10-01 10:00:00", "2019-10-02 10:00:00"),  # answered
        msg("2019-09-01 10:00:00", state="pending", state_basis="no_reply_shown"),
    )
    findings = check_reply_overdue(model(Interaction(True, messages=messages)), PROFILE, AS_OF)
    assert [(f.url.rsplit("/", 1)[1], f.severity) for f in findings] == [
        ("2019-11-11 15:02:18.html", Severity.DEDUCTION),
        ("2019-09-01 10:00:00.html", Severity.NOTICE),
    ]
    assert findings[0].evidence["days_unanswered"] == 141
    assert score_site(findings[:1], PROFILE).verdict == FAIL


def test_reply_slow_counts_working_days_with_the_holiday_calendar() -> None:
    messages = (
        msg("2020-03-02 09:00:00", "2020-03-16 16:00:00"),  # 10 working days
        msg(
            "2020-01-22 09:00:00", "2020-02-05 10:00:00"
        ),  # 14 calendar days over the Spring Festival: 4 working
        msg("2020-03-05 09:00:00", "2020-03-05 11:00:00"),
        msg(None, "2020-03-05 11:00:00", missing=("submit_time",)),
        msg("2019-01-02 09:00:00", "2019-03-02 09:00:00"),  # outside the year before as_of
        msg("2020-03-02 09:00:00", None, state="pending"),
    )
    findings = check_reply_slow(model(Interaction(True, messages=messages)), PROFILE, AS_OF, CALENDAR)
    assert len(findings) == 2
    slow, missing = sorted(findings, key=lambda f: "missing" in f.evidence)
    assert slow.evidence["working_days"] == 10 and slow.evidence["limit"] == 5
    assert slow.evidence["submitted"].startswith("2020-03-02") and slow.evidence["replied"].startswith(
        "2020-03-16"
    )
    assert missing.evidence["missing"] == "submit_time" and missing.severity is Severity.DEDUCTION


def test_a_year_the_calendar_lacks_is_not_guessed() -> None:
    as_of = date(2035, 6, 30)
    messages = (
        msg("2035-03-01 09:00:00", "2035-04-01 09:00:00"),
        msg("2035-03-01 09:00:00", "2035-03-03 09:00:00"),
    )
    (f,) = check_reply_slow(model(Interaction(True, messages=messages)), PROFILE, as_of, CALENDAR)
    assert f.severity is Severity.NOTICE and f.evidence["working_days"] is None
    assert f.evidence["calendar_days"] == 31 and "2035" in f.evidence["calendar_note"]
    assert "未按工作日计算" in f.message


def test_survey_feedback_missing() -> None:
    def survey(end: date, **kw) -> Survey:  # type: ignore[no-untyped-def]
        return Survey(url=f"{BASE}/zjdc/{end}.html", title="关于河长制工作意见建议征集的公告", end=end, **kw)

    surveys = (
        survey(date(2020, 3, 1), listed=True),  # 30 days ago, no result
        Survey(
            f"{BASE}/zjdc/answered.html", "x", end=date(2020, 2, 1), result_url=f"{BASE}/r.html", listed=True
        ),
        survey(date(2020, 3, 28), listed=True),  # closed 3 days ago
        survey(date(2020, 4, 20), listed=True),  # still open
        survey(date(2020, 1, 10), listed=False),  # its column was not read
    )
    findings = check_survey_feedback(model(Interaction(True, surveys=surveys)), PROFILE, AS_OF)
    assert [(f.url, f.severity) for f in findings] == [
        (f"{BASE}/zjdc/2020-03-01.html", Severity.DEDUCTION),
        (f"{BASE}/zjdc/2020-01-10.html", Severity.NOTICE),
    ]
    assert findings[0].evidence["days_since_end"] == 30


def test_statistics_per_unit() -> None:
    messages = (
        msg("2020-03-02 09:00:00", "2020-03-16 16:00:00", unit="市住建局"),  # 10 working days
        msg("2020-03-03 09:00:00", "2020-03-05 16:00:00", unit="市住建局"),  # 2
        msg("2020-03-10 09:00:00", "2020-03-11 16:00:00", unit="市教育局"),  # 1
        msg("2020-03-20 09:00:00", state="pending"),
        msg("2020-03-21 09:00:00", state="invalid"),
        msg(None, "2020-03-21 09:00:00"),
    )
    stats = interaction_stats(Interaction(True, messages=messages), CALENDAR)
    assert (stats.received, stats.answered, stats.pending, stats.timed, stats.untimed) == (5, 4, 1, 3, 1)
    assert stats.answer_rate == 0.8 and stats.mean_working_days == pytest.approx(4.33)
    assert [(u.unit, u.answered, u.mean_working_days) for u in stats.units] == [
        ("市住建局", 2, 6.0),
        ("市教育局", 1, 1.0),
    ]
    window = interaction_stats(messages, CALENDAR, start=date(2020, 3, 5), end=date(2020, 3, 31))
    assert (window.received, window.answered) == (2, 1)


# --------------------------------------------------------------------------------------------------------------
# The farm: every interaction defect found, nothing else, from the pages an inspector would open


def _disk(farm: Farm, site: FarmSite, url: str) -> Path:
    u = urlsplit(url)
    path = u.path.lstrip("/") or "index.html"
    return farm.site_dir(site) / (f"{path}@{u.query}" if u.query else path)


def _farm_interaction(farm: Farm, site: FarmSite, truth_urls: set[str]) -> Interaction:
    headers = {"Content-Type": f"text/html; charset={site.header_charset}"} if site.header_charset else {}
    pages: dict[str, tuple[Page, int | None]] = {}

    def load(url: str) -> Page | None:
        if url not in pages:
            path = _disk(farm, site, url)
            if not path.is_file():
                return None
            pages[url] = (
                parse_page(url, path.read_bytes(), headers=headers, reference=farm.as_of),
                len(pages),
            )
        return pages[url][0]

    home = load(site.homepage_url)
    assert home is not None
    sitemap = find_sitemap_link(home)
    if sitemap:
        load(sitemap)
    # the interaction columns, all their list pages, the surveys they list, and the pages the truth names
    for link in home.links:
        if link.nav and any(k in link.text for k in ("咨询", "信箱", "征集")):
            column = load(link.url)
            lists = [column, *(load(u) for u in column.pagination.urls)] if column else []
            for listing in filter(None, lists):
                for item in listing.links:
                    if (
                        "征集" in link.text
                        and not item.nav
                        and not item.footer
                        and item.url.startswith(site.base_url)
                    ):
                        load(item.url)
    for url in truth_urls:
        load(url)
    return read_interaction(home, pages, channel_keywords=KEYWORDS, excluded_keywords=EXCLUDED)


def test_farm_interaction_defects_match_the_truth(farm: Farm) -> None:
    checked = 0
    seen: set[str] = set()
    for ts in farm.truth()["sites"]:
        site = farm.site(ts["site_code"])
        if site.behaviour in ("down", "flaky"):
            continue
        truth = {
            (d["check"], match_key(d["check"], d["url"], {}))
            for d in ts["defects"]
            if d["check"] in ALL_CHECKS
        }
        ia = _farm_interaction(farm, site, {d["url"] for d in ts["defects"] if d["check"] in ALL_CHECKS})
        m = model(ia, home=site.homepage_url)
        findings = [
            *check_no_channel(m, PROFILE, farm.as_of),
            *check_reply_overdue(m, PROFILE, farm.as_of),
            *check_reply_slow(m, PROFILE, farm.as_of, CALENDAR),
            *check_survey_feedback(m, PROFILE, farm.as_of),
        ]
        assert all(f.severity is not Severity.NOTICE for f in findings), findings
        found = {(f.check, match_key(f.check, f.url, {})) for f in findings}
        assert found == truth, (site.site_code, found ^ truth)
        for f in findings:
            d = next(
                d
                for d in ts["defects"]
                if d["check"] == f.check and normalise_url(d["url"]) == normalise_url(f.url)
            )
            if f.check == "interaction.reply_slow" and "missing" in d["evidence"]:
                assert f.evidence["missing"] == d["evidence"]["missing"]
            elif f.check == "interaction.reply_slow":
                assert f.evidence["replied"][:10] == d["evidence"]["replied"]
            elif f.check == "interaction.reply_overdue":
                assert f.evidence["submitted"][:10] == d["evidence"]["submitted"]
        seen |= {check for check, _ in truth}
        if ia.messages:
            stats = interaction_stats(ia, CALENDAR)
            assert stats.received >= 40 and stats.answered >= stats.received - 1
        checked += 1
    assert checked >= 8
    assert seen >= {"interaction.no_channel", "interaction.reply_slow"}  # the small farm carries real cases


def test_interaction_facts_round_trip_through_the_stored_model() -> None:
    from govinspect.runs.serialize import model_from_dict, model_to_dict

    ia = Interaction(
        True,
        40,
        True,
        channels=(Channel("局长信箱", f"{BASE}/ldxx/", HOME, "home"),),
        messages=(
            msg("2020-03-02 09:31:22", "2020-03-16 16:02:11", missing=("reply_time",), unit="市住建局"),
        ),
        surveys=(Survey(f"{BASE}/zjdc/1.html", "问卷调查", date(2020, 1, 2), date(2020, 2, 1), listed=True),),
    )
    assert model_from_dict(model_to_dict(model(ia))).interaction == ia
