"""The circular: figures from stored results (Jiangxi 2020Q1 attachment 1), XLSX cell by cell, DOCX text,
the self-check refusing inconsistent numbers, and escaping in report.html."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from govinspect.cli import app
from govinspect.config import load_settings
from govinspect.reports import figures as fig
from govinspect.reports.circular import make_circular
from govinspect.reports.cli import resolve_deadline, write_report
from govinspect.reports.docx import render_docx
from govinspect.reports.html import render_html
from govinspect.reports.templates.make_template import build_template
from govinspect.reports.xlsx import FIRST_HEADER_ROW, write_xlsx
from govinspect.store import Store, open_store
from govinspect.store.models import Site
from govinspect.store.results import SiteResult
from tests.test_reports_data import JIANGXI, Region, add_run, populate

SCORES = {"3604000001": 115.0, "3601000001": 105.0, "3610000001": 100.0}
DEDUCTIONS = {"3604000002": ["links.broken"], "3605000002": ["links.broken", "content.typo"]}
SMALL = [
    Region("省本级", "4200", {"省级门户": 1, "省级部门": 2}, 3),
    Region(
        "武汉市",
        "4201",
        {"市级门户": 1, "市级部门": 2},
        3,
        [("4201000099", "武汉人才交流网", "市级部门", "站点无法访问")],
    ),
]


def jiangxi(store: Store) -> fig.Figures:
    populate(store, JIANGXI, scores=SCORES, deductions=DEDUCTIONS)
    with store.session() as session:
        return fig.build(session, period="2020Q1")


def circular(figures: fig.Figures):  # type: ignore[no-untyped-def]
    return make_circular(
        figures, issue_date=date(2020, 4, 2), deadline=date(2020, 4, 15), issuer="省政府办公厅"
    )


# The rows of Jiangxi's attachment 1 (region order here follows the site codes' division codes).
EXPECTED_A1 = [
    [1, "省政府及省直各部门", 52, None, None, None, None, 32, 0],
    [2, "南昌市", 55, 1, 44, 9, 1, 38, 1],
    [3, "景德镇市", 39, 1, 34, 4, 0, 32, 0],
    [4, "萍乡市", 41, 1, 35, 5, 0, 28, 0],
    [5, "九江市", 54, 1, 40, 13, 0, 36, 0],
    [6, "新余市", 38, 1, 35, 2, 0, 26, 0],
    [7, "鹰潭市", 37, 1, 33, 3, 0, 27, 0],
    [8, "赣州市", 64, 1, 41, 18, 4, 44, 0],
    [9, "吉安市", 47, 1, 33, 13, 0, 36, 0],
    [10, "宜春市", 47, 1, 34, 10, 2, 32, 0],
    [11, "抚州市", 42, 1, 30, 11, 0, 32, 0],
    [12, "上饶市", 22, 1, 9, 12, 0, 15, 3],
]
EXPECTED_TOTAL = ["合计", None, 538, 11, 368, 100, 7, 378, 4]


def test_jiangxi_figures(store: Store) -> None:
    f = jiangxi(store)
    assert [r.cells() for r in f.region_rows] == EXPECTED_A1
    assert f.region_total.cells() == EXPECTED_TOTAL
    assert (f.running, f.checked, f.failed, f.passed) == (538, 378, 4, 374)
    assert f.rate_text == "98.94%"
    assert (f.local.checked, f.local.text) == (346, "98.84%")
    assert (f.portals.total, f.portals.checked, f.portals.text, f.portals.all_checked) == (
        112,
        112,
        "99.11%",
        True,
    )
    assert (f.provincial_departments.checked, f.provincial_departments.text) == (31, "100.00%")
    assert f.period_label == "2020年第一季度"
    assert [(b.label, [s.score for s in b.sites]) for b in f.bands] == [
        ("110-120分", [115.0]),
        ("100-110分", [105.0, 100.0]),
    ]
    assert [(p.index, p.place, p.name, p.problems, p.site_code) for p in f.problem_sites] == [
        (1, "南昌市", "南昌市住房保障和房产管理局", "栏目不更新", "3601000019"),
        (2, "上饶市", "上饶市住房和城乡建设局门户网", "栏目不更新", "3611000003"),
        (3, "上饶市", "上饶市生态环境局", "站点无法访问", "3611000058"),
        (4, "上饶市", "鄱阳政府门户网", "互动回应差", "3611280006"),
    ]
    groups = {(g.kind, g.name): g.count for g in f.problem_groups}
    assert groups == {
        ("单项否决", "栏目不更新"): 2,
        ("单项否决", "站点无法访问"): 1,
        ("单项否决", "互动回应差"): 1,
        ("扣分", "链接不可用"): 2,
        ("扣分", "错别字"): 1,
    }


def test_xlsx_cell_by_cell(store: Store, tmp_path: Path) -> None:
    c = circular(jiangxi(store))
    path = write_xlsx(c.attachments, tmp_path / "附件.xlsx")
    book = load_workbook(path)
    assert book.sheetnames[:3] == [
        "附件1 全省政府网站运行和检查情况",
        "附件2 检查得分较高的政府网站名单",
        "附件3 检查发现突出问题的政府网站名单",
    ]
    ws = book.worksheets[0]
    top = FIRST_HEADER_ROW
    assert (ws["A1"].value, ws["A2"].value, ws["A3"].value) == (
        "附件1",
        "全省政府网站运行和检查情况",
        "（2020年第一季度）",
    )
    assert [ws.cell(top, col).value for col in range(1, 10)] == [
        "序号", "省级/设区市", "运行网站总数", "市级政府", None, "县级及以下", None, "抽查网站数", "存在突出问题网站数",
    ]  # fmt: skip
    assert [ws.cell(top + 1, col).value for col in range(4, 8)] == ["门户", "部门", "县级门户", "县级以下"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"D4:E4", "F4:G4", "A4:A5", "I4:I5", "A18:B18"} <= merged
    for i, expected in enumerate(EXPECTED_A1):
        assert [ws.cell(top + 2 + i, col).value for col in range(1, 10)] == expected
    assert [ws.cell(top + 14, col).value for col in range(1, 10)] == EXPECTED_TOTAL
    assert ws.column_dimensions["B"].width == 20
    a2 = book.worksheets[1]
    assert [[cell.value for cell in row] for row in a2.iter_rows(min_row=top, max_row=top + 2)] == [
        ["得分", "政府网站名称"],
        ["110-120分", "九江市市级门户网站1"],
        ["100-110分", "南昌市市级门户网站1、抚州市市级门户网站1"],
    ]
    a3 = book.worksheets[2]
    assert [cell.value for cell in a3[top]] == [
        "序号",
        "所属地方或部门",
        "网站名称",
        "存在的突出问题",
        "网站标识码",
        "备注",
    ]
    assert [cell.value for cell in a3[top + 4]] == [
        4,
        "上饶市",
        "鄱阳政府门户网",
        "互动回应差",
        "3611280006",
        None,  # an empty 备注 cell
    ]
    assert a3.max_row == top + 4


def test_docx_carries_the_figures(store: Store, tmp_path: Path) -> None:
    f = jiangxi(store)
    path = render_docx(circular(f), tmp_path / "通报.docx")
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    for figure in (
        "538家",
        "378家",
        "存在突出问题的网站4家",
        "98.94%",
        "98.84%",
        "99.11%",
        "112家门户网站全部抽查",
        "70.26%",
    ):
        assert figure in text, figure
    assert "关于2020年第一季度全省政府网站与政务新媒体检查情况的通报" in text
    assert "2020年4月15日前将整改情况报送省政府办公厅" in text
    assert "“上饶市住房和城乡建设局门户网”" in text and "附件：1.全省政府网站运行和检查情况" in text
    a1, _, a3 = document.tables
    assert [c.text for c in a1.rows[2].cells] == [str(v) if v is not None else "" for v in EXPECTED_A1[0]]
    assert [c.text for c in a1.rows[-1].cells] == ["合计", "合计", "538", "11", "368", "100", "7", "378", "4"]
    assert len(a3.rows) == 5 and a3.rows[1].cells[4].text == "3601000019"
    assert "{{" not in text and "{%" not in text


def test_shipped_template_is_what_the_script_makes(tmp_path: Path) -> None:
    made = docx.Document(str(build_template(tmp_path / "t.docx")))
    shipped = docx.Document(str(Path(fig.__file__).parent / "templates" / "通报模板.docx"))
    assert [p.text for p in made.paragraphs] == [p.text for p in shipped.paragraphs]
    assert len(made.tables) == len(shipped.tables) == 5


def test_self_check_refuses_a_wrong_total(store: Store) -> None:
    f = jiangxi(store)
    fig.verify(f)
    slip = dataclasses.replace(f, region_total=dataclasses.replace(f.region_total, failed=5))
    with pytest.raises(fig.ReportCheckError, match="合计行“存在突出问题网站数”"):
        fig.verify(slip)
    # Jiangxi's new-media slip in site form: the rate of one count printed beside another count.
    slip = dataclasses.replace(f, overall=dataclasses.replace(f.overall, failed=5))
    with pytest.raises(fig.ReportCheckError) as caught:
        fig.verify(slip)
    assert any("存在突出问题网站数" in p for p in caught.value.problems)


def test_self_check_refuses_inconsistent_results(store: Store) -> None:
    populate(store, SMALL)
    with store.session() as session:
        result = session.query(SiteResult).filter_by(site_code="4201000001").one()
        result.vetoes = ["首页不更新"]  # 合格 with a veto
    with store.session() as session, pytest.raises(fig.ReportCheckError, match="结论为合格，却有单项否决"):
        fig.build(session, period="2020Q1")


def test_self_check_refuses_a_checked_site_no_longer_running(store: Store) -> None:
    populate(store, SMALL)
    with store.session() as session:
        session.query(Site).filter_by(site_code="4201000001").one().status = "关停"
    with (
        store.session() as session,
        pytest.raises(fig.ReportCheckError, match="抽查网站数 3 大于运行网站总数 2"),
    ):
        fig.build(session, period="2020Q1")


def test_template_with_a_stale_number_is_refused(store: Store, tmp_path: Path) -> None:
    """An office's template that types “57家” by hand cannot produce a circular."""
    f = jiangxi(store)
    template = build_template(tmp_path / "mine.docx")
    document = docx.Document(str(template))
    document.paragraphs[3].add_run("本季度抽查政务新媒体356家，发现存在突出问题的57家，合格率为84.27%。")
    document.save(str(template))
    with pytest.raises(fig.ReportCheckError) as caught:
        render_docx(circular(f), tmp_path / "out.docx", template)
    assert any("“57家”" in p for p in caught.value.problems)
    assert any("84.27%" in p for p in caught.value.problems)
    assert not (tmp_path / "out.docx").exists()


