"""The inspect --json contract and the stored site model's round trip."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from govinspect.checks.registry import run_checks
from govinspect.extract.model import (
    Attempt,
    Column,
    Expected,
    Footer,
    Homepage,
    LinkCheck,
    PageMeta,
    SiteModel,
)
from govinspect.runs.contract import SiteOutcome, document, write_json
from govinspect.runs.serialize import model_from_dict, model_to_dict
from govinspect.scoring.engine import score_site
from govinspect.scoring.profile import load_profile

HOME = "http://127.0.1.1:18080/"
MODEL = SiteModel(
    expected=Expected("3611000003", "上饶市人民政府", "上饶市人民政府办公室", "赣ICP备05004035号", None),
    homepage=Homepage(
        HOME, (Attempt(None, "timeout"), Attempt(200, None)), snapshot_id=7, newest=date(2020, 3, 1)
    ),
    columns=(
        Column(HOME + "col/col1/", "工作动态", "dynamic", items=9, newest=date(2020, 2, 1), snapshot_id=8),
        Column(HOME + "col/col2/", "规划计划", "plan", items=0),
    ),
    footers=(Footer(HOME, 7, "…", "3611000003", None, None, True, "上饶市人民政府办公室", False),),
    links=(LinkCheck(HOME + "gone.html", (HOME,), (404, 404), (None, None)),),
    metas=(PageMeta(HOME, 7, frozenset({"SiteName"}), "home"),),
    notes={"robots": "obeyed"},
)


def test_site_models_survive_json() -> None:
    stored = json.loads(json.dumps(model_to_dict(MODEL)))
    assert model_from_dict(stored) == MODEL


def test_the_json_contract(tmp_path: Path) -> None:
    profile = load_profile()
    findings = run_checks(MODEL, profile, date(2020, 3, 31))
    outcome = SiteOutcome("3611000003", "上饶市人民政府", HOME, findings, score_site(findings, profile))
    path = tmp_path / "out" / "result.json"
    write_json(path, document(date(2020, 3, 31), "national-2019", [outcome]))
    data = json.loads(path.read_text(encoding="utf-8"))
    assert (data["as_of"], data["profile"]) == ("2020-03-31", "national-2019")
    [site] = data["sites"]
    assert set(site) >= {"site_code", "name", "url", "verdict", "vetoes", "score", "findings"}
    assert (site["verdict"], site["vetoes"], site["score"]) == ("不合格", ["首页不更新"], None)
    checks = {f["check"]: f for f in site["findings"]}
    assert checks["freshness.homepage_stale"]["severity"] == "veto"
    assert checks["links.broken"]["evidence"]["target"] == HOME + "gone.html"
    assert checks["links.broken"]["url"] == HOME
    assert checks["freshness.column_blank"]["url"] == HOME + "col/col2/"
    assert {f["severity"] for f in site["findings"]} <= {"veto", "deduction", "notice"}
    assert list(tmp_path.joinpath("out").iterdir()) == [path]  # no temporary file left behind
