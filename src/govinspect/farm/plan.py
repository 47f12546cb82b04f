"""Planning a farm: the province, its sites and their identities, behaviours and injected defect kinds.

Everything is drawn from ``random.Random`` instances seeded with strings (``f"{seed}:..."``), which Python
hashes with SHA-512, so plans do not depend on ``PYTHONHASHSEED``, set order or the wall clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from govinspect.registry import regions
from govinspect.registry.identifiers import PROVINCE_ABBREVIATIONS, check_icp, check_psb, check_site_code
from govinspect.registry.model import SiteCategory

EXTERNAL_HOST = "127.0.0.2"
_SKIP_PROVINCES = {"110000", "120000", "310000", "500000", "710000", "810000", "820000"}
_PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}

# (name suffix for a province, name suffix for a prefecture, short name, document-number character)
DEPARTMENTS = [
    ("发展和改革委员会", "发展和改革委员会", "发改委", "发改"), ("教育厅", "教育局", "教育", "教"),
    ("科学技术厅", "科学技术局", "科技", "科"), ("工业和信息化厅", "工业和信息化局", "工信", "工信"),
    ("公安厅", "公安局", "公安", "公"), ("民政厅", "民政局", "民政", "民"), ("司法厅", "司法局", "司法", "司"),
    ("财政厅", "财政局", "财政", "财"), ("人力资源和社会保障厅", "人力资源和社会保障局", "人社", "人社"),
    ("自然资源厅", "自然资源局", "自然资源", "自然资"), ("生态环境厅", "生态环境局", "生态环境", "环"),
    ("住房和城乡建设厅", "住房和城乡建设局", "住建", "建"), ("交通运输厅", "交通运输局", "交通运输", "交"),
    ("水利厅", "水利局", "水利", "水"), ("农业农村厅", "农业农村局", "农业农村", "农"), ("商务厅", "商务局", "商务", "商"),
    ("文化和旅游厅", "文化广电新闻出版旅游局", "文旅", "文旅"), ("卫生健康委员会", "卫生健康委员会", "卫健委", "卫"),
    ("退役军人事务厅", "退役军人事务局", "退役军人事务", "退"), ("应急管理厅", "应急管理局", "应急管理", "应急"),
    ("审计厅", "审计局", "审计", "审"), ("市场监督管理局", "市场监督管理局", "市场监管", "市监"),
    ("统计局", "统计局", "统计", "统"), ("医疗保障局", "医疗保障局", "医保", "医保"), ("林业局", "林业局", "林业", "林"),
    ("体育局", "体育局", "体育", "体"), ("地方金融监督管理局", "金融工作办公室", "金融", "金"),
    ("机关事务管理局", "机关事务管理局", "机关事务", "机"), ("人民防空办公室", "人民防空办公室", "人防", "人防"),
    ("粮食和物资储备局", "城市管理局", "城管", "城"),
]  # fmt: skip

OTHER_UNITS = [
    "经济技术开发区管理委员会",
    "高新技术产业开发区管理委员会",
    "综合保税区管理委员会",
    "新区管理委员会",
]

STYLES = ("trs", "wcm", "jsp")
ENCODINGS = {
    # variant: (bytes encoding, charset in the HTTP header or None, charset in the meta tag)
    "utf8": ("utf-8", "utf-8", "utf-8"),
    "gbk": ("gbk", "gb2312", "gb2312"),
    "gbk_meta_lies": ("gbk", None, "utf-8"),
    "gbk_header_lies": ("gbk", "utf-8", "gbk"),
    "utf8_header_lies": ("utf-8", "gbk", "utf-8"),
}
_ENCODING_WEIGHTS = {"utf8": 60, "gbk": 20, "gbk_meta_lies": 10, "gbk_header_lies": 5, "utf8_header_lies": 5}

# Per-site probability of each defect kind at --defect-rate 1.0. A kind is ``check`` or ``check:variant``.
DEFECT_RATES: dict[str, float] = {
    "freshness.homepage_stale": 0.03,
    "freshness.column_stale:light": 0.10,
    "freshness.column_stale:heavy": 0.03,
    "freshness.column_blank:light": 0.10,
    "freshness.column_blank:heavy": 0.03,
    "links.broken:internal": 0.15,
    "links.broken:external": 0.10,
    "footer.site_code": 0.05,
    "footer.icp": 0.05,
    "footer.psb": 0.05,
    "footer.conac": 0.04,
    "footer.sponsor": 0.03,
    "footer.jiucuo": 0.05,
    "footer.ads": 0.02,
    "interaction.no_channel": 0.02,
    "interaction.reply_overdue": 0.04,
    "interaction.reply_slow": 0.10,
    "interaction.reply_slow:no_time": 0.04,
    "interaction.survey_feedback_missing": 0.06,
    "content.fake_date": 0.02,
    "content.typo": 0.12,
    "content.serious_error": 0.02,
    "content.serious_error:outdated_name": 0.01,
    "content.illegal": 0.01,
    "content.sensitive": 0.03,
    "content.privacy_leak": 0.05,
    "content.dark_link": 0.02,
    "security.malicious_script": 0.02,
    "interpretation.missing": 0.08,
    "interpretation.unlinked": 0.08,
    "search.missing": 0.03,
    "search.broken": 0.04,
    "service.missing": 0.02,
    "service.guide_incomplete:light": 0.06,
    "service.guide_incomplete:heavy": 0.02,
    "meta.missing": 0.06,
    "transport.mixed_content": 0.05,
}

_EXCLUSIVE = [
    {
        "freshness.homepage_stale",
        "freshness.column_stale:light",
        "freshness.column_stale:heavy",
        "search.broken",
    },
    {"freshness.column_blank:light", "freshness.column_blank:heavy"},
    {"search.missing", "search.broken"},
    {"service.missing", "service.guide_incomplete:light", "service.guide_incomplete:heavy"},
    {"content.serious_error", "content.serious_error:outdated_name"},
    {"content.fake_date", "meta.missing"},
    {"content.fake_date", "freshness.homepage_stale"},
]
_NEEDS_BOARD = {
    "interaction.reply_overdue",
    "interaction.reply_slow",
    "interaction.reply_slow:no_time",
    "content.sensitive",
    "content.illegal",
}
BEHAVIOURS = ("down", "firewall", "slow", "flaky")

# HTTPS: the share of sites without a behaviour that are served over TLS, and, for those, the chance of each
# certificate problem (``transport.tls:<variant>``; see farm/tls.py). Drawn from their own random stream after
# the other kinds, so adding them left every other draw of a plan as it was.
HTTPS_SHARE = 0.4
BLOCKED_RATE = 0.05  # sites linking to a page that answers 403/429 to everyone (links.blocked)
TLS_RATES: dict[str, float] = {
    "transport.tls:expired": 0.15,
    "transport.tls:self_signed": 0.10,
    "transport.tls:wrong_host": 0.08,
    "transport.tls:expiring": 0.06,  # valid, ending within the warning days: a notice
}


@dataclass
class SitePlan:
    index: int
    site_code: str
    name: str
    sponsor: str
    category: SiteCategory
    region: str
    division_code: str
    host: str
    port: int
    style: str
    page_variant: str  # wcm only: "index_shtml" | "list_html"
    encoding_variant: str
    icp: str
    psb: str
    org_short: str  # 市政府, 市住建局 …
    area_short: str  # 省, 市, 县, 区, 镇
    doc_prefix: str  # 饶府发, 赣建发 …
    phone: str
    behaviour: str | None = None
    defects: list[str] = field(default_factory=list)
    tls: str | None = None  # None: http; else the certificate variant of farm/tls.py (ok, expired, …)

    @property
    def scheme(self) -> str:
        return "http" if self.tls is None else "https"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def encoding(self) -> tuple[str, str | None, str]:
        return ENCODINGS[self.encoding_variant]


def host_for(index: int) -> str:
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def choose_province(rng: random.Random) -> tuple[regions.Region, str, list[regions.Region]]:
    abbr_of: dict[str, str] = {}
    for abbr, code in PROVINCE_ABBREVIATIONS.items():
        abbr_of.setdefault(code, abbr)
    candidates = []
    for prov in regions.provinces():
        if prov.code in _SKIP_PROVINCES or prov.code not in abbr_of:
            continue
        prefs = [
            p for p in regions.children(prov.code) if p.name not in _PLACEHOLDERS and "直辖" not in p.name
        ]
        if len(prefs) >= 3:
            candidates.append((prov, abbr_of[prov.code], prefs))
    return rng.choice(candidates)


def _counties(pref: regions.Region) -> list[regions.Region]:
    return [c for c in regions.children(pref.code) if c.name not in _PLACEHOLDERS]


def _gbk_ok(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def _short_place(name: str) -> str:
    """上饶市 -> 上饶, 玉山县 -> 玉山, 内蒙古自治区 -> 内蒙古; single-character stems keep the suffix."""
    for suffix in (
        "壮族自治区",
        "回族自治区",
        "维吾尔自治区",
        "自治区",
        "自治州",
        "自治县",
        "地区",
        "省",
        "市",
        "县",
        "区",
        "盟",
        "旗",
    ):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def plan_sites(n: int, seed: int, port: int, defect_rate: float = 1.0) -> tuple[dict, list[SitePlan]]:
    if n < 1:
        raise ValueError("sites must be at least 1")
    rng = random.Random(f"{seed}:province")
    prov, abbr, prefs = choose_province(rng)
    counties = {p.code: _counties(p) for p in prefs}

    n_other = max(1 if n >= 8 else 0, round(n * 0.015))
    n_below = max(1 if n >= 6 else 0, round(n * 0.02))
    n_pdept = max(1 if n >= 3 else 0, round(n * 0.10))
    n_cport = min(len(prefs), max(1 if n >= 2 else 0, -(-n // 18)))
    n_county = min(sum(len(v) for v in counties.values()), max(1 if n >= 4 else 0, round(n * 0.19)))
    counts = [n_other, n_below, n_county, n_pdept, n_cport]
    while sum(counts) > n - 1:  # tiny farms: drop the rarer kinds first
        k = next(i for i, c in enumerate(counts) if c > 0)
        counts[k] -= 1
    n_other, n_below, n_county, n_pdept, n_cport = counts
    n_cdept = n - 1 - sum(counts)
    capacity = len(DEPARTMENTS) * len(prefs)
    if n_cdept > capacity or n_pdept > len(DEPARTMENTS):
        raise ValueError(f"a farm of one province holds at most about {capacity + 150} sites")

    serials: dict[str, int] = {}

    def site_code(division: str) -> str:
        serials[division] = serials.get(division, rng.randint(0, 3)) + rng.randint(1, 3)
        return f"{division}{serials[division]:04d}"

    icp_numbers: set[str] = set()

    def icp() -> str:
        while True:
            number = (
                f"{rng.choice(('05', '09', '10', '12', '13', '15', '17', '18'))}{rng.randint(0, 999999):06d}"
            )
            if number not in icp_numbers:
                icp_numbers.add(number)
                suffix = f"-{rng.randint(1, 3)}" if rng.random() < 0.3 else ""
                return f"{abbr}ICP备{number}号{suffix}"

    def psb(division: str) -> str:
        return f"{abbr}公网安备 {division}{rng.randint(0, 99999999):08d}号"

    def police_division(code: str) -> str:
        if code.endswith("0000"):
            kids = _counties(prefs[0])
            return kids[0].code if kids else prefs[0].code
        if code.endswith("00"):
            kids = _counties(regions.lookup(code)) if regions.lookup(code) else []
            return kids[0].code if kids else code
        return code

    area_code = "0" + str(rng.randint(350, 999)) if prov.code[:2] not in {"11", "12", "31"} else "010"
    raw: list[dict] = []
    prov_short = _short_place(prov.name)
    raw.append(
        dict(
            name=f"{prov.name}人民政府",
            sponsor=f"{prov.name}人民政府办公厅",
            category=SiteCategory.PROVINCIAL_PORTAL,
            region="省本级",
            division=prov.code,
            org_short="省政府",
            area_short="省",
            doc_prefix=f"{abbr}府发",
        )
    )
    dept_order = list(range(len(DEPARTMENTS)))
    rng.shuffle(dept_order)
    for k in dept_order[:n_pdept]:
        prov_name, _city, short, doc = DEPARTMENTS[k]
        raw.append(
            dict(
                name=f"{prov.name}{prov_name}",
                sponsor=f"{prov.name}{prov_name}",
                category=SiteCategory.PROVINCIAL_DEPARTMENT,
                region="省直部门",
                division=prov.code,
                org_short=f"省{short}",
                area_short="省",
                doc_prefix=f"{abbr}{doc}发",
            )
        )
    for pref in prefs[:n_cport]:
        stem = _short_place(pref.name)
        raw.append(
            dict(
                name=f"{pref.name}人民政府",
                sponsor=f"{pref.name}人民政府办公室",
                category=SiteCategory.CITY_PORTAL,
                region=pref.name,
                division=pref.code,
                org_short="市政府",
                area_short="市",
                doc_prefix=f"{stem[0]}府发",
            )
        )
    pairs = [(p, d) for d in dept_order for p in prefs]
    rng.shuffle(pairs)
    pairs = sorted(pairs[:n_cdept], key=lambda pd: (pd[0].code, dept_order.index(pd[1])))
    for pref, k in pairs:
        _prov_name, city_name, short, doc = DEPARTMENTS[k]
        stem = _short_place(pref.name)
        raw.append(
            dict(
                name=f"{pref.name}{city_name}",
                sponsor=f"{pref.name}{city_name}",
                category=SiteCategory.CITY_DEPARTMENT,
                region=pref.name,
                division=pref.code,
                org_short=f"市{short}",
                area_short="市",
                doc_prefix=f"{stem[0]}{doc}发",
            )
        )
    all_counties = []
    for i in range(max((len(v) for v in counties.values()), default=0)):
        for pref in prefs:
            if i < len(counties[pref.code]):
                all_counties.append((pref, counties[pref.code][i]))
    for pref, county in all_counties[:n_county]:
        stem = _short_place(county.name)
        raw.append(
            dict(
                name=f"{county.name}人民政府",
                sponsor=f"{county.name}人民政府办公室",
                category=SiteCategory.COUNTY_PORTAL,
                region=pref.name,
                division=county.code,
                org_short=f"{county.name[-1]}政府",
                area_short=county.name[-1],
                doc_prefix=f"{stem[0]}府发",
            )
        )
    from govinspect.farm.text import TOWN_STEMS

    for j in range(n_below):
        pref, county = all_counties[j % len(all_counties)]
        town = TOWN_STEMS[(j * 7 + rng.randint(0, 3)) % len(TOWN_STEMS)] + "镇"
        raw.append(
            dict(
                name=f"{county.name}{town}人民政府",
                sponsor=f"{county.name}{town}人民政府",
                category=SiteCategory.BELOW_COUNTY,
                region=pref.name,
                division=county.code,
                org_short="镇政府",
                area_short="镇",
                doc_prefix=f"{town[0]}府发",
            )
        )
    for j in range(n_other):
        pref = prefs[j % len(prefs)]
        unit = OTHER_UNITS[j % len(OTHER_UNITS)]
        stem = _short_place(pref.name)
        raw.append(
            dict(
                name=f"{stem}{unit}",
                sponsor=f"{stem}{unit}",
                category=SiteCategory.OTHER,
                region=pref.name,
                division=pref.code,
                org_short="管委会",
                area_short="区",
                doc_prefix=f"{stem[0]}管发",
            )
        )

    sites: list[SitePlan] = []
    for i, r in enumerate(raw):
        srng = random.Random(f"{seed}:site:{i}")
        style = "trs" if i == 0 else _weighted(srng, {"trs": 45, "wcm": 35, "jsp": 20})
        enc = "utf8" if i == 0 else _weighted(srng, _ENCODING_WEIGHTS)
        code = site_code(r["division"])
        sites.append(
            SitePlan(
                index=i,
                site_code=code,
                name=r["name"],
                sponsor=r["sponsor"],
                category=r["category"],
                region=r["region"],
                division_code=r["division"],
                host=host_for(i),
                port=port,
                style=style,
                page_variant=srng.choice(("index_shtml", "list_html")),
                encoding_variant=enc,
                icp=icp(),
                psb=psb(police_division(r["division"])),
                org_short=r["org_short"],
                area_short=r["area_short"],
                doc_prefix=r["doc_prefix"],
                phone=f"{area_code}-{srng.randint(2000000, 8999999)}",
            )
        )
    _assign_behaviours(random.Random(f"{seed}:behaviours"), sites)
    _guarantee_variety(rng, [s for s in sites if s.behaviour is None])
    for s in sites:
        if s.encoding[0] == "gbk" and not _gbk_ok(s.name + s.sponsor + s.region + s.doc_prefix):
            s.encoding_variant = "utf8"
        assert check_site_code(s.site_code) is None, s.site_code
        assert check_icp(s.icp) is None and check_psb(s.psb) is None, (s.icp, s.psb)
    _assign_defects(random.Random(f"{seed}:defects"), sites, defect_rate)
    _assign_tls(random.Random(f"{seed}:tls"), sites, defect_rate)
    _assign_blocked(random.Random(f"{seed}:blocked"), sites, defect_rate)
    province = {"code": prov.code, "name": prov.name, "abbreviation": abbr, "short": prov_short}
    return province, sites


def _guarantee_variety(rng: random.Random, sites: list[SitePlan]) -> None:
    """Small farms still get every CMS style and the GBK variants tests rely on."""
    others = sites[1:]
    if len(others) >= 3:
        for style in STYLES:
            if not any(s.style == style for s in sites):
                pick = rng.choice([s for s in others if sum(t.style == s.style for t in sites) > 1])
                pick.style = style
    if len(others) >= 5:
        for variant in ("gbk", "gbk_meta_lies", "gbk_header_lies"):
            if not any(s.encoding_variant == variant for s in sites):
                pool = [s for s in others if sum(t.encoding_variant == s.encoding_variant for t in sites) > 1]
                rng.choice(pool).encoding_variant = variant


def _assign_behaviours(rng: random.Random, sites: list[SitePlan]) -> None:
    n = len(sites)
    counts = {
        "down": max(1 if n >= 6 else 0, round(n * 0.015)),
        "firewall": max(1 if n >= 6 else 0, round(n * 0.02)),
        "slow": max(1 if n >= 8 else 0, round(n * 0.01)),
        "flaky": max(1 if n >= 10 else 0, round(n * 0.01)),
    }
    pool = [s for s in sites[1:]]
    rng.shuffle(pool)
    for behaviour in BEHAVIOURS:
        for _ in range(counts[behaviour]):
            if pool:
                pool.pop().behaviour = behaviour


def _compatible(kind: str, chosen: list[str]) -> bool:
    if kind in chosen:
        return False
    for group in _EXCLUSIVE:
        if kind in group and any(c in group for c in chosen):
            return False
    if kind == "interaction.no_channel" and any(c in _NEEDS_BOARD for c in chosen):
        return False
    return not (kind in _NEEDS_BOARD and "interaction.no_channel" in chosen)


def _assign_defects(rng: random.Random, sites: list[SitePlan], multiplier: float) -> None:
    eligible = [s for s in sites if s.behaviour is None]
    if multiplier <= 0 or not eligible:
        return
    for s in eligible:
        for kind, rate in DEFECT_RATES.items():
            if rng.random() < min(1.0, rate * multiplier) and _compatible(kind, s.defects):
                s.defects.append(kind)
    # every kind at least once when the farm is big enough to hold them without crowding
    if len(eligible) >= 4:
        for kind in DEFECT_RATES:
            if any(kind in s.defects for s in eligible):
                continue
            order = sorted(eligible, key=lambda s: (len(s.defects), rng.random()))
            for s in order:
                if _compatible(kind, s.defects):
                    s.defects.append(kind)
                    break
    order_index = {k: i for i, k in enumerate(DEFECT_RATES)}
    for s in eligible:
        s.defects.sort(key=order_index.__getitem__)


def _assign_blocked(rng: random.Random, sites: list[SitePlan], multiplier: float) -> None:
    """Which sites link to a page that refuses every visitor (403 or 429): a ``links.blocked`` notice, never a
    broken link. Drawn after everything else from a random of its own, so adding it left the rest of every farm
    as it was; farms of 4 or more ordinary sites get at least one."""
    eligible = [s for s in sites if s.behaviour is None]
    if multiplier <= 0 or not eligible:
        return
    chosen = [s for s in eligible if rng.random() < min(1.0, BLOCKED_RATE * multiplier)]
    if not chosen and len(eligible) >= 4:
        chosen = [rng.choice(eligible[1:])]
    for s in chosen:
        s.defects.append("links.blocked")


def _assign_tls(rng: random.Random, sites: list[SitePlan], multiplier: float) -> None:
    """Which sites are served over https and with which certificate. Farms of 4 or more ordinary sites get every
    certificate problem at least once and one https site with a good certificate; each on its own site. The
    provincial portal (site 0) stays http: it is the plain first site that tests and demos pick."""
    eligible = [s for s in sites if s.behaviour is None and s.index > 0]
    for s in eligible:
        if rng.random() >= HTTPS_SHARE:
            continue
        s.tls = "ok"
        for kind, rate in TLS_RATES.items():
            if rng.random() < min(1.0, rate * multiplier):
                s.tls = kind.partition(":")[2]
                break
    if len(eligible) < 4:
        return
    wanted = ["ok", *(k.partition(":")[2] for k in TLS_RATES)] if multiplier > 0 else ["ok"]
    for variant in wanted:
        if any(s.tls == variant for s in eligible):
            continue
        pool = [s for s in eligible if s.tls is None] or [
            s for s in eligible if sum(t.tls == s.tls for t in eligible) > 1
        ]
        if pool:
            rng.choice(pool).tls = variant
    for s in eligible:
        if s.tls not in (None, "ok"):
            s.defects.append(f"transport.tls:{s.tls}")
