"""The new-media checks (INDICATORS.md §4): pure functions ``(facts, profile, as_of) -> list[Finding]``.

Each reads :class:`~govinspect.newmedia.model.AccountFacts` and the profile's ``newmedia`` section, never the
network or the clock. Precision first: what collection could not see is not a finding — an account whose
sources did not answer is not called stale, a menu nobody recorded is not called missing, a menu link that
was blocked (403) is not called dead.

Findings about the whole account point at its address (first source); findings about a post at the post.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from govinspect.checks.finding import Finding, Severity
from govinspect.newmedia.model import AccountFacts, Post
from govinspect.newmedia.sources import DEFAULT_CLOSURE_PHRASES
from govinspect.scoring.profile import Profile
from govinspect.text.check import check_text
from govinspect.text.protect import Whitelist

CONTEXT_CHARS = 24


@dataclass(frozen=True)
class NewMediaSettings:
    """The profile's ``newmedia`` section, typed (defaults are the national profile's values)."""

    stale_days: int = 14
    dormant_days: int = 180
    closed_posting_days: int = 14
    text_window_days: int = 92
    typo_chars_per_account: int = 600
    typo_severity: Severity = Severity.NOTICE
    menu_platforms: tuple[str, ...] = ("微信公众号",)
    entry_keywords: tuple[str, ...] = (
        "互动",
        "留言",
        "咨询",
        "投诉",
        "建议",
        "信箱",
        "问政",
        "写信",
        "12345",
    )
    ad_title_markers: tuple[str, ...] = ("广告", "推广")
    ad_phrases: tuple[str, ...] = ()
    ad_min_phrases: int = 2
    closure_phrases: tuple[str, ...] = DEFAULT_CLOSURE_PHRASES

    @classmethod
    def of(cls, profile: Profile) -> NewMediaSettings:
        section: Mapping[str, Any] = profile.section("newmedia")
        interaction = section.get("interaction") or {}
        ads = section.get("ads") or {}

        def words(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
            # YAML reads 12345 as a number: every entry is taken as text
            return tuple(str(v) for v in value) if isinstance(value, list) else default

        base = cls()
        return cls(
            stale_days=int(section.get("stale_days", base.stale_days)),
            dormant_days=int(section.get("dormant_days", base.dormant_days)),
            closed_posting_days=int(section.get("closed_posting_days", base.closed_posting_days)),
            text_window_days=int(section.get("text_window_days", base.text_window_days)),
            typo_chars_per_account=int(section.get("typo_chars_per_account", base.typo_chars_per_account)),
            typo_severity=Severity(str(section.get("typo_severity", base.typo_severity.value))),
            menu_platforms=words(interaction.get("menu_platforms"), base.menu_platforms),
            entry_keywords=words(interaction.get("entry_keywords"), base.entry_keywords),
            ad_title_markers=words(ads.get("title_markers"), base.ad_title_markers),
            ad_phrases=words(ads.get("phrases"), base.ad_phrases),
            ad_min_phrases=int(ads.get("min_phrases", base.ad_min_phrases)),
            closure_phrases=words(section.get("closure_phrases"), base.closure_phrases),
        )


_SETTINGS: dict[int, tuple[Profile, NewMediaSettings]] = {}


def settings_of(profile: Profile) -> NewMediaSettings:
    cached = _SETTINGS.get(id(profile))
    if cached is None or cached[0] is not profile:
        cached = _SETTINGS[id(profile)] = (profile, NewMediaSettings.of(profile))
    return cached[1]


def _until(posts: Sequence[Post], as_of: date) -> list[Post]:
    """Posts published on or before the time point, newest first (later ones do not exist yet for it)."""
    dated = [p for p in posts if p.day is not None and p.day <= as_of]
    return sorted(dated, key=lambda p: p.published, reverse=True)  # type: ignore[arg-type, return-value]


def _judgeable(facts: AccountFacts, as_of: date) -> bool:
    """Whether the posts known reach back to the time point: collected, and either a post on or before it,
    or a source that listed nothing at all (an account that never posted)."""
    if not facts.collected or any(s.closed_text for s in facts.sources):
        return False
    if any(p.day is not None and p.day <= as_of for p in facts.posts):
        return True
    return not facts.posts and all(s.items == 0 for s in facts.sources if s.ok and s.kind != "menu")


def check_stale(facts: AccountFacts, profile: Profile, as_of: date) -> list[Finding]:
    """内容不更新 (veto): no post in the ``stale_days`` before the time point."""
    settings = settings_of(profile)
    if not facts.account.running or not _judgeable(facts, as_of):
        return []
    posts = _until(facts.posts, as_of)
    latest = posts[0].day if posts else None
    if latest is not None and (as_of - latest).days <= settings.stale_days:
        return []
    since = "从未发布信息" if latest is None else f"最近一次发布于{latest.isoformat()}"
    return [
        Finding(
            "newmedia.stale",
            facts.account.home,
            f"监测时间点前{settings.stale_days}天内无更新（{since}）",
            {
                "latest": latest.isoformat() if latest else None,
                "limit_days": settings.stale_days,
                "days": (as_of - latest).days if latest else None,
                "latest_url": posts[0].url if posts else None,
            },
            Severity.VETO,
        )
    ]


def check_dormant(facts: AccountFacts, profile: Profile, as_of: date) -> list[Finding]:
    """僵尸/睡眠账号: no post for ``dormant_days`` (or never)."""
    settings = settings_of(profile)
    if not facts.account.running or not _judgeable(facts, as_of):
        return []
    posts = _until(facts.posts, as_of)
    latest = posts[0].day if posts else None
    if latest is not None and (as_of - latest).days <= settings.dormant_days:
        return []
    since = (
        "从未发布信息"
        if latest is None
        else f"已{(as_of - latest).days}天未发布信息（最近一次{latest.isoformat()}）"
    )
    return [
        Finding(
            "newmedia.dormant",
            facts.account.home,
            f"长期不更新的“僵尸”“睡眠”账号：{since}，应整改或关停注销",
            {"latest": latest.isoformat() if latest else None, "limit_days": settings.dormant_days},
        )
    ]


def _is_entry(name: str, keywords: Sequence[str]) -> bool:
    return any(k in name for k in keywords)


def check_interaction(facts: AccountFacts, profile: Profile, as_of: date) -> list[Finding]:
    """互动回应差 (veto): no menu, no interaction entry in it, or every interaction entry's link is dead."""
    settings = settings_of(profile)
    account = facts.account
    if not account.running or account.key.platform not in settings.menu_platforms or account.menu is None:
        return []
    if any(s.closed_text for s in facts.sources):
        return []  # closed on its platform: a status finding, not an interaction one
    if not account.menu:
        return [
            Finding(
                "newmedia.no_interaction",
                account.home,
                "未设置菜单，缺少有效互动渠道",
                {"menu": []},
                Severity.VETO,
            )
        ]
    names = [e.name for e in account.menu]
    entries = [e for e in account.menu if _is_entry(e.name, settings.entry_keywords)]
    if not entries:
        return [
            Finding(
                "newmedia.no_interaction",
                account.home,
                f"菜单（{'、'.join(names)}）中没有留言、咨询等互动功能入口",
                {"menu": names},
                Severity.VETO,
            )
        ]
    probes = {p.url: p for p in facts.menu_probes}
    if any(e.url is None or e.url not in probes for e in entries):
        return []  # an automatic reply, or a link not probed: not known to be dead
    dead = [e for e in entries if probes[e.url].failed]  # type: ignore[index]
    if len(dead) < len(entries):
        return []
    first = probes[dead[0].url]  # type: ignore[index]
    return [
        Finding(
            "newmedia.no_interaction",
            dead[0].url or account.home,
            f"互动入口“{'、'.join(e.name for e in dead)}”无法打开",
            {
                "menu": names,
                "entries": [
                    {
                        "name": e.name,
                        "url": e.url,
                        "statuses": list(probes[e.url].statuses),  # type: ignore[index]
                        "errors": list(probes[e.url].errors),
                    }
                    for e in dead
                ],  # type: ignore[index]
                "target": first.url,
            },
            Severity.VETO,
        )
    ]


