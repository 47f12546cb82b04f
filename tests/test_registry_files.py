"""Registry files: reading CSV/XLSX, header mapping, row validation and export (real files in tmp_path)."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from govinspect.registry import tabular
from govinspect.registry.model import AccountRecord, Platform, RunStatus, SiteCategory, SiteRecord
from govinspect.registry.tabular import RegistryFileError, read_table, write_table
from govinspect.registry.validate import (
    ACCOUNT_HEADERS,
    SITE_HEADERS,
    RegistryHeaderError,
    RowError,
    check_url,
    read_registry,
    validate_table,
    write_accounts,
    write_sites,
)

CHINESE = re.compile(r"[\u4e00-\u9fff]")

SITE_HEADER_ROW = [
    "网站标识码",
    "网站名称",
    "首页网址",
    "主办单位",
    "所属地区",
    "类别",
    "运行状态",
    "ICP备案号",
    "公安备案号",
]
SITE_ROWS = [
    ["3611000003", "上饶市人民政府", "http://www.zgsr.gov.cn/", "上饶市人民政府办公室", "江西省上饶市", "市级门户",
     "运行", "赣ICP备05004411号", ""],
    ["3611020001", "信州区镕城街道（测试）", "https://www.xinzhou.gov.cn/", "信州区人民政府", "江西省上饶市信州区",
     "县级以下", "", "", ""],
    ["4407850057", "恩平市人民政府𠮷", "http://www.enping.gov.cn", "恩平市人民政府办公室", "广东省江门市恩平市",
     "县级门户", "正常运行", "粤ICP备05085446号", "粤公网安备 44078502000006号"],
    ["bm01000001", "中国政府网", "https://www.gov.cn/", "国务院办公厅", "中央", "其他", "", "京ICP备05070218号-1", ""],
]  # fmt: skip


def _csv_text(headers: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    return "".join(delimiter.join(r) + "\r\n" for r in [headers, *rows])


def _write_xlsx(path: Path, rows: list[list[object]], *, title_rows: int = 0) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for _ in range(title_rows):
        ws.append(["附件1 政府网站名录"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _rewrite_sheet(path: Path, old: bytes, new: bytes) -> None:
    """Edit the first sheet's XML in place (to store cells the way other tools do)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    assert old in parts[sheet]
    parts[sheet] = parts[sheet].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _check_good_sites(result) -> None:
    assert result.kind == "sites"
    assert result.errors == []
    assert [r.name for r in result.records] == [row[1] for row in SITE_ROWS]
    assert [r.site_code for r in result.records] == ["3611000003", "3611020001", "4407850057", "bm01000001"]
    first, second, third, fourth = result.records
    assert first.category is SiteCategory.CITY_PORTAL and first.status is RunStatus.RUNNING
    assert first.icp == "赣ICP备05004411号" and first.psb is None
    assert second.status is RunStatus.RUNNING  # empty -> 运行
    assert third.status is RunStatus.RUNNING and third.psb == "粤公网安备 44078502000006号"
    assert [r.division_code for r in result.records] == ["361100", "361102", "440785", None]
    assert fourth.category is SiteCategory.OTHER


# ------------------------------------------------------------------------------------------------ reading CSV


