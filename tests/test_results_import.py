"""``results import``: the §8 contract validated all or nothing (errors name the site and field), sites checked
against the registry, stored as a run of kind "import" in a period that reports and ``show`` use; round trip
inspect --json → import → the same report figures."""

from __future__ import annotations

import copy
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from govinspect.cli import app
from govinspect.farm import Farm
from govinspect.reports import figures as fig
from govinspect.runs.importer import ResultsImportError, import_results, run_document
from govinspect.store import Store, open_store
from govinspect.store.models import Site, Unit
from govinspect.store.results import FindingRow, Run, SiteResult
from tests.conftest import quick_cli_crawls

SITES = [
    ("3601000001", "南昌市人民政府", "市级门户"),
    ("3601000002", "南昌市教育局", "市级部门"),
    ("3601000003", "南昌市商务局", "市级部门"),
]


def _registry(store: Store) -> None:
    with store.session() as session:
        for code, name, category in SITES:
            session.add(
                Site(
                    site_code=code,
                    name=name,
                    url=f"http://{code}.example.gov.cn/",
                    unit=Unit(name=f"{name}办公室"),
                    region="南昌市",
                    category=category,
                )
            )


def _finding(check: str, severity: str, url: str, **evidence: Any) -> dict[str, Any]:
    return {"check": check, "severity": severity, "url": url, "message": "问题说明", "evidence": evidence}


def _doc() -> dict[str, Any]:
    home = "http://3601000002.example.gov.cn/"
    return {
        "as_of": "2020-03-31",
        "profile": "national-2019",
        "generator": "another-tool 1.0",
        "sites": [
            {
                "site_code": "3601000001",
                "name": "南昌市人民政府",
                "url": "http://3601000001.example.gov.cn/",
                "verdict": "不合格",
                "vetoes": ["站点无法访问"],
                "score": None,
                "findings": [
                    _finding("availability.down_at_check", "veto", "http://3601000001.example.gov.cn/")
                ],
            },
            {
                "site_code": "3601000002",
                "name": "南昌市教育局",
                "url": home,
                "verdict": "合格",
                "vetoes": [],
                "score": 98.0,
                "findings": [
                    _finding("links.broken", "deduction", home, target=home + "a.html"),
                    _finding("links.broken", "deduction", home, target=home + "b.html"),
                    {
                        **_finding("content.typo", "notice", home + "art/1.html", text="按装"),
                        "snapshot_id": 17,
                    },
                ],
            },
            {  # another tool's score, which this profile does not reproduce from the findings (none)
                "site_code": "3601000003",
                "name": "南昌市商务局（旧名）",
                "url": "http://3601000003.example.gov.cn/",
                "verdict": "合格",
                "vetoes": [],
                "score": 95.0,
                "findings": [],
            },
        ],
    }


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _runs(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Run)) or 0


def test_a_valid_file_is_one_finished_import_run_with_its_findings(store: Store, tmp_path: Path) -> None:
    _registry(store)
    report = import_results(store, _write(tmp_path / "q1.json", _doc()))
    assert (report.period, report.period_from, report.sites, report.failed, report.findings) == (
        "2020Q1",
        "监测时间点",
        3,
        1,
        4,
    )
    assert report.rescored == 2  # the third site's score is kept as the file says, without a breakdown
    assert any("3601000003" in n and "以文件为准" in n for n in report.notes)
    assert any("南昌市商务局（旧名）" in n for n in report.notes)  # the name differs from the registry's
    with store.session() as session:
        run = session.get(Run, report.run_id)
        assert run is not None
        assert (run.kind, run.status, run.period, run.profile) == (
            "import",
            "finished",
            "2020Q1",
            "national-2019",
        )
        assert run.options["source_file"] == "q1.json" and run.options["document"] == {
            "generator": "another-tool 1.0"
        }
        results = {
            r.site_code: r for r in session.scalars(select(SiteResult).where(SiteResult.run_id == run.id))
        }
        down, education, commerce = (results[c] for c, _, _ in SITES)
        assert down.vetoes == ["站点无法访问"] and down.fired[0]["rule"] == "unreachable"
        assert (education.score, education.part2, education.part3) == (98.0, 98.0, 0.0)
        assert education.deductions == [
            {"item": "broken_links", "group": "function", "count": 2, "points": 2.0}
        ]
        assert (commerce.score, commerce.part2, commerce.fired, commerce.deductions) == (95.0, None, [], [])
        typo = session.scalar(select(FindingRow).where(FindingRow.check == "content.typo"))
        assert typo is not None and typo.snapshot_id is None  # another database's snapshot: kept as evidence
        assert typo.evidence == {"text": "按装", "imported_snapshot_id": 17} and typo.severity == "notice"
    # reported like any run of the period
    with store.session() as session:
        figures = fig.build(session, period="2020Q1")
    assert (figures.overall.checked, figures.overall.failed, figures.run_ids) == (3, 1, (report.run_id,))
    assert [p.site_code for p in figures.problem_sites] == ["3601000001"]


