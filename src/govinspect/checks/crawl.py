"""A notice when the crawl of a site was cut short, so an official knows its findings rest on part of the site.

The crawler stops a site that runs past its time budget or fails too many requests in a row, and spends a page
budget on the most useful pages first (fetch/spider.py). A big site's articles beyond the budget are the sampling
the inspection is designed for; column pages still unfetched when the budget ran out are not (a crawler trap, a
site of endless columns): the columns are what the freshness checks judge. The crawl records which happened
(fetch/worker.py ``site_outcome``); this check says it in words. A site whose homepage could not be read gets
``availability.down_at_check`` instead, never both.
"""

from __future__ import annotations

from datetime import date

from govinspect.checks.availability import check_down_at_check
from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import CrawlOutcome, SiteModel
from govinspect.scoring.profile import Profile

REASONS = ("failures", "time_budget", "page_budget", "crawl_ended")


def _message(crawl: CrawlOutcome) -> str:
    fetched = f"已抓取 {crawl.pages} 个页面"
    if crawl.reason == "time_budget":
        budget = f"（单站时间预算 {crawl.time_budget_s:g} 秒）" if crawl.time_budget_s else ""
        what = f"时间预算用尽{budget}，网站抓取提前停止，{fetched}"
    elif crawl.reason == "page_budget":
        left = f"，另有 {crawl.unfetched_columns} 个栏目页未抓取" if crawl.unfetched_columns else ""
        what = (
            f"页面预算用尽而仍有未抓取页面：{fetched}（页面预算 {crawl.max_pages} 个）{left}，"
            "可能是栏目过多或无穷链接陷阱"
        )
    elif crawl.reason == "failures":
        why = crawl.detail.split(":", 1)[-1].strip() if crawl.detail else "连续多次请求失败"
        what = f"连续失败而停止：{why}，{fetched}"
    else:
        what = f"抓取进程提前结束，本站抓取未完成，{fetched}"
    return f"网站抓取未完成（{what}），检查结果可能不完整，需人工确认"


def check_crawl_incomplete(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    """One notice for a site whose crawl was cut short; none when it was complete or not known."""
    crawl = model.crawl
    if crawl is None or crawl.reason not in REASONS:
        return []
    if check_down_at_check(model, profile, as_of):  # the homepage itself failed: that finding says it
        return []
    evidence = {
        "reason": crawl.reason,
        "pages": crawl.pages,
        "requests": crawl.requests,
        "max_pages": crawl.max_pages,
        "unfetched": crawl.unfetched,
        "unfetched_columns": crawl.unfetched_columns,
        "unfetched_sample": list(crawl.unfetched_sample),
        "elapsed_s": crawl.elapsed_s,
        "time_budget_s": crawl.time_budget_s,
    }
    if crawl.detail:
        evidence["detail"] = crawl.detail
    if crawl.reason == "failures":
        evidence["consecutive_failures"] = crawl.consecutive_failures
    return [
        Finding(
            "crawl.incomplete",
            model.homepage.url,
            _message(crawl),
            evidence,
            Severity.NOTICE,
            model.homepage.snapshot_id,
        )
    ]
