"""The core website checks on hand-built site models (pure functions of model, profile and as_of)."""

from __future__ import annotations

from datetime import date

from govinspect.checks.finding import Severity
from govinspect.checks.registry import run_checks
from govinspect.extract.model import (
    Attempt,
    Column,
    Expected,
    Footer,
    Homepage,
    LinkCheck,
    PageMeta,
    SiteModel,
)
from govinspect.scoring.engine import FAIL, PASS, score_site
from govinspect.scoring.profile import load_profile

AS_OF = date(2020, 3, 31)
PROFILE = load_profile("national-2019")
HOME = "http://www.zgsr.gov.cn/"
EXPECTED = Expected(
    site_code="3611000003",
    name="上饶市人民政府",
    sponsor="上饶市人民政府办公室",
    icp="赣ICP备05004035号",
    psb="赣公网安备 36110202000101号",
)
GOOD_FOOTER = Footer(
    page_url=HOME,
    site_code="3611000003",
    icp="赣ICP备05004035号",
    psb="赣公网安备36110202000101号",
    conac=True,
    sponsor="上饶市人民政府办公室",
    jiucuo=True,
)
ALL_META = frozenset(
    [
        "SiteName",
        "SiteDomain",
        "SiteIDCode",
        "ColumnName",
        "ColumnType",
        "ArticleTitle",
        "PubDate",
        "ContentSource",
    ]
)
OK = (Attempt(200, None),)


def model(**changes) -> SiteModel:  # type: ignore[no-untyped-def]
    base = {
        "expected": EXPECTED,
        "homepage": Homepage(HOME, OK, newest=date(2020, 3, 30), dated_items=12),
        "columns": (
            Column(HOME + "col/col1/", "工作动态", "dynamic", items=20, newest=date(2020, 3, 28)),
            Column(HOME + "col/col2/", "通知公告", "notice", items=15, newest=date(2020, 1, 5)),
            Column(HOME + "col/col3/", "机构概况", "static", items=3),
        ),
        "footers": (GOOD_FOOTER,),
        "links": (LinkCheck(HOME + "a.html", (HOME,), (200,)),),
        "metas": (PageMeta(HOME, None, ALL_META, "home"),),
    }
    base.update(changes)
    return SiteModel(**base)


def checks(site: SiteModel) -> list[tuple[str, str]]:
    return [(f.check, f.severity.value) for f in run_checks(site, PROFILE, AS_OF)]


def test_a_clean_site_has_no_findings_and_passes() -> None:
    site = model()
    assert checks(site) == []
    assert score_site(run_checks(site, PROFILE, AS_OF), PROFILE).verdict == PASS


def test_down_at_check_only_when_every_attempt_failed() -> None:
    down = model(homepage=Homepage(HOME, (Attempt(None, "connect"),) * 3))
    assert checks(down) == [("availability.down_at_check", "deduction")]
    assert score_site(run_checks(down, PROFILE, AS_OF), PROFILE).veto_names == ["站点无法访问"]
    recovered = model(homepage=Homepage(HOME, (Attempt(None, "timeout"), Attempt(200, None)), newest=AS_OF))
    assert checks(recovered) == []


def test_a_firewall_is_a_notice_not_an_outage() -> None:
    blocked = model(homepage=Homepage(HOME, (Attempt(403, "http"),) * 3))
    assert checks(blocked) == [("availability.down_at_check", "notice")]
    assert score_site(run_checks(blocked, PROFILE, AS_OF), PROFILE).verdict == PASS


def test_homepage_stale_after_fourteen_days() -> None:
    fresh = model(homepage=Homepage(HOME, OK, newest=date(2020, 3, 17)))  # 14 days: still fresh
    assert checks(fresh) == []
    stale = model(homepage=Homepage(HOME, OK, newest=date(2020, 3, 16)))
    found = run_checks(stale, PROFILE, AS_OF)
    assert [(f.check, f.evidence["latest"], f.evidence["age_days"]) for f in found] == [
        ("freshness.homepage_stale", "2020-03-16", 15)
    ]
    assert score_site(found, PROFILE).veto_names == ["首页不更新"]


