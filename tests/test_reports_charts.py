"""Charts (deterministic PNGs in Noto CJK), their place in the DOCX and report.html, and the PDF LibreOffice makes
from the DOCX (read back with pdftotext). One Jiangxi 2020Q1 report -- compared periods, re-check, new media,
messages -- is written once for the module: charts and the PDF conversion are the slow parts."""

from __future__ import annotations

import dataclasses
import re
import shutil
import struct
import subprocess
from datetime import date
from pathlib import Path

import docx
import pytest

from govinspect.reports import figures as fig
from govinspect.reports.charts import DPI, FONT_PACKAGE, WIDTH_IN, find_cjk_font, make_charts
from govinspect.reports.cli import Written, write_circular
from govinspect.reports.pdf import find_soffice
from govinspect.reports.records import Rate
from govinspect.store import open_store
from tests.test_reports_data import jiangxi_accounts, jiangxi_history


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> fig.Figures:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('charts') / 'govinspect.db'}")
    try:
        jiangxi_history(store)
        with store.session() as session:
            source = fig.load_report_source(session, period="2020Q1", compare_to=["2019Q1", "2019Q4"])
    finally:
        store.dispose()
    q4 = dataclasses.replace(source.comparisons[1], accounts=Rate("政务新媒体", 361, 361, 43))
    source = dataclasses.replace(
        source, accounts=tuple(jiangxi_accounts()), comparisons=(source.comparisons[0], q4)
    )
    return fig.figures_of(source)


@pytest.fixture(scope="module")
def written(figures: fig.Figures, tmp_path_factory: pytest.TempPathFactory) -> Written:
    return write_circular(
        figures,
        tmp_path_factory.mktemp("out"),
        issue_date=date(2020, 4, 2),
        deadline=date(2020, 4, 15),
        issuer="省政府办公厅",
    )


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        chunks.append((png[at + 4 : at + 8], png[at + 8 : at + 8 + length]))
        at += 12 + length
    return chunks


def test_charts_are_deterministic_and_fixed_in_size(figures: fig.Figures, written: Written) -> None:
    charts = make_charts(figures)
    assert [c.key for c in charts] == ["region", "trend", "problems"]
    assert [c.caption for c in charts] == [
        "图1 各地区、各部门政府网站抽查合格率",
        "图2 政府网站与政务新媒体抽查合格率变化",
        "图3 检查发现的问题（按问题类型）",
    ]
    again = make_charts(figures)
    assert [c.png for c in charts] == [c.png for c in again]  # byte for byte
    for chart in charts:
        chunks = _chunks(chart.png)
        kinds = {kind for kind, _ in chunks}
        assert not kinds & {b"tEXt", b"iTXt", b"zTXt", b"tIME"}, chart.key  # no software name, no date
        width, height = struct.unpack(">II", chunks[0][1][:8])
        assert width == round(WIDTH_IN * DPI) and height > 300
    trend = charts[1].alt
    assert trend == (
        "2019年第一季度政府网站合格率97.61%；2019年第四季度政府网站合格率98.42%；2020年第一季度政府网站合格率98.94%"
    )
    assert "上饶市80.00%" in charts[0].alt and "单项否决“栏目不更新”2家" in charts[2].alt
    assert written.charts == 3


def test_a_missing_cjk_font_names_the_package(tmp_path: Path) -> None:
    with pytest.raises(fig.ReportError) as caught:
        find_cjk_font((tmp_path,))
    assert FONT_PACKAGE in str(caught.value) and "apt-get install fonts-noto-cjk" in str(caught.value)


def test_docx_embeds_the_charts_and_the_new_attachments(figures: fig.Figures, written: Written) -> None:
    document = docx.Document(str(written.docx))
    assert len(document.inline_shapes) == 3
    images = sorted(
        (rel.target_part.blob for rel in document.part.rels.values() if "image" in rel.reltype), key=len
    )
    assert images == sorted((c.png for c in make_charts(figures)), key=len)
    text = [p.text for p in document.paragraphs]
    assert (
        "图2 政府网站与政务新媒体抽查合格率变化" in text and "省政府办公厅" in text[:2]
    )  # the red letterhead
    assert {"附件1", "附件2", "附件3", "附件4", "附件5"} <= set(text)
    assert "检查发现突出问题的政务新媒体名单" in text and "政府网站网民留言办理情况" in text
    a4, a5 = document.tables[3], document.tables[4]
    assert [c.text for c in a4.rows[1].cells] == [
        "1",
        "有色地质勘查局",
        "微信",
        "江西有色地质勘查局",
        "单项否决（缺有效互动渠道菜单功能）",
    ]
    assert len(a4.rows) == 57
    assert [c.text for c in a5.rows[-1].cells] == ["合计", "合计", "合计", "5", "3", "60.00%", "3.3"]
    body = "\n".join(text)
    assert "同比上升1.33个百分点、环比上升0.52个百分点" in body and "环比下降3.82个百分点" in body
    assert "{{" not in body and "{%" not in body


def test_html_is_self_contained_with_the_charts(written: Written) -> None:
    page = written.html.read_text(encoding="utf-8")
    assert len(re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+"', page)) == 3
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page) and "<script" not in page
    assert 'id="a4"' in page and 'id="a5"' in page and "图3 检查发现的问题（按问题类型）" in page
    assert '<td colspan="3">合计</td>' in page


@pytest.mark.skipif(
    find_soffice() is None, reason="LibreOffice (soffice) 未安装：Debian 安装 libreoffice-writer-nogui"
)
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext 未安装：Debian 安装 poppler-utils")
def test_pdf_carries_the_figures(written: Written) -> None:
    assert written.pdf is not None and written.pdf.stat().st_size > 20_000 and written.note is None
    text = subprocess.run(
        ["pdftotext", "-layout", str(written.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    for figure in (
        "关于2020年第一季度全省政府网站与政务新媒体检查情况的通报",
        "总体合格率为98.94%，同比上升1.33个百分点",
        "抽查比例为70.26%",
        "总体合格率为84.27%，环比下降3.82个百分点",
        "图1各地区、各部门政府网站抽查合格率",
        "附件4",
        "检查发现突出问题的政务新媒体名单",
        "江西有色地质勘查局",
        "政府网站网民留言办理情况",
        "5360.00%3.3",  # 合计 row of the message table: 5, 3, 60.00%, 3.3
        "5381136810073784",  # 合计 row of attachment 1
    ):
        assert figure in flat, figure
    pages = text.count("\f")
    assert 9 <= pages <= 16, pages
    assert re.search(r"—\s*1\s*—", text)  # page numbers
