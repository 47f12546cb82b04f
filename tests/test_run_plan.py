"""Periods, run plans (抽查/复查: stratified, reproducible, portals and re-checks always in) and ``run start``
(exactly the plan's sites, into one run of the plan's period; a killed start resumes, a finished one is not redone).
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from typer.testing import CliRunner

from govinspect.cli import app
from govinspect.config import load_settings
from govinspect.farm import Farm
from govinspect.fetch.crawl import CrawlOptions
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.registry import service
from govinspect.runs.inspect import InspectOptions
from govinspect.runs.period import PeriodError, check_as_of, parse_period, quarter_of
from govinspect.runs.plan import (
    Candidate,
    PlanError,
    draw,
    load_plan,
    make_plan,
    parse_ratio,
    parse_strata,
    prepare_start,
    quota,
    start_plan,
)
from govinspect.store import Store, open_store
from govinspect.store.models import Site
from govinspect.store.results import Plan, PlanSite, Run, SiteResult
from tests.conftest import quick_cli_crawls
from tests.test_reports_data import JIANGXI, populate

FAILED_2020Q1 = {"3601000019", "3611000003", "3611000058", "3611280006"}
PORTALS = {"省级门户", "市级门户", "县级门户"}


# -- periods ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "label"),
    [
        ("2020Q1", "2020Q1", "2020年第一季度"),
        ("2020q4", "2020Q4", "2020年第四季度"),
        ("2020-Q2", "2020Q2", "2020年第二季度"),
        ("2020年第三季度", "2020Q3", "2020年第三季度"),
        ("2020-03", "2020-03", "2020年3月"),
        ("2020-3", "2020-03", "2020年3月"),
        ("202012", "2020-12", "2020年12月"),
        ("2020年3月", "2020-03", "2020年3月"),
    ],
)
def test_periods_are_read_in_the_usual_spellings_and_stored_in_one(
    text: str, canonical: str, label: str
) -> None:
    period = parse_period(text)
    assert (period.text, period.label) == (canonical, label)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2020Q5", "格式不对"),
        ("2020-13", "不在 1–12"),
        ("20201", "格式不对"),
        ("", "不能为空"),
        ("1999Q1", "年份"),
    ],
)
def test_bad_periods_get_a_chinese_error(text: str, words: str) -> None:
    with pytest.raises(PeriodError, match=words):
        parse_period(text)


def test_period_bounds_and_as_of() -> None:
    q1 = parse_period("2020Q1")
    assert (q1.start, q1.end) == (date(2020, 1, 1), date(2020, 3, 31))
    assert parse_period("2020-02").end == date(2020, 2, 29)
    assert parse_period("2020Q4").end == date(2020, 12, 31)
    assert quarter_of(date(2020, 5, 6)).text == "2020Q2"
    check_as_of(q1, date(2020, 4, 15))  # checked late: allowed
    with pytest.raises(PeriodError, match="早于检查期"):
        check_as_of(q1, date(2019, 12, 31))


# -- the draw -----------------------------------------------------------------------------------------------------


def test_ratio_is_exact_and_rounded_up_per_stratum() -> None:
    assert parse_ratio("0.6") == parse_ratio("60%") == parse_ratio("3/5") == Fraction(3, 5)
    assert quota(Fraction(3, 5), 5) == 3  # 0.6 × 5 in floats is 3.0000000000000004: not 4
    assert quota(Fraction(3, 10), 7) == 3  # 2.1 → 3
    assert quota(Fraction(1, 100), 1) == 1  # a non-empty stratum gets at least one site
    assert quota(Fraction(0), 5) == 0 and quota(None, 5) == 5
    for bad, words in (("1.2", "0 与 1"), ("abc", "格式不对"), ("-10%", "0 与 1")):
        with pytest.raises(PlanError, match=words):
            parse_ratio(bad)


def test_strata_fields() -> None:
    assert parse_strata(None) == ("region", "category")
    assert parse_strata("类别，所属地区") == ("category", "region")
    assert parse_strata("none") == ()
    with pytest.raises(PlanError, match="不是可分层的字段"):
        parse_strata("region,colour")


def _population(per_cell: int = 9) -> list[Candidate]:
    people = []
    for r, region in enumerate(("甲市", "乙市", "丙市")):
        for c, category in enumerate(("市级门户", "市级部门", "县级以下")):
            count = 1 if category == "市级门户" else per_cell
            for n in range(count):
                code = f"21{r:02d}{c:02d}{n:04d}"
                people.append(
                    Candidate(len(people) + 1, code, f"网站{code}", region, category, f"单位{code}")
                )
    return people


def test_the_draw_is_stratified_reproducible_and_keeps_portals_and_rechecks() -> None:
    people = _population()
    rechecks = frozenset({"2101010003", "2102020007"})
    ratio = Fraction(3, 10)
    first = draw(people, ratio=ratio, by=("region", "category"), seed=2020, rechecks=rechecks)
    again = draw(list(reversed(people)), ratio=ratio, by=("region", "category"), seed=2020, rechecks=rechecks)
    assert first == again  # the input order does not matter either
    other = draw(people, ratio=ratio, by=("region", "category"), seed=2021, rechecks=rechecks)
    assert {d.candidate.site_code for d in other} != {d.candidate.site_code for d in first}
    taken = Counter(d.stratum for d in first)
    for stratum, total in Counter((p.region, p.category) for p in people).items():
        mandatory = sum(
            1 for p in people if (p.region, p.category) == stratum and (p.portal or p.site_code in rechecks)
        )
        assert taken[stratum] == max(quota(ratio, total), mandatory), stratum
    codes = {d.candidate.site_code for d in first}
    assert {p.site_code for p in people if p.portal} <= codes
    assert rechecks <= codes
    assert {d.candidate.site_code for d in first if d.recheck} == rechecks
    assert not any(d.drawn for d in first if d.portal or d.recheck)
    # strata in the circular's order: regions by their first site code, categories in attachment order
    assert [d.stratum for d in first][:2] == [("甲市", "市级门户"), ("甲市", "市级部门")]


def test_a_site_added_to_one_stratum_leaves_the_others_draw_alone() -> None:
    people = _population()
    before = draw(people, ratio=Fraction(1, 2), by=("region", "category"), seed=7)
    newcomer = Candidate(999, "2100019999", "新网站", "甲市", "市级部门", "新单位")
    after = draw([*people, newcomer], ratio=Fraction(1, 2), by=("region", "category"), seed=7)

    def outside(drawn):  # type: ignore[no-untyped-def]
        return [d.candidate.site_code for d in drawn if d.stratum != ("甲市", "市级部门")]

    assert outside(before) == outside(after)


# -- stored plans -------------------------------------------------------------------------------------------------


def test_a_plan_rechecks_last_quarters_failures_and_checks_every_portal(store: Store) -> None:
    populate(store, JIANGXI)  # 538 running sites; 2020Q1 failed four of them
    with store.session() as session:  # one failed site has since been closed: it cannot be re-checked
        session.execute(update(Site).where(Site.site_code == "3611000058").values(status="关停"))
    plan = make_plan(
        store,
        parse_period("2020Q2"),
        ratio=Fraction(3, 10),
        include_failed_from=parse_period("2020Q1"),
        seed=42,
    )
    codes = set(plan.site_codes)
    assert {s.site_code for s in plan.sites if s.recheck} == FAILED_2020Q1 - {"3611000058"}
    assert "3611000058" not in codes and "3611000058" in plan.notes[0] and "已不在运行" in plan.notes[0]
    with store.session() as session:
        running = list(session.scalars(select(Site).where(Site.status == "运行")))
    assert plan.population == len(running) == 537
    assert {s.site_code for s in running if s.category in PORTALS} <= codes
    assert sum(r.total for r in plan.strata) == 537
    for row in plan.strata:
        assert row.sampled >= quota(Fraction(3, 10), row.total) >= 1
    assert len(plan.sites) == sum(r.sampled for r in plan.strata)
    # stored: read back the same; drawn again with the same registry, seed and arguments: the same sites
    assert load_plan(store, plan.id).sites == plan.sites
    twin = make_plan(
        store,
        parse_period("2020Q2"),
        ratio=Fraction(3, 10),
        include_failed_from=parse_period("2020Q1"),
        seed=42,
    )
    assert twin.id != plan.id and twin.sites == plan.sites
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Plan)) == 2
        assert session.scalar(select(func.count()).select_from(PlanSite)) == 2 * len(plan.sites)


def test_rechecks_need_a_finished_earlier_period(store: Store) -> None:
    populate(store, JIANGXI[:2])
    with pytest.raises(PlanError, match=r"2019Q4.*没有已完成的检查任务"):
        make_plan(
            store, parse_period("2020Q2"), ratio=Fraction(1, 2), include_failed_from=parse_period("2019Q4")
        )
    with pytest.raises(PlanError, match="晚于本期"):
        make_plan(
            store, parse_period("2020Q1"), ratio=Fraction(1, 2), include_failed_from=parse_period("2020Q2")
        )
    with pytest.raises(PlanError, match="没有编号为 99 的检查计划"):
        load_plan(store, 99)


@pytest.fixture
def cli_env(store: Store, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("GOVINSPECT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GOVINSPECT_DATABASE_URL", store_url)
    monkeypatch.chdir(tmp_path)
    return store


def test_cli_run_plan_prints_the_strata_and_stores_the_plan(cli_env: Store) -> None:
    populate(cli_env, JIANGXI)
    runner = CliRunner()
    args = ["run", "plan", "--period", "2020年第二季度", "--ratio", "30%", "--include-failed-from", "2020Q1"]
    made = runner.invoke(app, [*args, "--seed", "5"], terminal_width=200)
    assert made.exit_code == 0, made.output
    for words in (
        "检查计划 1",
        "2020年第二季度",
        "运行网站",
        "抽取",
        "其中门户",
        "其中复查",
        "南昌市",
        "合计",
        "随机种子 5",
    ):
        assert words in made.output, words
    assert "计划已保存，编号 1" in made.output
    with cli_env.session() as session:
        plan = session.get(Plan, 1)
        assert plan is not None and (plan.period, plan.ratio, plan.seed) == ("2020Q2", "3/10", 5)
        assert plan.include_failed_from == "2020Q1" and plan.strata == ["region", "category"]
    shown = runner.invoke(app, ["run", "plan", "--show", "1"], terminal_width=200)
    assert shown.exit_code == 0 and "3611280006" in shown.output and "复查" in shown.output
    listed = runner.invoke(app, ["run", "plans"], terminal_width=200)
    assert listed.exit_code == 0 and "2020Q2" in listed.output and "共 1 个" in listed.output
    unseeded = runner.invoke(app, ["run", "plan", "--period", "2020Q2", "--all"], terminal_width=200)
    assert unseeded.exit_code == 0 and "100%（全部）" in unseeded.output
    with cli_env.session() as session:
        assert session.scalar(select(func.count()).select_from(PlanSite).where(PlanSite.plan_id == 2)) == 538


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--period", "2020Q5", "--ratio", "0.3"], "格式不对"),
        (["--period", "2020Q2"], "--ratio"),
        (["--period", "2020Q2", "--ratio", "0.3", "--all"], "--ratio"),
        (["--period", "2020Q2", "--ratio", "2"], "0 与 1"),
        (["--period", "2020Q2", "--ratio", "0.3", "--by", "省份"], "不是可分层的字段"),
        (["--ratio", "0.3"], "--period"),
    ],
)
def test_cli_run_plan_refuses_bad_arguments_in_chinese(cli_env: Store, args: list[str], words: str) -> None:
    result = CliRunner().invoke(app, ["run", "plan", *args], terminal_width=200)
    assert result.exit_code != 0
    assert words in result.output
    with cli_env.session() as session:
        assert session.scalar(select(func.count()).select_from(Plan)) == 0


# -- run start against the farm -------------------------------------------------------------------------------

KEEP = ("2101000001", "2110000005", "2101020007")  # a city portal, a department, a site that is down
CLOSED = "2101020007"  # closed after the plan was drawn: skipped by run start, and said so
FAST = CrawlOptions(
    max_pages=40, delay=0.0, homepage_retry_spacing_s=0.2, allow_private_networks=True, concurrency_per_host=4
)


def _fast(farm: Farm) -> InspectOptions:
    return InspectOptions(
        as_of=farm.as_of,
        crawl=FAST,
        links=LinkCheckOptions(retry_spacing=0.05, timeout=5),
        render=False,
        screenshots=False,
    )


@pytest.fixture(scope="module")
def planned(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The farm's registry with three sites running, planned in full for 2020Q1; one of them closed since; the
    plan started from the command line (first without --allow-private-networks, refused)."""
    home = tmp_path_factory.mktemp("plan-home")
    patch = pytest.MonkeyPatch()
    quick_cli_crawls(patch)  # no politeness delay between a farm site's requests
    patch.setenv("GOVINSPECT_HOME", str(home))
    patch.delenv("GOVINSPECT_DATABASE_URL", raising=False)
    settings = load_settings()
    store = open_store(settings.database_url)
    service.import_file(store, farm_server.registry_csv)
    with store.session() as session:
        session.execute(update(Site).where(Site.site_code.not_in(KEEP)).values(status="关停"))
    runner = CliRunner()
    made = runner.invoke(
        app, ["run", "plan", "--period", "2020Q1", "--all", "--seed", "1"], terminal_width=200
    )
    assert made.exit_code == 0, made.output
    with store.session() as session:
        session.execute(update(Site).where(Site.site_code == CLOSED).values(status="关停"))
    out = home / "plan.json"
    args = ["run", "start", "1", "--as-of", farm_server.as_of.isoformat(), "--max-pages", "5"]
    refused = runner.invoke(app, args, terminal_width=200)
    started = runner.invoke(app, [*args, "--allow-private-networks", "--json", str(out)], terminal_width=200)
    yield farm_server, store, settings, refused, started, out
    store.dispose()
    patch.undo()


