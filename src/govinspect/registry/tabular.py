"""Reading registry spreadsheets (CSV, XLSX) into rows of text, and writing rows back out.

This module knows files, not registries: it turns a file into a header and rows of stripped cell text, with row
numbers as a spreadsheet shows them, and writes rows as a file an official can open in Excel or WPS. What the
columns mean is validate.py's business.

Reading rules:
- CSV: strict UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK and GB2312); UTF-16 only when it
  carries a BOM (Excel's “Unicode 文本”). The delimiter (comma, tab or semicolon) is taken from the header line.
- XLSX: openpyxl in read-only mode; the first sheet, or the first sheet whose header row satisfies the caller's
  ``header_predicate``. Whole-number cells come back without “.0” (a 网站标识码 stored as 3611000003.0 reads
  “3611000003”), dates in ISO form, booleans as TRUE/FALSE.
- The header is the first non-blank row, or with a ``header_predicate`` the first of the first ten non-blank rows it
  accepts. Fully blank rows are skipped; every row keeps the number the spreadsheet shows for it.
- Anything wrong with the file as a whole raises RegistryFileError with a message naming the file and the reason.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import re
import tempfile
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 256
MAX_XLSX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024  # guard against zip bombs
HEADER_SEARCH_ROWS = 10  # non-blank rows searched for the header when a predicate is given

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}

HeaderPredicate = Callable[[Sequence[str]], bool]


class RegistryFileError(Exception):
    """A registry file that cannot be read or written as a whole; the message is for an official, in Chinese."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"文件“{Path(path).name}”：{reason}" if self.path else reason)


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1 (usually), the first data row row 2
    values: dict[str, str]  # header -> stripped cell text ("" for an empty cell)


@dataclass(frozen=True, slots=True)
class Table:
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    header_row: int = 1
    sheet: str | None = None  # the XLSX sheet read; None for CSV
    source: str = ""  # the file read, for messages


# ---------------------------------------------------------------------------------------------------------------
# reading


