"""The five seed circulars (/work/shared/seeds) reproduced from registries and results with their counts:
Jiangxi 2020Q1 (同比/环比, 复查, new media and attachment 4, messages), Hubei 2019Q4 (604 sites, 6 failed, 复查
of Q3; new media 117 of 407) and Guangdong 2020Q1 (590 sites fully covered, 97.3%; 2999 accounts, 99.3%).

New-media accounts have no stored results yet (the new-media checks are not built): their figures are computed
from account records given to the report's Source, which is where the store's results will enter.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from govinspect.reports import figures as fig
from govinspect.reports.circular import make_circular
from govinspect.reports.docx import render_docx
from govinspect.reports.records import Rate
from govinspect.reports.tables import attachments
from govinspect.reports.templates.make_template import build_template
from govinspect.reports.xlsx import FIRST_HEADER_ROW, write_xlsx
from govinspect.store import Store, open_store
from tests.test_reports_data import (
    JIANGXI_PROVINCIAL_ACCOUNTS,
    Region,
    account_records,
    add_run,
    jiangxi_accounts,
    jiangxi_history,
    populate,
)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'seeds.db'}")
    yield store
    store.dispose()


def circular(figures: fig.Figures, scope: str = "全省"):  # type: ignore[no-untyped-def]
    return make_circular(
        figures, issue_date=date(2020, 4, 2), deadline=date(2020, 4, 15), scope=scope, issuer="省政府办公厅"
    )


def overall_text(figures: fig.Figures) -> str:
    return "\n".join(p.lead + p.text for p in circular(figures).overall)


# -- Jiangxi 2020Q1 ------------------------------------------------------------------------------------------------


def test_jiangxi_compare_recheck_messages(store: Store) -> None:
    """SQLite and PostgreSQL: the message boards are read through a JSON path of the stored model."""
    history = jiangxi_history(store)
    with store.session() as session:
        f = fig.build(session, period="2020Q1", compare_to=["2019Q4", "2019Q1"])
    assert [(c.period, c.relation, c.sites.checked, c.sites.failed, c.sites.text) for c in f.comparisons] == [
        ("2019Q1", "同比", 335, 8, "97.61%"),
        ("2019Q4", "环比", 380, 6, "98.42%"),
    ]
    r = f.recheck
    assert r is not None and r.period == "2019Q4"
    assert set(r.failed_before) == set(history["q4_failing"])
    assert (len(r.failed_before), len(r.rechecked), len(r.passed), r.not_rechecked) == (6, 5, 3, 1)
    assert r.still_failing == ("南昌市住房保障和房产管理局", "上饶市住房和城乡建设局门户网")
    text = overall_text(f)
    assert "总体合格率为98.94%，同比上升1.33个百分点、环比上升0.52个百分点。" in text
    assert "2019年第一季度（同比）抽查政府网站335家，存在突出问题的8家，合格率为97.61%" in text
    assert (
        "对2019年第四季度存在突出问题的6家网站中的5家进行了复查，其中3家已整改合格，"
        "“南昌市住房保障和房产管理局”、“上饶市住房和城乡建设局门户网”共2家网站仍存在突出问题；"
        "另有1家本期未复查。"
    ) in text
    # Messages: attachment 4 here (no account results), cell by cell.
    assert "本期没有政务新媒体的检查结果，本通报不含政务新媒体检查情况，不附政务新媒体名单。" in text
    assert (
        "抽查的网站中，2家网站公开了2020年1月1日至2020年3月31日受理的网民留言，共受理留言5条，办结3条，"
        "办结率为60.00%，办结平均用时3.3个工作日（详见附件4）。"
    ) in text
    tables = {a.key: a for a in attachments(f)}
    assert "a4" not in tables
    a5 = tables["a5"]
    assert (a5.heading, a5.subtitle) == ("附件4", "（统计时段：2020年1月1日—2020年3月31日）")
    assert a5.text_rows() == [
        ["1", "南昌市", "南昌市市级门户网站1", "3", "2", "66.67%", "4.0"],
        ["2", "九江市", "九江市市级门户网站1", "2", "1", "50.00%", "2.0"],
    ]
    assert a5.text_total() == ["合计", "", "", "5", "3", "60.00%", "3.3"]


def test_jiangxi_new_media_and_attachment_4(sqlite_store: Store, tmp_path: Path) -> None:
    jiangxi_history(sqlite_store)
    with sqlite_store.session() as session:
        source = fig.load_report_source(session, period="2020Q1", compare_to=["2019Q4"])
    # 环比 of the new media (88.09% last quarter, as the circular's “环比下降3.82%” implies) enters with the
    # account records: the store has no account results to compare yet.
    q4 = dataclasses.replace(source.comparisons[0], accounts=Rate("政务新媒体", 361, 361, 43))
    source = dataclasses.replace(source, accounts=tuple(jiangxi_accounts()), comparisons=(q4,))
    f = fig.figures_of(source)
    assert (f.accounts.total, f.accounts.checked, f.accounts.failed, f.accounts.text) == (
        1308,
        356,
        56,
        "84.27%",
    )
    assert (f.accounts_provincial.checked, f.accounts_local.checked) == (60, 296)
    text = overall_text(f)
    assert (
        "对全省正在运行的1308个政务新媒体中的356个进行了抽查，抽查比例为27.22%。其中，省直部门60个，"
        "地方各级政府及部门296个。抽查发现56个政务新媒体存在突出问题，总体合格率为84.27%，"
        "环比下降3.82个百分点（名单见附件4）。"
    ) in text
    c = circular(f)
    numbers = {a.key: a.number for a in c.attachments}
    assert (numbers["a4"], numbers["a5"]) == (4, 5)
    assert "（详见附件5）" in text
    book = load_workbook(write_xlsx(c.attachments, tmp_path / "附件.xlsx"))
    ws = book["附件4 检查发现突出问题的政务新媒体名单"]
    top = FIRST_HEADER_ROW
    assert [cell.value for cell in ws[top]] == [
        "序号",
        "所属地方或部门",
        "类型",
        "政务新媒体名称",
        "存在的突出问题",
    ]
    # The provincial rows as Jiangxi prints them (its rows 1-4, in the same order).
    assert [[cell.value for cell in ws[top + i]] for i in range(1, 5)] == [
        [1, "有色地质勘查局", "微信", "江西有色地质勘查局", "单项否决（缺有效互动渠道菜单功能）"],
        [2, "省审计厅", "微信", "江西审计", "单项否决（存在严重表述错误）"],
        [3, "省教育厅", "微信", "江西省教育厅", "单项否决（存在严重表述错误）"],
        [4, "省自然资源厅", "微博", "江西自然资源发布", "单项否决（存在严重表述错误）"],
    ]
    rows = [[cell.value for cell in row] for row in ws.iter_rows(min_row=top + 1)]
    assert len(rows) == 56 and [r[0] for r in rows] == list(range(1, 57))
    assert rows[-1][1:] == ["鹰潭市", "微信", "贵溪报", "单项否决（缺有效互动渠道菜单功能）"]
    assert sum(1 for r in rows if r[1] == "上饶市") == 46
    assert [r[4] for r in rows if r[3] == "铅山县虹桥乡"] == [
        "单项否决（未及时更新、缺有效互动渠道菜单功能）"
    ]
    # 37 + 8 (both problems) in 上饶, one each in the province, 鹰潭 and 吉安; 未及时更新: 1 + 8 in 上饶, 南昌, 抚州.
    groups = {g.name: g.count for g in f.account_groups}
    assert groups == {"缺有效互动渠道菜单功能": 48, "未及时更新": 11, "存在严重表述错误": 5}
    problems = "\n".join(p.text for p in c.problems)
    assert "等48个政务新媒体存在“缺有效互动渠道菜单功能”问题，被单项否决。" in problems
    # The report and its own text agree; a template that types the circular's slip (57) is refused.
    render_docx(c, tmp_path / "通报.docx")
    template = build_template(tmp_path / "mine.docx")
    document = docx.Document(str(template))
    document.paragraphs[3].add_run("抽查政务新媒体356个，发现存在突出问题的政务新媒体57个。")
    document.save(str(template))
    with pytest.raises(fig.ReportCheckError) as caught:
        render_docx(c, tmp_path / "out.docx", template)
    assert any("“57个”" in p for p in caught.value.problems)
    assert not any("“356个”" in p for p in caught.value.problems)


def test_account_results_are_checked(sqlite_store: Store) -> None:
    """A wrong account total is refused like a wrong site total."""
    populate(sqlite_store, [Region("省本级", "3600", {"省级门户": 1}, 1)])
    with sqlite_store.session() as session:
        source = fig.load_report_source(session, period="2020Q1")
    accounts = account_records("省本级", running=3, checked=2, failing=JIANGXI_PROVINCIAL_ACCOUNTS[:1])
    f = fig.figures_of(dataclasses.replace(source, accounts=tuple(accounts)))
    assert (f.accounts.checked, f.accounts.failed, f.accounts.text) == (2, 1, "50.00%")
    slip = dataclasses.replace(f, accounts=dataclasses.replace(f.accounts, failed=2))
    with pytest.raises(fig.ReportCheckError, match="存在突出问题的政务新媒体数"):
        fig.verify(slip)
    hidden = dataclasses.replace(f, accounts=None)
    with pytest.raises(fig.ReportCheckError, match="通报却未列政务新媒体检查情况"):
        fig.verify(hidden)


def test_compared_periods_refused_in_chinese(sqlite_store: Store) -> None:
    populate(sqlite_store, [Region("省本级", "3600", {"省级门户": 1, "省级部门": 1}, 2)])
    with sqlite_store.session() as session:
        with pytest.raises(fig.ReportError) as caught:
            fig.build(session, period="2020Q1", compare_to=["2019Q4"])
        message = str(caught.value)
        assert "对比的检查期 2019Q4（2019年第四季度）没有已完成的检查任务，无法计算环比数据" in message
        with pytest.raises(fig.ReportError, match="无法计算同比数据"):
            fig.build(session, period="2020Q1", compare_to=["2019Q1"])
        with pytest.raises(fig.ReportError, match="就是本期"):
            fig.build(session, period="2020Q1", compare_to=["2020q1"])
        with pytest.raises(fig.ReportError, match="不早于本期"):
            fig.build(session, period="2020Q1", compare_to=["2020Q2"])
        with pytest.raises(fig.ReportError, match="格式不对"):
            fig.build(session, period="2020Q1", compare_to=["去年"])
    assert (fig.previous_period("2020Q1"), fig.year_before("2020Q1")) == ("2019Q4", "2019Q1")
    assert (fig.previous_period("2020-01"), fig.relation("2020-03", "2019-03")) == ("2019-12", "同比")
    assert fig.relation("2020Q1", "2018Q4") == "" and fig.period_bounds("2020Q1")[1] == date(2020, 3, 31)


# -- Hubei 2019Q4 --------------------------------------------------------------------------------------------------

CITY, DEPT, COUNTY, BELOW = "市级门户", "市级部门", "县级门户", "县级以下"


def _region(name: str, prefix: str, depts: int, counties: int = 0, below: int = 0, failing=()) -> Region:  # type: ignore[no-untyped-def]
    counts = {CITY: 1, DEPT: depts, COUNTY: counties, BELOW: below}
    counts = {k: v for k, v in counts.items() if v}
    return Region(name, prefix, counts, sum(counts.values()), list(failing))


# The six sites the circular names as failing (站点无法访问; columns not updated, empty or backdated).
HUBEI = [
    Region(
        "省本级",
        "4200",
        {"省级门户": 1, "省级部门": 42},
        43,
        [("4200009001", "湖北省科学技术厅", "省级部门", "栏目不更新")],
    ),
    _region(
        "武汉市",
        "4201",
        45,
        13,
        failing=[
            ("4201009001", "武汉人才交流网", DEPT, "站点无法访问"),
            ("4201009002", "武汉市民族宗教事务委员会", DEPT, "栏目不更新"),
        ],
    ),
    _region("黄石市", "4202", 30, 6),
    _region("十堰市", "4203", 32, 8, failing=[("4203009001", "茅箭区人民政府", COUNTY, "栏目不更新")]),
    _region("宜昌市", "4205", 38, 13),
    _region("襄阳市", "4206", 36, 9),
    _region(
        "鄂州市", "4207", 25, 3, failing=[("4207009001", "鄂州市公共资源交易监督管理局", DEPT, "栏目不更新")]
    ),
    _region("荆门市", "4208", 30, 5),
    _region("孝感市", "4209", 32, 7),
    _region("荆州市", "4210", 35, 8),
    _region("黄冈市", "4211", 36, 10),
    _region("咸宁市", "4212", 28, 6),
    _region("随州市", "4213", 23, 3, 1, failing=[("4213009001", "大洪山风景名胜区", BELOW, "栏目不更新")]),
    _region("恩施州", "4228", 30, 8),
    _region("仙桃市", "4294", 8),
    _region("潜江市", "4295", 7),
    _region("天门市", "4296", 7),
    _region("神农架林区", "4297", 2),
]


def test_hubei_2019q4(sqlite_store: Store, tmp_path: Path) -> None:
    populate(sqlite_store, HUBEI, period="2019Q4", as_of=date(2019, 12, 7))
    # 2019Q3 (第三次抽查): nine failures, all re-checked in Q4 (full coverage); only 武汉人才交流网 fails again.
    q3_failing = ["4201009001", *[f"42{n:02d}000002" for n in (2, 3, 5, 6, 8, 9, 10, 11)]]
    add_run(sqlite_store, "2019Q3", [], dict.fromkeys(q3_failing, "栏目不更新"), as_of=date(2019, 9, 30))
    with sqlite_store.session() as session:
        source = fig.load_report_source(session, period="2019Q4")
    # New media: 2601 running, 407 checked (省直部门104, 地方303), 117 failed: 71.25%.
    accounts = [
        *account_records("省本级", running=300, checked=104, failed=15, unit="省直部门"),
        *account_records("武汉市", running=1201, checked=150, failed=52),
        *account_records("十堰市", running=1100, checked=153, failed=50),
    ]
    f = fig.figures_of(dataclasses.replace(source, accounts=tuple(accounts)))
    assert (f.running, f.checked, f.failed, f.full_coverage) == (604, 604, 6, True)
    assert f.rate_text == "99.01%"  # the circular rounds 598/604 to “99%”
    assert len(f.region_rows) == 18 and f.region_total.cells()[2] == 604
    assert [p.name for p in f.problem_sites] == [
        "湖北省科学技术厅",
        "武汉人才交流网",
        "武汉市民族宗教事务委员会",
        "茅箭区人民政府",
        "鄂州市公共资源交易监督管理局",
        "大洪山风景名胜区",
    ]
    r = f.recheck
    assert r is not None and (len(r.failed_before), len(r.rechecked), len(r.passed)) == (9, 9, 8)
    assert (f.accounts.total, f.accounts.checked, f.accounts.failed, f.accounts.text) == (
        2601,
        407,
        117,
        "71.25%",
    )
    assert (f.accounts_provincial.checked, f.accounts_local.checked) == (104, 303)
    assert f.accounts_provincial.text == "85.58%" and f.accounts_local.text == "66.34%"
    text = overall_text(f)
    assert (
        "对全省正在运行的604家政府网站进行了全覆盖检查，发现存在突出问题的网站6家，总体合格率为99.01%" in text
    )
    assert (
        "对2019年第三季度存在突出问题的9家网站全部进行了复查，其中8家已整改合格，“武汉人才交流网”仍存在突出问题。"
        in text
    )
    assert "对全省正在运行的2601个政务新媒体中的407个进行了抽查" in text
    assert (
        "其中，省直部门104个，地方各级政府及部门303个。抽查发现117个政务新媒体存在突出问题，总体合格率为71.25%"
        in text
    )
    c = circular(f)
    assert len({a.key: a for a in c.attachments}["a4"].rows) == 117
    render_docx(c, tmp_path / "通报.docx")  # every number of the text is one of the figures


# -- Guangdong 2020Q1 ----------------------------------------------------------------------------------------------


def _failing(prefix: str, n: int, category: str = DEPT) -> list[tuple[str, str, str, str]]:
    return [(f"{prefix}009{i:03d}", f"{prefix}问题网站{i}", category, "栏目不更新") for i in range(1, n + 1)]


GUANGDONG = [
    Region("省本级", "4400", {"省级门户": 1, "省级部门": 60}, 61, _failing("4400", 3, "省级部门")),
    _region("广州市", "4401", 30, 11),
    _region("深圳市", "4403", 25, 9),
    _region("珠海市", "4404", 20, 3),
    _region("汕头市", "4405", 22, 7),
    _region("佛山市", "4406", 18, 5),
    _region("韶关市", "4402", 20, 10),
    _region("河源市", "4416", 18, 6, failing=_failing("4416", 2)),
    _region("梅州市", "4414", 20, 8),
    _region("惠州市", "4413", 24, 5, failing=_failing("4413", 2)),
    _region("汕尾市", "4415", 15, 4, failing=_failing("4415", 2)),
    _region("东莞市", "4419", 20),
    _region("中山市", "4420", 15),
    _region("江门市", "4407", 15, 7),
    _region("阳江市", "4417", 15, 4),
    _region("湛江市", "4408", 14, 9, failing=_failing("4408", 3)),
    _region("茂名市", "4409", 18, 5, failing=_failing("4409", 2)),
    _region("肇庆市", "4412", 20, 8),
    _region("清远市", "4418", 18, 8),
    _region("潮州市", "4451", 12, 3, failing=_failing("4451", 2)),
    _region("揭阳市", "4452", 15, 5),
    _region("云浮市", "4453", 12, 5),
]


def test_guangdong_full_coverage(sqlite_store: Store) -> None:
    populate(sqlite_store, GUANGDONG, as_of=date(2020, 3, 31))
    with sqlite_store.session() as session:
        source = fig.load_report_source(session, period="2020Q1")
    accounts = account_records("广州市", running=2999, checked=2999, failed=21)
    f = fig.figures_of(dataclasses.replace(source, accounts=tuple(accounts)))
    assert (f.running, f.checked, f.failed, f.full_coverage) == (590, 590, 16, True)
    assert f.rate_text == "97.29%"  # the circular prints 97.3%
    cities = [r for r in f.region_rows if r.label != fig.PROVINCIAL_LABEL]
    assert (
        len(cities) == 21 and sum(1 for r in cities if r.failed == 0) == 15
    )  # “15个地级以上市合格率均达100%”
    assert all(r.checked == r.total for r in f.region_rows)
    assert (f.accounts.checked, f.accounts.failed, f.accounts.text, f.accounts.all_checked) == (
        2999,
        21,
        "99.30%",
        True,
    )
    text = overall_text(f)
    assert (
        "对全省正在运行的590家政府网站进行了全覆盖检查，发现存在突出问题的网站16家，总体合格率为97.29%"
        in text
    )
    assert "对全省正在运行的2999个政务新媒体进行了全覆盖检查" in text and "总体合格率为99.30%" in text
    assert f.recheck is None and not f.comparisons  # no earlier period in the store
