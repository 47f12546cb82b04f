"""New media against the farm on loopback: the accounts file and a vendor's post list imported, feeds, H5 pages
and menu links collected, accounts checked and compared with the farm's truth, re-collection incremental, and
the results in the circular's figures."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from govinspect.cli import app
from govinspect.config import load_settings
from govinspect.farm import Farm
from govinspect.farm.newmedia import POST_LEVEL, compare_accounts
from govinspect.newmedia.tables import AccountResult, NewMediaRun, PostRow
from govinspect.registry import service
from govinspect.reports import figures
from govinspect.store import open_store
from govinspect.store.models import Site
from govinspect.store.results import Run, SiteResult

runner = CliRunner()


@pytest.fixture(scope="module")
def checked(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("nm-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GOVINSPECT_HOME", str(home))
        folder = farm_server.root / "newmedia"
        collected = runner.invoke(
            app,
            ["newmedia", "collect", "--accounts", str(folder / "accounts.csv"), "--posts", str(folder / "posts.csv"),
             "--allow-private-networks"],
        )  # fmt: skip
        assert collected.exit_code == 0, collected.output
        out = home / "nm.json"
        result = runner.invoke(
            app, ["newmedia", "check", "--as-of", farm_server.as_of.isoformat(), "--json", str(out)]
        )
        assert result.exit_code == 0, result.output
        again = runner.invoke(app, ["newmedia", "collect", "--allow-private-networks"])
        assert again.exit_code == 0, again.output
    return home, json.loads(out.read_text("utf-8")), collected.output, again.output


def test_findings_match_the_truth(farm_server: Farm, checked) -> None:  # type: ignore[no-untyped-def]
    _home, document, _, _ = checked
    truth = json.loads((farm_server.root / "newmedia" / "truth.json").read_text("utf-8"))
    comparison = compare_accounts(truth, document)
    claimed = {c for c, s in comparison.checks.items() if s.true_positives + s.false_negatives}
    # the small farm has a case of most checks; every claim but the typo notices must be right
    assert {
        "newmedia.stale",
        "newmedia.serious_error",
        "newmedia.no_interaction",
        "newmedia.duplicate",
    } <= claimed
    for check, score in comparison.checks.items():
        if check == "newmedia.typo":  # a notice: the automatic typo checker is confirmed by a person
            continue
        assert (score.false_positives, score.false_negatives) == (0, 0), (check, comparison.false_positives,
                                                                          comparison.misses)  # fmt: skip
    assert comparison.verdicts_agree == comparison.verdicts_judged > 10, comparison.disagreements


def test_json_mirrors_the_site_contract(farm_server: Farm, checked) -> None:  # type: ignore[no-untyped-def]
    _home, document, _, _ = checked
    assert document["as_of"] == farm_server.as_of.isoformat() and document["profile"] == "national-2019"
    assert document["period"] == "2020Q1" and "sites" not in document
    failing = [a for a in document["accounts"] if a["verdict"] == "不合格"]
    assert failing and all(a["vetoes"] and a["score"] is None for a in failing)
    finding = next(f for a in document["accounts"] for f in a["findings"] if f["check"] in POST_LEVEL)
    assert set(finding) == {"check", "severity", "url", "message", "evidence"} and "/a/" in finding["url"]


def test_collection_is_incremental_and_keeps_source_and_time(checked) -> None:  # type: ignore[no-untyped-def]
    home, _, first, again = checked
    assert "失败 0" in first and "新文章 0" in again and "成功 0" in again  # every source answered 304
    store = open_store(load_settings(env={"GOVINSPECT_HOME": str(home)}).database_url)
    with store.session() as session:
        rows = session.scalars(select(PostRow)).all()
        assert {r.source for r in rows} >= {"feed", "page", "import"}
        assert all(r.fetched_at is not None and r.source_url for r in rows)
        run = session.scalars(select(NewMediaRun)).one()
        assert run.status == "finished" and run.summary["judged"] > 10


def test_account_results_reach_the_circular(farm_server: Farm, checked) -> None:  # type: ignore[no-untyped-def]
    home, document, _, _ = checked
    store = open_store(load_settings(env={"GOVINSPECT_HOME": str(home)}).database_url)
    service.import_file(store, farm_server.registry_csv)
    with store.session() as session:  # a finished site run of the same period: every site passed
        run = Run(
            kind="inspect",
            period="2020Q1",
            as_of=date(2020, 3, 31),
            profile="national-2019",
            status="finished",
        )
        session.add(run)
        for site in session.scalars(select(Site)):
            session.add(
                SiteResult(run=run, site_id=site.id, site_code=site.site_code, verdict="合格", score=100.0)
            )
    with store.session() as session:
        numbers = figures.build(session, period="2020Q1")
        judged = session.scalars(select(AccountResult).where(AccountResult.verdict.is_not(None))).all()
    failed = [a for a in document["accounts"] if a["verdict"] == "不合格"]
    running_judged = [a for a in document["accounts"] if a["verdict"] is not None]
    assert numbers.accounts is not None and numbers.accounts.checked == len(running_judged) == len(judged)
    assert numbers.accounts.failed == len(failed) == len(numbers.problem_accounts)
    assert {p.account_id for p in numbers.problem_accounts} == {a["account_id"] for a in failed}
    assert all(p.problems.startswith("单项否决（") for p in numbers.problem_accounts)


def test_a_site_farm_has_new_media_files(farm: Farm) -> None:
    folder = Path(farm.root) / "newmedia"
    truth = json.loads((folder / "truth.json").read_text("utf-8"))
    registry = (farm.root / "accounts.csv").read_text("utf-8-sig").splitlines()
    assert len([a for a in truth["accounts"] if a["listed"]]) >= len(registry) - 1
    assert (folder / "accounts.csv").read_text("utf-8-sig").splitlines()[0].endswith("菜单,采集地址")
