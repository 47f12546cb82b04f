"""站点无法访问 at inspection time: the homepage failed every one of several spaced attempts."""

from __future__ import annotations

from datetime import date

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import SiteModel
from govinspect.scoring.profile import Profile


def check_down_at_check(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    home = model.homepage
    if not home.attempts or home.answered:
        return []
    attempts = [{"status": a.status, "error": a.error} for a in home.attempts]
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
            f"首页在 {len(attempts)} 次间隔访问中均无法打开",
            {"attempts": attempts},
        )
    ]
