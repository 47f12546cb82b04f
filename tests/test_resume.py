"""Resumable runs: a run that stopped after some of its sites is finished by ``inspect --resume`` (and
``resume_run``) with only the sites that have no result, into the same run; every site is stored exactly once."""

from __future__ import annotations

from collections import Counter
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
from govinspect.runs.inspect import InspectOptions, inspect_sites
from govinspect.runs.resume import ResumeError, create_run, resume_run, run_state
from govinspect.store import open_store
from govinspect.store.results import FindingRow, Run, SiteResult

QUICK = CrawlOptions(
    max_pages=4, delay=0.0, homepage_retry_spacing_s=0.1, allow_private_networks=True, concurrency_per_host=4
)


def _options(farm: Farm) -> InspectOptions:
    return InspectOptions(
        as_of=farm.as_of,
        crawl=QUICK,
        links=LinkCheckOptions(retry_spacing=0.05, timeout=3),
        max_external_links=0,
        render=False,
        screenshots=False,
        text_checks=False,
        workers=1,
    )


def _live(farm: Farm, count: int) -> list[str]:
    return [s.site_code for s in farm.sites if s.behaviour is None and not s.down][:count]


def _stored(store, run_id: int) -> Counter[str]:  # type: ignore[no-untyped-def]
    with store.session() as session:
        return Counter(session.scalars(select(SiteResult.site_code).where(SiteResult.run_id == run_id)))


def test_a_stopped_run_resumes_with_the_rest_and_counts_each_site_once(
    farm_server: Farm, tmp_path: Path
) -> None:
    settings = load_settings(env={"GOVINSPECT_HOME": str(tmp_path / "home")})
    store = open_store(settings.database_url)
    try:
        service.import_file(store, farm_server.registry_csv)
        codes = _live(farm_server, 3)
        options = _options(farm_server)
        run_id = create_run(store, codes, options)
        # the process "died" after two sites: their results are in, the run is still running
        first = inspect_sites(store, settings, codes[:2], options, run_id=run_id)
        assert first.run_id == run_id
        state = run_state(store, run_id)
        assert state.status == "running" and set(state.done) == set(codes[:2])
        assert state.remaining == tuple(sorted(codes[2:]))

        # a late worker stores a site the run already has: kept once, as first stored
        with store.session() as session:
            kept = session.scalar(
                select(SiteResult.id).where(SiteResult.run_id == run_id, SiteResult.site_code == codes[0])
            )
        inspect_sites(store, settings, codes[:1], options, run_id=run_id)
        with store.session() as session:
            again = session.scalars(
                select(SiteResult.id).where(SiteResult.run_id == run_id, SiteResult.site_code == codes[0])
            ).all()
        assert again == [kept]

        result = resume_run(store, settings, run_id, options)
        assert result.run_id == run_id
        assert _stored(store, run_id) == Counter(codes)  # every site, exactly once
        assert sorted(o.site_code for o in result.outcomes) == sorted(codes)
        with store.session() as session:
            run = session.get(Run, run_id)
            assert run is not None and run.status == "finished" and run.finished_at is not None
            resumes = run.options["resumes"]
            findings = session.scalars(
                select(FindingRow.result_id).join(SiteResult).where(SiteResult.run_id == run_id)
            ).all()
        assert [(r["done"], r["sites"]) for r in resumes] == [(2, 1)]
        assert len(set(findings)) <= len(codes)  # findings hang off the one stored result per site
        with pytest.raises(ResumeError, match="已完成"):
            resume_run(store, settings, run_id, options)

        # a run whose process died after storing its last site, before marking the run: only marked finished
        with store.session() as session:
            session.get(Run, run_id).status = "running"  # type: ignore[union-attr]
        again = resume_run(store, settings, run_id, options)
        assert again.crawl_id is None and sorted(o.site_code for o in again.outcomes) == sorted(codes)
        assert run_state(store, run_id).status == "finished" and _stored(store, run_id) == Counter(codes)
        with pytest.raises(ResumeError, match="没有编号"):
            run_state(store, run_id + 100)
    finally:
        store.dispose()


def test_cli_resume(farm_server: Farm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVINSPECT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GOVINSPECT_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["registry", "import", str(farm_server.registry_csv)]).exit_code == 0
    settings = load_settings()
    store = open_store(settings.database_url)
    try:
        live = _live(farm_server, 2)
        options = _options(farm_server)
        run_id = create_run(store, live, options)  # its process died before the first site was stored
        args = ["inspect", "--resume", str(run_id), "--max-pages", "2"]
        refused = runner.invoke(app, args)  # loopback sites: refused up front, as a new run is
        assert refused.exit_code == 2 and "--allow-private-networks" in refused.output
        resumed = runner.invoke(app, [*args, "--allow-private-networks", "--json", str(tmp_path / "r.json")])
        assert resumed.exit_code == 0, resumed.output
        assert "已完成 0 家，尚余 2 家" in resumed.output
        assert _stored(store, run_id) == Counter(live)
        again = runner.invoke(app, [*args, "--allow-private-networks"])
        assert again.exit_code == 1 and "已完成" in again.output
        missing = runner.invoke(app, ["inspect", "--site", live[0]])
        assert missing.exit_code == 2 and "--as-of" in missing.output
    finally:
        store.dispose()