def test_gb18030_sites_csv_round_trips_rare_characters(tmp_path: Path) -> None:
    path = tmp_path / "名录.csv"
    path.write_bytes(_csv_text(SITE_HEADER_ROW, SITE_ROWS).encode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the file really is not UTF-8
    _check_good_sites(read_registry(path))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
def test_utf8_sites_csv_with_and_without_bom(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "sites.csv"
    path.write_bytes(_csv_text(SITE_HEADER_ROW, SITE_ROWS).encode(encoding))
    result = read_registry(path)
    _check_good_sites(result)
    assert read_table(path).headers[0] == "网站标识码"  # no BOM left on the first header


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_tab_and_semicolon_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(_csv_text(SITE_HEADER_ROW, SITE_ROWS, delimiter), encoding="utf-8")
    _check_good_sites(read_registry(path))


def test_excel_unicode_text_utf16_with_tabs(tmp_path: Path) -> None:
    path = tmp_path / "sites.txt"  # Excel's “Unicode 文本” export: UTF-16LE with a BOM, tab-delimited
    path.write_bytes(_csv_text(SITE_HEADER_ROW, SITE_ROWS, "\t").encode("utf-16"))
    _check_good_sites(read_registry(path))


def test_quoted_csv_cells_with_commas(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(
        "网站标识码,网站名称,首页网址,主办单位,所属地区,类别\n"
        '3611000003,"上饶市人民政府,测试",http://www.zgsr.gov.cn/,上饶市人民政府办公室,江西省上饶市,市级门户\n',
        encoding="utf-8",
    )
    result = read_registry(path)
    assert result.errors == []
    assert result.records[0].name == "上饶市人民政府,测试"


# ----------------------------------------------------------------------------------------------- reading XLSX


def test_xlsx_with_numeric_site_codes(tmp_path: Path) -> None:
    rows: list[list[object]] = [SITE_HEADER_ROW]
    for row in SITE_ROWS:
        code: object = row[0]
        if code == "3611000003":
            code = 3611000003  # stored as an integer
        elif code == "4407850057":
            code = 4407850057  # rewritten below as a float, the way some tools store it
        rows.append([code, *row[1:]])
    path = _write_xlsx(tmp_path / "sites.xlsx", rows)
    _rewrite_sheet(path, b"<v>4407850057</v>", b"<v>4.407850057E9</v>")
    loaded = openpyxl.load_workbook(path)
    assert loaded.active["A2"].value == 3611000003 and loaded.active["A4"].value == 4407850057.0
    assert isinstance(loaded.active["A4"].value, float)
    _check_good_sites(read_registry(path))


def test_xlsx_cells_dates_and_numbers_come_back_as_text(tmp_path: Path) -> None:
    import datetime as dt

    path = _write_xlsx(
        tmp_path / "t.xlsx",
        [["a", "b", "c", "d", "e"], [dt.datetime(2020, 3, 31), dt.date(2021, 1, 2), 3.5, True, None]],
    )
    table = read_table(path)
    assert table.rows[0].values == {"a": "2020-03-31", "b": "2021-01-02", "c": "3.5", "d": "TRUE", "e": ""}


def test_xlsx_title_row_and_sheet_choice(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes.append(["请按模板填写"])
    data = wb.create_sheet("名录")
    data.append(["附件1 政府网站名录"])
    data.append(SITE_HEADER_ROW)
    for row in SITE_ROWS:
        data.append(row)
    path = tmp_path / "sites.xlsx"
    wb.save(path)
    table = read_table(path, header_predicate=lambda cells: "网站名称" in cells)
    assert table.sheet == "名录" and table.header_row == 2
    assert [r.number for r in table.rows] == [3, 4, 5, 6]
    _check_good_sites(read_registry(path))


# ------------------------------------------------------------------------------------------- headers and kinds


def test_english_alias_headers(tmp_path: Path) -> None:
    headers = [" Site_Code ", "NAME", "Url", "sponsor", "Region", "CATEGORY", "status", "ICP", "psb"]
    path = tmp_path / "sites.csv"
    path.write_text(_csv_text(headers, SITE_ROWS), encoding="utf-8")
    _check_good_sites(read_registry(path))


def test_chinese_variant_headers_and_division_column(tmp_path: Path) -> None:
    headers = ["*标识码", "网站名称（必填）", "网站地址", "主办单位", "所属地区", "网站类别", "状态", "ICP备案编号",
               "公安机关备案号", "区划代码", "备注"]  # fmt: skip
    rows = [[*SITE_ROWS[0], "361102", "随便写的备注"]]
    path = tmp_path / "sites.csv"
    path.write_text(_csv_text(headers, rows), encoding="utf-8")
    result = read_registry(path)
    assert result.errors == []
    assert result.records[0].division_code == "361102"  # the column wins over the code's prefix
    assert result.ignored_columns == ["备注"]


def test_accounts_file_is_recognised_as_accounts(tmp_path: Path) -> None:
    headers = ["平台", "账号名称", "账号ID", "主办单位", "所属地区", "运行状态", "是否备案"]
    rows = [
        ["微信", "上饶发布", "gh_0123456789ab", "上饶市人民政府新闻办公室", "江西省上饶市", "运行", "是"],
        ["新浪微博", "赣州发布", "2091234567", "赣州市人民政府办公室", "江西省赣州市", "", "N"],
        ["头条号", "恩平发布", "toutiao-42", "恩平市融媒体中心", "广东省江门市恩平市", "已关停", ""],
        ["APP", "赣服通", "ganfutong", "江西省人民政府办公厅", "江西省", "下线", "false"],
    ]
    path = tmp_path / "accounts.csv"
    path.write_text(_csv_text(headers, rows), encoding="utf-8")
    result = read_registry(path)
    assert result.kind == "accounts"
    assert result.errors == []
    assert [r.platform for r in result.records] == [
        Platform.WECHAT,
        Platform.WEIBO,
        Platform.TOUTIAO,
        Platform.APP,
    ]
    assert [r.registered for r in result.records] == [True, False, True, False]
    assert [r.status for r in result.records] == [RunStatus.RUNNING, RunStatus.RUNNING, RunStatus.CLOSED,
                                                  RunStatus.OFFLINE]  # fmt: skip
    assert result.records[0].key == ("微信公众号", "gh_0123456789ab")


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(
        "网站标识码,网站名称,主办单位\n3611000003,上饶市人民政府,上饶市人民政府办公室\n", encoding="utf-8"
    )
    with pytest.raises(RegistryHeaderError) as caught:
        read_registry(path)
    assert caught.value.kind == "sites"
    assert caught.value.missing == ["首页网址", "所属地区", "类别"]
    assert "首页网址、所属地区、类别" in str(caught.value)
    assert str(caught.value).startswith("文件“sites.csv”：网站名录缺少必需的列")
    with pytest.raises(RegistryHeaderError, match=r"^文件“sites\.csv”："):
        validate_table(read_table(path))  # the table remembers its file


def test_neither_sites_nor_accounts(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("姓名,电话\n张三,123\n", encoding="utf-8")
    with pytest.raises(RegistryHeaderError, match="无法识别为网站名录或新媒体账号名录"):
        read_registry(path)


def test_two_columns_meaning_the_same_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(",".join([*SITE_HEADER_ROW, "网址"]) + "\n", encoding="utf-8")
    with pytest.raises(RegistryHeaderError, match="“首页网址”和“网址”列都表示“首页网址”"):
        read_registry(path)


# ------------------------------------------------------------------------------------------------ validation


def test_three_kinds_of_bad_rows_give_three_errors(tmp_path: Path) -> None:
    rows = [
        SITE_ROWS[0],
        ["36110000", *SITE_ROWS[1][1:]],  # row 3: bad 网站标识码
        [
            SITE_ROWS[2][0],
            SITE_ROWS[2][1],
            "ftp://www.enping.gov.cn/",
            *SITE_ROWS[2][3:],
        ],  # row 4: not http(s)
        [*SITE_ROWS[3][:5], "中央部委网站", *SITE_ROWS[3][6:]],  # row 5: unknown 类别
    ]
    path = tmp_path / "sites.csv"
    path.write_text(_csv_text(SITE_HEADER_ROW, rows), encoding="utf-8")
    result = read_registry(path)
    assert [(e.row, e.column) for e in result.errors] == [(3, "网站标识码"), (4, "首页网址"), (5, "类别")]
    assert [r.site_code for r in result.records] == ["3611000003"]
    assert "省级门户、省级部门、市级门户" in result.errors[2].reason
    assert str(result.errors[0]).startswith("第3行“网站标识码”列：")
    assert str(result.errors[0]).endswith("（值：“36110000”）")


def test_several_errors_in_one_row_and_english_column_names(tmp_path: Path) -> None:
    headers = ["site_code", "name", "url", "sponsor", "region", "category", "status", "icp", "psb"]
    rows = [
        [
            "3611000003",
            "",
            "www.zgsr.gov.cn",
            "上饶市\x07办公室",
            "",
            "市级门户",
            "暂停",
            "赣ICP备123号",
            "粤公网安备 36110002000006号",
        ]
    ]
    path = tmp_path / "sites.csv"
    path.write_text(_csv_text(headers, rows), encoding="utf-8")
    result = read_registry(path)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "name"), (2, "sponsor"), (2, "region"), (2, "url"), (2, "status"), (2, "icp"), (2, "psb"),
    ]  # fmt: skip
    by_column = {e.column: e for e in result.errors}
    assert "http://www.zgsr.gov.cn" in by_column["url"].reason  # suggests the fix, does not apply it
    assert by_column["name"].reason == "不能为空" and str(by_column["name"]) == "第2行“name”列：不能为空"
    assert "控制字符" in by_column["sponsor"].reason
    assert result.records == []


def test_duplicate_key_names_both_rows(tmp_path: Path) -> None:
    rows = [
        SITE_ROWS[0],
        SITE_ROWS[1],
        ["３６１１０００００３", "另一个名字", *SITE_ROWS[0][2:]],
    ]  # full-width digits
    path = tmp_path / "sites.csv"
    path.write_text(_csv_text(SITE_HEADER_ROW, rows), encoding="utf-8")
    result = read_registry(path)
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.row, error.column) == (4, "网站标识码")
    assert "第2行" in error.reason
    assert [r.name for r in result.records] == ["上饶市人民政府", SITE_ROWS[1][1]]


def test_duplicate_account_key_is_platform_and_id(tmp_path: Path) -> None:
    headers = ["platform", "account_name", "account_id", "sponsor", "region"]
    rows = [
        ["微信", "上饶发布", "sr", "甲", "上饶"],
        ["微博", "上饶发布", "sr", "甲", "上饶"],  # same id, other platform: fine
        ["微信公众号", "上饶发布2", "sr", "甲", "上饶"],  # same platform (alias) and id: duplicate of row 2
    ]
    path = tmp_path / "a.csv"
    path.write_text(_csv_text(headers, rows), encoding="utf-8")
    result = read_registry(path)
    assert [(e.row, e.column) for e in result.errors] == [(4, "account_id")]
    assert "第2行" in result.errors[0].reason


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_blank_rows_in_the_middle_keep_numbering_true(tmp_path: Path, suffix: str) -> None:
    bad = [*SITE_ROWS[1][:5], "乡镇网站", *SITE_ROWS[1][6:]]
    rows = [SITE_ROWS[0], [""] * 9, [""] * 9, bad, [""] * 9, SITE_ROWS[2]]
    path = tmp_path / f"sites{suffix}"
    if suffix == ".csv":
        path.write_text(_csv_text(SITE_HEADER_ROW, rows), encoding="utf-8")
    else:
        _write_xlsx(path, [SITE_HEADER_ROW, *[[c or None for c in r] for r in rows]])
    table = read_table(path)
    assert [r.number for r in table.rows] == [2, 5, 7]
    result = validate_table(table)
    assert [(e.row, e.column) for e in result.errors] == [(5, "类别")]


@pytest.mark.parametrize(
    ("code", "division"), [("3611000003", "361100"), ("4407850057", "440785"), ("bm01000001", None)]
)
def test_division_derivation(tmp_path: Path, code: str, division: str | None) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(
        _csv_text(
            SITE_HEADER_ROW[:6], [[code, "某网站", "http://www.example.gov.cn/", "某单位", "某地", "其他"]]
        ),
        encoding="utf-8",
    )
    result = read_registry(path)
    assert result.errors == []
    assert result.records[0].division_code == division


def test_site_code_case_and_width_are_normalised(tmp_path: Path) -> None:
    rows = [["BM01000001", *SITE_ROWS[3][1:]], ["４４０７８５００５７", *SITE_ROWS[2][1:]]]
    path = tmp_path / "sites.csv"
    path.write_text(_csv_text(SITE_HEADER_ROW, rows), encoding="utf-8")
    result = read_registry(path)
    assert result.errors == []
    assert [(r.site_code, r.division_code) for r in result.records] == [
        ("bm01000001", None),
        ("4407850057", "440785"),
    ]


def test_csv_title_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    text = "附件1,,,\r\n江西省政府网站名录（2020年）\r\n\r\n" + _csv_text(
        SITE_HEADER_ROW, [SITE_ROWS[0], SITE_ROWS[2]]
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryHeaderError):
        validate_table(read_table(path))  # without the predicate the title is taken for the header
    result = read_registry(path)
    assert result.errors == [] and len(result.records) == 2
    table = read_table(path, header_predicate=lambda cells: "网站标识码" in cells)
    assert table.header_row == 4 and [r.number for r in table.rows] == [5, 6]


def test_unknown_division_code_column_value(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(_csv_text([*SITE_HEADER_ROW, "区划代码"], [[*SITE_ROWS[0], "999999"]]), encoding="utf-8")
    result = read_registry(path)
    assert [(e.row, e.column) for e in result.errors] == [(2, "区划代码")]


def test_category_synonyms_and_limits(tmp_path: Path) -> None:
    rows = [
        [*SITE_ROWS[0][:5], "市级政府门户网站", *SITE_ROWS[0][6:]],
        ["3611020001", "名" * 201, *SITE_ROWS[1][2:]],
    ]
    path = tmp_path / "sites.csv"
    path.write_text(_csv_text(SITE_HEADER_ROW, rows), encoding="utf-8")
    result = read_registry(path)
    assert result.records[0].category is SiteCategory.CITY_PORTAL
    assert [(e.row, e.column) for e in result.errors] == [(3, "网站名称")]
    assert "200" in result.errors[0].reason


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://www.zgsr.gov.cn/", True),
        ("https://www.gov.cn", True),
        ("http://10.1.2.3:8080/index.html", True),
        ("HTTP://WWW.GOV.CN/", True),
        ("javascript:alert(1)", False),
        ("ftp://www.gov.cn/", False),
        ("http://www.gov .cn/", False),
        ("http:///index.html", False),
        ("http://user:pass@www.gov.cn/", False),
        ("www.zgsr.gov.cn", False),
    ],
)
def test_check_url(url: str, ok: bool) -> None:
    assert (check_url(url) is None) is ok


def test_row_error_text() -> None:
    error = RowError(5, "网站标识码", "123", "网站标识码应为10位数字")
    assert str(error) == "第5行“网站标识码”列：网站标识码应为10位数字（值：“123”）"


# ---------------------------------------------------------------------------------------------------- export


def _sample_sites() -> list[SiteRecord]:
    return [
        SiteRecord("3611000003", "上饶市人民政府", "http://www.zgsr.gov.cn/", "上饶市人民政府办公室", "江西省上饶市",
                   SiteCategory.CITY_PORTAL, RunStatus.RUNNING, "赣ICP备05004411号", None, "361100"),
        SiteRecord("4407850057", "=恩平市人民政府镕", "http://www.enping.gov.cn", "恩平市人民政府办公室",
                   "广东省江门市恩平市", SiteCategory.COUNTY_PORTAL, RunStatus.CLOSED, None,
                   "粤公网安备 44078502000006号", "440785"),
        SiteRecord("bm01000001", "中国政府网", "https://www.gov.cn/", "国务院办公厅", "中央", SiteCategory.OTHER,
                   RunStatus.OFFLINE, "京ICP备05070218号-1", None, None),
        SiteRecord("3611020001", "信州区政府网", "https://www.xinzhou.gov.cn/", "信州区人民政府", "上饶市信州区",
                   SiteCategory.COUNTY_PORTAL, RunStatus.RUNNING, None, None, "361100"),  # division from a column
    ]  # fmt: skip


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_sites_export_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"export{suffix}"
    records = _sample_sites()
    write_sites(path, records)
    result = read_registry(path)
    assert result.errors == []
    assert result.records == records
    assert read_table(path).headers == [*SITE_HEADERS, "区划代码", "对外服务"]
    without_services = [replace(r, has_services=False) for r in records]
    write_sites(path, without_services)
    assert read_registry(path).records == without_services


def test_csv_export_has_bom(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    write_sites(path, _sample_sites())
    assert path.read_bytes().startswith(b"\xef\xbb\xbf\xe7\xbd\x91")  # BOM then 网


def test_xlsx_export_stores_identifiers_as_text(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    write_sites(path, _sample_sites())
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws["A1"].value == "网站标识码" and ws["A1"].font.b
    assert ws["A2"].value == "3611000003" and ws["A2"].data_type == "s"
    assert ws["B3"].value == "=恩平市人民政府镕" and ws["B3"].data_type == "s"  # not a formula
    assert ws.column_dimensions["B"].width >= 18


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_accounts_export_round_trip(tmp_path: Path, suffix: str) -> None:
    records = [
        AccountRecord(Platform.WECHAT, "上饶发布", "gh_0123456789ab", "上饶市委宣传部", "江西省上饶市"),
        AccountRecord(
            Platform.APP, "赣服通", "0012", "江西省人民政府办公厅", "江西省", RunStatus.OFFLINE, False
        ),
    ]
    path = tmp_path / f"accounts{suffix}"
    write_accounts(path, records)
    result = read_registry(path)
    assert result.kind == "accounts" and result.errors == []
    assert result.records == records
    assert read_table(path).headers == list(ACCOUNT_HEADERS)


def test_write_table_refuses_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(RegistryFileError, match="不支持导出"):
        write_table(tmp_path / "x.ods", ["a"], [["1"]])
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------------------------------- malformed files


def _assert_chinese(error: RegistryFileError, name: str) -> None:
    assert CHINESE.search(error.reason)
    assert name in str(error)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "空"),
        ("blank.csv", b"\r\n,,,\r\n\r\n", "没有任何内容"),
        ("noheader.csv", "3611000003,上饶市人民政府,http://www.zgsr.gov.cn/\n".encode(), "缺少表头"),
        ("registry.ods", b"whatever", "不支持的文件类型"),
        ("registry", b"whatever", "不支持的文件类型"),
        ("junk.csv", bytes(range(256)) * 40, "二进制"),
        ("junk2.csv", bytes(range(0x80, 0x100)) * 80, "编码"),
        ("old.xls", b"\xd0\xcf\x11\xe0rest", ".xls"),
        ("zip.csv", b"PK\x03\x04rest", ".xlsx"),
        ("broken.xlsx", b"this is not a zip file", "不是有效的.xlsx文件"),
    ],
)
def test_malformed_files_raise_registry_file_error(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RegistryFileError) as caught:
        read_table(path)
    _assert_chinese(caught.value, name)
    assert expected in caught.value.reason


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RegistryFileError, match="文件不存在"):
        read_table(tmp_path / "nope.csv")


def test_empty_xlsx(tmp_path: Path) -> None:
    path = _write_xlsx(tmp_path / "empty.xlsx", [])
    with pytest.raises(RegistryFileError, match="没有任何内容"):
        read_registry(path)


def test_duplicate_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("网站名称,网站名称\na,b\n", encoding="utf-8")
    with pytest.raises(RegistryFileError, match="表头“网站名称”出现了两次（第A列和第B列）"):
        read_table(path)


def test_row_and_size_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(_csv_text(SITE_HEADER_ROW, SITE_ROWS), encoding="utf-8")
    monkeypatch.setattr(tabular, "MAX_ROWS", 3)
    with pytest.raises(RegistryFileError, match="数据超过3行"):
        read_table(path)
    monkeypatch.setattr(tabular, "MAX_ROWS", 4)
    assert len(read_table(path).rows) == 4
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 100)
    with pytest.raises(RegistryFileError, match="文件过大"):
        read_table(path)
