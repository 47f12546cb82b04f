"""Screenshots of veto findings: the picture an inspector puts in front of the unit that runs the site.

Taken after scoring (only the scored severity says which findings are vetoes), before the result is saved, into
``<home>/screenshots/<run_id>/<site_code>-<n>.png``; the finding's evidence gets the path relative to the home
folder (``screenshot``). Bounded: at most ``limit`` pages per site, one picture per page however many findings
point at it. A screenshot that fails never fails the run: the evidence says why (``screenshot_error``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from govinspect.checks.finding import Finding, Severity
from govinspect.runs.render_step import LazyBrowser


@dataclass
class ScreenshotReport:
    """What the screenshot step did, for the run's options (JSON)."""

    available: bool = True
    note: str | None = None
    wanted: int = 0  # distinct veto pages
    taken: int = 0
    error_pages: int = 0  # the page did not open; the picture shows the error
    failed: Counter[str] = field(default_factory=Counter)
    over_limit: int = 0

    def record(self) -> dict[str, Any]:
        return {
            "available": self.available,
            "note": self.note,
            "wanted": self.wanted,
            "taken": self.taken,
            "error_pages": self.error_pages,
            "failed": dict(self.failed),
            "over_limit": self.over_limit,
        }


def screenshot_vetoes(
    browser: LazyBrowser,
    site_code: str,
    findings: Sequence[Finding],
    severities: Sequence[Severity],
    *,
    home: Path,
    run_id: int,
    limit: int,
    report: ScreenshotReport,
) -> list[Finding]:
    """The findings, those scored as vetoes with a screenshot (or the reason there is none) in their evidence."""
    pages: dict[str, dict[str, Any]] = {}  # url -> what to add to the evidence of every finding on it
    out = list(findings)
    for index, (finding, severity) in enumerate(zip(findings, severities, strict=True)):
        if severity is not Severity.VETO or not finding.url.startswith(("http://", "https://")):
            continue
        if finding.url not in pages:
            pages[finding.url] = _take(
                browser, site_code, finding.url, len(pages), home, run_id, limit, report
            )
        added = pages[finding.url]
        if added:
            out[index] = replace(finding, evidence={**finding.evidence, **added})
    return out


def _take(
    browser: LazyBrowser,
    site_code: str,
    url: str,
    number: int,
    home: Path,
    run_id: int,
    limit: int,
    report: ScreenshotReport,
) -> dict[str, Any]:
    report.wanted += 1
    if number >= limit:
        report.over_limit += 1
        return {"screenshot_error": f"已达每个网站的截图上限（{limit} 张），未截图"}
    session = browser.get()
    if session is None:
        report.available = False
        report.note = browser.problem
        return {}
    path = home / "screenshots" / str(run_id) / f"{site_code}-{number + 1}.png"
    try:
        shot = session.screenshot(url, path)
    except Exception as exc:  # a screenshot is evidence, never a reason for the run to fail
        report.failed["other"] += 1
        return {"screenshot_error": f"截图失败：{exc}"[:300]}
    if shot.path is None or not shot.path.is_file():
        report.failed[shot.error or "other"] += 1
        return {"screenshot_error": f"截图失败：{shot.message or shot.error}"}
    report.taken += 1
    added: dict[str, Any] = {"screenshot": shot.path.relative_to(home).as_posix()}
    if shot.error_page:
        report.error_pages += 1
        added["screenshot_note"] = shot.message
    return added
