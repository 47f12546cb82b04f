"""站内搜索: no site search on the homepage (``search.missing``); a search for a recent article's exact title
that finds nothing or fails (``search.broken``, from the probes run after the crawl)."""

from __future__ import annotations

from datetime import date

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import SearchProbe, SiteModel
from govinspect.scoring.profile import Profile

# Fewer links than this on a homepage: it is likely drawn by scripts, and what it lacks is for a person to see.
MIN_PAGE_LINKS = 10


def check_search_missing(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    search = model.search
    if search is None or search.boxes or search.links:
        return []
    evidence = {"boxes": 0, "links_on_page": search.page_links}
    if search.hints or search.page_links < MIN_PAGE_LINKS:
        why = (
            f"页面代码中含“{'、'.join(search.hints)}”"
            if search.hints
            else f"首页仅 {search.page_links} 个链接"
        )
        return [
            Finding(
                "search.missing",
                search.page_url,
                f"首页未识别到站内搜索框（{why}，可能由脚本生成），需人工确认",
                {**evidence, "hints": list(search.hints)},
                Severity.NOTICE,
                search.snapshot_id,
            )
        ]
    return [
        Finding(
            "search.missing",
            search.page_url,
            "首页无站内搜索功能（未发现搜索框或搜索入口）",
            evidence,
            Severity.DEDUCTION,
            search.snapshot_id,
        )
    ]


def _describe(probe: SearchProbe) -> dict[str, object]:
    return {
        "query": probe.query,
        "article": probe.article_url,
        "article_date": probe.article_date.isoformat() if probe.article_date else None,
        "url": probe.url,
        "method": probe.method,
        "status": probe.status,
        "error": probe.error,
        "found": probe.found,
        "hits": probe.hits,
        "note": probe.note,
    }


def check_search_broken(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    """Broken only when every probe (at least two articles) found nothing or failed; one failed search, or one
    beside a refusal, is a notice for a person to confirm."""
    search = model.search
    if search is None or not search.probes or any(p.found for p in search.probes):
        return []
    needed = int(profile.section("search").get("probe_articles", 2) or 2)
    failed = [p for p in search.probes if p.found is False]
    first = failed[0] if failed else search.probes[0]
    evidence = {
        "query": first.query,
        "article": first.article_url,
        "method": first.method,
        "status": first.status,
        "error": first.error,
        "hits": first.hits,
        "probes": [_describe(p) for p in search.probes],
    }
    if failed and len(failed) == len(search.probes) and len(failed) >= needed:
        reason = "；".join(dict.fromkeys(p.note or "未找到" for p in failed))
        return [
            Finding(
                "search.broken",
                first.url,
                f"站内搜索不可用：以近期文章标题“{first.query}”等 {len(failed)} 篇检索均未找到（{reason}）",
                evidence,
                Severity.DEDUCTION,
                search.snapshot_id,
            )
        ]
    notes = "；".join(dict.fromkeys(p.note or "未判定" for p in search.probes))
    return [
        Finding(
            "search.broken",
            first.url,
            f"站内搜索检测未能确认：{notes}，需人工确认",
            evidence,
            Severity.NOTICE,
            search.snapshot_id,
        )
    ]