def read_table(path: str | os.PathLike[str], *, header_predicate: HeaderPredicate | None = None) -> Table:
    """Read a CSV or XLSX file into a Table (see the module docstring for the rules)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise RegistryFileError(
            path, "不支持旧版Excel（.xls）格式，请在Excel或WPS中“另存为”.xlsx或.csv后再导入"
        )
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise RegistryFileError(
            path, f"不支持的文件类型“{path.suffix or '（无扩展名）'}”，请使用.csv或.xlsx文件"
        )
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise RegistryFileError(path, "文件不存在") from None
    except OSError as exc:
        raise RegistryFileError(path, f"无法读取文件（{exc.strerror or exc}）") from None
    if not path.is_file():
        raise RegistryFileError(path, "不是一个文件")
    if size == 0:
        raise RegistryFileError(path, "文件是空的")
    if size > MAX_FILE_BYTES:
        raise RegistryFileError(
            path,
            f"文件过大（{size / 1024 / 1024:.1f} MB），单个名录文件不能超过{MAX_FILE_BYTES // 1024 // 1024} MB",
        )
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path, header_predicate)
    return _read_csv(path, header_predicate)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RegistryFileError(path, f"无法读取文件（{exc.strerror or exc}）") from None


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise RegistryFileError(path, "文件以UTF-16标记开头，但内容无法按UTF-16解码") from None
    if data.startswith(b"PK\x03\x04"):
        raise RegistryFileError(path, "这是一个Excel（.xlsx）文件而不是CSV文件，请把扩展名改为.xlsx")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RegistryFileError(path, "这是一个旧版Excel（.xls）文件而不是CSV文件，请另存为.xlsx或.csv")
    if b"\x00" in data:
        raise RegistryFileError(path, "文件含有二进制内容，不是文本格式的CSV文件")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            break
        return text
    raise RegistryFileError(path, "无法识别文件编码（应为UTF-8或GBK/GB18030），或文件不是文本格式的CSV文件")


_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def _looks_binary(text: str) -> bool:
    """GB18030 decodes many byte strings; junk still shows as control and private-use characters."""
    sample = text[:65536]
    if not sample:
        return False
    odd = sum(
        1
        for ch in sample
        if (ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in {"Cc", "Co", "Cn", "Cs"})
    )
    return odd > max(2, len(sample) // 1000)


def _sniff_delimiter(text: str) -> str:
    for line in text.splitlines():
        if line.strip(" \t,;\ufeff"):
            counts = {d: line.count(d) for d in ("\t", ",", ";")}
            best = max(counts, key=lambda d: counts[d])  # ties keep the order tab, comma, semicolon
            return best if counts[best] else ","
    return ","


def _read_csv(path: Path, header_predicate: HeaderPredicate | None) -> Table:
    text = _decode(path, _read_bytes(path))
    if not text.strip(" \t\r\n,;\ufeff"):
        raise RegistryFileError(path, "文件没有任何内容")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)

    def records() -> Iterator[tuple[int, list[str]]]:
        number = 0
        try:
            for number, record in enumerate(reader, start=1):
                yield number, [cell.strip() for cell in record]
        except csv.Error as exc:
            raise RegistryFileError(path, f"第{number + 1}行不是有效的CSV格式（{exc}）") from None

    return _build_table(path, records(), header_predicate, sheet=None)[0]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


def _read_xlsx(path: Path, header_predicate: HeaderPredicate | None) -> Table:
    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise RegistryFileError(path, "不是有效的.xlsx文件（文件已损坏，或只是改了扩展名）") from None
    except OSError as exc:
        raise RegistryFileError(path, f"无法读取文件（{exc.strerror or exc}）") from None
    if total > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise RegistryFileError(path, "文件解压后过大，疑似异常文件，已拒绝读取")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, InvalidFileException, XML errors)
        raise RegistryFileError(path, f"不是有效的.xlsx文件，无法打开（{type(exc).__name__}）") from None
    try:
        sheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]  # chartsheets have no rows
        if not sheets:
            raise RegistryFileError(path, "工作簿中没有工作表")
        fallback: Table | None = None
        first_error: RegistryFileError | None = None
        for ws in sheets if header_predicate is not None else sheets[:1]:
            try:
                table, matched = _build_table(path, _xlsx_records(path, ws), header_predicate, sheet=ws.title)
            except RegistryFileError as exc:
                first_error = first_error or exc
                continue
            if matched:
                return table
            fallback = fallback or table
        # no sheet has a header the predicate accepts: the first readable sheet, so the caller can say why
        if fallback is not None:
            return fallback
        assert first_error is not None
        raise first_error
    finally:
        workbook.close()


def _xlsx_records(path: Path, ws: object) -> Iterator[tuple[int, list[str]]]:
    ws.reset_dimensions()  # type: ignore[attr-defined]  # dimensions written by some tools are wrong
    try:
        rows = ws.iter_rows(min_row=1, values_only=True)  # type: ignore[attr-defined]
        for number, values in enumerate(rows, start=1):
            yield number, [_cell_text(v) for v in values[:MAX_COLUMNS]]
    except RegistryFileError:
        raise
    except Exception as exc:
        raise RegistryFileError(path, f"读取工作表时出错，文件可能已损坏（{type(exc).__name__}）") from None


_DATA_LIKE = re.compile(r"^(?:https?://\S+|www\.\S+|[\d.,\-\s]{6,}|bm\d{8})$", re.IGNORECASE)


def _build_table(
    path: Path,
    records: Iterator[tuple[int, list[str]]],
    header_predicate: HeaderPredicate | None,
    sheet: str | None,
) -> tuple[Table, bool]:
    """The table, and whether its header row satisfied the predicate (always True without one)."""
    where = f"工作表“{sheet}”" if sheet else ""
    too_many = f"{where}数据超过{MAX_ROWS:,}行，请拆分后分批导入"
    header: tuple[int, list[str]] | None = None
    matched = header_predicate is None
    candidates: list[tuple[int, list[str]]] = []  # non-blank rows read while looking for the header
    data: list[tuple[int, list[str]]] = []
    for number, cells in records:
        if not any(cells):
            continue
        if header is not None:
            data.append((number, cells))
            if len(data) > MAX_ROWS:
                raise RegistryFileError(path, too_many)
            continue
        if header_predicate is None or header_predicate(cells):
            header, matched = (number, cells), True  # rows above it (a title, say) are dropped
            continue
        candidates.append((number, cells))
        if len(candidates) >= HEADER_SEARCH_ROWS:
            header, data = candidates[0], candidates[1:]
    if header is None:
        if not candidates:
            raise RegistryFileError(path, f"{where}没有任何内容" if where else "文件没有任何内容")
        header, data = candidates[0], candidates[1:]

    header_number, header_cells = header
    headers = _trim(header_cells)[:MAX_COLUMNS]
    data_like = [h for h in headers if _DATA_LIKE.match(h)]
    if data_like:
        raise RegistryFileError(
            path,
            f"{where}第{header_number}行看起来是数据而不是表头（如“{data_like[0]}”），文件缺少表头行",
        )
    seen: dict[str, int] = {}
    for index, name in enumerate(headers):
        if not name:
            continue
        if name in seen:
            raise RegistryFileError(
                path,
                f"{where}表头“{name}”出现了两次（第{_column_letter(seen[name])}列和第{_column_letter(index)}列）",
            )
        seen[name] = index

    rows = [
        Row(number, {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(headers) if name})
        for number, cells in data
    ]
    table = Table(headers=headers, rows=rows, header_row=header_number, sheet=sheet, source=str(path))
    return table, matched


def _trim(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# ---------------------------------------------------------------------------------------------------------------
# writing


def write_table(
    path: str | os.PathLike[str], headers: Sequence[str], rows: Iterable[Sequence[str | None]]
) -> None:
    """Write a header and rows as CSV (UTF-8 with BOM) or XLSX (text cells), chosen by the file's extension.

    The file is written to a temporary name beside it and moved into place, so a failed export leaves no
    half-written file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise RegistryFileError(
            path, f"不支持导出为“{path.suffix or '（无扩展名）'}”，请使用.csv或.xlsx扩展名"
        )
    width = len(headers)
    materialised: list[list[str]] = []
    for index, row in enumerate(rows, start=2):
        cells = ["" if cell is None else str(cell) for cell in row]
        if len(cells) != width:
            raise ValueError(f"row {index} has {len(cells)} cells, the header has {width}")
        materialised.append(cells)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise RegistryFileError(path, f"目录“{directory}”不存在")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=suffix, dir=directory)
    os.close(fd)
    try:
        if suffix == ".csv":
            _write_csv(Path(temporary), list(headers), materialised)
        else:
            _write_xlsx(path, Path(temporary), list(headers), materialised)
        os.replace(temporary, path)
    except OSError as exc:
        raise RegistryFileError(path, f"无法写入文件（{exc.strerror or exc}）") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _write_csv(target: Path, headers: list[str], rows: list[list[str]]) -> None:
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(rows)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in {"W", "F"} else 1 for ch in text)


def _write_xlsx(path: Path, target: Path, headers: list[str], rows: list[list[str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils.exceptions import IllegalCharacterError

    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("名录")
    widths = [_display_width(h) for h in headers]
    for row in rows[:2000]:  # enough to size the columns
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], _display_width(cell))
    for i, w in enumerate(widths):
        ws.column_dimensions[_column_letter(i)].width = min(max(w + 2, 8), 60)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)

    def text_cell(value: str, *, header: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # never a formula or a number: “=…” stays text, 3611000003 stays an identifier
        cell.number_format = "@"
        if header:
            cell.font = bold
        return cell

    ws.append([text_cell(h, header=True) for h in headers])
    for index, row in enumerate(rows, start=2):
        try:
            ws.append([text_cell(value) for value in row])
        except IllegalCharacterError:
            raise RegistryFileError(path, f"第{index}行含有Excel不允许的控制字符，无法写入") from None
    workbook.save(target)