def test_every_problem_is_listed_with_its_site_and_field_and_nothing_is_stored(
    store: Store, tmp_path: Path
) -> None:
    _registry(store)
    doc = _doc()
    del doc["sites"][0]["url"]
    doc["sites"][1]["verdict"] = "通过"
    doc["sites"][1]["findings"][0]["severity"] = "high"
    doc["sites"][2]["score"] = -3
    doc["sites"].append(copy.deepcopy(doc["sites"][2]) | {"score": 90})
    doc["sites"].append(
        {
            "site_code": "3601000009",
            "name": "x",
            "url": "",
            "verdict": "合格",
            "vetoes": ["站点无法访问"],
            "score": 80,
            "findings": [],
        }
    )
    with pytest.raises(ResultsImportError) as caught:
        import_results(store, _write(tmp_path / "bad.json", doc))
    errors = caught.value.errors
    expected = [
        "第 1 个网站（sites[0]，3601000001）：url 应为字符串",
        "第 2 个网站（sites[1]，3601000002）：verdict 应为“合格”或“不合格”",
        "第 2 个网站（sites[1]，3601000002）的 findings[0].severity 应为 veto、deduction 或 notice",
        "第 3 个网站（sites[2]，3601000003）：score 应为非负数或 null",
        "第 4 个网站（sites[3]，3601000003）：网站标识码与第 3 个网站重复",
        "第 5 个网站（sites[4]，3601000009）：有单项否决（站点无法访问），verdict 却为",
    ]
    for words in expected:
        assert any(words in e for e in errors), (words, errors)
    assert "未导入任何结果" in str(caught.value)
    assert _runs(store) == 0


def test_unknown_site_codes_are_named_and_nothing_is_stored(store: Store, tmp_path: Path) -> None:
    _registry(store)
    doc = _doc()
    doc["sites"][1]["site_code"] = "3699000001"
    with pytest.raises(ResultsImportError, match="名录中没有 1 个网站标识码：3699000001") as caught:
        import_results(store, _write(tmp_path / "unknown.json", doc))
    assert "registry import" in str(caught.value)
    assert caught.value.errors == [
        "第 2 个网站（sites[1]，3699000001）：名录中没有这个网站标识码（南昌市教育局）"
    ]
    assert _runs(store) == 0


