"""站点无法访问: at inspection time, the homepage failed every one of several spaced attempts (down_at_check);
over the week before as_of, too many availability probes failed (unreachable)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import Attempt, ProbeSeen, SiteModel
from govinspect.scoring.profile import Profile
from govinspect.scoring.rates import percent_text

# What an error class (store.snapshots.ERROR_CLASSES) means, in the words of a circular.
ERROR_WORDS = {
    "dns": "域名无法解析",
    "connect": "无法建立连接",
    "tls": "HTTPS 安全连接失败",
    "timeout": "访问超时",
    "reset": "连接被中断",
    "too_large": "页面过大，超出抓取上限",
    "redirect_loop": "跳转次数过多或循环跳转",
    "binary": "返回的内容不是网页",
    "robots": "robots.txt 禁止访问",
    "other": "其他网络错误",
}
# The site answered, but what it sent cannot be read as a page: a person must look, it is not an outage.
UNREADABLE = frozenset({"too_large", "binary"})


def _describe(attempt: Attempt) -> str:
    if attempt.error in (None, "http") and attempt.status is not None:
        return f"HTTP {attempt.status}"
    return ERROR_WORDS.get(attempt.error or "other", attempt.error or "未知错误")


def _reasons(attempts: tuple[Attempt, ...]) -> str:
    return "、".join(dict.fromkeys(_describe(a) for a in attempts))


def check_down_at_check(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    home = model.homepage
    if not home.attempts:
        return []
    attempts = [{"status": a.status, "error": a.error} for a in home.attempts]
    if all(a.error in UNREADABLE for a in home.attempts):
        return [
            Finding(
                "availability.down_at_check",
                home.url,
                f"首页有响应但无法读取（{_reasons(home.attempts)}），需人工确认",
                {"attempts": attempts},
                Severity.NOTICE,
            )
        ]
    if home.answered:
        return []
    if all(a.error == "blocked_ssrf" for a in home.attempts):
        # Refused by our own guard (a private address, or a redirect into one): not inspected, not down.
        return [
            Finding(
                "availability.down_at_check",
                home.url,
                "首页解析或跳转到内网地址，已按安全策略拒绝访问，未检查",
                {"attempts": attempts},
                Severity.NOTICE,
            )
        ]
    if home.blocked:
        # A firewall that refuses our crawler is not an outage: a person must look.
        return [
            Finding(
                "availability.down_at_check",
                home.url,
                f"首页拒绝访问（HTTP {attempts[-1]['status']}），可能为防火墙拦截，需人工确认",
                {"attempts": attempts},
                Severity.NOTICE,
            )
        ]
    return [
        Finding(
            "availability.down_at_check",
            home.url,
            f"首页在 {len(attempts)} 次间隔访问中均无法打开（{_reasons(home.attempts)}）",
            {"attempts": attempts},
        )
    ]


# -- availability.unreachable: the week of probes before as_of (fetch/probe.py, attached when judging) ----------

# A probe that says nothing about the site: a firewall's refusal, our own guard, an address we cannot ask.
PROBE_NOT_JUDGED = frozenset({"blocked", "blocked_ssrf", "invalid_url"})
PROBE_ZONE = timezone(timedelta(hours=8))  # a probe's day is a day in China (UTC+8)


@dataclass(frozen=True)
class ProbeSummary:
    """The probes of a window, after the agreement rule: what the check judges and what reports call uptime."""

    start: date  # first day of the window (UTC+8), inclusive
    end: date  # last day, inclusive
    probes: int  # probes that judged the site (opened or failed)
    failures: int  # failures that count (confirmed by a second vantage point where there are several)
    unconfirmed: int = 0  # failures no other vantage point saw: a local network fault, not counted
    not_judged: int = 0  # blocked by a firewall, refused by our guard…
    vantages: tuple[str, ...] = ()
    per_day: tuple[tuple[date, int], ...] = ()  # judged probes per day of the window
    errors: tuple[tuple[str, int], ...] = ()  # counted failures by error class, most frequent first
    failed_at: tuple[datetime, ...] = ()  # when the counted failures happened (UTC)

    @property
    def ratio(self) -> float | None:
        return self.failures / self.probes if self.probes else None

    @property
    def uptime(self) -> float | None:
        ratio = self.ratio
        return None if ratio is None else 1.0 - ratio

    def days_short(self, per_day: int) -> tuple[date, ...]:
        return tuple(day for day, count in self.per_day if count < per_day)


def probe_window(as_of: date, days: int) -> tuple[date, date]:
    """The ``days`` whole days before ``as_of`` (as_of's own day is not over when a run judges it)."""
    return as_of - timedelta(days=days), as_of - timedelta(days=1)


def probe_day(at: datetime) -> date:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(PROBE_ZONE).date()


def probe_failed(probe: ProbeSeen, timeout_seconds: float) -> bool:
    """Did the homepage fail to open (within the limit)? Probes of PROBE_NOT_JUDGED are neither."""
    if probe.error is not None:
        return True
    return probe.latency_ms is not None and probe.latency_ms > timeout_seconds * 1000


def summarise_probes(
    probes: Iterable[ProbeSeen],
    start: date,
    end: date,
    *,
    timeout_seconds: float = 15.0,
    agreement: timedelta = timedelta(minutes=30),
) -> ProbeSummary:
    """Probes of the days start..end (UTC+8). With several vantage points, a failure counts only when another
    vantage point failed too within ``agreement`` of it: one network's fault must not fail a site."""
    window = [p for p in probes if start <= probe_day(p.at) <= end]
    judged = [p for p in window if p.error not in PROBE_NOT_JUDGED]
    vantages = tuple(sorted({p.vantage for p in judged}))
    failed = sorted((p for p in judged if probe_failed(p, timeout_seconds)), key=lambda p: p.at)
    if len(vantages) > 1:
        times = [p.at for p in failed]
        counted = []
        for probe in failed:
            low = bisect_left(times, probe.at - agreement)
            high = bisect_right(times, probe.at + agreement)
            if any(other.vantage != probe.vantage for other in failed[low:high]):
                counted.append(probe)
    else:
        counted = failed
    days = Counter(probe_day(p.at) for p in judged)
    span = (end - start).days + 1
    errors = Counter(p.error or "timeout" for p in counted)
    return ProbeSummary(
        start=start,
        end=end,
        probes=len(judged),
        failures=len(counted),
        unconfirmed=len(failed) - len(counted),
        not_judged=len(window) - len(judged),
        vantages=vantages,
        per_day=tuple(
            (start + timedelta(days=i), days.get(start + timedelta(days=i), 0)) for i in range(span)
        ),
        errors=tuple(errors.most_common()),
        failed_at=tuple(p.at for p in counted),
    )


def _summary_evidence(summary: ProbeSummary, per_day: int, limit: float) -> dict:
    return {
        "probes": summary.probes,
        "failures": summary.failures,
        "ratio": round(summary.ratio or 0.0, 4),
        "threshold": limit,
        "window": {"start": summary.start.isoformat(), "end": summary.end.isoformat()},
        "vantage_points": list(summary.vantages),
        "unconfirmed": summary.unconfirmed,
        "not_judged": summary.not_judged,
        "errors": dict(summary.errors),
        "days_short": [d.isoformat() for d in summary.days_short(per_day)],
        "probes_per_day_required": per_day,
        "failed_at": [t.isoformat() for t in summary.failed_at[:20]],
    }


def check_unreachable(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    """站点无法访问 over a week of probes: failures ≥ the profile's share of the probes (INDICATORS.md §2).
    Judged only on a full week with enough probes each day; short of that, a failure rate over the line is a
    notice for a person."""
    if not model.probes:
        return []
    rules = profile.section("availability")
    days = int(rules.get("probe_days", 7))
    per_day = int(rules.get("probes_per_day", 20))
    timeout = float(rules.get("timeout_seconds", 15))
    limit = float(rules.get("failure_ratio", 0.05))
    agreement = timedelta(minutes=float(rules.get("agreement_minutes", 30)))
    start, end = probe_window(as_of, days)
    summary = summarise_probes(model.probes, start, end, timeout_seconds=timeout, agreement=agreement)
    ratio = summary.ratio
    if ratio is None or summary.failures == 0 or ratio < limit:
        return []
    evidence = _summary_evidence(summary, per_day, limit)
    reasons = "、".join(ERROR_WORDS.get(e, "HTTP 错误" if e == "http" else e) for e, _ in summary.errors)
    rate = percent_text(summary.failures, summary.probes)
    where = f"{len(summary.vantages)} 个监测点共同确认，" if len(summary.vantages) > 1 else ""
    short = summary.days_short(per_day)
    if short:
        if summary.probes < per_day:
            return []
        return [
            Finding(
                "availability.unreachable",
                model.homepage.url,
                f"{start}至{end} 监测不足（{len(short)} 天少于每天 {per_day} 次），已有 {summary.probes} 次访问中"
                f" {summary.failures} 次无法在 {timeout:g} 秒内打开首页（{rate}，{where}{reasons}），需人工确认",
                evidence,
                Severity.NOTICE,
            )
        ]
    return [
        Finding(
            "availability.unreachable",
            model.homepage.url,
            f"{start}至{end} 连续监测 {days} 天，{summary.probes} 次访问中 {summary.failures} 次无法在 {timeout:g} 秒内"
            f"打开首页（{rate}，{where}{reasons}），达到 {limit:.0%} 的否决线",
            evidence,
        )
    ]
