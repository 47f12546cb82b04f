"""report.html: the circular as one self-contained page (inline CSS, no scripts, nothing fetched; the charts are
PNG data: URIs).

Site names and everything else that came from crawled pages or the registry is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, select_autoescape

from govinspect.reports.charts import Chart
from govinspect.reports.circular import Circular
from govinspect.reports.figures import verify_text

CHART_WIDTH_PX = 760

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: "FangSong", "仿宋", "仿宋_GB2312", "Noto Serif CJK SC", serif; font-size: 16pt;
       line-height: 1.75; max-width: 900px; margin: 2em auto; padding: 0 1em; color: #111; }
h1 { font-family: "方正小标宋简体", "SimSun", "Noto Serif CJK SC", serif; font-size: 22pt; text-align: center;
     font-weight: bold; line-height: 1.4; }
h2 { font-family: "SimHei", "黑体", "Noto Sans CJK SC", sans-serif; font-size: 16pt; font-weight: normal;
     text-indent: 2em; margin: 0.5em 0; }
p { text-indent: 2em; margin: 0; }
p.flush { text-indent: 0; }
p.sign { text-align: right; text-indent: 0; }
.lead { font-family: "KaiTi", "楷体", "楷体_GB2312", serif; }
section.attachment { margin-top: 3em; page-break-before: always; }
section.attachment .number { font-family: "SimHei", "黑体", sans-serif; text-indent: 0; }
h3 { text-align: center; font-size: 18pt; margin: 0.3em 0; }
p.sub { text-align: center; text-indent: 0; font-family: "KaiTi", "楷体", serif; }
table { border-collapse: collapse; width: 100%; font-size: 12pt; margin-top: 0.5em; }
th, td { border: 1px solid #333; padding: 0.2em 0.4em; text-align: center; vertical-align: middle; }
th { font-family: "SimHei", "黑体", sans-serif; font-weight: normal; background: #f2f2f2; }
td.text { text-align: left; }
tr.total td { font-weight: bold; }
figure { margin: 1em 0; text-align: center; }
figure img { max-width: 100%; height: auto; }
figcaption { font-family: "KaiTi", "楷体", serif; font-size: 14pt; }
@media print { body { margin: 0; max-width: none; } }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="flush">{{ recipients }}</p>
<p>{{ intro }}</p>
{% for heading, paras in sections %}
<h2>{{ heading }}</h2>
{% for p in paras %}<p><span class="lead">{{ p.lead }}</span>{{ p.text }}</p>
{% endfor %}{% if loop.first %}{% for c in charts %}<figure id="chart-{{ c.key }}"><img src="{{ c.data_uri }}" alt="{{ c.alt }}" width="{{ chart_width }}"><figcaption>{{ c.caption }}</figcaption></figure>
{% endfor %}{% endif %}{% endfor %}
<p>{{ closing }}</p>
<p>&nbsp;</p>
{% for a in attachment_list %}<p>{% if loop.first %}附件：{% else %}　　　{% endif %}{{ a }}</p>
{% endfor %}
<p>&nbsp;</p>
<p class="sign">{{ issuer }}</p>
<p class="sign">{{ issue_date }}</p>
{% for a in all_tables %}
<section class="attachment" id="{{ a.key }}">
{% if a.number %}<p class="number">{{ a.heading }}</p>{% endif %}
<h3>{{ a.title }}</h3>
<p class="sub">{{ a.subtitle }}</p>
<table>
<thead>
{% for row in header_cells[a.key] %}<tr>{% for c in row %}<th{% if c.rowspan > 1 %} rowspan="{{ c.rowspan }}"{% endif %}{% if c.colspan > 1 %} colspan="{{ c.colspan }}"{% endif %}>{{ c.text }}</th>{% endfor %}</tr>
{% endfor %}</thead>
<tbody>
{% for row in a.text_rows() %}<tr>{% for c in row %}<td{% if c|length > 12 %} class="text"{% endif %}>{{ c }}</td>{% endfor %}</tr>
{% else %}<tr><td colspan="{{ a.width }}">{{ a.empty_text }}</td></tr>
{% endfor %}{% if a.total %}<tr class="total"><td colspan="{{ a.total_span }}">{{ a.text_total()[0] }}</td>{% for c in a.text_total()[a.total_span:] %}<td>{{ c }}</td>{% endfor %}</tr>{% endif %}
</tbody>
</table>
</section>
{% endfor %}
</body>
</html>
"""


def _header_cells(
    header: list[list[str | None]], merges: list[tuple[int, int, int, int]]
) -> list[list[dict]]:
    spans = {(r1, c1): (r2 - r1 + 1, c2 - c1 + 1) for r1, c1, r2, c2 in merges}
    rows = []
    for r, values in enumerate(header):
        cells = []
        for c, value in enumerate(values):
            if value is None:
                continue
            rowspan, colspan = spans.get((r, c), (1, 1))
            cells.append({"text": value, "rowspan": rowspan, "colspan": colspan})
        rows.append(cells)
    return rows


def render_html(circular: Circular, charts: Sequence[Chart] = ()) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    context = circular.context()
    context["charts"] = list(charts)
    context["chart_width"] = CHART_WIDTH_PX
    context["sections"] = [
        ("一、总体情况", circular.overall),
        ("二、主要问题", circular.problems),
        ("三、下一步工作要求", circular.requirements),
    ]
    context["all_tables"] = circular.attachments
    context["header_cells"] = {a.key: _header_cells(a.header, a.merges) for a in circular.attachments}
    page = env.from_string(_PAGE).render(context)
    verify_text(circular.figures, circular.text(), "网页版通报")
    return page


def write_html(circular: Circular, path: Path, charts: Sequence[Chart] = ()) -> Path:
    path.write_text(render_html(circular, charts), encoding="utf-8")
    return path
