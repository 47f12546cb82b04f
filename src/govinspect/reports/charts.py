"""The circular's charts (matplotlib, Agg): pass rate by region, the trend over the compared periods, problems by
type. Embedded in the DOCX (docxtpl InlineImage) and in report.html (data: URIs).

Text is drawn in Noto Sans CJK SC from Debian's fonts-noto-cjk, found on disk and registered by path (so the
charts do not depend on the user's font cache); a missing font is a clear error naming the package. The output is
deterministic: fixed sizes and DPI, matplotlib's defaults reset around each drawing, and no date or software name
in the PNG metadata, so the same figures give the same bytes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from govinspect.reports.figures import PROVINCIAL_LABEL, Figures, ReportError
from govinspect.reports.records import Rate

FONT_PACKAGE = "fonts-noto-cjk"
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts")
FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansCJK-Regular.otf")
FAMILY = "Noto Sans CJK SC"
WIDTH_IN = 6.3  # 16 cm: the text width of a GB/T 9704 page (156 mm) with a little to spare
DPI = 160
WIDTH_MM = 150  # as placed in the DOCX
MAX_PROBLEMS = 15
PASS_COLOR, FAIL_COLOR, DEDUCTION_COLOR, ACCOUNT_COLOR = "#3b6ea5", "#c0392b", "#7f8c8d", "#d68910"


@dataclass(frozen=True)
class Chart:
    key: str  # region | trend | problems
    caption: str  # 图N …
    alt: str  # what the chart shows, in words (the HTML's alt text)
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def find_cjk_font(dirs: tuple[Path, ...] = FONT_DIRS) -> Path:
    """The Noto Sans CJK file; a :class:`ReportError` naming the Debian package when it is not installed."""
    for directory in dirs:
        if not directory.is_dir():
            continue
        for name in FONT_FILES:
            found = sorted(directory.rglob(name))
            if found:
                return found[0]
    searched = "、".join(str(d) for d in dirs)
    raise ReportError(
        f"未找到中文字体 Noto Sans CJK（在 {searched} 下查找 {FONT_FILES[0]}），无法绘制通报中的统计图。"
        f"请安装 Debian 软件包 {FONT_PACKAGE}：sudo apt-get install {FONT_PACKAGE}"
    )


@cache
def _register_font(path: Path) -> str:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(path))  # every face of a .ttc: JP, KR, SC, TC, HK
    names = {f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == path}
    return FAMILY if FAMILY in names else sorted(names)[0]


@contextmanager
def _style(family: str) -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context():
        matplotlib.rcdefaults()  # a user's matplotlibrc cannot change the output
        matplotlib.rcParams.update(
            {
                "font.family": family,
                "font.size": 10,
                "axes.unicode_minus": False,
                "axes.spines.top": False,
                "axes.spines.right": False,
                "svg.hashsalt": "govinspect",
                "path.simplify": False,
            }
        )
        yield


def _png(figure: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _figure(height_in: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH_IN, height_in), layout="constrained")


def _short(label: str) -> str:
    return "省直各部门" if label == PROVINCIAL_LABEL else label


def region_chart(figures: Figures) -> tuple[bytes, str] | None:
    rows = [r for r in figures.region_rows if r.checked]
    if not rows:
        return None
    labels = [_short(r.label) for r in rows]
    rates = [Rate(r.label, r.total, r.checked, r.failed) for r in rows]
    values = [float(r.value or 0) for r in rates]
    figure = _figure(0.9 + 0.3 * len(rows))
    ax = figure.add_subplot()
    positions = list(range(len(rows)))[::-1]  # attachment 1's order, top to bottom
    colors = [FAIL_COLOR if r.failed else PASS_COLOR for r in rates]
    ax.barh(positions, values, color=colors, height=0.62)
    ax.set_yticks(positions, labels)
    ax.set_xlim(0, 112)
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.set_xlabel("抽查合格率（%）")
    for y, rate in zip(positions, rates, strict=True):
        ax.text(float(rate.value or 0) + 0.8, y, rate.text, va="center", fontsize=8.5)
    ax.axvline(float(figures.overall.value or 0), color="#555555", linewidth=0.8, linestyle="--")
    ax.text(
        float(figures.overall.value or 0),
        len(rows) - 0.35,
        f"总体 {figures.rate_text}",
        ha="right",
        va="bottom",
        fontsize=8.5,
        color="#555555",
    )
    alt = "；".join(f"{_short(r.label)}{x.text}" for r, x in zip(rows, rates, strict=True))
    return _png(figure), alt


def trend_chart(figures: Figures) -> tuple[bytes, str] | None:
    if not figures.comparisons:
        return None
    points = [(c.label, c.sites, c.accounts) for c in figures.comparisons]
    points.append((figures.period_label, figures.overall, figures.accounts))
    labels = [p[0] for p in points]
    figure = _figure(2.8)
    ax = figure.add_subplot()
    xs = list(range(len(points)))
    series = [("政府网站", [p[1] for p in points], PASS_COLOR)]
    if figures.accounts is not None and any(p[2] is not None for p in points[:-1]):
        series.append(("政务新媒体", [p[2] for p in points], ACCOUNT_COLOR))
    lowest = 100.0
    for name, rates, color in series:
        shown = [(x, r) for x, r in zip(xs, rates, strict=True) if r is not None and r.checked]
        ax.plot(
            [x for x, _ in shown],
            [float(r.value or 0) for _, r in shown],
            marker="o",
            color=color,
            label=name,
        )
        for x, r in shown:
            ax.annotate(
                r.text,
                (x, float(r.value or 0)),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=8.5,
            )
            lowest = min(lowest, float(r.value or 0))
    floor = max(0.0, (int(lowest) // 5) * 5 - 5.0)
    ax.set_ylim(floor, 102)
    ax.set_xlim(-0.5, len(points) - 0.5)
    ax.set_xticks(xs, labels)
    ax.set_ylabel("合格率（%）")
    ax.grid(axis="y", linewidth=0.4, color="#dddddd")
    if len(series) > 1:
        ax.legend(loc="lower left", frameon=False)
    alt = "；".join(f"{p[0]}政府网站合格率{p[1].text}" for p in points)
    return _png(figure), alt


def problems_chart(figures: Figures) -> tuple[bytes, str] | None:
    groups = list(figures.problem_groups)[:MAX_PROBLEMS]
    if not groups:
        return None
    figure = _figure(0.9 + 0.3 * len(groups))
    ax = figure.add_subplot()
    positions = list(range(len(groups)))[::-1]
    colors = [FAIL_COLOR if g.kind == "单项否决" else DEDUCTION_COLOR for g in groups]
    ax.barh(positions, [g.count for g in groups], color=colors, height=0.62)
    ax.set_yticks(positions, [g.name for g in groups])
    top = max(g.count for g in groups)
    ax.set_xlim(0, top * 1.15 + 1)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("涉及网站数（家）")
    for y, g in zip(positions, groups, strict=True):
        ax.text(g.count + top * 0.01 + 0.05, y, str(g.count), va="center", fontsize=8.5)
    from matplotlib.patches import Patch

    kinds = {g.kind for g in groups}
    handles = [Patch(color=FAIL_COLOR, label="单项否决")] if "单项否决" in kinds else []
    handles += [Patch(color=DEDUCTION_COLOR, label="扣分")] if "扣分" in kinds else []
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    alt = "；".join(f"{g.kind}“{g.name}”{g.count}家" for g in groups)
    return _png(figure), alt


def make_charts(figures: Figures) -> list[Chart]:
    """The charts the figures support, numbered 图1, 图2…; a missing matplotlib or CJK font is a ReportError."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ReportError(
            "未安装 matplotlib，无法绘制统计图：请运行 pip install matplotlib（或 make install）"
        ) from exc
    family = _register_font(find_cjk_font())
    drawn: list[tuple[str, str, tuple[bytes, str] | None]] = []
    with _style(family):
        drawn.append(("region", "各地区、各部门政府网站抽查合格率", region_chart(figures)))
        both = figures.accounts is not None and any(c.accounts for c in figures.comparisons)
        trend = "政府网站与政务新媒体抽查合格率变化" if both else "政府网站抽查合格率变化"
        drawn.append(("trend", trend, trend_chart(figures)))
        drawn.append(("problems", "检查发现的问题（按问题类型）", problems_chart(figures)))
    charts = []
    for key, title, made in drawn:
        if made is None:
            continue
        png, alt = made
        charts.append(Chart(key, f"图{len(charts) + 1} {title}", alt, png))
    return charts
