"""Write the default circular template 通报模板.docx (python-docx), so the shipped file is reproducible.

    python -m govinspect.reports.templates.make_template [OUT.docx]

Layout after GB/T 9704 (党政机关公文格式): A4, margins 37/35/28/26 mm, title 方正小标宋简体 二号 centred, body
仿宋_GB2312 三号 with 28 pt lines and a two-character indent, first-level headings 黑体, second-level run-in
headings 楷体_GB2312, page numbers “— N —” in 宋体 四号, each attachment on a new page under a 黑体 “附件N”.
The Jinja tags are docxtpl's: ``{{ … }}`` in a run, ``{%p … %}`` paragraph loops, ``{%tr … %}`` table-row
loops. The charts (``charts``: ``c.image``, ``c.caption``) follow 一、总体情况; an attachment the report may not
have (``tables.a4``, ``tables.a5``) is wrapped in ``{%p if … %}``, and every heading is ``tables.aN.heading``. An office edits the wording, letterhead and sections in Word or WPS and passes it with ``--template``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_ALIGN_VERTICAL, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from govinspect.reports.tables import (
    A1_HEADER,
    A1_MERGES,
    A2_HEADER,
    A3_HEADER,
    A4_HEADER,
    A5_HEADER,
    A5_TOTAL_SPAN,
)

HERE = Path(__file__).parent
DEFAULT = HERE / "通报模板.docx"
TITLE_FONT, BODY_FONT, HEAD_FONT, KAI_FONT, SONG_FONT = (
    "方正小标宋简体",
    "仿宋_GB2312",
    "黑体",
    "楷体_GB2312",
    "宋体",
)
SAN_HAO, ER_HAO, XIAO_SI = Pt(16), Pt(22), Pt(12)
RED = RGBColor(0xE6, 0x00, 0x12)  # the letterhead's red

# Attachment tables: (key, header rows with None under a merge, merges, widths in mm, columns the 合计 row's
# first cell covers (0: no 合计 row), shown only when the report has it). Their 附件N numbers come from the report:
# attachment 4 (new media) and the message table are present only when there are results for them.
TABLES = [
    ("a1", A1_HEADER, A1_MERGES, [10, 30, 18, 14, 14, 16, 16, 18, 20], 2, False),
    ("a2", A2_HEADER, [], [30, 126], 0, False),
    ("a3", A3_HEADER, [], [10, 26, 40, 34, 30, 16], 0, False),
    ("a4", A4_HEADER, [], [10, 30, 20, 40, 56], 0, True),
    ("a5", A5_HEADER, [], [10, 26, 36, 18, 18, 22, 26], A5_TOTAL_SPAN, True),
]
CHART_WIDTH_MM = 150


def font(run: Run, name: str, size: Pt, *, bold: bool = False) -> Run:
    """East Asian text takes w:eastAsia, not the Latin font name: set both."""
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), name)
    return run


def para(
    doc: Document,
    text: str = "",
    *,
    name: str = BODY_FONT,
    size: Pt = SAN_HAO,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = True,
    page_break: bool = False,
) -> Paragraph:
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(32)  # two characters of 三号
    if align is not None:
        p.alignment = align
    fmt.page_break_before = page_break
    if text:
        font(p.add_run(text), name, size, bold=bold)
    return p


def _page_number(doc: Document) -> None:
    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    font(footer.add_run("— "), SONG_FONT, Pt(14))
    run = font(footer.add_run(), SONG_FONT, Pt(14))
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._element.append(char)
        elif text == "PAGE":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._element.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = text
            run._element.append(t)
    font(footer.add_run(" —"), SONG_FONT, Pt(14))


def _cell(cell, text: str, *, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    p = cell.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    font(p.add_run(text), HEAD_FONT if bold else BODY_FONT, XIAO_SI, bold=False)


def _table(doc: Document, key: str, header: list, merges: list, widths: list[int], span: int) -> Table:
    total = span > 0
    columns = len(header[0])
    rows = len(header) + 3 + (1 if total else 0) + (0 if total else 3)
    table = doc.add_table(rows=rows, cols=columns)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, values in enumerate(header):
        for c, value in enumerate(values):
            if value is not None:
                _cell(table.cell(r, c), value, bold=True)
    for r1, c1, r2, c2 in merges:
        table.cell(r1, c1).merge(table.cell(r2, c2))
    for r in range(len(header)):  # a long list repeats its header on every page
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        table.rows[r]._tr.get_or_add_trPr().append(repeat)
    row = len(header)
    _cell(table.cell(row, 0), f"{{%tr for r in rows.{key} %}}")
    for c in range(columns):
        _cell(table.cell(row + 1, c), f"{{{{ r[{c}] }}}}")
    _cell(table.cell(row + 2, 0), "{%tr endfor %}")
    row += 3
    if total:
        merged = table.cell(row, 0).merge(table.cell(row, span - 1))
        _cell(merged, f"{{{{ totals.{key}[0] }}}}", bold=True)
        for c in range(span, columns):
            _cell(table.cell(row, c), f"{{{{ totals.{key}[{c}] }}}}", bold=True)
    else:
        _cell(table.cell(row, 0), f"{{%tr if not rows.{key} %}}")
        _cell(table.cell(row + 1, 0), f"{{{{ tables.{key}.empty_text }}}}")
        table.cell(row + 1, 0).merge(table.cell(row + 1, columns - 1))
        _cell(table.cell(row + 2, 0), "{%tr endif %}")
    table.autofit = False
    for r in table.rows:
        for cell in r.cells:
            cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER
    for c, column in enumerate(table.columns):  # the grid LibreOffice and WPS lay the table out by
        column.width = Mm(widths[c])
    for r in table.rows:
        for c, cell in enumerate(r.cells):
            cell.width = Mm(widths[c])
    return table


def _letterhead(doc: Document) -> None:
    """版头 (GB/T 9704): the issuing office in red 小标宋 over a red rule, when the report names an issuer."""
    para(doc, "{%p if issuer %}")
    p = para(doc, "{{ issuer }}", name=TITLE_FONT, size=Pt(36), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.paragraph_format.space_after = Pt(10)
    for run in p.runs:
        run.font.color.rgb = RED
    rule = para(doc, indent=False)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attr, value in (("w:val", "single"), ("w:sz", "16"), ("w:space", "1"), ("w:color", str(RED))):
        bottom.set(qn(attr), value)
    borders.append(bottom)
    rule._element.get_or_add_pPr().append(borders)
    rule.paragraph_format.line_spacing = Pt(6)
    para(doc)
    para(doc, "{%p endif %}")


def _charts(doc: Document) -> None:
    """The charts after 一、总体情况: each image centred on a line of its own (single spacing: an exact 28 pt
    line would crop it), its caption below in 楷体."""
    para(doc, "{%p for c in charts %}")
    p = para(doc, "{{ c.image }}", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.paragraph_format.space_before = Pt(6)
    p.paragraph_format.keep_with_next = True
    para(doc, "{{ c.caption }}", name=KAI_FONT, size=Pt(14), align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para(doc, "{%p endfor %}")


def build_template(path: Path = DEFAULT) -> Path:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = BODY_FONT, SAN_HAO
    rpr = normal.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    lang = OxmlElement("w:lang")  # Chinese line breaking and punctuation; CJK fonts pick their zh-CN glyphs
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    _page_number(doc)
    for empty in list(doc.paragraphs):  # python-docx's blank document may start with an empty paragraph
        empty._element.getparent().remove(empty._element)

    _letterhead(doc)
    para(doc, "{{ title }}", name=TITLE_FONT, size=ER_HAO, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para(doc)
    para(doc, "{{ recipients }}", indent=False)
    para(doc, "{{ intro }}")

    for heading, items in (
        ("一、总体情况", "overall"),
        ("二、主要问题", "problems"),
        ("三、下一步工作要求", "requirements"),
    ):
        para(doc, heading, name=HEAD_FONT).paragraph_format.keep_with_next = True
        para(doc, f"{{%p for p in {items} %}}")
        p = para(doc)
        font(p.add_run("{{ p.lead }}"), KAI_FONT, SAN_HAO)
        font(p.add_run("{{ p.text }}"), BODY_FONT, SAN_HAO)
        para(doc, "{%p endfor %}")
        if items == "overall":
            _charts(doc)
    para(doc, "{{ closing }}")
    para(doc)
    para(doc, "{%p for a in attachment_list %}")
    para(doc, "{% if loop.first %}附件：{% else %}　　　{% endif %}{{ a }}")
    para(doc, "{%p endfor %}")
    para(doc)
    for signature in ("{{ issuer }}", "{{ issue_date }}"):  # 成文日期右空四字, the issuer above it
        p = para(doc, signature, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        p.paragraph_format.right_indent = Pt(64)

    for key, header, merges, widths, span, optional in TABLES:
        if optional:
            para(doc, f"{{%p if tables.{key} %}}")
        para(doc, f"{{{{ tables.{key}.heading }}}}", name=HEAD_FONT, indent=False, page_break=True)
        para(doc)
        para(
            doc,
            f"{{{{ tables.{key}.title }}}}",
            name=TITLE_FONT,
            size=Pt(18),
            align=WD_ALIGN_PARAGRAPH.CENTER,
            indent=False,
        )
        para(
            doc,
            f"{{{{ tables.{key}.subtitle }}}}",
            name=KAI_FONT,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            indent=False,
        )
        _table(doc, key, header, merges, widths, span)
        if optional:
            para(doc, "{%p endif %}")
    doc.core_properties.title = "政府网站与政务新媒体检查情况通报（govinspect 默认模板）"
    doc.core_properties.author = "govinspect"
    doc.save(str(path))
    return path


if __name__ == "__main__":
    print(build_template(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT))
