"""The attachments as one XLSX, a sheet each, laid out like the circulars' tables (openpyxl)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from govinspect.reports.tables import Attachment

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
FIRST_HEADER_ROW = 4  # row 1 附件N, row 2 the title, row 3 the period


def sheet_name(attachment: Attachment) -> str:
    name = f"{attachment.heading} {attachment.title}" if attachment.number else attachment.title
    return name.replace("/", "、")[:31]


def write_xlsx(attachments: list[Attachment], path: Path) -> Path:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for attachment in attachments:
        _sheet(book, attachment)
    book.save(path)
    return path


def _sheet(book: Workbook, a: Attachment) -> None:
    ws = book.create_sheet(sheet_name(a))
    last = get_column_letter(a.width)
    ws["A1"] = a.heading
    ws["A1"].font = Font(name="黑体", size=12)
    ws["A2"] = a.title
    ws["A2"].font = Font(name="方正小标宋简体", size=16, bold=True)
    ws["A2"].alignment = _CENTER
    ws.merge_cells(f"A2:{last}2")
    ws.row_dimensions[2].height = 30
    ws["A3"] = a.subtitle
    ws["A3"].alignment = _CENTER
    ws.merge_cells(f"A3:{last}3")
    top = FIRST_HEADER_ROW
    for r, header in enumerate(a.header):
        for c, value in enumerate(header):
            cell = ws.cell(top + r, c + 1, value)
            cell.font = Font(name="黑体", bold=True)
            cell.alignment = _CENTER
            cell.border = _BORDER
    for r1, c1, r2, c2 in a.merges:
        ws.merge_cells(start_row=top + r1, start_column=c1 + 1, end_row=top + r2, end_column=c2 + 1)
    row = top + len(a.header)
    body = list(a.rows)
    if not body:
        ws.cell(row, 1, a.empty_text).alignment = _CENTER
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=a.width)
        row += 1
    for values in body + ([a.total] if a.total else []):
        is_total = a.total is not None and values is a.total
        for c, value in enumerate(values):
            cell = ws.cell(row, c + 1, value)
            cell.border = _BORDER
            long_text = isinstance(value, str) and len(value) > 12
            cell.alignment = _LEFT if long_text else _CENTER
            cell.font = Font(name="仿宋", bold=is_total)
        if is_total:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=a.total_span)
        row += 1
    for c, width in enumerate(a.widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(top + len(a.header), 1)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.print_title_rows = f"{top}:{top + len(a.header) - 1}"
