"""The farm's government new-media accounts: feeds, H5 pages, menus and post lists, with defects and truth.

``build_newmedia(root, rows, …)`` takes the accounts of a farm (its ``accounts.csv`` rows, or
``synthetic_rows(n, seed)`` for a benchmark without sites) and writes, deterministically::

    newmedia/accounts.csv   the registry columns plus 菜单 and 采集地址 (govinspect newmedia --accounts)
    newmedia/posts.csv      a monitoring vendor's export (平台, 账号ID, 标题, 发布时间, 链接, 正文) for the
                            accounts read from imports, and for two accounts the registry does not have
    newmedia/data/<slug>/<account id>.json   what the server renders from
    newmedia/truth.json     ground truth (below)

The external origin serves (``NewMediaSite``, hooked into farm/server.py, or alone with ``serving_newmedia``)
under ``/nm/<slug>/<account id>/``: ``feed.xml`` (RSS 2.0, 微信公众号 as RSSHub gives it), ``atom.xml`` (微博),
``feed.json`` (JSON Feed, 抖音/快手), ``index.html`` (H5 list of articles, 今日头条/小程序), ``app.html`` (an
app's download page), ``a/<n>.html`` (every post as an H5 article) and ``menu/<k>.html`` (menu link targets;
a dead one answers 404). Feeds list the newest 20 posts, answer ETag/If-None-Match with 304, and an account
closed on its platform answers every route with a “该帐号已注销” page.

Defects (each account at most one freshness state, one content defect, one menu defect): stale (latest post
20–60 days before ``as_of``), dormant (200–500 days, or never posted), closed on the platform while the registry
says 运行, serious wording errors and typos (the site farm's tables), commercial ads, no menu / no interaction
entry / a dead interaction link, a second account of a unit on one platform, accounts not registered, registry
closed yet posting, accounts absent from the registry that post. Decoys that must not fire: news about
整治虚假广告, a post mentioning one coupon, a dead non-interaction menu link.

truth.json::

    {"schema": 1, "as_of", "seed", "profile": "national-2019",
     "accounts": [{"platform", "account_id", "name", "unit", "listed", "source": "rss|atom|jsonfeed|h5|app|
                   import|null", "home", "expected_verdict": "合格|不合格|null" (null: not judged),
                   "expected_vetoes": [...], "defects": [{"check", "severity", "url", "evidence", "variant"?}]}]}

Post-level defects (serious_error, typo, ads) name the post's URL; the others the account's ``home``.

A site farm's sites name some accounts (``site_accounts.json``, farm/site_accounts.py): the truth then has
``"seen_on_sites": [{"site_code", "platform", "name", "account_id", "url", "on", "registry_status"}]``, an entry
(``listed`` false, no source) expecting ``newmedia.unregistered`` variant ``seen_on_site`` for each account named
that the registry lacks, and ``newmedia.status_mismatch`` variant ``closed_but_listed`` on a closed registry
account still named; both notices, found only by ``newmedia check --from-sites`` (``compare_seen`` scores them;
``compare_accounts(…, from_sites=True)`` expects them).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import random
import threading
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from html import escape
from pathlib import Path

from govinspect.farm.site_accounts import FILE as SITE_ACCOUNTS
from govinspect.farm.text import (
    MEETING_TITLES,
    PARAGRAPHS_BODY,
    PARAGRAPHS_OPEN,
    SERIOUS_ERRORS,
    TYPOS,
    body_paragraphs,
    fill,
)
from govinspect.registry.model import Platform, RunStatus
from govinspect.registry.validate import ACCOUNT_HEADERS

PREFIX = "/nm/"
STATS = "/nm/__stats__"
CHINA = timezone(timedelta(hours=8))
FEED_ITEMS = 20
STALE_DAYS, DORMANT_DAYS, CLOSED_POSTING_DAYS, WINDOW_DAYS = 14, 180, 14, 92
SLUG = {
    Platform.WECHAT.value: "wx",
    Platform.WEIBO.value: "wb",
    Platform.DOUYIN.value: "dy",
    Platform.TOUTIAO.value: "tt",
    Platform.KUAISHOU.value: "ks",
    Platform.APP.value: "app",
    Platform.MINIPROGRAM.value: "mp",
    Platform.OTHER.value: "qt",
}
KIND = {
    Platform.WECHAT.value: "rss",
    Platform.WEIBO.value: "atom",
    Platform.DOUYIN.value: "jsonfeed",
    Platform.TOUTIAO.value: "h5",
    Platform.KUAISHOU.value: "jsonfeed",
    Platform.APP.value: "app",
    Platform.MINIPROGRAM.value: "h5",
    Platform.OTHER.value: "rss",
}
ROUTE = {
    "rss": "feed.xml",
    "atom": "atom.xml",
    "jsonfeed": "feed.json",
    "h5": "index.html",
    "app": "app.html",
}
VETO_NAMES = {
    "newmedia.serious_error": "安全、泄密事故等严重问题",
    "newmedia.stale": "内容不更新",
    "newmedia.no_interaction": "互动回应差",
}
SEVERITY = {
    "newmedia.serious_error": "veto",
    "newmedia.stale": "veto",
    "newmedia.no_interaction": "veto",
    "newmedia.typo": "notice",
    "newmedia.ads": "deduction",
    "newmedia.dormant": "deduction",
    "newmedia.duplicate": "deduction",
    "newmedia.unregistered": "deduction",
    "newmedia.status_mismatch": "deduction",
}
# The site farm's serious errors, less “三个自信”: the wording lexicon accepts it on purpose (the form in use
# before 2016), so it is no error a check may veto.
SERIOUS_FORMS = [(right, wrong) for right, wrong in SERIOUS_ERRORS if wrong != "“三个自信”"]
POST_LEVEL = frozenset({"newmedia.serious_error", "newmedia.typo", "newmedia.ads"})
NAME_ID = "name:"  # the account ID a check run gives an account known only by the name a site shows
CLOSED_TEXT = "该帐号已注销"
INTERACTION_NAMES = ["互动留言", "在线咨询", "我要写信", "12345热线", "民意征集", "咨询投诉"]
OTHER_NAMES = ["政务服务", "最新发布", "办事指南", "政策解读", "便民查询"]
AD_POSTS = [
    ("【广告】名表奢侈品专卖，{m}月特惠", "名表奢侈品专卖店新品到店，欢迎选购。详情请咨询门店。"),
    ("【推广】特价机票抢购开始", "特价机票低至1折，数量有限，先到先得。"),
    ("春季家装节火热进行中", "全场家具限时抢购，低至3折，下单即送礼品，全国包邮，点击购买。"),
    ("个人急用钱？", "无抵押贷款当天到账，手续简单，加盟热线全天开通，扫码购买会员享专属利率。"),
]
DECOY_POSTS = [
    ("我市开展整治虚假广告专项行动", "为规范广告市场秩序，{org}联合有关部门开展整治虚假违法广告专项行动，重点查处医疗、药品、保健食品等领域虚假宣传。"),
    ("第二批餐饮消费券今日发放", "{org}提醒广大市民，第二批餐饮消费券今日上午10点起发放，市民可通过官方小程序领取优惠券，用于全市参与活动的餐饮门店。"),
]  # fmt: skip


@dataclass
class _Post:
    n: int
    title: str
    paragraphs: list[str]
    when: datetime


@dataclass
class _Account:
    platform: str
    name: str
    account_id: str
    unit: str
    region: str
    status: str
    registered: str  # 是 | 否
    listed: bool = True
    kind: str | None = None  # rss | atom | jsonfeed | h5 | app | import | None (no source)
    forced: bool = False  # the 采集地址 names the adapter (feed:/page:)
    closed: bool = False  # closed on its platform
    menu: list[dict] | None = None  # [{"name", "k"?, "live"?, "reply"?}]; [] = no menu; None = not recorded
    posts: list[_Post] = field(default_factory=list)
    defects: list[dict] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return SLUG.get(self.platform, "qt")

    def base(self, external: str) -> str:
        return f"{external}{PREFIX}{self.slug}/{self.account_id}/"

    def home(self, external: str) -> str:
        if self.kind in ROUTE:
            return self.base(external) + ROUTE[self.kind]
        return f"{self.platform}:{self.account_id}"

    def post_url(self, external: str, post: _Post) -> str:
        return f"{self.base(external)}a/{post.n}.html"


def synthetic_rows(count: int, seed: int) -> list[list[str]]:
    """Registry rows (ACCOUNT_HEADERS) for ``count`` accounts without a farm of sites (benchmarks)."""
    rng = random.Random(f"{seed}:nm-rows")
    places = [
        "城东区",
        "城西区",
        "高新区",
        "临湖县",
        "石门县",
        "清水县",
        "白沙镇",
        "新塘镇",
        "河口市",
        "枫林市",
    ]
    offices = ["人民政府办公室", "教育局", "公安局", "人力资源和社会保障局", "市场监督管理局", "卫生健康局",
               "生态环境局", "交通运输局", "文化广电旅游局", "应急管理局", "医疗保障局", "税务局"]  # fmt: skip
    platforms = [
        Platform.WECHAT,
        Platform.WEIBO,
        Platform.DOUYIN,
        Platform.TOUTIAO,
        Platform.KUAISHOU,
        Platform.APP,
    ]
    weights = [50, 22, 12, 10, 4, 2]
    rows, seen = [], set()
    while len(rows) < count:
        place = rng.choice(places)
        unit = f"{place}{rng.choice(offices)}{rng.randint(1, 40)}"
        platform = rng.choices(platforms, weights)[0]
        if (unit, platform) in seen:
            continue
        seen.add((unit, platform))
        account_id = _new_id(rng, platform.value)
        status = RunStatus.CLOSED.value if rng.random() < 0.04 else RunStatus.RUNNING.value
        registered = "否" if rng.random() < 0.05 else "是"
        rows.append(
            [
                platform.value,
                unit.removesuffix("人民政府办公室") + "发布",
                account_id,
                unit,
                place,
                status,
                registered,
            ]
        )
    return rows


def _new_id(rng: random.Random, platform: str) -> str:
    if platform == Platform.WECHAT.value:
        return "gh_" + "".join(rng.choice("0123456789abcdef") for _ in range(12))
    return str(rng.randint(10_000_000_000, 99_999_999_999))


def _read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]


def build_from_farm(root: Path, *, seed: int, as_of: date, external: str, defect_rate: float = 1.0) -> dict:
    """The new-media part of a site farm: its accounts.csv accounts, and the accounts its sites name
    (site_accounts.json, farm/site_accounts.py) for reconciliation (the hook farm/build.py calls)."""
    listed = root / SITE_ACCOUNTS
    shown = json.loads(listed.read_text("utf-8")) if listed.is_file() else None
    return build_newmedia(root, _read_rows(root / "accounts.csv"), seed=seed, as_of=as_of, external=external,
                          defect_rate=defect_rate, shown=shown)  # fmt: skip


def build_newmedia(
    root: Path,
    rows: list[list[str]],
    *,
    seed: int,
    as_of: date,
    external: str,
    defect_rate: float = 1.0,
    shown: list[dict] | None = None,
) -> dict:
    """Write the new-media files under ``root/newmedia`` and return the truth. ``shown``: what the farm's
    sites name (site_accounts.json); its accounts outside the registry get truth entries of their own."""
    rng = random.Random(f"{seed}:newmedia")
    accounts = [_Account(*row[:7]) for row in rows if len(row) >= 7]
    rate = max(0.0, min(defect_rate, 1.0))
    # a second account of a unit on one platform (多头开设)
    for original in list(accounts):
        if original.status == RunStatus.RUNNING.value and rng.random() < 0.03 * rate:
            twin = _Account(original.platform, original.name + "服务", _new_id(rng, original.platform),
                            original.unit, original.region, RunStatus.RUNNING.value, "是")  # fmt: skip
            twin.defects.append({"variant": "added"})
            accounts.append(twin)
    # accounts the registry does not have, seen only in the vendor's post list
    unlisted = []
    if rate > 0:
        for i in range(2):
            unit = accounts[i % len(accounts)].unit if accounts else "某市人民政府办公室"
            unlisted.append(_Account(Platform.WECHAT.value, f"{unit}便民{i + 1}", _new_id(rng, Platform.WECHAT.value),
                                     unit, "", RunStatus.RUNNING.value, "否", listed=False, kind="import"))  # fmt: skip
    for account in accounts:
        account.defects = []
        _plan(account, rng, as_of, rate)
    for account in unlisted:
        _posts(account, rng, as_of, latest_days=rng.randint(0, 8))
    everything = accounts + unlisted
    truth = _truth(everything, as_of, external, seed)
    if shown is not None:
        _seen_on_sites(truth, shown, accounts)
    out = root / "newmedia"
    out.mkdir(parents=True, exist_ok=True)
    _write_accounts(out / "accounts.csv", accounts, external)
    _write_posts(out / "posts.csv", [a for a in everything if a.kind == "import"], external)
    for account in everything:
        if account.kind in ROUTE or account.kind == "import" or account.menu:
            path = out / "data" / account.slug / f"{account.account_id}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(_data(account), ensure_ascii=False), "utf-8")
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return truth


def _plan(account: _Account, rng: random.Random, as_of: date, rate: float) -> None:
    roll = rng.random()
    account.kind = (
        "import"
        if roll < 0.08
        else None
        if roll < 0.11
        else "h5"
        if roll < 0.25
        else KIND.get(account.platform, "rss")
    )
    account.forced = account.kind in ("rss", "atom", "jsonfeed") and rng.random() < 0.15
    running = account.status == RunStatus.RUNNING.value
    if account.platform == Platform.WECHAT.value:
        account.menu = None if rng.random() < 0.1 else _menu(rng)
    fresh = "normal"
    if not running:
        fresh = "normal" if rng.random() < 0.5 else "old"
    elif account.kind is not None:
        r = rng.random() / max(rate, 1e-9)
        fresh = (
            "stale"
            if r < 0.07
            else "dormant"
            if r < 0.11
            else "closed"
            if r < 0.14 and account.kind in ROUTE
            else "normal"
        )
    if fresh == "closed":
        account.closed = True
        return
    latest = {
        "normal": rng.randint(0, 6),
        "stale": rng.randint(20, 60),
        "dormant": rng.randint(200, 500),
        "old": rng.randint(100, 400),
    }[fresh]
    if fresh == "dormant" and account.kind != "import" and rng.random() < 0.25:
        account.posts = []
    else:
        _posts(account, rng, as_of, latest_days=latest)
    if running and account.kind not in (None, "app") and account.posts:  # an app page shows no post text
        r = rng.random() / max(rate, 1e-9)
        if r < 0.05:
            _serious(account, rng, as_of)
        elif r < 0.11:
            _typo(account, rng, as_of)
        elif r < 0.16:
            _ad(account, rng, as_of)
        elif r < 0.20:
            _decoy(account, rng, as_of)
    if running and account.menu is not None and account.kind != "app":
        r = rng.random() / max(rate, 1e-9)
        if r < 0.06:
            account.menu = []
        elif r < 0.11:
            account.menu = [m for m in account.menu if m["name"] not in INTERACTION_NAMES] or [
                {"name": "最新发布", "k": 1, "live": True}
            ]
            account.defects.append({"menu": "no_entry"})
        elif r < 0.16:
            for m in account.menu:
                if m["name"] in INTERACTION_NAMES:
                    m["live"] = False
        elif r < 0.20:  # decoy: a dead link that is not the interaction entry
            for m in account.menu:
                if m["name"] not in INTERACTION_NAMES and "k" in m:
                    m["live"] = False


def _menu(rng: random.Random) -> list[dict]:
    others = rng.sample(OTHER_NAMES, 2)
    return [
        {"name": others[0], "k": 1, "live": True},
        {"name": rng.choice(INTERACTION_NAMES), "k": 2, "live": True},
        {"name": others[1], "reply": "欢迎关注，回复关键词获取服务。"},
    ]


def _posts(account: _Account, rng: random.Random, as_of: date, *, latest_days: int) -> None:
    org = account.unit
    day = as_of - timedelta(days=latest_days)
    posts: list[_Post] = []
    count = rng.randint(25, 45)
    for _ in range(count):
        when = datetime(day.year, day.month, day.day, rng.randint(8, 21), rng.randint(0, 59), tzinfo=CHINA)
        title = fill(rng.choice(MEETING_TITLES), rng, org=org, area=account.region or org, year=day.year)
        paragraphs = body_paragraphs(rng, org=org, area_short="市", day=day, count=rng.randint(2, 3))
        posts.append(_Post(0, title, paragraphs, when))
        day -= timedelta(days=rng.randint(1, 6))
    posts.reverse()
    for n, post in enumerate(posts, start=1):
        post.n = n
    account.posts = posts


def _recent(account: _Account, as_of: date, newest: int = 3) -> list[_Post]:
    inside = [p for p in account.posts if (as_of - p.when.date()).days <= WINDOW_DAYS - 30]
    return inside[-newest:]


def _serious(account: _Account, rng: random.Random, as_of: date) -> None:
    candidates = _recent(account, as_of)
    if not candidates:
        return
    post = rng.choice(candidates)
    right, wrong = rng.choice(SERIOUS_FORMS)
    carrier = PARAGRAPHS_OPEN[0] if "习近平" in right else PARAGRAPHS_BODY[0]
    text = carrier.format(date=f"{post.when.month}月{post.when.day}日", org=account.unit, topic="安全生产")
    post.paragraphs.insert(1, text.replace(right, wrong, 1))
    account.defects.append(
        {
            "check": "newmedia.serious_error",
            "post": post,
            "evidence": {"wrong": wrong.strip("“”"), "right": right.strip("“”")},
        }
    )


def _typo(account: _Account, rng: random.Random, as_of: date) -> None:
    candidates = _recent(account, as_of, newest=2)
    if not candidates:
        return
    post = candidates[-1]
    right, wrong = rng.choice(TYPOS)
    carrier = next(p for p in (*PARAGRAPHS_OPEN, *PARAGRAPHS_BODY) if right in p)
    text = carrier.format(date=f"{post.when.month}月{post.when.day}日", org=account.unit, topic="安全生产",
                          area_short="市", year=post.when.year, place="城东新区", n1=120, n2=100, pct=90)  # fmt: skip
    post.paragraphs.insert(0, text.replace(right, wrong, 1))
    account.defects.append(
        {"check": "newmedia.typo", "post": post, "evidence": {"wrong": wrong, "right": right}}
    )


def _insert(account: _Account, rng: random.Random, as_of: date, title: str, text: str) -> _Post | None:
    candidates = _recent(account, as_of)
    if not candidates:
        return None
    anchor = rng.choice(candidates)
    post = _Post(0, title, [text], anchor.when - timedelta(hours=2))
    account.posts.insert(account.posts.index(anchor), post)
    for n, one in enumerate(account.posts, start=1):
        one.n = n
    return post


def _ad(account: _Account, rng: random.Random, as_of: date) -> None:
    title, text = rng.choice(AD_POSTS)
    post = _insert(account, rng, as_of, title.format(m=as_of.month), text)
    if post is not None:
        account.defects.append({"check": "newmedia.ads", "post": post, "evidence": {"title": post.title}})


def _decoy(account: _Account, rng: random.Random, as_of: date) -> None:
    title, text = rng.choice(DECOY_POSTS)
    _insert(account, rng, as_of, title, text.format(org=account.unit))


def _latest(account: _Account, as_of: date) -> _Post | None:
    dated = [p for p in account.posts if p.when.date() <= as_of]
    return max(dated, key=lambda p: p.when) if dated else None


def _truth(accounts: list[_Account], as_of: date, external: str, seed: int) -> dict:
    groups: dict[tuple[str, str], list[_Account]] = {}
    for a in accounts:
        if a.listed and a.status == RunStatus.RUNNING.value:
            groups.setdefault((a.unit, a.platform), []).append(a)
    entries = []
    for a in accounts:
        home = a.home(external)
        running = a.status == RunStatus.RUNNING.value
        judged = a.listed and running and a.kind is not None and not a.closed
        latest = _latest(a, as_of)
        age = (as_of - latest.when.date()).days if latest else None
        defects: list[dict] = []

        def add(
            check: str, url: str, evidence: dict, variant: str | None = None, out: list[dict] = defects
        ) -> None:
            entry = {"check": check, "severity": SEVERITY[check], "url": url, "evidence": evidence}
            if variant:
                entry["variant"] = variant
            out.append(entry)

        if judged:
            if age is None or age > STALE_DAYS:
                add("newmedia.stale", home, {"latest": latest.when.date().isoformat() if latest else None})
            if age is None or age > DORMANT_DAYS:
                add("newmedia.dormant", home, {"latest": latest.when.date().isoformat() if latest else None})
            for d in a.defects:
                if d.get("check") in POST_LEVEL:
                    add(d["check"], a.post_url(external, d["post"]), d["evidence"])
        if (
            a.listed
            and running
            and a.platform == Platform.WECHAT.value
            and a.menu is not None
            and not a.closed
        ):
            interaction = [m for m in a.menu if m["name"] in INTERACTION_NAMES]
            if not a.menu:
                add("newmedia.no_interaction", home, {"menu": []}, "no_menu")
            elif not interaction:
                add("newmedia.no_interaction", home, {"menu": [m["name"] for m in a.menu]}, "no_entry")
            elif all("k" in m and not m["live"] for m in interaction):
                add("newmedia.no_interaction", _menu_url(a, external, interaction[0]), {}, "dead_link")
        if a.listed and running and len(groups.get((a.unit, a.platform), ())) > 1:
            add(
                "newmedia.duplicate",
                home,
                {"others": [o.account_id for o in groups[(a.unit, a.platform)] if o is not a]},
            )
        # posting is seen only through a source (an account without one shows nothing)
        recent = a.kind is not None and age is not None and age <= CLOSED_POSTING_DAYS
        if not a.listed:
            if age is not None and age <= DORMANT_DAYS:
                add("newmedia.unregistered", a.post_url(external, latest), {}, "not_in_registry")  # type: ignore[arg-type]
        elif a.registered == "否" and (running or recent) and not a.closed:
            add("newmedia.unregistered", home, {"status": a.status})
        if a.listed and not running and recent:
            add("newmedia.status_mismatch", a.post_url(external, latest), {"registered_status": a.status},  # type: ignore[arg-type]
                "closed_but_posting")  # fmt: skip
        if a.listed and running and a.closed:
            add("newmedia.status_mismatch", home, {"shown": CLOSED_TEXT}, "closed_but_running")
        vetoes = sorted({VETO_NAMES[d["check"]] for d in defects if d["check"] in VETO_NAMES and judged},
                        key=list(VETO_NAMES.values()).index)  # fmt: skip
        entries.append(
            {
                "platform": a.platform, "account_id": a.account_id, "name": a.name, "unit": a.unit,
                "listed": a.listed, "source": a.kind, "home": home,
                "expected_verdict": ("不合格" if vetoes else "合格") if judged else None,
                "expected_vetoes": vetoes, "defects": defects,
            }
        )  # fmt: skip
    return {
        "schema": 1,
        "profile": "national-2019",
        "as_of": as_of.isoformat(),
        "seed": seed,
        "accounts": entries,
    }


def _names_match(known: str, name: str) -> bool:
    """The registry match rule of reconciliation (newmedia/reconcile.py): equal, or containing when both ≥ 4."""
    return known == name or (len(known) >= 4 and len(name) >= 4 and (known in name or name in known))


def _seen_on_sites(truth: dict, shown: list[dict], registry: list[_Account]) -> None:
    """Add what the sites name to the truth: ``seen_on_sites`` (every account named, with the page and the
    registry status); for each account the registry does not have, an entry expecting
    ``newmedia.unregistered`` (variant ``seen_on_site``, a notice: a person confirms) on the first page that
    names it — the homepage when its footer does, else the matrix page; and for a registry account marked closed
    that a site names (no running registry account of the platform matching the name),
    ``newmedia.status_mismatch`` (variant ``closed_but_listed``, a notice) on its entry. Running registry
    accounts named expect nothing from the listing."""
    seen: list[dict] = []
    added: set[tuple[str, str]] = set()
    entries = {(e["platform"], e["account_id"]): e for e in truth["accounts"]}
    for site in shown:
        for account in site["accounts"]:
            url = site["homepage"] if "footer" in account["on"] else site["matrix"]
            seen.append(
                {"site_code": site["site_code"], "platform": account["platform"], "name": account["name"],
                 "account_id": account["account_id"], "url": url, "on": account["on"],
                 "registry_status": account["status"] if account["in_registry"] else None}
            )  # fmt: skip
            key = (account["platform"], account["name"])
            if account["in_registry"] and account["status"] != RunStatus.RUNNING.value:
                matching = [r for r in registry if r.platform == key[0] and _names_match(r.name, key[1])]
                entry = entries.get((account["platform"], account["account_id"]))
                closed = all(r.status != RunStatus.RUNNING.value for r in matching)
                if (
                    entry is not None
                    and closed
                    and not any(_variant(d) == "closed_but_listed" for d in entry["defects"])
                ):
                    entry["defects"].append(
                        {"check": "newmedia.status_mismatch", "severity": "notice", "url": url,
                         "evidence": {"site_code": site["site_code"], "how": account["on"][0],
                                      "registered_status": account["status"]},
                         "variant": "closed_but_listed"}
                    )  # fmt: skip
            if account["in_registry"] or key in added:
                continue
            added.add(key)
            defect = {"check": "newmedia.unregistered", "severity": "notice", "url": url,
                      "evidence": {"site_code": site["site_code"], "how": account["on"][0]}, "variant": "seen_on_site"}  # fmt: skip
            truth["accounts"].append(
                {"platform": account["platform"], "account_id": account["account_id"], "name": account["name"],
                 "unit": site["unit"], "listed": False, "source": None,
                 "home": f"{account['platform']}:{account['account_id']}", "expected_verdict": None,
                 "expected_vetoes": [], "defects": [defect]}
            )  # fmt: skip
    truth["seen_on_sites"] = seen


def _menu_url(account: _Account, external: str, entry: dict) -> str:
    return f"{account.base(external)}menu/{entry['k']}.html"


def _menu_cell(account: _Account, external: str) -> str:
    if account.menu is None:
        return ""
    if not account.menu:
        return "无"
    parts = [
        f"{m['name']}={_menu_url(account, external, m)}" if "k" in m else m["name"] for m in account.menu
    ]
    return "；".join(parts)


def _write_accounts(path: Path, accounts: list[_Account], external: str) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([*ACCOUNT_HEADERS, "菜单", "采集地址"])
    for a in accounts:
        source = ""
        if a.kind in ROUTE:
            source = a.home(external)
            if a.forced:
                source = "feed:" + source
        writer.writerow([a.platform, a.name, a.account_id, a.unit, a.region, a.status, a.registered,
                         _menu_cell(a, external), source])  # fmt: skip
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def _write_posts(path: Path, accounts: list[_Account], external: str) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["平台", "账号ID", "账号名称", "标题", "发布时间", "链接", "正文"])
    for a in accounts:
        for post in a.posts[-FEED_ITEMS:]:
            writer.writerow([a.platform, a.account_id, a.name, post.title, post.when.strftime("%Y-%m-%d %H:%M"),
                             a.post_url(external, post), "\n".join(post.paragraphs)])  # fmt: skip
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def _data(account: _Account) -> dict:
    return {
        "name": account.name,
        "unit": account.unit,
        "kind": account.kind,
        "closed": account.closed,
        "menu": {str(m["k"]): m["live"] for m in account.menu or [] if "k" in m},
        "posts": [
            {"n": p.n, "title": p.title, "paragraphs": p.paragraphs, "when": p.when.isoformat()}
            for p in account.posts
        ],
    }


# -- serving ---------------------------------------------------------------------------------------------------


def _rfc822(moment: datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(moment)


def _html_body(paragraphs: list[str]) -> str:
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def _render(data: dict, route: str, base: str) -> tuple[int, str, bytes] | None:
    """(status, content type, body) of one route of one account, or None for an unknown route."""
    posts = data["posts"]
    newest = list(reversed(posts))[:FEED_ITEMS]
    name = escape(data["name"])
    if data["closed"] and (route in ROUTE.values() or route.startswith("a/")):
        html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{name}</title></head><body>"
                f"<div class='notice'><p>{CLOSED_TEXT}</p><p>该帐号已由运营主体申请注销，相关内容已无法查看。</p></div>"
                "</body></html>")  # fmt: skip
        return 200, "text/html; charset=utf-8", html.encode()
    if route == "feed.xml":
        items = "".join(
            f"<item><title><![CDATA[{p['title']}]]></title><link>{base}a/{p['n']}.html</link>"
            f"<guid isPermaLink='false'>{base}{p['n']}</guid><pubDate>{_rfc822(datetime.fromisoformat(p['when']))}</pubDate>"
            f"<description><![CDATA[{_html_body(p['paragraphs'])}]]></description></item>"
            for p in newest
        )
        body = (f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>{name}</title>"
                f"<link>{base}</link><description>{name} - Made with love by RSSHub</description>{items}</channel></rss>")  # fmt: skip
        return 200, "application/rss+xml; charset=utf-8", body.encode()
    if route == "atom.xml":
        entries = "".join(
            f"<entry><id>{base}{p['n']}</id><title>{escape(p['title'])}</title><link href='{base}a/{p['n']}.html'/>"
            f"<published>{p['when']}</published><updated>{p['when']}</updated>"
            f"<content type='html'>{escape(_html_body(p['paragraphs']))}</content></entry>"
            for p in newest
        )
        updated = newest[0]["when"] if newest else "2000-01-01T00:00:00+08:00"
        body = (f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><title>{name}</title>"
                f"<id>{base}</id><updated>{updated}</updated>{entries}</feed>")  # fmt: skip
        return 200, "application/atom+xml; charset=utf-8", body.encode()
    if route == "feed.json":
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": data["name"],
            "home_page_url": base,
            "items": [
                {
                    "id": f"{base}{p['n']}",
                    "url": f"{base}a/{p['n']}.html",
                    "title": p["title"],
                    "content_html": _html_body(p["paragraphs"]),
                    "date_published": p["when"],
                }
                for p in newest
            ],
        }
        return 200, "application/feed+json", json.dumps(feed, ensure_ascii=False).encode()
    if route == "index.html":
        items = "".join(
            f"<li><a href='a/{p['n']}.html'>{escape(p['title'])}</a><span class='date'>{p['when'][:10]}</span></li>"
            for p in newest
        )
        html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{name}</title></head><body>"
                f"<div class='header'><h2>{name}</h2></div><div class='list'><ul>{items}</ul></div></body></html>")  # fmt: skip
        return 200, "text/html; charset=utf-8", html.encode()
    if route == "app.html":
        latest = newest[0]["when"][:10] if newest else "2018-01-01"
        html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{name}客户端下载</title></head><body>"
                f"<h1>{name}</h1><p>更新时间：{latest}</p><p>版本：3.2.{len(posts)}</p>"
                "<p><a href='#'>安卓下载</a> <a href='#'>iOS下载</a></p></body></html>")  # fmt: skip
        return 200, "text/html; charset=utf-8", html.encode()
    if route.startswith("a/") and route.endswith(".html"):
        number = route[2:-5]
        post = next((p for p in posts if str(p["n"]) == number), None)
        if post is None:
            return None
        html = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(post['title'])}</title></head><body>"
                f"<div class='rich_media'><h1 class='rich_media_title'>{escape(post['title'])}</h1>"
                f"<div class='meta'><span>{name}</span> 发布时间：{post['when'][:16].replace('T', ' ')}</div>"
                f"<div class='rich_media_content'>{_html_body(post['paragraphs'])}</div></div></body></html>")  # fmt: skip
        return 200, "text/html; charset=utf-8", html.encode()
    if route.startswith("menu/") and route.endswith(".html"):
        live = data["menu"].get(route[5:-5])
        if not live:
            return None
        html = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{name}</title></head><body><p>欢迎使用</p></body></html>"
        return 200, "text/html; charset=utf-8", html.encode()
    return None


class NewMediaSite:
    """An ASGI app for ``/nm/…`` on the external origin (alone, or called by the farm server)."""

    def __init__(self, root: Path | str) -> None:
        self.data_dir = Path(root) / "newmedia" / "data"
        self._cache: dict[str, dict | None] = {}
        self._lock = threading.Lock()
        self.requests = 0

    def _data(self, slug: str, account_id: str) -> dict | None:
        key = f"{slug}/{account_id}"
        if key not in self._cache:
            path = self.data_dir / slug / f"{account_id}.json"
            data = json.loads(path.read_text("utf-8")) if path.is_file() and "/" not in account_id else None
            with self._lock:
                if len(self._cache) > 20000:
                    self._cache.clear()
                self._cache[key] = data
        return self._cache[key]

    def respond(self, path: str, headers: dict[str, str], external: str) -> tuple[int, str, bytes, list]:
        if path == STATS:
            return 200, "application/json", json.dumps({"requests": self.requests}).encode(), []
        self.requests += 1
        parts = path[len(PREFIX) :].split("/", 2)
        if len(parts) < 3 or ".." in parts[2]:
            return 404, "text/plain", b"not found", []
        slug, account_id, route = parts
        data = self._data(slug, account_id)
        rendered = _render(data, route, f"{external}{PREFIX}{slug}/{account_id}/") if data else None
        if rendered is None:
            return (
                404,
                "text/html; charset=utf-8",
                "<html><body><h1>404</h1><p>页面不存在</p></body></html>".encode(),
                [],
            )
        status, ctype, body = rendered
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        extra = [(b"etag", etag.encode())]
        if etag in headers.get("if-none-match", ""):
            return 304, ctype, b"", extra
        return status, ctype, body, extra

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host, port = scope["server"] if scope.get("server") else ("127.0.0.2", 80)
        status, ctype, body, extra = self.respond(scope["path"], headers, f"http://{host}:{port}")
        head = scope["method"] == "HEAD"
        out = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode()), *extra]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": b"" if head else body})


def run_newmedia(root: Path | str, host: str, port: int) -> None:
    """Serve only the new-media routes until interrupted (the child process of ``serving_newmedia``)."""
    import uvicorn

    if not host.startswith("127."):
        raise ValueError(f"refusing to bind non-loopback address {host}")
    uvicorn.run(NewMediaSite(root), host=host, port=port, lifespan="off", log_level="warning", access_log=False,
                backlog=2048, timeout_keep_alive=30)  # fmt: skip


def served_requests(host: str, port: int) -> int:
    """How many requests the new-media server on ``host:port`` has answered (its stats route)."""
    import http.client

    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.request("GET", STATS)
    count = json.loads(conn.getresponse().read())["requests"]
    conn.close()
    return int(count)


@contextlib.contextmanager
def serving_newmedia(
    root: Path | str, host: str, port: int, *, mode: str = "thread"
) -> Iterator[NewMediaSite | None]:
    """Serve only the new-media routes on ``host:port`` (loopback): in a background thread, or in a child
    process (``mode="process"``, for benchmarks: the server does not share the client's interpreter)."""
    import asyncio
    import subprocess
    import sys

    import uvicorn

    if not host.startswith("127."):
        raise ValueError(f"refusing to bind non-loopback address {host}")
    if mode == "process":
        code = "import sys; from govinspect.farm.newmedia import run_newmedia; run_newmedia(sys.argv[1], sys.argv[2], int(sys.argv[3]))"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(root), host, str(port)], stdin=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    served_requests(host, port)
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("new-media farm server did not start") from None
                    time.sleep(0.05)
            yield None
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return
    app = NewMediaSite(root)
    config = uvicorn.Config(app, host=host, port=port, lifespan="off", log_level="warning", access_log=False,
                            loop="asyncio", backlog=2048, timeout_keep_alive=30)  # fmt: skip
    server = uvicorn.Server(config)

    def target() -> None:
        asyncio.run(server.serve())

    thread = threading.Thread(target=target, name="govinspect-newmedia-farm", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("new-media farm server did not start")
        time.sleep(0.01)
    try:
        yield app
    finally:
        server.should_exit = True
        thread.join(10)


# -- comparing results with the truth --------------------------------------------------------------------------


def _claims(account_key: tuple[str, str], items: list[dict]) -> set[tuple[str, str, str, str]]:
    """(platform, account id, check, key): post-level checks by the post URL, the others once per account.
    Notices are kept (the typo check is one): their precision is measured too."""
    out = set()
    for item in items:
        check = item["check"]
        key = item.get("url", "") if check in POST_LEVEL else ""
        out.add((*account_key, check, key))
    return out


@dataclass
class AccountComparison:
    checks: dict = field(default_factory=dict)  # check -> farm.compare.CheckScore
    accounts: int = 0
    verdicts_judged: int = 0
    verdicts_agree: int = 0
    disagreements: list[dict] = field(default_factory=list)
    false_positives: list[tuple[str, str, str, str]] = field(default_factory=list)
    misses: list[tuple[str, str, str, str]] = field(default_factory=list)


def compare_accounts(truth: dict, results: dict, *, from_sites: bool = False) -> AccountComparison:
    """Match ``newmedia check --json`` output with the truth, per check, and the verdicts of judged accounts.
    The truth's findings from the accounts sites name (variants ``seen_on_site``, ``closed_but_listed``) are
    expected only of a check run ``--from-sites`` (``from_sites``).
    An account missing from the results has no findings and no verdict. An account the results know only by
    the name a site shows (``name:<name>``) is the truth's account of that platform and name outside the
    registry; findings on an account the truth does not have are false positives."""
    from govinspect.farm.compare import CheckScore
    from govinspect.newmedia.reconcile import normalise_name

    by_name = {
        (e["platform"], normalise_name(e["name"])): (e["platform"], e["account_id"])
        for e in truth["accounts"]
        if not e["listed"]
    }
    got: dict[tuple[str, str], dict] = {}
    for entry in results.get("accounts", []):
        key = (entry["platform"], entry["account_id"])
        if key[1].startswith(NAME_ID):
            key = by_name.get((key[0], key[1][len(NAME_ID) :]), key)
        if key in got:  # seen on a site and known from an import: one account
            got[key] = got[key] | {"findings": [*got[key].get("findings", []), *entry.get("findings", [])]}
        else:
            got[key] = entry
    comparison = AccountComparison()
    known = {(e["platform"], e["account_id"]) for e in truth["accounts"]}
    for key in sorted(set(got) - known):
        for claim in _claims(key, got[key].get("findings", [])):
            comparison.checks.setdefault(claim[2], CheckScore(claim[2])).false_positives += 1
            comparison.false_positives.append(claim)
    for expected in truth["accounts"]:
        key = (expected["platform"], expected["account_id"])
        found_account = got.get(key, {})
        comparison.accounts += 1
        wanted = _claims(
            key,
            [d for d in expected["defects"] if from_sites or d.get("variant") not in SEEN_VARIANTS.values()],
        )
        found = _claims(key, found_account.get("findings", []))
        for claim in wanted | found:
            score = comparison.checks.setdefault(claim[2], CheckScore(claim[2]))
            if claim in wanted and claim in found:
                score.true_positives += 1
            elif claim in found:
                score.false_positives += 1
                comparison.false_positives.append(claim)
            else:
                score.false_negatives += 1
                comparison.misses.append(claim)
        verdict = found_account.get("verdict")
        if expected["expected_verdict"] is not None or verdict is not None:
            comparison.verdicts_judged += 1
            if verdict == expected["expected_verdict"]:
                comparison.verdicts_agree += 1
            else:
                comparison.disagreements.append(
                    {
                        "account": key,
                        "expected": expected["expected_verdict"],
                        "got": verdict,
                        "vetoes": found_account.get("vetoes"),
                    }
                )
    return comparison


SEEN_VARIANTS = {"newmedia.unregistered": "seen_on_site", "newmedia.status_mismatch": "closed_but_listed"}


@dataclass
class SeenComparison:
    """Reconciliation with what sites name, scored on its own, by platform and account name: accounts named on a
    site but missing from the registry (``newmedia.unregistered``, variant ``seen_on_site``) and registry
    accounts marked closed that a site still names (``newmedia.status_mismatch``, ``closed_but_listed``)."""

    checks: dict = field(default_factory=dict)  # check -> farm.compare.CheckScore
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)  # (check, platform, name)
    misses: list[tuple[str, str, str]] = field(default_factory=list)


