"""Re-scoring a stored run, the column corrections an inspector imports, and ``govinspect show``.

One real inspection of a few farm sites (crawled over loopback) feeds every test; nothing is crawled again.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from govinspect.cli import app
from govinspect.config import load_settings
from govinspect.farm import Farm
from govinspect.fetch.crawl import CrawlOptions
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.registry import service
from govinspect.registry.tabular import read_table, write_table
from govinspect.runs.columns import (
    CLASS,
    COLUMN_URL,
    HEADERS,
    IGNORE,
    MAX_AGE,
    ColumnFileError,
    export_columns,
    import_columns,
)
from govinspect.runs.inspect import InspectOptions, inspect_sites
from govinspect.runs.rescore import RescoreError, rescore_run
from govinspect.runs.show import StoredFinding, StoredResult
from govinspect.scoring.profile import load_profile
from govinspect.store.results import ColumnOverride, Run, SiteResult

FAST = CrawlOptions(max_pages=60, delay=0.0, homepage_retry_spacing_s=0.2, allow_private_networks=True)
LINKS = LinkCheckOptions(retry_spacing=0.05, timeout=5)
PROFILE = load_profile("national-2019")


@pytest.fixture(scope="module")
def inspected(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Three live sites of the small farm, inspected once; the CLI tests point GOVINSPECT_HOME at it."""
    home = tmp_path_factory.mktemp("home")
    settings = load_settings(env={"GOVINSPECT_HOME": str(home)})
    from govinspect.store import open_store

    store = open_store(settings.database_url)
    service.import_file(store, farm_server.registry_csv)
    truth = {s["site_code"]: s["expected_verdict"] for s in farm_server.truth()["sites"]}
    live = [s.site_code for s in farm_server.sites if s.behaviour is None]
    live = sorted(live, key=lambda code: truth[code] != "合格")[:3]  # passing sites first: they have scores
    result = inspect_sites(
        store, settings, live, InspectOptions(as_of=farm_server.as_of, crawl=FAST, links=LINKS)
    )
    yield farm_server, settings, store, result
    store.dispose()


def _counts(result) -> dict[str, tuple[str, int]]:  # type: ignore[no-untyped-def]
    return {o.site_code: (o.score.verdict, len(o.findings)) for o in result.outcomes}


def test_rescore_same_conditions_gives_same_verdicts_and_leaves_the_source_alone(inspected) -> None:  # type: ignore[no-untyped-def]
    _, settings, store, first = inspected
    again = rescore_run(store, settings, first.run_id)
    assert again.run_id != first.run_id
    assert _counts(again) == _counts(first)
    with store.session() as session:
        run = session.get(Run, again.run_id)
        assert run is not None and run.kind == "rescore" and run.source_run_id == first.run_id
        assert run.status == "finished" and run.crawl_id == first.crawl_id
        source_results = session.scalars(select(SiteResult).where(SiteResult.run_id == first.run_id)).all()
        assert len(source_results) == len(first.outcomes)


def test_rescore_a_year_later_finds_everything_stale(inspected) -> None:  # type: ignore[no-untyped-def]
    farm, settings, store, first = inspected
    later = rescore_run(store, settings, first.run_id, as_of=farm.as_of + timedelta(days=400))
    assert later.as_of == farm.as_of + timedelta(days=400)
    for outcome in later.outcomes:
        checks = {f.check for f in outcome.findings}
        assert "freshness.homepage_stale" in checks, outcome.site_code
        assert outcome.score.verdict == "不合格"
        assert "首页不更新" in outcome.score.veto_names


def test_rescore_under_another_profile_records_it(inspected) -> None:  # type: ignore[no-untyped-def]
    _, settings, store, first = inspected
    result = rescore_run(store, settings, first.run_id, profile="jiangxi")
    with store.session() as session:
        assert session.get(Run, result.run_id).profile == "jiangxi"  # type: ignore[union-attr]


def test_rescore_refuses_unknown_runs(inspected) -> None:  # type: ignore[no-untyped-def]
    _, settings, store, _ = inspected
    with pytest.raises(RescoreError, match="没有编号为 9999"):
        rescore_run(store, settings, 9999)


def _rows(path: Path) -> list[dict[str, str]]:
    return [row.values for row in read_table(path).rows]


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    write_table(path, HEADERS, [[row.get(h, "") for h in HEADERS] for row in rows])


