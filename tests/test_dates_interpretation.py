"""Forged dates (content.fake_date) and policy interpretation (interpretation.missing/unlinked): the pure checks on
hand-made facts, the extractors on hand-written pages, and both against the farm's ground truth."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from govinspect.checks.dates import check_fake_dates
from govinspect.checks.finding import Severity
from govinspect.checks.interpretation import check_interpretation, interpretation_figures, same_doc_no
from govinspect.extract.dating import sequence_number
from govinspect.extract.model import DatedItem, Expected, Homepage, ListSeen, PolicyItem, SiteModel
from govinspect.extract.page import parse_page
from govinspect.extract.policy import (
    core_title,
    document_number,
    interpretation_kind,
    normalise_doc_no,
    policy_item,
)
from govinspect.farm import Farm
from govinspect.farm.compare import compare
from govinspect.runs.model_builder import SiteExtraction, StoredPage
from govinspect.runs.serialize import model_from_dict, model_to_dict
from govinspect.scoring.engine import score_site
from govinspect.scoring.profile import load_profile

PROFILE = load_profile()
AS_OF = date(2020, 3, 31)


def _model(**facts) -> SiteModel:
    return SiteModel(
        expected=Expected("3600000001", "测试网站", "测试单位"),
        homepage=Homepage("http://a.gov.cn/", ()),
        **facts,
    )


def _items(n: int = 12, **changes) -> list[DatedItem]:
    """n items whose meta and URL dates agree with the displayed date, one every three days."""
    out = []
    for k in range(n):
        day = AS_OF - timedelta(days=3 * k + 1)
        out.append(
            DatedItem(
                url=f"http://a.gov.cn/art/{day:%Y/%m/%d}/art_1_{1000 - k}.html",
                snapshot_id=k,
                title=f"工作动态{k}",
                displayed=day,
                meta=day,
                url_date=day,
                listed=day,
                fetched=date(2020, 4, 1),
                sequence=1000 - k,
                sequence_scheme="a.gov.cn/art/#/#/#/art_#_#.html?",
            )
        )
    return out


# ---------- fake dates: the check ----------


def test_old_item_shown_as_new_is_a_veto_candidate_that_names_the_sources() -> None:
    items = _items()
    real = AS_OF - timedelta(days=90)
    items[3] = replace(items[3], meta=real, url_date=real, sequence=None)
    findings = check_fake_dates(_model(dated_items=tuple(items)), PROFILE, AS_OF)
    assert [(f.url, f.severity) for f in findings] == [(items[3].url, Severity.VETO)]
    evidence = findings[0].evidence
    assert evidence["disagreeing"] == {"meta": 80, "url_date": 80}
    assert evidence["strength"] == "strong"
    assert "页面元数据PubDate" in findings[0].message and "相差80天" in findings[0].message
    score = score_site(findings, PROFILE)
    assert score.verdict == "不合格" and "安全、泄密事故等严重问题" in score.veto_names


def test_a_small_gap_is_a_notice_and_does_not_fail_the_site() -> None:
    items = _items()
    items[2] = replace(items[2], meta=items[2].displayed - timedelta(days=10))
    findings = check_fake_dates(_model(dated_items=tuple(items)), PROFILE, AS_OF)
    assert [(f.url, f.severity) for f in findings] == [(items[2].url, Severity.NOTICE)]
    assert score_site(findings, PROFILE).verdict == "合格"


def test_a_source_the_site_does_not_keep_is_no_evidence() -> None:
    """A CMS that writes something else into PubDate on most items: its disagreement proves nothing."""
    items = [
        replace(i, meta=i.displayed - timedelta(days=50 + k), url_date=None) for k, i in enumerate(_items())
    ]
    assert check_fake_dates(_model(dated_items=tuple(items)), PROFILE, AS_OF) == []


def test_a_later_pubdate_alone_is_an_edit_not_a_forgery() -> None:
    items = [replace(i, url_date=None) for i in _items()]
    items[4] = replace(items[4], meta=items[4].displayed + timedelta(days=60))
    findings = check_fake_dates(_model(dated_items=tuple(items)), PROFILE, AS_OF)
    assert [f.severity for f in findings] == [Severity.NOTICE]


def test_a_date_after_the_fetch_is_a_notice() -> None:
    items = _items()
    ahead = date(2020, 4, 20)
    items[0] = replace(items[0], displayed=ahead, meta=ahead, url_date=ahead, listed=ahead)
    findings = check_fake_dates(_model(dated_items=tuple(items)), PROFILE, AS_OF)
    assert [(f.url, f.severity) for f in findings] == [(items[0].url, Severity.NOTICE)]
    assert "晚于页面抓取日期" in findings[0].message


def test_an_item_out_of_step_with_the_cms_numbering_is_a_notice() -> None:
    """Numbers follow the dates on this site; an item numbered among the newest but dated months back was
    inserted late with an old date."""
    items = [replace(i, meta=None, url_date=None, listed=None) for i in _items(24)]
    backdated = replace(items[1], displayed=AS_OF - timedelta(days=150))
    items[1] = backdated
    findings = check_fake_dates(_model(dated_items=tuple(items)), PROFILE, AS_OF)
    assert [(f.url, f.severity) for f in findings] == [(backdated.url, Severity.NOTICE)]
    assert findings[0].evidence["sequence"] == backdated.sequence


def test_numbering_that_does_not_follow_dates_is_ignored() -> None:
    items = [
        replace(i, meta=None, url_date=None, listed=None, sequence=(k * 7919) % 101)
        for k, i in enumerate(_items(24))
    ]
    items[1] = replace(items[1], displayed=AS_OF - timedelta(days=150))
    assert check_fake_dates(_model(dated_items=tuple(items)), PROFILE, AS_OF) == []


def test_sequence_numbers_skip_dates_in_urls() -> None:
    assert sequence_number("http://a.gov.cn/xwzx/202003/t20200301_4567.html") == (
        4567,
        "a.gov.cn/xwzx/#/t#_#.html?",
    )
    assert sequence_number("http://a.gov.cn/content.jsp?id=88")[0] == 88
    assert sequence_number("http://a.gov.cn/xwzx/20200301.html") is None


# ---------- interpretation: the check ----------

DOC = PolicyItem(
    url="http://a.gov.cn/zcwj/1.html",
    kind="document",
    title="某市人民政府办公室关于印发《某市促进中小企业发展若干措施》的通知",
    doc_no="某府办发〔2020〕12号",
    published=date(2020, 2, 1),
    names=("某市促进中小企业发展若干措施",),
    links=("http://a.gov.cn/zcjd/1.html",),
)
INTERP = PolicyItem(
    url="http://a.gov.cn/zcjd/1.html",
    kind="interpretation",
    title="一图读懂《某市促进中小企业发展若干措施》",
    published=date(2020, 2, 3),
    names=("某市促进中小企业发展若干措施",),
    links=("http://a.gov.cn/zcwj/1.html",),
    interpretation_kind="图解",
)


def _policy(*items: PolicyItem, columns=(("http://a.gov.cn/zcjd/", True),)) -> SiteModel:
    return _model(policy=items, interpretation_columns=columns)


def test_document_and_interpretation_linked_both_ways_pass() -> None:
    model = _policy(DOC, INTERP)
    assert check_interpretation(model, PROFILE, AS_OF) == []
    figures = interpretation_figures(model, PROFILE)
    assert (figures.interpretation_ratio, figures.linkage_ratio) == (1.0, 1.0)


def test_document_without_interpretation_is_missing() -> None:
    other = replace(
        DOC,
        url="http://a.gov.cn/zcwj/2.html",
        title="关于印发《某市数据管理办法》的通知",
        names=("某市数据管理办法",),
        doc_no="某府办发〔2020〕15号",
        links=(),
    )
    findings = check_interpretation(_policy(DOC, INTERP, other), PROFILE, AS_OF)
    assert [(f.check, f.url) for f in findings] == [("interpretation.missing", other.url)]
    assert "某市数据管理办法" in findings[0].message
    assert interpretation_figures(_policy(DOC, INTERP, other), PROFILE).interpretation_ratio == 0.5


@pytest.mark.parametrize(
    ("doc_links", "interp_links", "where", "direction"),
    [
        ((), (DOC.url,), DOC.url, "document->interpretation"),
        ((INTERP.url,), (), INTERP.url, "interpretation->document"),
    ],
)
def test_a_link_missing_one_way_is_unlinked_on_the_page_that_lacks_it(
    doc_links, interp_links, where, direction
) -> None:
    model = _policy(replace(DOC, links=doc_links), replace(INTERP, links=interp_links))
    findings = check_interpretation(model, PROFILE, AS_OF)
    assert [(f.check, f.url, f.evidence["missing_link"]) for f in findings] == [
        ("interpretation.unlinked", where, direction)
    ]
    assert interpretation_figures(model, PROFILE).linkage_ratio == 0.0


def test_matching_by_cited_doc_no_without_links_or_names() -> None:
    interp = replace(
        INTERP, title="政策解读", names=(), links=(DOC.url,), doc_nos=("现将某府办发〔2020〕12号",)
    )
    assert check_interpretation(_policy(DOC, interp), PROFILE, AS_OF) == []


def test_an_interpretation_known_only_from_its_list_counts_but_links_are_not_judged() -> None:
    listed = replace(INTERP, fetched=False, links=())
    assert check_interpretation(_policy(replace(DOC, links=()), listed), PROFILE, AS_OF) == []


def test_documents_older_than_a_partly_fetched_interpretation_list_are_not_judged() -> None:
    old = replace(
        DOC,
        url="http://a.gov.cn/zcwj/0.html",
        title="关于印发《某市旧办法》的通知",
        names=("某市旧办法",),
        published=date(2019, 1, 5),
        links=(),
    )
    partial = (("http://a.gov.cn/zcjd/", False),)
    assert check_interpretation(_policy(DOC, INTERP, old, columns=partial), PROFILE, AS_OF) == []
    complete = check_interpretation(_policy(DOC, INTERP, old), PROFILE, AS_OF)
    assert [f.url for f in complete] == [old.url]


def test_excluded_kinds_need_no_interpretation() -> None:
    reply = replace(
        DOC, url="http://a.gov.cn/zcwj/9.html", title="某市人民政府关于某项目的批复", names=(), links=()
    )
    assert check_interpretation(_policy(reply), PROFILE, AS_OF) == []


def test_doc_numbers_compare_by_issuer_year_and_number() -> None:
    assert normalise_doc_no("国办函[2019] 19号") == "国办函〔2019〕19号"
    assert normalise_doc_no("赣府办发（2020）第012号") == "赣府办发〔2020〕12号"
    assert same_doc_no("赣府办发〔2020〕12号", "现将赣府办发〔2020〕12号")
    assert not same_doc_no("赣府办发〔2020〕12号", "赣府办发〔2020〕13号")
    assert not same_doc_no("赣府办发〔2020〕12号", "赣府发〔2020〕12号")


def test_interpretation_titles_and_core_titles() -> None:
    assert interpretation_kind("《某办法》政策解读") == "文字解读"
    assert interpretation_kind("一图读懂《某办法》") == "图解"
    assert interpretation_kind("视频解读：某办法") == "视频解读"
    assert interpretation_kind("某局负责人就《某办法》答记者问") == "问答"
    assert interpretation_kind("关于印发某办法的通知") is None
    assert core_title("某市人民政府关于印发《某市某办法》的通知") == "某市某办法"


# ---------- the extractors on pages ----------

DOC_PAGE = """<html><head><meta charset="utf-8"><title>关于印发《某市数据管理办法》的通知</title></head><body>
<div class="nav"><a href="/">首页</a></div>
<h1>某市人民政府办公室关于印发《某市数据管理办法》的通知</h1>
<div class="info">发布时间：2020-02-01 来源：市政府办公室</div>
<table><tr><th>发布机构</th><td>某市人民政府办公室</td><th>发文字号</th><td>某府办发〔2020〕 15 号</td></tr></table>
<div id="zoom"><p>各县（市、区）人民政府：</p><p>现将《某市数据管理办法》印发给你们，请认真贯彻执行。</p></div>
<div class="related">相关解读：<a href="/zcjd/2.html">《某市数据管理办法》政策解读</a></div>
</body></html>"""

NEWS_PAGE = """<html><head><meta charset="utf-8"><title>我市召开会议</title></head><body>
<h1>我市召开数据管理工作会议</h1><div>发布时间：2020-02-01</div>
<div id="zoom"><p>会议传达了某府办发〔2020〕15号文件精神，要求各单位抓好落实。</p></div></body></html>"""


def test_a_document_page_is_read_with_its_labelled_doc_no_and_links() -> None:
    page = parse_page("http://a.gov.cn/zcwj/2.html", DOC_PAGE.encode())
    assert document_number(page) == ("某府办发〔2020〕15号", True)
    item = policy_item(page, 5, column_url=None, column_class=None, published=None, link_key=str)
    assert item is not None and item.kind == "document"
    assert item.names == ("某市数据管理办法",)
    assert "http://a.gov.cn/zcjd/2.html" in item.links


def test_news_citing_a_doc_no_is_not_a_document() -> None:
    page = parse_page("http://a.gov.cn/xwzx/3.html", NEWS_PAGE.encode())
    assert policy_item(page, 6, column_url=None, column_class="dynamic", published=None, link_key=str) is None


def test_the_facts_round_trip_through_a_stored_model() -> None:
    model = _policy(DOC, INTERP)
    model = replace(model, dated_items=tuple(_items(3)))
    assert model_from_dict(model_to_dict(model)) == model


# ---------- against the farm ----------

CHECKS = ["content.fake_date", "interpretation.missing", "interpretation.unlinked"]


def _pages_from_disk(farm: Farm, site) -> list[StoredPage]:
    root = farm.site_dir(site)
    headers = {"content-type": f"text/html; charset={site.header_charset}"} if site.header_charset else {}
    pages = []
    for n, path in enumerate(sorted(p for p in root.rglob("*") if p.is_file())):
        rel = str(path.relative_to(root))
        if not (rel.endswith((".html", ".shtml", ".jsp")) or "@" in rel):
            continue
        name, _, query = rel.partition("@")
        url = f"{site.base_url}/{name}" + (f"?{query}" if query else "")
        kind = "homepage" if url == site.homepage_url else "page"
        body = path.read_bytes()
        pages.append(
            StoredPage(
                n,
                url,
                url,
                kind,
                200,
                None,
                headers,
                fetched_at=datetime.now(UTC),
                load_body=lambda b=body: b,
            )
        )
    return sorted(pages, key=lambda p: p.kind != "homepage")


def test_farm_truth_is_found_and_nothing_else(farm: Farm) -> None:
    truth = farm.truth()
    chosen = [s for s in truth["sites"] if any(d["check"] in CHECKS for d in s["defects"])]
    chosen += [s for s in truth["sites"] if s not in chosen][:2]
    assert any(d["check"] == "content.fake_date" for s in chosen for d in s["defects"])
    results = []
    for expected in chosen:
        site = farm.site(expected["site_code"])
        extraction = SiteExtraction.read(
            Expected(site.site_code, site.name, site.sponsor),
            site.homepage_url,
            _pages_from_disk(farm, site),
            PROFILE,
            farm.as_of,
        )
        model = extraction.model({})
        findings = check_fake_dates(model, PROFILE, farm.as_of) + check_interpretation(
            model, PROFILE, farm.as_of
        )
        results.append(
            {
                "site_code": site.site_code,
                "findings": [
                    {"check": f.check, "url": f.url, "severity": str(f.severity), "evidence": f.evidence}
                    for f in findings
                ],
            }
        )
    comparison = compare({"sites": chosen}, {"sites": results}, CHECKS)
    assert comparison.false_positives == [] and comparison.misses == []
    assert sum(s.true_positives for s in comparison.checks.values()) >= 3


# ---------- back-dating across runs ----------


def _seen(
    run_id, day: date, entries: list[tuple[str, date]], column: str = "http://a.gov.cn/gzdt/"
) -> ListSeen:
    return ListSeen(
        url=column + "index.html",
        column_url=column,
        fetched=day,
        urls=tuple(u for u, _ in entries),
        dates=tuple(d for _, d in entries),
        run_id=run_id,
    )


def _entries(first: date, n: int = 10) -> list[tuple[str, date]]:
    return [(f"http://a.gov.cn/gzdt/{k}.html", first - timedelta(days=6 * k)) for k in range(n)]


@pytest.mark.parametrize(("days_before", "severity"), [(40, Severity.VETO), (12, Severity.NOTICE)])
def test_an_item_absent_from_an_earlier_run_under_an_earlier_date_is_backdated(days_before, severity) -> None:
    run_day = date(2020, 3, 1)
    then = _entries(run_day - timedelta(days=1))
    inserted = ("http://a.gov.cn/gzdt/late.html", run_day - timedelta(days=days_before))
    newer = ("http://a.gov.cn/gzdt/new.html", date(2020, 3, 20))
    now = sorted([*then, inserted, newer], key=lambda e: e[1], reverse=True)
    model = _model(lists=(_seen(None, AS_OF, now),), history=(_seen(7, run_day, then),))
    findings = check_fake_dates(model, PROFILE, AS_OF)
    assert [(f.url, f.severity) for f in findings] == [(inserted[0], severity)]
    assert findings[0].evidence["earlier_run"] == 7
    assert findings[0].evidence["earlier_run_day"] == "2020-03-01"
    assert "倒签" in findings[0].message


def test_a_column_that_changed_since_the_earlier_run_is_not_judged() -> None:
    run_day = date(2020, 3, 1)
    then = _entries(run_day - timedelta(days=1))
    now = [(u.replace("gzdt/", "gzdt/v2/"), d) for u, d in then]  # the site moved to new addresses
    model = _model(lists=(_seen(None, AS_OF, now),), history=(_seen(7, run_day, then),))
    assert check_fake_dates(model, PROFILE, AS_OF) == []


def test_an_earlier_list_out_of_date_order_is_no_evidence() -> None:
    run_day = date(2020, 3, 1)
    then = _entries(run_day - timedelta(days=1))
    shuffled = [then[k] for k in (3, 0, 5, 1, 7, 2, 9, 4, 8, 6)]
    inserted = ("http://a.gov.cn/gzdt/late.html", run_day - timedelta(days=40))
    model = _model(lists=(_seen(None, AS_OF, [*then, inserted]),), history=(_seen(7, run_day, shuffled),))
    assert check_fake_dates(model, PROFILE, AS_OF) == []