def _variant(item: dict) -> str | None:
    return item.get("variant") or (item.get("evidence") or {}).get("variant")


def compare_seen(truth: dict, results: dict, sites: Collection[str] | None = None) -> SeenComparison:
    """``sites``: the codes of the sites whose pages the run read (default: every site); the truth's findings
    on accounts named only on other sites are not expected."""
    from govinspect.farm.compare import CheckScore
    from govinspect.newmedia.reconcile import normalise_name

    wanted = {
        (d["check"], e["platform"], normalise_name(e["name"]))
        for e in truth["accounts"]
        for d in e["defects"]
        if d["check"] in SEEN_VARIANTS
        and SEEN_VARIANTS[d["check"]] == _variant(d)
        and (sites is None or d["evidence"].get("site_code") in sites)
    }
    found = {
        (f["check"], a["platform"], normalise_name(a["name"]))
        for a in results.get("accounts", [])
        for f in a.get("findings", [])
        if f["check"] in SEEN_VARIANTS and SEEN_VARIANTS[f["check"]] == _variant(f)
    }
    comparison = SeenComparison(false_positives=sorted(found - wanted), misses=sorted(wanted - found))
    for check in SEEN_VARIANTS:
        comparison.checks[check] = CheckScore(
            f"{check} ({SEEN_VARIANTS[check]})",
            sum(1 for c in wanted & found if c[0] == check),
            sum(1 for c in found - wanted if c[0] == check),
            sum(1 for c in wanted - found if c[0] == check),
        )
    return comparison
