"""The checks a website inspection runs, in report order. Each is ``(model, profile, as_of) -> findings``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from govinspect.checks.availability import check_down_at_check, check_unreachable
from govinspect.checks.content import check_content
from govinspect.checks.crawl import check_crawl_incomplete
from govinspect.checks.dates import check_fake_dates
from govinspect.checks.finding import Finding
from govinspect.checks.footer import check_footer
from govinspect.checks.freshness import check_column_blank, check_column_stale, check_homepage_stale
from govinspect.checks.interaction import (
    check_no_channel,
    check_reply_overdue,
    check_reply_slow,
    check_survey_feedback,
)
from govinspect.checks.interpretation import check_interpretation
from govinspect.checks.links import check_links
from govinspect.checks.meta import check_meta
from govinspect.checks.search import check_search_broken, check_search_missing
from govinspect.checks.services import check_guide_incomplete, check_service_missing
from govinspect.checks.transport import check_transport
from govinspect.extract.model import SiteModel
from govinspect.scoring.profile import Profile

Check = Callable[[SiteModel, Profile, date], list[Finding]]

WEBSITE_CHECKS: tuple[Check, ...] = (
    check_down_at_check,
    check_unreachable,  # needs the probe history (govinspect probe/monitor); not in WEBSITE_CHECK_IDS below
    check_crawl_incomplete,  # a notice on the crawl itself (cut short), no farm truth: not in WEBSITE_CHECK_IDS
    check_homepage_stale,
    check_column_stale,
    check_column_blank,
    check_links,
    check_footer,
    check_meta,
    check_search_missing,
    check_search_broken,
    check_service_missing,
    check_guide_incomplete,
    check_content,
    check_fake_dates,
    check_interpretation,
    check_no_channel,
    check_reply_overdue,
    check_reply_slow,
    check_survey_feedback,
    check_transport,
)


def run_checks(
    model: SiteModel, profile: Profile, as_of: date, checks: tuple[Check, ...] = WEBSITE_CHECKS
) -> list[Finding]:
    findings: list[Finding] = []
    for check in checks:
        findings.extend(check(model, profile, as_of))
    return findings


# The check ids the website checks above can report (benchmarks evaluate these against the farm's truth).
WEBSITE_CHECK_IDS: tuple[str, ...] = (
    "availability.down_at_check",
    "freshness.homepage_stale",
    "freshness.column_stale",
    "freshness.column_blank",
    "links.broken",
    "footer.site_code",
    "footer.icp",
    "footer.psb",
    "footer.conac",
    "footer.sponsor",
    "footer.jiucuo",
    "footer.ads",
    "meta.missing",
    "search.missing",
    "search.broken",
    "service.missing",
    "service.guide_incomplete",
    "content.fake_date",
    "interpretation.missing",
    "interpretation.unlinked",
    "interaction.no_channel",
    "interaction.reply_overdue",
    "interaction.reply_slow",
    "interaction.survey_feedback_missing",
    "transport.tls",
    "transport.ipv6",
    "transport.mixed_content",
)