def test_navigation_homepages_are_judged_by_second_level_pages() -> None:
    navigation = model(homepage=Homepage(HOME, OK, newest=None, navigation_only=True))
    assert checks(navigation) == []  # 工作动态 updated 2020-03-28
    undated = model(homepage=Homepage(HOME, OK), columns=())
    assert checks(undated) == [("freshness.homepage_stale", "notice")]


def test_items_dated_after_as_of_are_ignored() -> None:
    future_only = model(homepage=Homepage(HOME, OK, newest=date(2020, 6, 1)), columns=())
    assert checks(future_only) == [("freshness.homepage_stale", "notice")]


def test_column_stale_by_class_period_and_undated_rule() -> None:
    columns = (
        Column(HOME + "c1/", "工作动态", "dynamic", items=9, newest=date(2020, 3, 1)),  # 30 days > 14
        Column(HOME + "c2/", "通知公告", "notice", items=9, newest=date(2019, 10, 1)),  # 182 days ≤ 183
        Column(HOME + "c3/", "政策文件", "policy", items=9, newest=date(2019, 9, 1)),  # 212 days > 183
        Column(HOME + "c4/", "人事信息", "personnel", items=4, undated=4),  # all undated: counts as stale
        Column(HOME + "c5/", "领导简介", "static", items=2, newest=date(2010, 1, 1)),  # not timed
        Column(HOME + "c6/", "未分类", None, items=2, newest=date(2010, 1, 1)),  # unclassified: not judged
        Column(HOME + "c7/", "要闻", "dynamic", items=9, newest=date(2019, 1, 1), ignored=True),
        Column(HOME + "c8/", "图片新闻", "dynamic", status=404),
    )
    found = run_checks(model(columns=columns), PROFILE, AS_OF)
    assert [(f.url, f.evidence["latest"]) for f in found] == [
        (HOME + "c1/", "2020-03-01"),
        (HOME + "c3/", "2019-09-01"),
        (HOME + "c4/", None),
    ]


def test_blank_columns_by_no_items_or_placeholder() -> None:
    columns = (
        Column(HOME + "b1/", "规划计划", "plan", items=0),
        Column(HOME + "b2/", "人事信息", "personnel", items=1, placeholder="暂无信息"),
        Column(HOME + "b3/", "通知公告", "notice", status=404, items=0),  # a dead column is a link problem
    )
    found = run_checks(model(columns=columns), PROFILE, AS_OF)
    assert [(f.check, f.url) for f in found] == [
        ("freshness.column_blank", HOME + "b1/"),
        ("freshness.column_blank", HOME + "b2/"),
    ]
    five = tuple(Column(HOME + f"x{i}/", f"栏目{i}", "plan") for i in range(5))
    assert score_site(run_checks(model(columns=five), PROFILE, AS_OF), PROFILE).veto_names == ["栏目不更新"]


def test_links_broken_only_when_verified_and_blocked_is_a_notice() -> None:
    links = (
        LinkCheck(HOME + "gone.html", (HOME, HOME + "x.html"), (404, 404)),
        LinkCheck(HOME + "once.html", (HOME,), (404,)),  # one failure: not verified
        LinkCheck(HOME + "flaky.html", (HOME,), (503, 200)),
        LinkCheck("http://other.gov.cn/", (HOME,), (None, None), ("connect", "connect"), external=True),
        LinkCheck("http://fw.gov.cn/", (HOME,), (403, 403), external=True),
    )
    found = run_checks(model(links=links), PROFILE, AS_OF)
    assert [(f.check, f.severity, f.evidence["target"], f.url) for f in found] == [
        ("links.broken", Severity.DEDUCTION, HOME + "gone.html", HOME),
        ("links.broken", Severity.DEDUCTION, "http://other.gov.cn/", HOME),
        ("links.blocked", Severity.NOTICE, "http://fw.gov.cn/", HOME),
    ]


