"""Forged publication dates (``content.fake_date``, a veto under 弄虚作假).

The displayed date is what an editor types; the CMS records the meta PubDate and, on many systems, a date in
the URL when the item is created, and numbers items in sequence. A source is trusted on a site only when it
agrees with the displayed date on nearly all of that site's items (a CMS that writes the modification time into
PubDate is not evidence of anything). Strong evidence — a trusted creation-time source far from the displayed
date, with no trusted source agreeing — is a veto candidate; weaker disagreement, a date later than the day the
page was fetched, or an item out of step with the CMS's numbering is a notice for an inspector to confirm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.model import DatedItem, ListSeen, SiteModel
from govinspect.scoring.profile import Profile

SOURCE_NAMES = {"meta": "页面元数据PubDate", "url_date": "网址中的日期", "listed": "栏目列表中的日期"}
_DEFAULTS = {
    "agree_days": 1,
    "reliable_share": 0.9,
    "reliable_min_items": 5,
    "strong_gap_days": 30,
    "weak_gap_days": 7,
    "sequence_min_items": 20,
    "sequence_concordance": 0.95,
    "sequence_min_witnesses": 3,
}


@dataclass(frozen=True)
class Rules:
    agree_days: int
    reliable_share: float
    reliable_min_items: int
    strong_gap_days: int
    weak_gap_days: int
    sequence_min_items: int
    sequence_concordance: float
    sequence_min_witnesses: int

    @classmethod
    def of(cls, profile: Profile) -> Rules:
        section = {**_DEFAULTS, **(profile.section("fake_date") or {})}
        return cls(**{name: section[name] for name in _DEFAULTS})


def _value(item: DatedItem, source: str) -> date | None:
    return getattr(item, source)


def source_agreement(items: Sequence[DatedItem], rules: Rules) -> dict[str, tuple[int, float]]:
    """Per source: on how many items it can be compared with the displayed date, and how often it agrees."""
    out = {}
    for source in SOURCE_NAMES:
        pairs = [(i.displayed, _value(i, source)) for i in items if i.displayed and _value(i, source)]
        if pairs:
            agree = sum(1 for shown, other in pairs if abs((shown - other).days) <= rules.agree_days)
            out[source] = (len(pairs), agree / len(pairs))
    return out


def _trusted(agreement: dict[str, tuple[int, float]], rules: Rules) -> set[str]:
    return {
        s
        for s, (n, share) in agreement.items()
        if n >= rules.reliable_min_items and share >= rules.reliable_share
    }


def _judge_item(item: DatedItem, trusted: set[str], rules: Rules) -> tuple[Severity, dict[str, int]] | None:
    """The severity of one item's disagreement and the gaps (displayed minus source, in days) that make it."""
    shown = item.displayed
    if shown is None:
        return None
    gaps = {s: (shown - v).days for s in SOURCE_NAMES if s in trusted and (v := _value(item, s)) is not None}
    machine = {s: g for s, g in gaps.items() if s in ("meta", "url_date")}
    agreeing = any(abs(g) <= rules.agree_days for g in machine.values())
    strong = not agreeing and (
        abs(machine.get("url_date", 0)) >= rules.strong_gap_days
        # a PubDate earlier than the displayed date: old content shown as new. A later one may be an edit.
        or machine.get("meta", 0) >= rules.strong_gap_days
    )
    if strong:
        return Severity.VETO, {s: g for s, g in gaps.items() if abs(g) > rules.agree_days}
    weak = {s: g for s, g in gaps.items() if abs(g) >= rules.weak_gap_days}
    if weak:
        return Severity.NOTICE, weak
    return None


def _against(a: DatedItem, b: DatedItem, days: int) -> bool:
    """Numbered one way, dated the other, by more than ``days``."""
    gap = (a.displayed - b.displayed).days  # type: ignore[operator]
    return (a.sequence - b.sequence) * gap < 0 and abs(gap) > days  # type: ignore[operator]


def _sequence_outliers(items: Sequence[DatedItem], rules: Rules) -> dict[str, list[DatedItem]]:
    """Items out of step with the CMS's numbering where the numbering otherwise follows the dates closely:
    url -> the items that witness it (numbered earlier but dated much later, or the reverse). The few items
    most out of step are set aside (at most a tenth) until the rest agree; those are the suspects."""
    schemes: dict[str, list[DatedItem]] = {}
    for item in items:
        if item.sequence is not None and item.sequence_scheme and item.displayed:
            schemes.setdefault(item.sequence_scheme, []).append(item)
    out: dict[str, list[DatedItem]] = {}
    for group in schemes.values():
        if len(group) < rules.sequence_min_items:
            continue
        against = {
            id(a): [b for b in group if b is not a and _against(a, b, rules.agree_days)] for a in group
        }
        kept = list(group)
        suspects: list[DatedItem] = []
        while True:
            n = len(kept)
            kept_ids = {id(i) for i in kept}
            counts = {id(a): sum(1 for b in against[id(a)] if id(b) in kept_ids) for a in kept}
            discordant = sum(counts.values()) / 2
            if 1 - discordant / (n * (n - 1) / 2) >= rules.sequence_concordance:
                break
            if len(suspects) >= len(group) // 10:
                suspects = []  # the numbering does not follow the dates here: no evidence either way
                break
            worst = max(kept, key=lambda i: counts[id(i)])
            suspects.append(worst)
            kept.remove(worst)
        for item in suspects:
            witnesses = [b for b in against[id(item)] if _against(item, b, rules.strong_gap_days - 1)]
            if len(witnesses) >= rules.sequence_min_witnesses:
                out[item.url] = witnesses
    return out