def test_the_period_comes_from_the_option_the_file_or_the_quarter(store: Store, tmp_path: Path) -> None:
    _registry(store)
    path = _write(tmp_path / "q1.json", _doc())
    assert import_results(store, path, period="2020-03").period == "2020-03"
    with pytest.raises(ResultsImportError, match="已于检查任务 1 导入过"):
        import_results(store, path)
    again = import_results(store, path, again=True)
    assert (again.period, again.period_from) == ("2020Q1", "监测时间点")
    own = _write(tmp_path / "own.json", _doc() | {"period": "2020年第一季度"})
    assert (import_results(store, own).period, import_results(store, own, again=True).period_from) == (
        "2020Q1",
        "文件",
    )
    with pytest.raises(ResultsImportError, match="早于检查期 2020Q2"):
        import_results(store, _write(tmp_path / "late.json", _doc()), period="2020Q2")
    with pytest.raises(ResultsImportError, match="格式不对"):
        import_results(store, _write(tmp_path / "q.json", _doc()), period="2020Q7")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"as_of": "2020-03-31", "sites": [', "不是有效的 JSON：第 1 行"),
        ('{"as_of": "2020-03-31", "profile": "p", "sites": [{"score": NaN}]}', "NaN"),
        ("[1, 2]", "应为 JSON 对象"),
    ],
)
def test_unreadable_files_get_a_chinese_error(store: Store, tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ResultsImportError, match=words):
        import_results(store, path)
    bad = tmp_path / "gbk.json"
    bad.write_bytes('{"as_of": "二〇二〇"}'.encode("gbk"))
    with pytest.raises(ResultsImportError, match="不是 UTF-8"):
        import_results(store, bad)


def test_missing_top_level_fields_are_listed(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ResultsImportError) as caught:
        import_results(store, _write(tmp_path / "empty.json", {"as_of": "31/03/2020", "sites": []}))
    assert any("as_of 应为 YYYY-MM-DD" in e for e in caught.value.errors)
    assert any("缺少 profile" in e for e in caught.value.errors)
    assert any("sites 为空" in e for e in caught.value.errors)