def test_html_escapes_hostile_names(store: Store) -> None:
    hostile = '<script>alert("x")</script>&网'
    regions = [
        Region("省本级", "4200", {"省级门户": 1}, 1),
        Region(
            "武汉市",
            "4201",
            {"市级门户": 1, "市级部门": 1},
            2,
            [("4201000099", hostile, "市级部门", "首页不更新")],
        ),
    ]
    populate(store, regions)
    with store.session() as session:
        f = fig.build(session, period="2020Q1")
    page = render_html(circular(f))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;网" in page
    assert (
        "50.00%" in page and "<style>" in page and "http" not in page.split("</style>")[0].split("<style>")[1]
    )


def test_period_without_runs_and_period_format(store: Store) -> None:
    populate(store, SMALL)
    with store.session() as session:
        with pytest.raises(fig.ReportError, match="检查期 2019Q4 没有已完成的检查任务"):
            fig.build(session, period="2019Q4")
        with pytest.raises(fig.ReportError, match="格式不对"):
            fig.build(session, period="2020年一季度")
        with pytest.raises(fig.ReportError, match="没有编号为 999 的检查任务"):
            fig.build(session, run_id=999)
    assert fig.period_label("2020-03") == "2020年3月"


def test_deadline_in_working_days() -> None:
    # 2020-04-02 (Thursday); 4–6 April are the Qingming holiday: 5 working days end on Friday 10 April.
    assert resolve_deadline(date(2020, 4, 2), None, 5) == date(2020, 4, 10)
    assert resolve_deadline(date(2020, 4, 2), date(2020, 4, 15), None) == date(2020, 4, 15)


