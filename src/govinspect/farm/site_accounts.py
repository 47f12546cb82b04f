"""Which new-media accounts each farm site names, and the HTML that names them (reconciliation's test data).

Decided when the site farm is planned, from the registry rows of the site's unit (``accounts.csv``), so the
pages can be rendered before the new-media farm is built from the same rows. A site that serves pages (no
``behaviour``) names its unit's running accounts in a block of its homepage footer (the forms sites use:
“恩平发布”微信公众号 / 官方微博, 微信公众号：恩平发布, 恩平发布 微信公众号) and, for some sites, on a
政务新媒体矩阵 page linked from that block (QR codes with captions and alt text). Some sites also name:

- an account of the unit that is *not* in the registry (on a platform the registry has nothing of that name
  on) — the new-media truth expects ``newmedia.unregistered`` (variant ``seen_on_site``);
- a registry account marked closed (关停) — still listed; it is in the registry, so it is no unregistered one.

``site_accounts.json`` at the farm root records it for the new-media build (farm/newmedia.py)::

    [{"site_code", "unit", "region", "homepage", "matrix": url | null,
      "accounts": [{"platform", "name", "account_id", "status", "in_registry", "on": ["footer"|"matrix"]}]}]
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from govinspect.farm.plan import SitePlan
from govinspect.registry.model import Platform, RunStatus

FILE = "site_accounts.json"
QR_IMAGE = "/images/qrcode.png"
MATRIX_PATH = {"trs": "/zwxmt/index.html", "wcm": "/zwxmt/index.shtml", "jsp": "/zwxmt/index.jsp"}
MATRIX_TITLE = "政务新媒体矩阵"
# how sites write each platform (all words reconcile.PLATFORM_WORDS knows)
WORDS = {
    Platform.WECHAT.value: ("微信公众号", "官方微信", "政务微信"),
    Platform.WEIBO.value: ("官方微博", "政务微博", "新浪微博"),
    Platform.DOUYIN.value: ("抖音号", "抖音"),
    Platform.TOUTIAO.value: ("头条号", "今日头条"),
    Platform.KUAISHOU.value: ("快手号", "快手"),
}
FOOTER_FORMS = ("quoted", "labelled", "trailing")
UNREGISTERED_RATE, CLOSED_LISTED_RATE, MATRIX_RATE = 0.35, 0.6, 0.5


@dataclass(frozen=True)
class Shown:
    platform: str
    name: str
    account_id: str
    status: str  # the registry's 运行状态; 运行 for an account not in the registry
    in_registry: bool
    on: tuple[str, ...]  # footer | matrix


@dataclass
class Listing:
    """What one site names: its accounts, the footer form, and its matrix page (path, or None)."""

    site_code: str
    unit: str
    region: str
    style: str
    footer_form: str
    matrix_path: str | None
    accounts: list[Shown] = field(default_factory=list)
    words: dict[tuple[str, str], str] = field(default_factory=dict)  # (platform, name) -> platform word

    def word(self, account: Shown) -> str:
        return self.words[(account.platform, account.name)]


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name)


def _clashes(name: str, platform: str, registry: Sequence[Sequence[str]]) -> bool:
    """Whether a registry name on ``platform`` would match ``name`` (equal, or containing it either way when
    both have four or more characters): such a case is ambiguous, so the farm does not make it."""
    for row in registry:
        if row[0] != platform:
            continue
        other = _key(row[1])
        if other == name or (len(other) >= 4 and len(name) >= 4 and (other in name or name in other)):
            return True
    return False


def _new_id(rng: random.Random, platform: str) -> str:
    if platform == Platform.WECHAT.value:
        return "gh_" + "".join(rng.choice("0123456789abcdef") for _ in range(12))
    return str(rng.randint(10_000_000_000, 99_999_999_999))


def plan_listings(
    plans: Sequence[SitePlan], rows: Sequence[tuple[int, Sequence[str]]], seed: int, styles: dict[int, str]
) -> dict[int, Listing]:
    """Per site index, what the site names. ``rows``: (site index, registry row) as accounts.csv holds them;
    ``styles``: site index -> CMS style. Deterministic in ``seed``; draws nothing from the other farm RNGs."""
    rng = random.Random(f"{seed}:site-accounts")
    registry = [row for _, row in rows]
    by_site: dict[int, list[Sequence[str]]] = {}
    for index, row in rows:
        by_site.setdefault(index, []).append(row)
    out: dict[int, Listing] = {}
    forced_unregistered = False
    for plan in plans:
        own = by_site.get(plan.index, [])
        if plan.behaviour is not None or not own:
            continue  # nothing served (or nothing of the unit's to name)
        listing = Listing(
            plan.site_code,
            plan.sponsor,
            plan.region,
            styles[plan.index],
            rng.choice(FOOTER_FORMS),
            MATRIX_PATH[styles[plan.index]] if rng.random() < MATRIX_RATE else None,
        )
        for row in own:
            platform, name, account_id, _unit, _region, status = row[:6]
            running = status == RunStatus.RUNNING.value
            if not running and rng.random() >= CLOSED_LISTED_RATE:
                continue
            where = ("footer", "matrix") if listing.matrix_path else ("footer",)
            if not running and listing.matrix_path:
                where = ("matrix",)  # a closed account left on the matrix page
            listing.accounts.append(Shown(platform, name, account_id, status, True, where))
        # the first site that serves pages always names one (a small farm has a case), others by chance
        if not forced_unregistered or rng.random() < UNREGISTERED_RATE:
            short = plan.name.removesuffix("人民政府")
            for platform, name in ((Platform.KUAISHOU.value, f"{short}发布"), (Platform.DOUYIN.value, f"{short}政务"),
                                   (Platform.TOUTIAO.value, f"{short}资讯")):  # fmt: skip
                if not _clashes(name, platform, registry) and all(
                    a.platform != platform for a in listing.accounts
                ):
                    where = ("matrix",) if listing.matrix_path else ("footer",)
                    listing.accounts.append(
                        Shown(platform, name, _new_id(rng, platform), RunStatus.RUNNING.value, False, where)
                    )
                    forced_unregistered = True
                    break
        for account in listing.accounts:
            listing.words[(account.platform, account.name)] = rng.choice(WORDS[account.platform])
        out[plan.index] = listing
    return out


# -- HTML -----------------------------------------------------------------------------------------------------


def footer_html(listing: Listing) -> str:
    """The homepage footer's new-media line(s) (``<p>`` elements) and the link to the matrix page."""
    shown = [a for a in listing.accounts if "footer" in a.on]
    groups: dict[str, list[Shown]] = {}
    for account in shown:
        groups.setdefault(account.name, []).append(account)
    lines = []
    for name, accounts in groups.items():
        words = [escape(listing.word(a)) for a in accounts]
        if listing.footer_form == "quoted":
            lines.append(f"“{escape(name)}”{' / '.join(words)}")
        elif listing.footer_form == "labelled":
            lines.append("　".join(f"{w}：{'@' if '微博' in w else ''}{escape(name)}" for w in words))
        else:
            lines.append(f"{escape(name)} {' / '.join(words)}")
    if listing.matrix_path:
        lines.append(f'<a href="{listing.matrix_path}">{MATRIX_TITLE}</a>')
    return "".join(f'<p class="xmt">{line}</p>\n' for line in lines)


