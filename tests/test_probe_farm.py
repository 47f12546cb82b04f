"""Probing the farm: a round through the monitor's function (stored, classed per behaviour), then a week of real
probes (made now, filed at the times a monitor would have made them in the week before as_of) judged by
availability.unreachable, as a run attaches them (monitor/history.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from govinspect.checks.availability import PROBE_ZONE, check_unreachable, probe_window
from govinspect.extract.model import Expected, Homepage, SiteModel
from govinspect.farm import Farm
from govinspect.fetch.probe import ProbeOptions, probe_sites
from govinspect.monitor.history import probe_history, weekly_uptime
from govinspect.monitor.rounds import probe_targets, run_probe_round
from govinspect.registry import service
from govinspect.scoring.profile import load_profile
from govinspect.store import Store, open_store
from govinspect.store.probes import save_probes

PROFILE = load_profile("national-2019")
OPTIONS = ProbeOptions(timeout=5, allow_private_networks=True, vantage="farm", concurrency=64)


@pytest.fixture(scope="module")
def farm_store(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('probe-farm') / 'db.sqlite'}")
    service.import_file(store, farm_server.registry_csv)
    yield store
    store.dispose()


def test_a_round_probes_every_running_site_and_stores_what_it_saw(
    farm_server: Farm, farm_store: Store
) -> None:
    report = run_probe_round(farm_store, OPTIONS)
    seen = {r.site_code: r for r in report.results}
    assert set(seen) == {s.site_code for s in farm_server.sites} and report.stored == len(seen)
    for site in farm_server.sites:
        result = seen[site.site_code]
        if site.down:
            assert result.error == "connect", result
        elif site.behaviour != "flaky":  # a flaky site may be at its reset
            # the firewall refuses agents without "Mozilla/": ours says it; https sites open unverified
            assert result.ok and result.status == 200, result
    assert report.record()["probes"] == len(farm_server.sites)


def test_a_week_of_probes_finds_the_flaky_site_and_the_down_one(
    farm_server: Farm, farm_store: Store, tmp_path: Path
) -> None:
    # two days instead of seven keep the test short (the farm serves from this process): a province's profile
    # may change the window like any other threshold
    (tmp_path / "two-days.yaml").write_text("extends: national-2019\navailability:\n  probe_days: 2\n")
    profile = load_profile("two-days", user_dir=tmp_path)
    as_of = date(2020, 3, 31)
    start, end = probe_window(as_of, 2)
    per_site = 2 * 20
    targets = probe_targets(farm_store)
    results = probe_sites([t for t in targets for _ in range(per_site)], OPTIONS)
    first = datetime.combine(start, time(0, 10), PROBE_ZONE)
    step = timedelta(days=2) / per_site
    counters: dict[str, int] = {}
    filed = []
    for result in results:
        k = counters[result.site_code] = counters.get(result.site_code, -1) + 1
        filed.append(replace(result, probed_at=first + step * k))
    save_probes(farm_store, filed)

    flagged, notices = set(), set()
    for site in farm_server.sites:
        probes = probe_history(farm_store, site.site_code, as_of, profile)
        assert len(probes) == per_site
        model = SiteModel(
            Expected(site.site_code, site.name, "主办单位"), Homepage(site.homepage_url, ()), probes=probes
        )
        for finding in check_unreachable(model, profile, as_of):
            (notices if finding.severity == "notice" else flagged).add(site.site_code)
            assert finding.url == site.homepage_url
    truth = {s["site_code"] for s in farm_server.truth()["sites"] if any(d["check"] == "availability.unreachable" for d in s["defects"])}  # fmt: skip
    down = {s.site_code for s in farm_server.sites if s.down}
    assert truth and down and not notices
    # the down site is unreachable all week too; the farm's truth names it down_at_check only (no probe history)
    assert flagged == truth | down
    uptime = weekly_uptime(farm_store, as_of, profile)
    assert all(uptime[code].uptime == 0 for code in down)
    assert all(0.6 < (uptime[code].uptime or 0) < 0.9 for code in truth)  # one connection in four reset
    assert all(
        uptime[s.site_code].uptime == 1
        for s in farm_server.sites
        if s.behaviour in (None, "slow", "firewall")
    )
    assert (uptime[next(iter(truth))].start, uptime[next(iter(truth))].end) == (start, end)


def test_cli_probe_prints_a_round_and_stores_it(farm_server: Farm, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from govinspect.cli import app

    monkeypatch.setenv("GOVINSPECT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GOVINSPECT_DATABASE_URL", raising=False)
    monkeypatch.delenv("GOVINSPECT_BROKER_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["registry", "import", str(farm_server.registry_csv)]).exit_code == 0
    down = next(s for s in farm_server.sites if s.down)
    live = next(s for s in farm_server.sites if s.behaviour is None)
    args = [
        "probe",
        "--site",
        down.site_code,
        "--site",
        live.site_code,
        "--rounds",
        "2",
        "--allow-private-networks",
    ]
    result = runner.invoke(app, [*args, "--vantage", "cli-test"])
    assert result.exit_code == 0, result.output
    assert "无法建立连接" in result.output and "cli-test" in result.output
    refused = runner.invoke(app, ["probe", "--site", live.site_code])  # loopback, not allowed
    assert refused.exit_code == 0 and "内网地址" in refused.output
    assert runner.invoke(app, ["probe"]).exit_code == 2
    assert runner.invoke(app, ["probe", "--site", "0000000000"]).exit_code == 1
    today = datetime.now(PROBE_ZONE).date()
    shown = runner.invoke(app, ["uptime", "--as-of", (today + timedelta(days=1)).isoformat()])
    assert shown.exit_code == 0, shown.output
    assert down.site_code in shown.output and "0.00%" in shown.output and "100.00%" in shown.output
    store = open_store(f"sqlite:///{tmp_path / 'home' / 'govinspect.db'}")
    try:
        summary = weekly_uptime(store, today + timedelta(days=1), PROFILE)
    finally:
        store.dispose()
    assert summary[down.site_code].probes == 2 and summary[down.site_code].failures == 2
    assert summary[live.site_code].probes == 2 and summary[live.site_code].failures == 0
    assert summary[live.site_code].not_judged == 1  # the refused probe judges nothing
    assert summary[live.site_code].vantages == ("cli-test",)  # the refused probe tells nothing