@pytest.fixture
def cli_env(store: Store, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("GOVINSPECT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GOVINSPECT_DATABASE_URL", store_url)
    monkeypatch.chdir(tmp_path)
    return store


def test_cli_import_then_show_and_export(cli_env: Store, tmp_path: Path) -> None:
    _registry(cli_env)
    runner = CliRunner()
    bad = _doc()
    bad["sites"][2]["verdict"] = "通过"
    refused = runner.invoke(
        app, ["results", "import", str(_write(tmp_path / "bad.json", bad))], terminal_width=200
    )
    assert refused.exit_code == 1
    assert (
        "第 3 个网站（sites[2]，3601000003）：verdict" in refused.output
        and "未导入任何结果" in refused.output
    )
    done = runner.invoke(
        app, ["results", "import", str(_write(tmp_path / "q1.json", _doc()))], terminal_width=200
    )
    assert done.exit_code == 0, done.output
    assert (
        "网站 3 家（不合格 1 家）" in done.output and "检查期 2020Q1（按监测时间点所在季度）" in done.output
    )
    for code, words in (
        ("3601000001", "单项否决：站点无法访问"),
        ("3601000002", "扣分项 98.00"),
        ("3601000003", "得分：95.00"),
    ):
        shown = runner.invoke(app, ["show", code], terminal_width=200)
        assert shown.exit_code == 0, shown.output
        assert "（导入）" in shown.output and words in shown.output
    out = tmp_path / "back.json"
    exported = runner.invoke(app, ["results", "export", "1", str(out)], terminal_width=200)
    assert exported.exit_code == 0, exported.output
    back = json.loads(out.read_text(encoding="utf-8"))
    original = _doc()
    assert (back["as_of"], back["profile"], back["period"], back["kind"]) == (
        "2020-03-31",
        "national-2019",
        "2020Q1",
        "import",
    )
    for mine, theirs in zip(back["sites"], original["sites"], strict=True):
        for key in ("site_code", "verdict", "vetoes", "score"):
            assert mine[key] == theirs[key]
        assert [f["check"] for f in mine["findings"]] == [f["check"] for f in theirs["findings"]]


# -- round trip against the farm ------------------------------------------------------------------------------

TWO = ("2101000001", "2110000005")


def _comparable(figures: fig.Figures, *, messages: bool) -> dict[str, Any]:
    """Every figure but the run ids; without the models, the message statistics (read from models) too."""
    skip = {"run_ids"} | (set() if messages else {"message_rows", "message_total"})
    values = {f.name: getattr(figures, f.name) for f in fields(figures) if f.name not in skip}
    keep = {f.name for f in fields(fig.SiteRecord)} - {"run_id"} - (set() if messages else {"messages"})
    values["sites"] = [{k: getattr(s, k) for k in keep} for s in figures.sites]
    return values


def test_inspect_json_imported_gives_the_same_report(farm_server: Farm, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from govinspect.config import load_settings
    from govinspect.runs.rescore import rescore_run

    quick_cli_crawls(monkeypatch)  # no politeness delay, link retries 0.05 s apart
    monkeypatch.setenv("GOVINSPECT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GOVINSPECT_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["registry", "import", str(farm_server.registry_csv)]).exit_code == 0
    out = tmp_path / "inspect.json"
    args = [
        "inspect",
        "--as-of",
        farm_server.as_of.isoformat(),
        "--max-pages",
        "5",
        "--allow-private-networks",
    ]
    wrong = runner.invoke(app, [*args, "--site", TWO[0], "--period", "2020Q2"], terminal_width=200)
    assert (
        wrong.exit_code == 2 and "早于检查期 2020Q2" in wrong.output
    )  # validated before anything is crawled
    sites = [x for code in TWO for x in ("--site", code)]
    inspected = runner.invoke(
        app, [*args, *sites, "--period", "2020年3月", "--json", str(out)], terminal_width=200
    )
    assert inspected.exit_code == 0, inspected.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["period"] == "2020-03" and data["run_id"] == 1
    imported = runner.invoke(app, ["results", "import", str(out)], terminal_width=200)
    assert imported.exit_code == 0, imported.output
    assert "检查期 2020-03（取自文件）" in imported.output
    with_models = tmp_path / "models.json"
    assert runner.invoke(app, ["results", "export", "1", str(with_models), "--with-models"]).exit_code == 0
    assert runner.invoke(app, ["results", "import", str(with_models)]).exit_code == 0
    store = open_store(load_settings().database_url)
    try:
        with store.session() as session:
            kinds = list(session.scalars(select(Run.kind).order_by(Run.id)))
            assert kinds == ["inspect", "import", "import"]
            original = fig.build(session, run_id=1)
            plain = fig.build(session, run_id=2)
            full = fig.build(session, run_id=3)
            by_period = fig.build(session, period="2020-03")  # the latest run (an import) for every site
            models = {
                run_id: dict(
                    session.execute(
                        select(SiteResult.site_code, SiteResult.model).where(SiteResult.run_id == run_id)
                    ).all()
                )
                for run_id in (1, 2, 3)
            }
        assert models[3] == models[1] and all(models[1].values())  # message statistics read these
        assert models[2] == {code: {} for code in TWO}
        assert any(s.problems for s in original.sites)  # deduction findings counted in the figures
        assert _comparable(plain, messages=False) == _comparable(original, messages=False)
        assert _comparable(full, messages=True) == _comparable(original, messages=True)
        assert _comparable(by_period, messages=True) == _comparable(original, messages=True)
        assert by_period.run_ids == (1, 2, 3)
        # The stored results match field for field, and the import with models re-scores like the original.
        for run_id in (2, 3):
            document = run_document(store, run_id)
            for mine, theirs in zip(document["sites"], data["sites"], strict=True):
                for key in ("site_code", "verdict", "vetoes", "score"):
                    assert mine[key] == theirs[key]
                assert [(f["check"], f["severity"], f["url"], f["message"]) for f in mine["findings"]] == [
                    (f["check"], f["severity"], f["url"], f["message"]) for f in theirs["findings"]
                ]
        again = rescore_run(store, load_settings(), 3)
        assert [o.score.verdict for o in again.outcomes] == [s["verdict"] for s in data["sites"]]
    finally:
        store.dispose()
