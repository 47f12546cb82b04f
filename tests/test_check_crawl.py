"""``crawl.incomplete``: a notice for a site whose crawl was cut short, on hand-built site models (pure), and the
spider's count of what it never fetched (frontier entries, no network)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from types import SimpleNamespace

import pytest

from govinspect.checks.crawl import check_crawl_incomplete
from govinspect.checks.finding import Severity
from govinspect.checks.registry import run_checks
from govinspect.extract.model import Attempt, CrawlOutcome, Expected, Homepage, SiteModel
from govinspect.fetch.spider import SiteState, _unfetched
from govinspect.fetch.worker import site_outcome
from govinspect.runs.serialize import model_from_dict, model_to_dict
from govinspect.runs.site_judge import crawl_outcome
from govinspect.scoring.engine import score_site
from govinspect.scoring.profile import load_profile

AS_OF = date(2020, 3, 31)
PROFILE = load_profile("national-2019")
HOME = "http://www.zgsr.gov.cn/"
EXPECTED = Expected("3611000003", "上饶市人民政府", "上饶市人民政府办公室")


def model(crawl: CrawlOutcome | None, attempts: tuple[Attempt, ...] = (Attempt(200, None),)) -> SiteModel:
    return SiteModel(EXPECTED, Homepage(HOME, attempts, snapshot_id=7), crawl=crawl)


TRAP = CrawlOutcome(
    "page_budget",
    pages=40,
    requests=41,
    max_pages=40,
    unfetched=1242,
    unfetched_columns=1148,
    unfetched_sample=("http://www.zgsr.gov.cn/cal/41.html",),
)
SLOW = CrawlOutcome(
    "time_budget", detail="time_budget: 超过单站时间预算 60 秒", pages=12, max_pages=200, time_budget_s=60.0
)
FAILING = CrawlOutcome(
    "failures",
    detail="unreachable: 连续 10 次请求失败（reset）",
    pages=3,
    max_pages=200,
    consecutive_failures=10,
)


@pytest.mark.parametrize(
    ("crawl", "words"),
    [
        (TRAP, ("页面预算用尽而仍有未抓取页面", "已抓取 40 个页面（页面预算 40 个）", "1148 个栏目页未抓取")),
        (SLOW, ("时间预算用尽", "单站时间预算 60 秒", "已抓取 12 个页面")),
        (FAILING, ("连续失败而停止", "连续 10 次请求失败（reset）", "已抓取 3 个页面")),
        (CrawlOutcome("crawl_ended", pages=5), ("抓取进程提前结束", "已抓取 5 个页面")),
    ],
    ids=lambda v: v.reason if isinstance(v, CrawlOutcome) else "",
)
def test_a_cut_short_crawl_is_a_notice_that_says_why(crawl: CrawlOutcome, words: tuple[str, ...]) -> None:
    (finding,) = check_crawl_incomplete(model(crawl), PROFILE, AS_OF)
    assert finding.check == "crawl.incomplete" and finding.severity is Severity.NOTICE
    assert finding.url == HOME and finding.snapshot_id == 7
    assert finding.message.startswith("网站抓取未完成（") and finding.message.endswith("需人工确认")
    for word in words:
        assert word in finding.message, finding.message
    evidence = finding.evidence
    assert (evidence["reason"], evidence["pages"], evidence["max_pages"]) == (
        crawl.reason,
        crawl.pages,
        crawl.max_pages,
    )


def test_the_evidence_names_unfetched_columns() -> None:
    (finding,) = check_crawl_incomplete(model(TRAP), PROFILE, AS_OF)
    assert finding.evidence["unfetched"] == 1242 and finding.evidence["unfetched_columns"] == 1148
    assert finding.evidence["unfetched_sample"] == ["http://www.zgsr.gov.cn/cal/41.html"]


def test_no_notice_for_a_complete_or_unknown_crawl() -> None:
    complete = CrawlOutcome(None, pages=200, max_pages=200, unfetched=23)  # a big site's articles: sampling
    assert check_crawl_incomplete(model(complete), PROFILE, AS_OF) == []
    assert check_crawl_incomplete(model(None), PROFILE, AS_OF) == []  # a stored model from before the check


def test_a_site_that_is_down_gets_the_availability_finding_only() -> None:
    down = (Attempt(None, "timeout"), Attempt(None, "timeout"))
    stopped = replace(FAILING, pages=0)
    findings = run_checks(model(stopped, down), PROFILE, AS_OF)
    assert [f.check for f in findings if f.check.startswith(("availability", "crawl"))] == [
        "availability.down_at_check"
    ]
    refused = (Attempt(403, "blocked"),)  # a firewall answer: a notice of its own says so
    assert check_crawl_incomplete(model(SLOW, refused), PROFILE, AS_OF) == []


def test_it_runs_with_the_website_checks_and_costs_no_points() -> None:
    findings = run_checks(model(TRAP), PROFILE, AS_OF)
    assert [f.check for f in findings].count("crawl.incomplete") == 1
    score = score_site(findings, PROFILE)
    kept = [s for f, s in zip(findings, score.severities, strict=True) if f.check == "crawl.incomplete"]
    assert kept == [Severity.NOTICE]
    without = score_site([f for f in findings if f.check != "crawl.incomplete"], PROFILE)
    assert (score.verdict, score.score) == (without.verdict, without.score)


def test_the_outcome_survives_the_stored_model() -> None:
    """Re-scoring reads the stored model: the crawl's outcome must come back with it."""
    again = model_from_dict(model_to_dict(model(TRAP)))
    assert again.crawl == TRAP
    assert check_crawl_incomplete(again, PROFILE, AS_OF) == check_crawl_incomplete(
        model(TRAP), PROFILE, AS_OF
    )


