"""The attachment tables, laid out once (header rows, merges, body, widths) for the XLSX, DOCX and HTML."""

from __future__ import annotations

from dataclasses import dataclass

from govinspect.reports.figures import Figures, cn_date

Cell = str | int | float | None


@dataclass(frozen=True)
class Attachment:
    key: str  # the template's name for it: a1, a2, …
    number: int | None  # 附件N; None for the unnumbered summary tables
    title: str
    subtitle: str
    header: list[list[str | None]]  # None: covered by a merged cell
    merges: list[tuple[int, int, int, int]]  # (first row, first column, last row, last column) in the header
    rows: list[list[Cell]]
    widths: list[int]  # in characters, for the XLSX
    total: list[Cell] | None = None  # the 合计 row, printed last and bold
    empty_text: str = "无"
    total_span: int = 2  # the 合计 row's first cell covers this many columns

    @property
    def heading(self) -> str:
        return f"附件{self.number}" if self.number is not None else ""

    @property
    def width(self) -> int:
        return len(self.header[0])

    def text_rows(self) -> list[list[str]]:
        return [[text(c) for c in row] for row in self.rows]

    def text_total(self) -> list[str]:
        return [text(c) for c in self.total] if self.total else []


def text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float):
        return f"{cell:g}"
    return str(cell)


# Header rows of the numbered attachments (None: covered by a merged cell); the shipped DOCX template
# (templates/make_template.py) draws the same headers.
A1_HEADER: list[list[str | None]] = [
    [
        "序号",
        "省级/设区市",
        "运行网站总数",
        "市级政府",
        None,
        "县级及以下",
        None,
        "抽查网站数",
        "存在突出问题网站数",
    ],
    [None, None, None, "门户", "部门", "县级门户", "县级以下", None, None],
]
A1_MERGES = [(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 1, 2), (0, 3, 0, 4), (0, 5, 0, 6), (0, 7, 1, 7), (0, 8, 1, 8)]
A2_HEADER: list[list[str | None]] = [["得分", "政府网站名称"]]
A3_HEADER: list[list[str | None]] = [
    ["序号", "所属地方或部门", "网站名称", "存在的突出问题", "网站标识码", "备注"]
]
# Attachment 4 as Jiangxi 2020Q1 prints it; shown only when accounts were checked.
A4_HEADER: list[list[str | None]] = [["序号", "所属地方或部门", "类型", "政务新媒体名称", "存在的突出问题"]]
# Message handling per site (Jiangxi's “我向省长建言”办理情况 columns); shown only when boards had messages.
A5_HEADER: list[list[str | None]] = [
    ["序号", "所属地方或部门", "网站名称", "受理（条）", "办结（条）", "办结率", "办结平均时长（工作日）"]
]
A5_TOTAL_SPAN = 3


def message_window_text(figures: Figures) -> str:
    start, end = figures.message_window
    if start and end:
        return f"统计时段：{cn_date(start)}—{cn_date(end)}"
    return f"统计时段：截至{cn_date(end)}" if end else ""


def attachments(figures: Figures, scope: str = "全省") -> list[Attachment]:
    sub = f"（{figures.period_label}）" if figures.period_label else ""
    a1 = Attachment(
        key="a1",
        number=1,
        title=f"{scope}政府网站运行和检查情况",
        subtitle=sub,
        header=A1_HEADER,
        merges=A1_MERGES,
        rows=[r.cells() for r in figures.region_rows],
        widths=[6, 20, 12, 8, 8, 10, 10, 12, 14],
        total=figures.region_total.cells(),
    )
    a2 = Attachment(
        key="a2",
        number=2,
        title="检查得分较高的政府网站名单",
        subtitle=sub,
        header=A2_HEADER,
        merges=[],
        rows=[[band.label, "、".join(s.name for s in band.sites)] for band in figures.bands],
        widths=[14, 90],
        empty_text="本期没有得分在100分以上的网站",
    )
    a3 = Attachment(
        key="a3",
        number=3,
        title="检查发现突出问题的政府网站名单",
        subtitle=sub,
        header=A3_HEADER,
        merges=[],
        rows=[[p.index, p.place, p.name, p.problems, p.site_code, p.note] for p in figures.problem_sites],
        widths=[6, 22, 36, 30, 14, 12],
        empty_text="本期没有发现存在突出问题的网站",
    )
    optional = []
    if figures.accounts is not None:
        optional.append(
            Attachment(
                key="a4",
                number=4,
                title="检查发现突出问题的政务新媒体名单",
                subtitle=sub,
                header=A4_HEADER,
                merges=[],
                rows=[[p.index, p.place, p.kind, p.name, p.problems] for p in figures.problem_accounts],
                widths=[6, 22, 12, 36, 44],
                empty_text="本期没有发现存在突出问题的政务新媒体",
            )
        )
    if figures.message_rows and figures.message_total:
        t = figures.message_total
        optional.append(
            Attachment(
                key="a5",
                number=4 + len(optional),
                title="政府网站网民留言办理情况",
                subtitle=f"（{message_window_text(figures)}）",
                header=A5_HEADER,
                merges=[],
                rows=[
                    [
                        r.index,
                        r.place,
                        r.name,
                        r.stats.received,
                        r.stats.answered,
                        r.stats.rate_text,
                        r.stats.mean_text,
                    ]
                    for r in figures.message_rows
                ],
                widths=[6, 22, 36, 10, 10, 10, 14],
                total=["合计", None, None, t.received, t.answered, t.rate_text, t.mean_text],
                total_span=A5_TOTAL_SPAN,
            )
        )
    groups = Attachment(
        key="groups",
        number=None,
        title="检查发现的问题（按问题类型）",
        subtitle=sub,
        header=[["序号", "性质", "问题类型", "网站数", "网站名称"]],
        merges=[],
        rows=[
            [i, g.kind, g.name, g.count, "、".join(g.sites)] for i, g in enumerate(figures.problem_groups, 1)
        ],
        widths=[6, 10, 20, 8, 90],
        empty_text="本期没有发现问题",
    )
    return [a1, a2, a3, *optional, groups]
