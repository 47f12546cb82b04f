"""Registry import into the database (SQLite and PostgreSQL): all-or-nothing, upsert by key, export, summary."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from govinspect.cli import app
from govinspect.registry import service
from govinspect.registry.model import SiteRecord
from govinspect.store import Store

HEADERS = "网站标识码,网站名称,首页网址,主办单位,所属地区,类别,运行状态,ICP备案号,公安备案号"
GOOD = [
    "3600000001,江西省人民政府,http://www.jiangxi.gov.cn/,江西省人民政府办公厅,省直部门,省级门户,运行,赣ICP备05004035号,赣公网安备 36010202000101号",
    "3611000003,上饶市人民政府,http://www.zgsr.gov.cn/,上饶市人民政府办公室,上饶市,市级门户,运行,,",
    "3611810005,德兴市人民政府,https://www.dx.gov.cn/,德兴市人民政府办公室,上饶市,县级门户,运行,,",
    "3601000012,南昌市住房保障和房产管理局,http://zfbz.nc.gov.cn/,南昌市住房保障和房产管理局,南昌市,市级部门,关停,,",
]
BAD = [
    "36110003,坏标识码网站,http://a.gov.cn/,某单位,上饶市,市级部门,运行,,",  # row 6: 网站标识码
    "3611000010,坏网址网站,ftp://b.gov.cn/,某单位,上饶市,市级部门,运行,,",  # row 7: 首页网址
    "3611000011,坏类别网站,http://c.gov.cn/,某单位,上饶市,乡镇网站,运行,,",  # row 8: 类别
]


def write_csv(path: Path, lines: list[str], encoding: str = "gb18030") -> Path:
    path.write_bytes(("\r\n".join([HEADERS, *lines]) + "\r\n").encode(encoding))
    return path


def snapshot(store: Store) -> list[SiteRecord]:
    with store.session() as session:
        return [service.site_record(site) for site in service.sites(session)]


def test_gb18030_csv_with_chinese_headers_imports(store: Store, tmp_path: Path) -> None:
    report = service.import_file(store, write_csv(tmp_path / "名录.csv", GOOD))
    assert (report.kind, report.created, report.updated) == ("sites", 4, 0)
    with store.session() as session:
        rows = {s.site_code: s for s in service.sites(session)}
        assert rows["3611000003"].name == "上饶市人民政府"
        assert rows["3611000003"].unit.name == "上饶市人民政府办公室"
        assert rows["3611810005"].division_code == "361181"
        assert rows["3601000012"].status == "关停"
        assert rows["3600000001"].psb == "赣公网安备 36010202000101号"


def test_xlsx_imports(store: Store, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS.split(","))
    for line in GOOD:
        cells: list[object] = line.split(",")
        cells[0] = int(str(cells[0]))  # spreadsheets store identification codes as numbers
        sheet.append(cells)
    book.save(tmp_path / "名录.xlsx")
    report = service.import_file(store, tmp_path / "名录.xlsx")
    assert report.created == 4
    assert [record.site_code for record in snapshot(store)] == sorted(line.split(",")[0] for line in GOOD)


def test_bad_rows_import_nothing_and_name_row_and_column(store: Store, tmp_path: Path) -> None:
    service.import_file(store, write_csv(tmp_path / "first.csv", GOOD[:2]))
    before = snapshot(store)
    changed = GOOD[0].replace("江西省人民政府,", "江西省人民政府（新）,", 1)
    with pytest.raises(service.RegistryImportError) as caught:
        service.import_file(store, write_csv(tmp_path / "bad.csv", [changed, *GOOD[1:], *BAD]))
    located = [(e.row, e.column) for e in caught.value.errors]
    assert located == [(6, "网站标识码"), (7, "首页网址"), (8, "类别")]
    assert snapshot(store) == before


def test_reimport_updates_by_key(store: Store, tmp_path: Path) -> None:
    service.import_file(store, write_csv(tmp_path / "a.csv", GOOD))
    renamed = [GOOD[0], GOOD[1].replace("上饶市人民政府,", "上饶市人民政府门户网站,", 1), *GOOD[2:]]
    report = service.import_file(store, write_csv(tmp_path / "b.csv", renamed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    with store.session() as session:
        names = {s.site_code: s.name for s in service.sites(session)}
    assert names["3611000003"] == "上饶市人民政府门户网站"


def test_skip_invalid_imports_the_rest_and_reports(store: Store, tmp_path: Path) -> None:
    report = service.import_file(store, write_csv(tmp_path / "mixed.csv", GOOD + BAD), skip_invalid=True)
    assert report.created == 4
    assert report.skipped_rows == 3
    assert len(snapshot(store)) == 4


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_round_trips(store: Store, tmp_path: Path, suffix: str) -> None:
    service.import_file(store, write_csv(tmp_path / "in.csv", GOOD))
    out = tmp_path / f"out{suffix}"
    assert service.export_file(store, out) == 4
    before = snapshot(store)
    with store.session() as session:
        for site in service.sites(session):
            session.delete(site)
    report = service.import_file(store, out)
    assert report.created == 4
    assert snapshot(store) == before


def test_summary_counts_running_sites_by_region_and_category(store: Store, tmp_path: Path) -> None:
    service.import_file(store, write_csv(tmp_path / "in.csv", GOOD))
    with store.session() as session:
        summary = service.site_summary(session)
    assert summary.regions == ["省直部门", "上饶市"]  # 南昌's only site is 关停
    assert summary.total("上饶市") == 2
    assert summary.total(column="县级门户") == 1
    assert summary.total() == 3


def test_cli_import_reports_errors_in_chinese_and_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GOVINSPECT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GOVINSPECT_DATABASE_URL", raising=False)
    runner = CliRunner()
    good = runner.invoke(app, ["registry", "import", str(write_csv(tmp_path / "good.csv", GOOD))])
    assert good.exit_code == 0, good.output
    assert "新增 4" in good.output
    bad = runner.invoke(app, ["registry", "import", str(write_csv(tmp_path / "bad.csv", BAD))])
    assert bad.exit_code == 1
    for row, column in ((2, "网站标识码"), (3, "首页网址"), (4, "类别")):
        assert f"第{row}行“{column}”列" in bad.output
    listed = runner.invoke(app, ["registry", "list"])
    assert listed.exit_code == 0 and "共 4 条" in listed.output
    assert "坏标识码网站" not in listed.output
    assert runner.invoke(app, ["--version"]).output.startswith("govinspect ")


def test_services_column_is_optional_and_kept_when_a_later_file_omits_it(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "services.csv"
    path.write_text(
        f"{HEADERS},对外服务\n{GOOD[3].replace(',关停,', ',运行,')},否\n{GOOD[1]},\n", encoding="utf-8"
    )
    service.import_file(store, path)
    by_code = {r.site_code: r for r in snapshot(store)}
    assert by_code["3601000012"].has_services is False and by_code["3611000003"].has_services is True
    service.import_file(store, write_csv(tmp_path / "plain.csv", GOOD))  # no 对外服务 column: unchanged
    assert {r.site_code: r.has_services for r in snapshot(store)}["3601000012"] is False
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADERS},对外服务\n{GOOD[1]},也许\n", encoding="utf-8")
    with pytest.raises(service.RegistryImportError) as caught:
        service.import_file(store, bad)
    assert "对外服务" in str(caught.value.errors[0])