def test_cli_writes_all_three(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVINSPECT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GOVINSPECT_DATABASE_URL", raising=False)
    store = open_store(load_settings().database_url)
    populate(store, SMALL)
    store.dispose()
    out = tmp_path / "out"
    runner = CliRunner()
    args = [
        "report",
        "--period",
        "2020Q1",
        "--out",
        str(out),
        "--date",
        "2020-04-02",
        "--deadline-working-days",
        "5",
        "--no-pdf",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "2020年4月10日" in result.output
    assert {p.name for p in out.iterdir()} == {"通报.docx", "通报附件.xlsx", "report.html"}
    text = "\n".join(p.text for p in docx.Document(str(out / "通报.docx")).paragraphs)
    assert "2020年4月10日前" in text and "83.33%" in text  # 5 of 6 passed
    result = runner.invoke(app, ["report", "--run", "999", "--out", str(out)])
    assert result.exit_code == 1 and "没有编号为 999 的检查任务" in result.output
    # --compare-to: a period without results is refused in Chinese; with its results the text gives 环比.
    result = runner.invoke(app, [*args, "--compare-to", "2019Q4"])
    assert result.exit_code == 1
    assert "对比的检查期 2019Q4（2019年第四季度）没有已完成的检查任务，无法计算环比数据" in result.output
    store = open_store(load_settings().database_url)
    add_run(
        store,
        "2019Q4",
        ["4200000001", "4200000002"],
        {"4201000099": "站点无法访问"},
        as_of=date(2019, 12, 31),
    )
    store.dispose()
    result = runner.invoke(app, [*args, "--compare-to", "2019Q4"])
    assert result.exit_code == 0, result.output
    text = "\n".join(p.text for p in docx.Document(str(out / "通报.docx")).paragraphs)
    assert "总体合格率为83.33%，环比上升16.66个百分点。" in text  # 2019Q4: 2 of 3 passed, 66.67%
    assert "对2019年第四季度存在突出问题的1家网站全部进行了复查，“武汉人才交流网”仍存在突出问题。" in text


def test_write_report_from_a_run(store: Store, tmp_path: Path) -> None:
    populate(store, SMALL, period="2020Q2")
    written = write_report(
        store,
        tmp_path,
        run_id=1,
        issue_date=date(2020, 7, 1),
        deadline=date(2020, 7, 15),
        scope="全市",
        pdf=False,
    )
    assert written.xlsx.is_file()
    assert "全市政府网站运行和检查情况" in written.html.read_text(encoding="utf-8")