@dataclass(frozen=True)
class Backdated:
    url: str
    shown: date
    run_id: int | None
    run_day: date
    list_url: str
    oldest: date
    gap_days: int


def _in_order(pages: Sequence[ListSeen]) -> bool:
    """Each page lists newest first (one exception per page allowed: a pinned item)."""
    for page in pages:
        dates = [d for d in page.dates if d is not None]
        if sum(1 for a, b in pairwise(dates) if b > a) > 1:
            return False
    return True


def backdated_items(model: SiteModel, rules: Rules) -> list[Backdated]:
    """Items now listed under a date inside the span an earlier run's list of the same column covered, which
    that run did not see: put in later under an earlier date. Judged only where the earlier list was in date
    order and the column has stayed the same (most of today's items in that span were there then)."""
    ever = {url for seen in model.history for url in seen.urls}
    earlier: dict[tuple[int | None, str], list[ListSeen]] = {}
    for seen in model.history:
        earlier.setdefault((seen.run_id, seen.column_url), []).append(seen)
    now: dict[str, list[tuple[str, date, str]]] = {}
    for seen in model.lists:
        for url, day in zip(seen.urls, seen.dates, strict=False):
            if day is not None:
                now.setdefault(seen.column_url, []).append((url, day, seen.url))
    out: dict[str, Backdated] = {}
    for (run_id, column), pages in earlier.items():
        fetched = [p.fetched for p in pages if p.fetched is not None]
        dates = [d for p in pages for d in p.dates if d is not None]
        if not fetched or len(dates) < rules.reliable_min_items or not _in_order(pages):
            continue
        run_day, oldest = max(fetched), min(dates)
        then = {url for p in pages for url in p.urls}
        window = [(url, day, where) for url, day, where in now.get(column, []) if oldest < day < run_day]
        if len(window) < rules.reliable_min_items:
            continue
        if sum(1 for url, _, _ in window if url in then) / len(window) < rules.reliable_share - 0.1:
            continue
        for url, day, where in window:
            gap = (run_day - day).days
            if url not in ever and gap >= rules.weak_gap_days and url not in out:
                out[url] = Backdated(url, day, run_id, run_day, where, oldest, gap)
    return list(out.values())


def _message(item: DatedItem, gaps: dict[str, int]) -> str:
    parts = [f"{SOURCE_NAMES[s]}为{_value(item, s)}（相差{abs(g)}天）" for s, g in gaps.items()]
    return f"发布日期疑似伪造：页面显示{item.displayed}，" + "，".join(parts)


def check_fake_dates(model: SiteModel, profile: Profile, as_of: date) -> list[Finding]:
    rules = Rules.of(profile)
    items = list(model.dated_items)
    agreement = source_agreement(items, rules)
    trusted = _trusted(agreement, rules)
    sequence = _sequence_outliers(items, rules)
    findings = []
    for item in items:
        judged = _judge_item(item, trusted, rules)
        evidence: dict = {
            "displayed": _iso(item.displayed),
            "meta": _iso(item.meta),
            "url_date": _iso(item.url_date),
            "listed": _iso(item.listed),
            "agreement": {s: {"items": n, "share": round(share, 3)} for s, (n, share) in agreement.items()},
        }
        if judged is not None:
            severity, gaps = judged
            findings.append(
                Finding(
                    "content.fake_date",
                    item.url,
                    _message(item, gaps),
                    {
                        **evidence,
                        "disagreeing": gaps,
                        "strength": "strong" if severity is Severity.VETO else "weak",
                    },
                    severity,
                    item.snapshot_id,
                )
            )
        elif item.displayed and item.fetched and (item.displayed - item.fetched).days > rules.agree_days:
            findings.append(
                Finding(
                    "content.fake_date",
                    item.url,
                    f"发布日期{item.displayed}晚于页面抓取日期{item.fetched}",
                    {**evidence, "fetched": _iso(item.fetched), "strength": "weak"},
                    Severity.NOTICE,
                    item.snapshot_id,
                )
            )
        elif item.url in sequence:
            witnesses = sequence[item.url]
            findings.append(
                Finding(
                    "content.fake_date",
                    item.url,
                    f"发布日期{item.displayed}与网站内容编号顺序不符（{len(witnesses)}篇编号相邻的文章日期相差{rules.strong_gap_days}天以上）",
                    {
                        **evidence,
                        "sequence": item.sequence,
                        "witnesses": [
                            {"url": w.url, "sequence": w.sequence, "displayed": _iso(w.displayed)}
                            for w in witnesses[:5]
                        ],
                        "strength": "weak",
                    },
                    Severity.NOTICE,
                    item.snapshot_id,
                )
            )
    flagged = {f.url for f in findings if f.severity is not Severity.NOTICE}
    for late in backdated_items(model, rules):
        if late.url in flagged:
            continue
        strong = late.gap_days >= rules.strong_gap_days
        findings.append(
            Finding(
                "content.fake_date",
                late.url,
                f"疑似倒签发布日期：该信息显示日期为{late.shown}，但{late.run_day}检查时栏目列表已列出至{late.oldest}的信息，"
                f"当时并无此条（早于该次检查{late.gap_days}天）",
                {
                    "displayed": _iso(late.shown),
                    "earlier_run": late.run_id,
                    "earlier_run_day": _iso(late.run_day),
                    "earlier_list_oldest": _iso(late.oldest),
                    "list_url": late.list_url,
                    "gap_days": late.gap_days,
                    "strength": "strong" if strong else "weak",
                },
                Severity.VETO if strong else Severity.NOTICE,
                next((i.snapshot_id for i in items if i.url == late.url), None),
            )
        )
    return findings


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