def matrix_html(listing: Listing) -> str:
    """The body of the 政务新媒体矩阵 page: one QR code per account, captioned."""
    items = []
    for n, account in enumerate(a for a in listing.accounts if "matrix" in a.on):
        name, word = escape(account.name), escape(listing.word(account))
        caption = (f"扫码关注“{name}”{word}", f"{word}：{name}", f"“{name}”{word}")[n % 3]
        items.append(
            f'<li><img src="{QR_IMAGE}" alt="“{name}”{word}二维码" width="120" height="120">'
            f"<p>{caption}</p></li>"
        )
    return (
        f'<div class="main"><h2>{MATRIX_TITLE}</h2><p>{escape(listing.unit)}政务新媒体账号</p>'
        f'<ul class="xmt-list">{"".join(items)}</ul></div>\n'
    )


def listings_json(listings: dict[int, Listing], bases: dict[int, tuple[str, str]]) -> bytes:
    """``site_accounts.json``; ``bases``: site index -> (base URL, homepage path)."""
    data = []
    for index in sorted(listings):
        listing, (base, home) = listings[index], bases[index]
        data.append(
            {
                "site_code": listing.site_code,
                "unit": listing.unit,
                "region": listing.region,
                "homepage": base + home,
                "matrix": base + listing.matrix_path if listing.matrix_path else None,
                "accounts": [
                    {"platform": a.platform, "name": a.name, "account_id": a.account_id, "status": a.status,
                     "in_registry": a.in_registry, "on": list(a.on)}
                    for a in listing.accounts
                ],
            }
        )  # fmt: skip
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