def test_run_start_inspects_exactly_the_plan_in_its_period(planned) -> None:  # type: ignore[no-untyped-def]
    import json

    farm, store, _, refused, started, out = planned
    assert refused.exit_code == 2 and "--allow-private-networks" in refused.output
    assert started.exit_code == 0, started.output
    assert "检查计划：1" in started.output and "合格率" in started.output
    assert "1 家网站已不在运行，未检查" in started.output and CLOSED in started.output
    with store.session() as session:
        assert sorted(load_plan(store, 1).site_codes) == sorted(KEEP)
        runs = list(session.scalars(select(Run)))
        assert len(runs) == 1  # the refused start created nothing
        run = runs[0]
        assert (run.plan_id, run.period, run.status, run.as_of, run.kind) == (
            1,
            "2020Q1",
            "finished",
            farm.as_of,
            "inspect",
        )
        assert run.options["skipped"] == [CLOSED] and run.options["crawl"]["max_pages"] == 5
        codes = sorted(session.scalars(select(SiteResult.site_code).where(SiteResult.run_id == run.id)))
    expected = sorted(c for c in KEEP if c != CLOSED)
    assert codes == expected
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["period"] == "2020Q1" and data["run_id"] == run.id and data["as_of"] == farm.as_of.isoformat()
    assert [s["site_code"] for s in data["sites"]] == expected


