"""通报.docx from a docxtpl template: the shipped default (templates/通报模板.docx) or an office's own."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from govinspect.reports.charts import WIDTH_MM, Chart
from govinspect.reports.circular import Circular
from govinspect.reports.figures import ReportError, verify_text

DEFAULT_TEMPLATE = Path(__file__).parent / "templates" / "通报模板.docx"


def render_docx(
    circular: Circular, path: Path, template: Path | None = None, charts: Sequence[Chart] = ()
) -> Path:
    """Render, then read the result back and check every “N家”/“N个”/“N%” it prints (an edited template may
    carry last quarter's numbers); nothing is left on disk when the check fails. ``charts`` become
    ``charts[i].image`` (an InlineImage) and ``.caption`` in the template."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import TemplateError

    template = template or DEFAULT_TEMPLATE
    if not template.is_file():
        raise ReportError(f"通报模板不存在：{template}")
    context = circular.context()
    tables = {a.key: a for a in circular.attachments}
    context["rows"] = {k: a.text_rows() for k, a in tables.items()}
    context["totals"] = {k: a.text_total() for k, a in tables.items()}
    try:
        doc = DocxTemplate(str(template))
        context["charts"] = [
            {
                "key": c.key,
                "caption": c.caption,
                "image": InlineImage(doc, io.BytesIO(c.png), width=Mm(WIDTH_MM)),
            }
            for c in charts
        ]
        doc.render(context, autoescape=True)
    except TemplateError as exc:
        raise ReportError(f"通报模板 {template} 有错误：{exc}") from exc
    except Exception as exc:  # a file that is not a DOCX at all
        raise ReportError(f"无法读取通报模板 {template}：{exc}") from exc
    verify_text(circular.figures, docx_text(doc), "通报正文")
    doc.save(str(path))
    return path


def docx_text(doc) -> str:  # type: ignore[no-untyped-def]
    """The body paragraphs' text (tables left out: their numbers are checked as figures)."""
    return "\n".join(p.text for p in doc.paragraphs)
