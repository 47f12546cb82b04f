"""Reconciliation with what sites show: the accounts a site lists (政务新媒体矩阵 pages, footers such as
“恩平政务 微信公众号 / 官方微博”, QR-code captions) compared with the registry.

Sites name accounts, rarely their IDs, so an account is matched by platform and name. A name the registry does
not have on that platform becomes an ``newmedia.unregistered`` *notice*: the site says the account runs, a
person confirms it is not a registered account under another name. A name that matches only registry accounts
marked closed becomes a ``newmedia.status_mismatch`` notice on them (variant ``closed_but_listed``). Pure extraction (:func:`find_accounts`)
is separate from reading stored pages (:func:`seen_on_sites`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import select

from govinspect.checks.finding import Finding, Severity
from govinspect.extract.page import Page, parse_page
from govinspect.newmedia.model import AccountInfo, AccountKey, SeenAccount
from govinspect.store import Store
from govinspect.store.models import Site, Snapshot
from govinspect.store.snapshots import SnapshotStore

# platform words as sites write them -> registry Platform value
PLATFORM_WORDS: dict[str, str] = {
    "微信公众号": "微信公众号", "微信公众平台": "微信公众号", "官方微信": "微信公众号", "政务微信": "微信公众号",
    "公众号": "微信公众号", "微信": "微信公众号", "官方微博": "微博", "政务微博": "微博", "新浪微博": "微博",
    "微博": "微博", "抖音号": "抖音", "抖音": "抖音", "头条号": "今日头条", "今日头条": "今日头条", "快手号": "快手",
    "快手": "快手", "客户端": "客户端APP", "APP": "客户端APP", "小程序": "小程序",
}  # fmt: skip
_WORDS = "|".join(sorted(map(re.escape, PLATFORM_WORDS), key=len, reverse=True))
_NAME = r"[\u4e00-\u9fffA-Za-z0-9·]{2,20}"
_LEAD = re.compile(r"^(?:扫一扫|扫码|扫描二维码|请扫码|欢迎|关注|长按识别|识别二维码|打开)+")
_GENERIC = frozenset(
    {"官方", "政务", "本网", "本站", "我们", "关注", "扫一扫", "手机版", "移动版", "网站", "二维码", "扫码关注",
     "欢迎关注", "政务新媒体", "新媒体", "下载", "客户端下载", "移动端"}
)  # fmt: skip
# “恩平发布”微信公众号 / “恩平发布” 官方微博
_QUOTED = re.compile(rf"[“\"「『]({_NAME})[”\"」』]\s*((?:(?:{_WORDS})\s*[/、和及与]?\s*)+)")
# 微信公众号：恩平发布 / 官方微博 @恩平发布
_LABELLED = re.compile(rf"({_WORDS})\s*(?:[:：]\s*@?|@)\s*({_NAME})")
# 恩平政务 微信公众号 / 官方微博 (a name, then one or more platform words)
_TRAILING = re.compile(rf"({_NAME}?)\s*((?:(?:{_WORDS})\s*[/、和及与|]?\s*)+)$")


def _platforms(words: str) -> list[str]:
    return list(dict.fromkeys(PLATFORM_WORDS[w] for w in re.findall(_WORDS, words)))


def normalise_name(name: str) -> str:
    name = unicodedata.normalize("NFKC", name)
    return re.sub(r"[\s“”\"「」『』@·]", "", name)


def _clean(name: str) -> str | None:
    name = _LEAD.sub("", normalise_name(name))
    name = re.sub(rf"(?:{_WORDS})$", "", name)
    if (
        len(name) < 2
        or name in _GENERIC
        or name.isdigit()
        or name.endswith("的")
        or name.startswith(("我们", "本网", "本站", "本单位", "本机关", "本部门"))  # not 本溪市
    ):
        return None
    return name


def find_accounts(page: Page, *, how: str = "page") -> list[SeenAccount]:
    """Accounts a page names, from its visible lines and image captions (alt text of QR codes)."""
    lines = [line.strip() for line in page.body_text.split("\n") if line.strip()]
    lines += [link.text for link in page.links if link.kind == "img" and link.text]
    seen: dict[tuple[str, str], SeenAccount] = {}

    def add(name: str, platform: str, line: str, kind: str) -> None:
        cleaned = _clean(name)
        if cleaned is not None:
            seen.setdefault(
                (platform, cleaned),
                SeenAccount(
                    None, cleaned, page.url, kind, evidence={"platform": platform, "text": line[:120]}
                ),
            )

    for line in lines:
        if len(line) > 200 or not re.search(_WORDS, line):
            continue
        kind = "qrcode" if ("扫" in line or "二维码" in line) else how
        found = False
        for match in _QUOTED.finditer(line):
            for platform in _platforms(match.group(2)):
                add(match.group(1), platform, line, kind)
                found = True
        for match in _LABELLED.finditer(line):
            add(match.group(2), PLATFORM_WORDS[match.group(1)], line, kind)
            found = True
        if not found and len(line) <= 40:
            match = _TRAILING.search(line)
            if match and match.group(1):
                for platform in _platforms(match.group(2)):
                    add(match.group(1), platform, line, kind)
    return list(seen.values())


def _flat(raw: dict | None) -> dict[str, str]:
    """Stored headers are lists per name; parse_page wants one value."""
    return {str(k).lower(): (v[0] if isinstance(v, list) and v else str(v)) for k, v in (raw or {}).items()}


def matrix_link(text: str) -> bool:
    """Whether a link's text leads to a page listing the site's accounts (政务新媒体矩阵 and the like)."""
    return bool(re.search(r"新媒体|政务微信|政务微博|新媒体矩阵", text or ""))


def seen_on_sites(
    store: Store, snapshots_dir: Path | str, site_codes: Iterable[str] | None = None
) -> list[SeenAccount]:
    """Accounts the stored homepages of running sites name, and the 新媒体矩阵 pages they link to (when the
    crawl stored them); each with the page it was seen on."""
    snapshots = SnapshotStore(store, snapshots_dir)
    with store.session() as session:
        query = select(Site.site_code).where(Site.status == "运行")
        codes = [c for c in session.scalars(query) if site_codes is None or c in set(site_codes)]
    seen: list[SeenAccount] = []
    for code in codes:
        with store.session() as session:
            home = session.scalars(
                select(Snapshot)
                .where(Snapshot.site_code == code, Snapshot.kind == "homepage", Snapshot.error.is_(None))
                .order_by(Snapshot.id.desc())
                .limit(1)
            ).first()
        if home is None:
            continue
        body = snapshots.body(home)
        if not body:
            continue
        page = parse_page(home.final_url or home.url, body, headers=_flat(home.headers))
        seen += find_accounts(page, how="footer")
        for link in page.links:
            if link.kind != "a" or not matrix_link(link.text):
                continue
            stored = snapshots.latest(code, link.url, with_body=True)
            matrix_body = snapshots.body(stored) if stored is not None and stored.error is None else None
            if matrix_body:
                seen += find_accounts(
                    parse_page(link.url, matrix_body, headers=_flat(stored.headers)), how="matrix"
                )  # type: ignore[union-attr]
    return seen


def _same(known: str, name: str) -> bool:
    """Names match when equal, or when one contains the other and both have four or more characters."""
    return known == name or (len(known) >= 4 and len(name) >= 4 and (known in name or name in known))


def closed_seen(
    seen: Sequence[SeenAccount], registry: Sequence[AccountInfo]
) -> list[tuple[AccountInfo, Finding]]:
    """Registry accounts marked closed (关停, 下线) that a site still names: every registry account of the
    platform the name matches is closed. A ``newmedia.status_mismatch`` notice (variant ``closed_but_listed``)
    on the account: either it still runs and the registry is wrong, or the site was not updated."""
    by_platform: dict[str, list[AccountInfo]] = {}
    for account in registry:
        by_platform.setdefault(account.key.platform, []).append(account)
    out: list[tuple[AccountInfo, Finding]] = []
    reported: set[AccountKey] = set()
    for account in seen:
        platform = str(account.evidence.get("platform", ""))
        matches = [a for a in by_platform.get(platform, []) if _same(normalise_name(a.name), account.name)]
        if not matches or any(a.running for a in matches):
            continue
        for match in matches:
            if match.key in reported:
                continue
            reported.add(match.key)
            out.append(
                (
                    match,
                    Finding(
                        "newmedia.status_mismatch",
                        account.where,
                        f"名录登记为“{match.status}”的{platform}“{match.name}”仍列在网站上，请核实账号是否仍在运行或网站未及时更新",
                        {
                            "variant": "closed_but_listed",
                            "registered_status": match.status,
                            "platform": platform,
                            "name": account.name,
                            "how": account.how,
                            "text": account.evidence.get("text"),
                        },
                        Severity.NOTICE,
                    ),
                )
            )
    return out


def unregistered_seen(
    seen: Sequence[SeenAccount], registry: Sequence[AccountInfo]
) -> list[tuple[SeenAccount, Finding]]:
    """The accounts seen that no registry account of the same platform matches by name (equal, or one name
    containing the other when both have four or more characters)."""
    names: dict[str, list[str]] = {}
    for account in registry:
        names.setdefault(account.key.platform, []).append(normalise_name(account.name))
    out: list[tuple[SeenAccount, Finding]] = []
    reported: set[tuple[str, str]] = set()
    for account in seen:
        platform = str(account.evidence.get("platform", ""))
        known = names.get(platform, [])
        name = account.name
        if any(_same(n, name) for n in known):
            continue
        if (platform, name) in reported:
            continue
        reported.add((platform, name))
        out.append(
            (
                account,
                Finding(
                    "newmedia.unregistered",
                    account.where,
                    f"网站列出的{platform}“{name}”在政务新媒体名录中找不到，请核实是否未备案（瞒报漏报）",
                    {
                        "variant": "seen_on_site",
                        "platform": platform,
                        "name": name,
                        "how": account.how,
                        "text": account.evidence.get("text"),
                    },
                    Severity.NOTICE,
                ),
            )
        )
    return out