def _window(facts: AccountFacts, profile: Profile, as_of: date) -> list[Post]:
    settings = settings_of(profile)
    start = as_of - timedelta(days=settings.text_window_days)
    return [p for p in _until(facts.posts, as_of) if p.day is not None and p.day >= start]


def _context(text: str, start: int, end: int, shown: str) -> str:
    before = text[max(0, start - CONTEXT_CHARS) : start]
    after = text[end : end + CONTEXT_CHARS]
    return f"{before}{shown}{after}".replace("\n", " ")


def check_text_of_posts(facts: AccountFacts, profile: Profile, as_of: date) -> list[Finding]:
    """严重表述错误 (veto) and 错别字 in the posts of the text window, newest first; the typo checker gets a
    character budget per account (it is the slow one)."""
    settings = settings_of(profile)
    if not facts.account.running:
        return []
    account = facts.account
    whitelist = Whitelist([account.name, account.unit, account.region])
    budget = settings.typo_chars_per_account
    findings: list[Finding] = []
    for post in _window(facts, profile, as_of):
        text = "\n".join(t for t in (post.title, post.text) if t)
        typos = budget > 0
        if typos:
            budget -= len(text)
        for hit in check_text(text, as_of=post.day or as_of, whitelist=whitelist, typos=typos):
            if hit.check in ("content.serious_error", "content.illegal"):
                check, severity = "newmedia.serious_error", Severity(hit.severity)
            elif hit.check == "content.typo":
                check, severity = "newmedia.typo", settings.typo_severity
            else:
                continue
            evidence = {
                **hit.evidence,
                "kind": hit.check.split(".", 1)[1],
                "text": hit.text,
                "suggestion": hit.suggestion,
                "context": _context(text, hit.start, hit.end, hit.text),
                "post_title": post.title,
                "published": post.day.isoformat() if post.day else None,
            }
            findings.append(
                Finding(
                    check,
                    post.url or account.home,
                    hit.message,
                    {k: v for k, v in evidence.items() if v not in (None, "", [], {})},
                    severity,
                )
            )
    return findings


