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
from govinspect.extract.page import parse_page
from govinspect.farm import Farm
from govinspect.farm.newmedia import POST_LEVEL, compare_accounts, compare_seen
from govinspect.farm.render import disk_name
from govinspect.farm.site_accounts import FILE as SITE_ACCOUNTS
from govinspect.newmedia.reconcile import find_accounts
from govinspect.newmedia.tables import AccountResult, NewMediaRun, PostRow
from govinspect.registry import service
from govinspect.reports import figures
from govinspect.store import open_store
from govinspect.store.models import Site
from govinspect.store.results import Run, SiteResult
from tests.conftest import quick_cli_crawls

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


def _listings(farm: Farm) -> list[dict]:
    return json.loads((farm.root / SITE_ACCOUNTS).read_text("utf-8"))


def test_site_pages_name_their_accounts_in_their_encoding(farm: Farm) -> None:
    """The footer and matrix pages, read from disk as served (GBK bytes too), name what site_accounts.json says."""
    listings = _listings(farm)
    encodings = set()
    for listing in listings:
        site = farm.site(listing["site_code"])
        charset = f"; charset={site.header_charset}" if site.header_charset else ""  # as served: it may lie
        headers = {"content-type": f"text/html{charset}"}
        pages = [("footer", listing["homepage"])] + (
            [("matrix", listing["matrix"])] if listing["matrix"] else []
        )
        seen = set()
        for how, url in pages:
            body = (farm.site_dir(site) / disk_name(url[len(site.base_url) :])).read_bytes()
            names = [a["name"] for a in listing["accounts"] if how in a["on"]]
            assert names and all(name in body.decode(site.encoding) for name in names)  # the site's own bytes
            for account in find_accounts(parse_page(url, body, headers=headers), how=how):
                seen.add((account.evidence["platform"], account.name, how))
        wanted = {(a["platform"], a["name"], how) for a in listing["accounts"] for how in a["on"]}
        assert seen == wanted, listing["site_code"]
        encodings.add(site.encoding)
    assert encodings == {"utf-8", "gbk"}
    shown = [a for listing in listings for a in listing["accounts"]]
    assert any(not a["in_registry"] for a in shown) and any(a["status"] == "关停" for a in shown)
    truth = json.loads((farm.root / "newmedia" / "truth.json").read_text("utf-8"))
    unregistered = {(a["platform"], a["name"]) for a in shown if not a["in_registry"]}
    assert {
        (a["platform"], a["name"]) for a in truth["accounts"] if not a["listed"] and a["source"] is None
    } == (unregistered)
    assert len(truth["seen_on_sites"]) == len(shown)
    closed = {(a["platform"], a["account_id"]) for a in shown if a["status"] != "运行"}
    flagged = {
        (e["platform"], e["account_id"])
        for e in truth["accounts"]
        for d in e["defects"]
        if d.get("variant") == "closed_but_listed"
    }
    assert flagged == closed


@pytest.fixture(scope="module")
def reconciled(farm_server: Farm, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The sites that name an account outside the registry or a closed one inspected (a small crawl each),
    then ``newmedia check --from-sites``."""
    home = tmp_path_factory.mktemp("nm-sites-home")
    codes = [
        listing["site_code"]
        for listing in _listings(farm_server)
        if any(not a["in_registry"] or a["status"] != "运行" for a in listing["accounts"])
    ]
    sites = [["--site", code] for code in codes]
    with pytest.MonkeyPatch.context() as patch:
        quick_cli_crawls(patch)  # no politeness delay between a farm site's requests
        patch.setenv("GOVINSPECT_HOME", str(home))
        patch.delenv("GOVINSPECT_DATABASE_URL", raising=False)
        imported = runner.invoke(app, ["registry", "import", str(farm_server.registry_csv)])
        assert imported.exit_code == 0, imported.output
        inspected = runner.invoke(
            app,
            ["inspect", "--as-of", farm_server.as_of.isoformat(), *[a for s in sites for a in s], "--max-pages",
             "25", "--allow-private-networks", "--ca-file", str(farm_server.ca_file)],
        )  # fmt: skip
        assert inspected.exit_code == 0, inspected.output
        out = home / "nm.json"
        result = runner.invoke(
            app,
            ["newmedia", "check", "--accounts", str(farm_server.root / "newmedia" / "accounts.csv"), "--as-of",
             farm_server.as_of.isoformat(), "--from-sites", "--json", str(out)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    return json.loads(out.read_text("utf-8")), result.output, codes


def test_reconciliation_from_sites_finds_exactly_the_truth(farm_server: Farm, reconciled) -> None:  # type: ignore[no-untyped-def]
    document, output, codes = reconciled
    truth = json.loads((farm_server.root / "newmedia" / "truth.json").read_text("utf-8"))
    assert {farm_server.site(c).encoding for c in codes} == {"utf-8", "gbk"}
    seen = compare_seen(truth, document, codes)
    unregistered, closed = seen.checks["newmedia.unregistered"], seen.checks["newmedia.status_mismatch"]
    assert unregistered.true_positives >= 2 and closed.true_positives >= 1, (
        seen.misses,
        seen.false_positives,
    )
    for score in (unregistered, closed):
        assert (score.precision, score.recall) == (1.0, 1.0), (seen.false_positives, seen.misses)
    assert "网站上列出的账号" in output
    # the same through the general comparison: the name a site shows maps onto the truth's account
    comparison = compare_accounts(truth, document, from_sites=True)
    assert comparison.checks["newmedia.unregistered"].false_positives == 0, comparison.false_positives
    assert comparison.checks["newmedia.status_mismatch"].false_positives == 0, comparison.false_positives

    def on_pages(entries: list[dict], variant: str, key: str) -> dict:
        return {
            (a["platform"], a["name"]): f["url"]
            for a in entries
            for f in a[key]
            if (f.get("variant") or f["evidence"].get("variant")) == variant
            and f["evidence"].get("site_code", codes[0]) in codes
        }

    for variant in ("seen_on_site", "closed_but_listed"):  # each on the page the truth says (footer first)
        assert on_pages(document["accounts"], variant, "findings") == on_pages(
            truth["accounts"], variant, "defects"
        )
    # a closed registry account a site still lists is no unregistered one
    listed_closed = {
        (s["platform"], s["name"]) for s in truth["seen_on_sites"] if s["registry_status"] == "关停"
    }
    assert listed_closed and not listed_closed & set(
        on_pages(document["accounts"], "seen_on_site", "findings")
    )