def test_a_finished_plan_is_not_redone_without_again(planned) -> None:  # type: ignore[no-untyped-def]
    farm, store, _, _, _, _ = planned
    with pytest.raises(PlanError, match=r"已由检查任务 1 检查完毕.*--again"):
        prepare_start(store, 1, as_of=farm.as_of)
    again = prepare_start(store, 1, as_of=farm.as_of, again=True)
    assert again.resume_run is None and again.skipped == (CLOSED,)
    assert sorted(again.codes) == sorted(c for c in KEEP if c != CLOSED)


def test_a_killed_start_resumes_the_same_run(planned) -> None:  # type: ignore[no-untyped-def]
    farm, store, settings, _, _, _ = planned
    # What a kill leaves: the run still "running", the results of the sites judged before it, and the process
    # that started it (here a live one: it may still be at work).
    with store.session() as session:
        run = session.get(Run, 1)
        assert run is not None
        session.execute(
            delete(SiteResult).where(SiteResult.run_id == 1, SiteResult.site_code == "2110000005")
        )
        run.status, run.finished_at = "running", None
        run.options = {**run.options, "attempts": [{**run.options["attempts"][-1], "pid": os.getppid()}]}
    runner = CliRunner()
    args = ["run", "start", "1", "--allow-private-networks"]
    busy = runner.invoke(app, args, terminal_width=200)
    assert busy.exit_code == 1 and "可能仍在由本机进程" in busy.output and "--takeover" in busy.output
    moved = runner.invoke(app, [*args, "--as-of", "2020-03-30", "--takeover"], terminal_width=200)
    assert moved.exit_code == 1 and "须沿用其监测时间点" in moved.output
    start = prepare_start(store, 1, takeover=True)
    assert (start.resume_run, start.done, start.codes, start.as_of) == (1, 1, ("2110000005",), farm.as_of)
    resumed = start_plan(store, settings, start, _fast(farm))
    assert resumed.run_id == 1
    assert [o.site_code for o in resumed.outcomes] == ["2101000001", "2110000005"]  # the first attempt's too
    with store.session() as session:
        run = session.get(Run, 1)
        assert run is not None and run.status == "finished" and len(run.options["attempts"]) == 2
        assert run.options["attempts"][-1]["sites"] == 1 and len(run.options["crawls"]) == 2
        assert run.options["crawl"]["max_pages"] == FAST.max_pages  # this attempt's crawl settings
        codes = sorted(session.scalars(select(SiteResult.site_code).where(SiteResult.run_id == 1)))
        assert session.scalar(select(func.count()).select_from(Run)) == 1
    assert codes == ["2101000001", "2110000005"]  # every site once: nothing double-counted
    from govinspect.reports import figures as fig

    with store.session() as session:
        figures = fig.compute(fig.load_source(session, period="2020Q1"))
    assert figures.overall.checked == 2 and figures.run_ids == (1,)
