"""首页不更新, 栏目不更新 and 空白栏目: dates against ``as_of`` and the profile's update periods."""

from __future__ import annotations

from datetime import date

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import Column, SiteModel
from govinspect.scoring.profile import Profile


def _newest_known(dates: list[date | None], as_of: date) -> date | None:
    # Items dated after the monitoring time point say nothing about it; ignore them.
    known = [d for d in dates if d is not None and d <= as_of]
    return max(known) if known else None


def check_homepage_stale(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    home = model.homepage
    if not home.answered:
        return []
    limit = profile.homepage_max_age_days
    newest = _newest_known([home.newest], as_of)
    basis = "首页"
    if newest is None:
        # A navigation-only homepage: judged by its second-level pages.
        newest = _newest_known([c.newest for c in model.columns if not c.ignored], as_of)
        basis = "首页及二级页面"
    if newest is None:
        return [
            Finding(
                "freshness.homepage_stale",
                home.url,
                "首页及二级页面均未识别到带日期的信息，需人工确认是否更新",
                {"limit_days": limit, "basis": basis},
                Severity.NOTICE,
                home.snapshot_id,
            )
        ]
    age = (as_of - newest).days
    if age <= limit:
        return []
    return [
        Finding(
            "freshness.homepage_stale",
            home.url,
            f"{basis}最新信息发布于 {newest.isoformat()}，监测时间点前 {limit} 天内无更新",
            {"latest": newest.isoformat(), "as_of": as_of.isoformat(), "limit_days": limit, "age_days": age},
            Severity.DEDUCTION,
            home.snapshot_id,
        )
    ]


def _is_blank(column: Column) -> bool:
    return (
        column.status is not None
        and column.status < 400
        and (column.items == 0 or column.placeholder is not None)
    )


def check_column_blank(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    findings = []
    for column in model.columns:
        if column.ignored or not _is_blank(column):
            continue
        shown = f"（页面显示“{column.placeholder}”）" if column.placeholder else ""
        findings.append(
            Finding(
                "freshness.column_blank",
                column.url,
                f"栏目“{column.name}”为空白栏目{shown}",
                {
                    "column": column.name,
                    "column_class": column.column_class,
                    "placeholder": column.placeholder,
                },
                Severity.DEDUCTION,
                column.snapshot_id,
            )
        )
    return findings


def check_column_stale(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    findings = []
    for column in model.columns:
        if column.ignored or column.column_class is None or _is_blank(column):
            continue
        if column.status is None or column.status >= 400:
            continue
        spec = profile.column_class(column.column_class)
        limit = (
            column.max_age_days if column.max_age_days is not None else spec.max_age_days if spec else None
        )
        if spec is None or limit is None:
            continue
        newest = _newest_known([column.newest], as_of)
        evidence = {
            "column": column.name,
            "column_class": column.column_class,
            "limit_days": limit,
            "as_of": as_of.isoformat(),
        }
        if newest is None:
            if not profile.undated_counts_as_stale or column.undated == 0:
                continue
            findings.append(
                Finding(
                    "freshness.column_stale",
                    column.url,
                    f"栏目“{column.name}”的 {column.undated} 条信息均未标注发布日期，按未更新计",
                    {**evidence, "latest": None, "undated": column.undated},
                    Severity.DEDUCTION,
                    column.snapshot_id,
                )
            )
            continue
        age = (as_of - newest).days
        if age > limit:
            findings.append(
                Finding(
                    "freshness.column_stale",
                    column.url,
                    f"栏目“{column.name}”（{spec.name}）最新信息发布于 {newest.isoformat()}，"
                    f"超过 {limit} 天未更新",
                    {**evidence, "latest": newest.isoformat(), "age_days": age},
                    Severity.DEDUCTION,
                    column.snapshot_id,
                )
            )
    return findings
