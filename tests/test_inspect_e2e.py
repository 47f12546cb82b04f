"""The whole inspection against the farm on loopback: crawl, verify links, extract, check, score, store, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from govinspect.checks.registry import WEBSITE_CHECK_IDS
from govinspect.cli import app
from govinspect.config import load_settings
from govinspect.farm import Farm
from govinspect.farm.compare import compare
from govinspect.fetch.crawl import CrawlOptions
from govinspect.fetch.linkcheck import LinkCheckOptions
from govinspect.registry import service
from govinspect.runs.contract import document
from govinspect.runs.inspect import InspectOptions, inspect_sites
from govinspect.store import open_store
from govinspect.store.results import FindingRow, Run, SiteResult
from tests.conftest import quick_cli_crawls

FAST = CrawlOptions(
    max_pages=120,
    delay=0.0,
    homepage_retry_spacing_s=0.2,
    allow_private_networks=True,
    concurrency_per_host=4,
)
LINKS = LinkCheckOptions(retry_spacing=0.05, timeout=5)


@pytest.fixture(scope="module")
def inspected(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("home")
    settings = load_settings(env={"GOVINSPECT_HOME": str(home)})
    store = open_store(settings.database_url)
    report = service.import_file(store, farm_server.registry_csv)
    # no screenshots: nothing here reads them (tests/test_inspect_js.py does), and each is a Chromium page load
    options = InspectOptions(
        as_of=farm_server.as_of,
        crawl=FAST,
        links=LINKS,
        ca_file=str(farm_server.ca_file),
        screenshots=False,
    )
    result = inspect_sites(store, settings, [str(k) for k in report.keys], options)
    yield farm_server, store, result
    store.dispose()


def test_no_false_findings_and_verdicts_agree(inspected) -> None:  # type: ignore[no-untyped-def]
    farm, _, result = inspected
    doc = document(farm.as_of, result.profile.id, result.outcomes)
    comparison = compare(farm.truth(), doc, WEBSITE_CHECK_IDS)
    assert comparison.sites == len(farm.sites)
    assert comparison.false_positives == []
    found = sum(s.true_positives for s in comparison.checks.values())
    missed = sum(s.false_negatives for s in comparison.checks.values())
    assert found >= 10 and missed <= found // 5, comparison.misses
    down = next(s for s in farm.sites if s.down)
    assert next(o for o in result.outcomes if o.site_code == down.site_code).score.veto_names == [
        "站点无法访问"
    ]


def test_the_run_and_every_finding_are_stored(inspected) -> None:  # type: ignore[no-untyped-def]
    farm, store, result = inspected
    with store.session() as session:
        run = session.get(Run, result.run_id)
        assert run is not None and run.status == "finished" and run.crawl_id == result.crawl_id
        assert session.scalar(select(func.count()).select_from(SiteResult)) == len(farm.sites)
        stored = session.scalar(select(func.count()).select_from(FindingRow))
    assert stored == sum(len(o.findings) for o in result.outcomes)


def test_cli_inspect_writes_the_json_contract(farm_server: Farm, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    quick_cli_crawls(monkeypatch)  # the down site's homepage retried 0.2 s apart, not 10 s
    monkeypatch.setenv("GOVINSPECT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GOVINSPECT_DATABASE_URL", raising=False)
    down = next(s for s in farm_server.sites if s.down)
    live = next(s for s in farm_server.sites if s.behaviour is None)
    runner = CliRunner()
    assert runner.invoke(app, ["registry", "import", str(farm_server.registry_csv)]).exit_code == 0
    out = tmp_path / "result.json"
    args = [
        "inspect",
        "--as-of",
        farm_server.as_of.isoformat(),
        "--site",
        down.site_code,
        "--site",
        live.site_code,
    ]
    refused = runner.invoke(app, [*args, "--max-pages", "5", "--json", str(out)])
    assert refused.exit_code == 2  # loopback addresses: refused up front, nothing crawled or judged
    assert "--allow-private-networks" in refused.output and live.site_code in refused.output
    assert not out.exists()
    trusted = ["--ca-file", str(farm_server.ca_file)]  # the farm CA signs its https sites' good certificates
    allowed = runner.invoke(
        app, [*args, "--max-pages", "20", "--allow-private-networks", *trusted, "--json", str(out)]
    )
    assert allowed.exit_code == 0, allowed.output
    assert "合格率" in allowed.output
    data = json.loads(out.read_text(encoding="utf-8"))
    verdicts = {s["site_code"]: (s["verdict"], s["vetoes"]) for s in data["sites"]}
    assert verdicts[down.site_code] == ("不合格", ["站点无法访问"])
    assert data["as_of"] == farm_server.as_of.isoformat() and data["profile"] == "national-2019"
    truth = next(s for s in farm_server.truth()["sites"] if s["site_code"] == live.site_code)
    found = next(s for s in data["sites"] if s["site_code"] == live.site_code)["findings"]
    assert [(f["evidence"]["variant"], f["severity"]) for f in found if f["check"] == "transport.tls"] == [
        (d["variant"], d["severity"]) for d in truth["defects"] if d["check"] == "transport.tls"
    ]