def test_network_errors_on_the_sites_own_links_are_notices() -> None:
    """A flaky server resets the link checker's connections: on the site's own host (whose pages answered)
    that is no proof the link is broken; a 404 is, and a dead external host is."""
    links = (
        LinkCheck(HOME + "reset.html", (HOME,), (None, None), ("connect", "reset")),
        LinkCheck(HOME + "gone.html", (HOME,), (404, 404), ("http", "http")),
        LinkCheck("http://dead.gov.cn/", (HOME,), (None, None), ("reset", "reset"), external=True),
    )
    found = run_checks(model(links=links), PROFILE, AS_OF)
    assert [(f.check, f.severity, f.evidence["target"]) for f in found] == [
        ("links.broken", Severity.NOTICE, HOME + "reset.html"),
        ("links.broken", Severity.DEDUCTION, HOME + "gone.html"),
        ("links.broken", Severity.DEDUCTION, "http://dead.gov.cn/"),
    ]
    assert score_site(found, PROFILE).score == score_site(found[1:], PROFILE).score


def test_footer_missing_malformed_and_mismatched() -> None:
    footer = Footer(
        page_url=HOME,
        site_code="3611000004",  # mismatch
        icp="赣ICP备0500号",  # malformed
        psb=None,  # missing
        conac=False,
        sponsor="上饶市人民政府",  # contained in the registry's sponsor: accepted
        jiucuo=False,
        ads=("澳门博彩",),
    )
    found = run_checks(model(footers=(footer,)), PROFILE, AS_OF)
    assert [(f.check, f.evidence.get("variant")) for f in found] == [
        ("footer.site_code", "mismatch"),
        ("footer.icp", "malformed"),
        ("footer.psb", "missing"),
        ("footer.conac", "missing"),
        ("footer.jiucuo", "missing"),
        ("footer.ads", "ads"),
    ]


def test_footer_sponsor_and_full_width_identifiers() -> None:
    footer = Footer(
        page_url=HOME,
        site_code="３６１１０００００３",
        icp="赣ICP备05004035号",
        psb="赣公网安备 36110202000101号",
        conac=True,
        sponsor="鄱阳县人民政府办公室",
        jiucuo=True,
    )
    found = run_checks(model(footers=(footer,)), PROFILE, AS_OF)
    assert [(f.check, f.evidence["found"]) for f in found] == [("footer.sponsor", "鄱阳县人民政府办公室")]


def test_meta_missing_is_one_finding_per_site() -> None:
    metas = (
        PageMeta(HOME, None, frozenset({"SiteName", "SiteDomain", "SiteIDCode"}), "home"),
        PageMeta(HOME + "art/1.html", None, ALL_META - {"PubDate"}, "article"),
        PageMeta(HOME + "art/2.html", None, ALL_META - {"PubDate", "ContentSource"}, "article"),
    )
    found = run_checks(model(metas=metas), PROFILE, AS_OF)
    assert [(f.check, f.evidence["missing"], f.evidence["page_count"]) for f in found] == [
        ("meta.missing", ["ContentSource", "PubDate"], 2)
    ]


def test_an_unreachable_site_gets_no_content_findings() -> None:
    down = model(homepage=Homepage(HOME, (Attempt(None, "timeout"),) * 3), footers=(), metas=())
    result = score_site(run_checks(down, PROFILE, AS_OF), PROFILE)
    assert (result.verdict, result.veto_names) == (FAIL, ["站点无法访问"])


def test_a_site_refused_by_our_own_guard_is_not_judged_down() -> None:
    refused = model(homepage=Homepage(HOME, (Attempt(None, "blocked_ssrf"),) * 3))
    assert checks(refused) == [("availability.down_at_check", "notice")]
    assert score_site(run_checks(refused, PROFILE, AS_OF), PROFILE).verdict == PASS
