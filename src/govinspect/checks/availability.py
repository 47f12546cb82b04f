"""站点无法访问 at inspection time: the homepage failed every one of several spaced attempts."""

from __future__ import annotations

from datetime import date

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import Attempt, SiteModel
from govinspect.scoring.profile import Profile

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