def test_the_worker_record_becomes_the_model_fact() -> None:
    record = {**{k: getattr(TRAP, k) for k in ("reason", "pages", "max_pages", "unfetched_columns")}}
    record |= {"unfetched_sample": list(TRAP.unfetched_sample), "scheduled": 40, "a_later_key": 1}
    fact = crawl_outcome(record)
    assert (
        fact is not None and fact.reason == "page_budget" and fact.unfetched_sample == TRAP.unfetched_sample
    )
    assert crawl_outcome(None) is None


def _state(**kw: object) -> SiteState:
    return SiteState("3611000003", HOME, {"www.zgsr.gov.cn"}, **kw)  # type: ignore[arg-type]


def test_unfetched_counts_columns_apart_and_skips_the_homepage_again() -> None:
    site = _state()
    _unfetched(
        site,
        [
            (HOME + "index.html", "list"),  # the homepage under another name
            (HOME + "art/2020/3/1/art_1_2.html", "article"),
            (HOME + "col/col12/index_3.html", "pagination"),
            *((f"{HOME}cal/{n}.html", "list") for n in range(8)),
        ],
    )
    assert (site.unfetched, site.unfetched_columns) == (10, 8)
    assert site.unfetched_sample == [f"{HOME}cal/{n}.html" for n in range(5)]


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"finished": True}, None),
        ({"finished": True, "unfetched": 150}, None),  # articles beyond the budget
        ({"finished": True, "unfetched_columns": 3, "unfetched": 3}, "page_budget"),
        ({"finished": True, "stopped": "time_budget: 超过单站时间预算 60 秒"}, "time_budget"),
        ({"finished": True, "stopped": "unreachable: 连续 10 次请求失败（reset）"}, "failures"),
        ({"finished": False, "active": True}, "crawl_ended"),
        ({"finished": False}, "crawl_ended"),  # never started before the crawl ended
    ],
)
def test_site_outcome_reasons(state: dict[str, object], reason: str | None) -> None:
    options = SimpleNamespace(max_pages=40, site_time_budget_s=60.0)
    outcome = site_outcome(_state(**state), options, pages=7, requests=9)
    assert outcome["reason"] == reason
    assert (outcome["pages"], outcome["requests"], outcome["max_pages"]) == (7, 9, 40)