_MARK_TRIM = re.compile(r"^[\s【\[（(「『<《]+")


def check_ads(facts: AccountFacts, profile: Profile, as_of: date) -> list[Finding]:
    """商业广告: a post titled as an advertisement (【广告】…), or carrying several commercial phrases."""
    settings = settings_of(profile)
    if not facts.account.running:
        return []
    findings = []
    for post in _window(facts, profile, as_of):
        head = _MARK_TRIM.sub("", post.title)
        marker = next(
            (
                m
                for m in settings.ad_title_markers
                if head.startswith(m) and head[len(m) : len(m) + 1] in "】]）)」』>》:：|丨 "
            ),
            None,
        )
        body = f"{post.title}\n{post.text}"
        phrases = [p for p in settings.ad_phrases if p in body]
        if marker is None and len(phrases) < settings.ad_min_phrases:
            continue
        why = f"标题标注为“{marker}”" if marker else f"含“{'”“'.join(phrases[:4])}”等商业推广用语"
        findings.append(
            Finding(
                "newmedia.ads",
                post.url or facts.account.home,
                f"发布商业广告内容：{why}",
                {
                    "post_title": post.title,
                    "published": post.day.isoformat() if post.day else None,
                    **({"marker": marker} if marker else {}),
                    "phrases": phrases,
                },
            )
        )
    return findings


def check_duplicate(facts: AccountFacts, profile: Profile, as_of: date) -> list[Finding]:
    """同一单位在同一平台开设多个账号 (多头开设): every account of such a group gets the finding."""
    account = facts.account
    peers = [p for p in facts.peers if p.running and p.key != account.key]
    if not account.running or not peers:
        return []
    names = "、".join(f"“{p.name}”" for p in peers[:5])
    return [
        Finding(
            "newmedia.duplicate",
            account.home,
            f"{account.unit}在{account.key.platform}还开设了{names}，同一单位同一平台重复开设账号",
            {
                "unit": account.unit,
                "platform": account.key.platform,
                "others": [{"account_id": p.key.account_id, "name": p.name} for p in peers],
            },
        )
    ]


def check_registration(facts: AccountFacts, profile: Profile, as_of: date) -> list[Finding]:
    """备案 reconciliation for a registry account: running but not registered; registered as closed yet
    posting; closed (the platform says so) yet marked running."""
    settings = settings_of(profile)
    account = facts.account
    posts = _until(facts.posts, as_of)
    latest = posts[0].day if posts else None
    recent = latest is not None and (as_of - latest).days <= settings.closed_posting_days
    closed = next((s for s in facts.sources if s.closed_text), None)
    findings = []
    if not account.listed:
        if latest is not None and (as_of - latest).days <= settings.dormant_days:
            findings.append(
                Finding(
                    "newmedia.unregistered",
                    posts[0].url or account.home,
                    f"账号{latest.isoformat()}仍在发布信息，但名录中没有该账号（未备案，瞒报漏报）",  # type: ignore[union-attr]
                    {"latest": latest.isoformat(), "variant": "not_in_registry"},  # type: ignore[union-attr]
                )
            )
        return findings
    if not account.registered and (account.running or recent) and closed is None:
        findings.append(
            Finding(
                "newmedia.unregistered",
                account.home,
                "账号正在运行，但未在政务新媒体信息报送系统备案（瞒报漏报）",
                {"status": account.status, "latest": latest.isoformat() if latest else None},
            )
        )
    if not account.running and recent:
        findings.append(
            Finding(
                "newmedia.status_mismatch",
                posts[0].url or account.home,
                f"名录登记为“{account.status}”，但{latest.isoformat()}仍在发布信息",  # type: ignore[union-attr]
                {
                    "registered_status": account.status,
                    "latest": latest.isoformat(),
                    "variant": "closed_but_posting",
                },  # type: ignore[union-attr]
            )
        )
    if account.running and closed is not None:
        findings.append(
            Finding(
                "newmedia.status_mismatch",
                closed.url,
                f"账号页面显示“{closed.closed_text}”，但名录中仍登记为运行",
                {
                    "registered_status": account.status,
                    "shown": closed.closed_text,
                    "variant": "closed_but_running",
                },
            )
        )
    return findings


CheckFn = Callable[[AccountFacts, Profile, date], list[Finding]]
NEWMEDIA_CHECKS: tuple[CheckFn, ...] = (
    check_text_of_posts,
    check_stale,
    check_interaction,
    check_dormant,
    check_ads,
    check_duplicate,
    check_registration,
)
NEWMEDIA_CHECK_IDS = (
    "newmedia.serious_error",
    "newmedia.stale",
    "newmedia.no_interaction",
    "newmedia.typo",
    "newmedia.dormant",
    "newmedia.ads",
    "newmedia.duplicate",
    "newmedia.unregistered",
    "newmedia.status_mismatch",
)


def run_checks(facts: AccountFacts, profile: Profile, as_of: date) -> list[Finding]:
    return [finding for check in NEWMEDIA_CHECKS for finding in check(facts, profile, as_of)]