def test_ignoring_a_stale_column_removes_its_finding_on_rescore_and_clearing_brings_it_back(
    inspected, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    farm, settings, store, first = inspected
    later = farm.as_of + timedelta(days=400)  # every timed column is stale by then
    before = rescore_run(store, settings, first.run_id, as_of=later)
    stale = next(f for o in before.outcomes for f in o.findings if f.check == "freshness.column_stale")
    code = next(o.site_code for o in before.outcomes if stale in o.findings)

    path = tmp_path / "columns.xlsx"
    assert export_columns(store, path, PROFILE, [code]) >= 1
    rows = _rows(path)
    target = next(row for row in rows if row[COLUMN_URL] == stale.url)
    assert target[CLASS] == "" and target[IGNORE] == ""  # nothing corrected yet
    target[IGNORE] = "是"
    _write(path, rows)
    report = import_columns(store, path, PROFILE)
    assert (report.created, report.updated, report.removed) == (1, 0, 0)

    after = rescore_run(store, settings, first.run_id, as_of=later)
    urls = {f.url for o in after.outcomes for f in o.findings if f.check == "freshness.column_stale"}
    assert stale.url not in urls

    # Export again: the correction is shown; clearing it removes it.
    export_columns(store, path, PROFILE, [code])
    rows = _rows(path)
    target = next(row for row in rows if row[COLUMN_URL] == stale.url)
    assert target[IGNORE] == "是"
    target[IGNORE] = ""
    _write(path, rows)
    assert import_columns(store, path, PROFILE).removed == 1
    back = rescore_run(store, settings, first.run_id, as_of=later)
    assert stale.url in {
        f.url for o in back.outcomes for f in o.findings if f.check == "freshness.column_stale"
    }


def test_a_longer_update_period_is_honoured(inspected, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    farm, settings, store, first = inspected
    later = farm.as_of + timedelta(days=60)
    before = rescore_run(store, settings, first.run_id, as_of=later)
    stale = [f for o in before.outcomes for f in o.findings if f.check == "freshness.column_stale"]
    assert stale
    rows = [
        {"网站标识码": o.site_code, COLUMN_URL: f.url, CLASS: "规划计划", MAX_AGE: "3650"}
        for o in before.outcomes
        for f in o.findings
        if f.check == "freshness.column_stale"
    ]
    path = tmp_path / "corrections.csv"
    _write(path, rows)
    import_columns(store, path, PROFILE)
    after = rescore_run(store, settings, first.run_id, as_of=later)
    assert not [f for o in after.outcomes for f in o.findings if f.check == "freshness.column_stale"]
    with store.session() as session:
        stored = session.scalars(select(ColumnOverride)).all()
        assert {o.column_class for o in stored} == {"plan"} and {o.max_age_days for o in stored} == {3650}
        for override in stored:
            session.delete(override)


def test_bad_correction_rows_name_row_and_column_and_import_nothing(inspected, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, store, first = inspected
    code = first.outcomes[0].site_code
    path = tmp_path / "bad.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        good = {"网站标识码": code, COLUMN_URL: "http://example.gov.cn/col/1/", IGNORE: "是"}
        writer.writerow([good.get(h, "") for h in HEADERS])
        for bad in (
            {"网站标识码": code, COLUMN_URL: "http://example.gov.cn/col/2/", CLASS: "新闻联播"},
            {"网站标识码": code, COLUMN_URL: "http://example.gov.cn/col/3/", MAX_AGE: "-5"},
            {"网站标识码": "0000000000", COLUMN_URL: "http://example.gov.cn/col/4/", IGNORE: "是"},
            {"网站标识码": code, COLUMN_URL: "col/5", IGNORE: "也许"},
        ):
            writer.writerow([bad.get(h, "") for h in HEADERS])
    with pytest.raises(ColumnFileError) as caught:
        import_columns(store, path, PROFILE)
    errors = caught.value.errors
    assert any(e.startswith("第3行“更正类别”列") and "新闻联播" in e for e in errors)
    assert any(e.startswith("第4行“更新周期（天）”列") for e in errors)
    assert any(e.startswith("第5行“网站标识码”列") and "0000000000" in e for e in errors)
    assert any(e.startswith("第6行“栏目地址”列") for e in errors)
    assert any(e.startswith("第6行“忽略”列") for e in errors)
    with store.session() as session:
        assert session.scalars(select(ColumnOverride)).all() == []


def test_cli_show_rescore_and_columns(inspected, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    farm, settings, _, first = inspected
    monkeypatch.setenv("GOVINSPECT_HOME", str(settings.home))
    monkeypatch.delenv("GOVINSPECT_DATABASE_URL", raising=False)
    runner = CliRunner()
    outcome = first.outcomes[0]
    shown = runner.invoke(app, ["show", outcome.site_code, "--run", str(first.run_id)])
    assert shown.exit_code == 0, shown.output
    assert outcome.name in shown.output and outcome.score.verdict in shown.output
    assert f"检查任务：{first.run_id}" in shown.output
    assert runner.invoke(app, ["show", "0000000000"]).exit_code == 1

    later = (farm.as_of + timedelta(days=400)).isoformat()
    out = tmp_path / "rescored.json"
    rescored = runner.invoke(app, ["rescore", str(first.run_id), "--as-of", later, "--json", str(out)])
    assert rescored.exit_code == 0, rescored.output
    assert "合格率：0/3" in rescored.output and later in out.read_text(encoding="utf-8")
    assert runner.invoke(app, ["rescore", "9999"]).exit_code == 1

    exported = tmp_path / "columns.csv"
    result = runner.invoke(app, ["columns", "export", str(exported), "--site", outcome.site_code])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["columns", "import", str(exported)]).exit_code == 0  # nothing corrected
    rows = _rows(exported)
    rows[0][CLASS] = "不存在的类别"
    _write(exported, rows)
    refused = runner.invoke(app, ["columns", "import", str(exported)])
    assert refused.exit_code == 1 and "第2行“更正类别”列" in refused.output


def test_show_prints_crawled_text_literally(capsys) -> None:  # type: ignore[no-untyped-def]
    from govinspect.views import print_stored_result

    hostile = "[bold red]伪造[/bold red] <script>"
    result = StoredResult(
        site_code="3611000003",
        name="测试网站",
        url="http://example.gov.cn/",
        sponsor="测试单位",
        run_id=1,
        run_kind="inspect",
        as_of=__import__("datetime").date(2020, 3, 31),
        profile="national-2019",
        verdict="不合格",
        score=None,
        part2=None,
        part3=None,
        vetoes=["栏目不更新"],
        fired=[{"rule": "column_stale", "name": "栏目不更新", "condition": 2, "count": 5}],
        deductions=[],
        findings=[
            StoredFinding(
                "footer.sponsor", "deduction", "http://example.gov.cn/", hostile, {"printed": hostile}, 7
            )
        ],
    )
    print_stored_result(result)
    out = capsys.readouterr().out
    assert out.count("[bold red]伪造[/bold red]") == 2
    assert "第 3 项条件" in out and "主办单位" in out


def test_a_department_without_services_is_scored_out_of_75_times_four_thirds(inspected) -> None:  # type: ignore[no-untyped-def]
    from govinspect.store.models import Site

    _, settings, store, first = inspected
    # Prefer a site that lost points, where the scaling shows most; any veto-free site will do.
    scored = [o for o in first.outcomes if o.score.score is not None]
    passing = min(scored, key=lambda o: o.score.part2)
    with store.session() as session:
        site = session.scalars(select(Site).where(Site.site_code == passing.site_code)).one()
        site.has_services = False
    try:
        rescored = rescore_run(store, settings, first.run_id)
    finally:
        with store.session() as session:
            session.scalars(select(Site).where(Site.site_code == passing.site_code)).one().has_services = True
    outcome = next(o for o in rescored.outcomes if o.site_code == passing.site_code)
    service_lost = sum(d.points for d in passing.score.deductions if d.group == "service")
    expected = round((passing.score.part2 + service_lost - 25) * 4 / 3, 2)
    assert outcome.score.part2 == pytest.approx(min(expected, 100.0))
    with store.session() as session:
        stored = session.scalars(select(SiteResult).where(SiteResult.run_id == rescored.run_id)).all()
        assert {r.site_code: r.has_services for r in stored}[passing.site_code] is False
