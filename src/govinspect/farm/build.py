"""Building a farm on disk: pages, static files, search indexes, registry, accounts, truth and manifest."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

from govinspect.farm.content import BLANKABLE, Column, Item, Site, make_site
from govinspect.farm.defects import VETO_INDICATOR, VETO_ORDER
from govinspect.farm.model import MANIFEST, Farm, FarmSite
from govinspect.farm.newmedia import build_from_farm as build_newmedia_accounts
from govinspect.farm.plan import EXTERNAL_HOST, SitePlan, plan_sites
from govinspect.farm.render import (
    ARTICLE_DATE_FORMATS,
    CSS,
    HOME_DATE_FORMATS,
    LIST_DATE_FORMATS,
    LIST_JS,
    PAGE_JS,
    PNG,
    Renderer,
    Style,
    disk_name,
)
from govinspect.farm.site_accounts import FILE as SITE_ACCOUNTS
from govinspect.farm.site_accounts import QR_IMAGE, Listing, listings_json, plan_listings
from govinspect.farm.tls import CA_FILE, TLS_DIR, ca_certificate, pem, site_files
from govinspect.registry.model import Platform, RunStatus
from govinspect.registry.validate import ACCOUNT_HEADERS, SITE_HEADERS

FLAKY_EVERY = 4
ROBOTS = "User-agent: *\nDisallow: /manage/\nDisallow: /cms/\nDisallow: /admin/\n"


def build_farm(
    out: Path | str,
    *,
    sites: int,
    seed: int,
    as_of: date = date(2020, 3, 31),
    port: int = 18080,
    progress: Callable[[int, int], None] | None = None,
    defect_rate: float = 1.0,
    slow_seconds: float = 3.0,
    js_sites: int = 0,
) -> Farm:
    """``js_sites``: that many sites load the first list page of their personnel, plan and other columns by
    JavaScript from a JSON file (the raw HTML holds an empty container); the truth is unchanged, since a
    browser shows the same items."""
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    for name in ("www", "search", TLS_DIR):
        shutil.rmtree(root / name, ignore_errors=True)
    external = f"http://{EXTERNAL_HOST}:{port}"
    province, plans = plan_sites(sites, seed, port, defect_rate)
    js_pool = [p.index for p in plans if p.behaviour is None and p.index > 0]
    scripted_sites = set(random.Random(f"{seed}:js").sample(js_pool, min(js_sites, len(js_pool))))
    js_columns: dict[str, list[str]] = {}
    farm_sites: list[FarmSite] = []
    truth_sites: list[dict] = []
    external_404: list[str] = []
    made_dirs: set[Path] = set()
    total = len(plans)
    account_rows = _account_rows(plans, seed)
    styles = {p.index: _style(p, seed) for p in plans}
    listings = plan_listings(plans, account_rows, seed, {i: s.name for i, s in styles.items()})
    for done, plan in enumerate(plans, start=1):
        site = make_site(plan, as_of, seed, external)
        style = styles[plan.index]
        _resolve_links(site, style)
        site_dir = root / "www" / plan.site_code
        scripted = frozenset(
            c.slug for c in site.columns if plan.index in scripted_sites and c.role in BLANKABLE
        )
        listing: Listing | None = listings.get(plan.index)
        renderer = Renderer(site, style, external, scripted, listing)
        pages = renderer.all_pages()
        enc = plan.encoding[0]
        for path, html in pages.items():
            _write(site_dir / disk_name(path), html.encode(enc), made_dirs)
        if scripted:
            for path, data in renderer.scripted_data().items():
                _write(site_dir / disk_name(path), data.encode("utf-8"), made_dirs)
            _write(site_dir / "js" / "list.js", LIST_JS.encode(), made_dirs)
            js_columns[plan.site_code] = [
                plan.base_url + style.col_path(c) for c in site.columns if c.slug in scripted
            ]
        _write(site_dir / "robots.txt", ROBOTS.encode(), made_dirs)
        _write(site_dir / "css" / "style.css", CSS.encode(), made_dirs)
        if style.name == "trs":
            _write(site_dir / "js" / "page.js", PAGE_JS.encode(), made_dirs)
        for img in ("red.png", "ga.png", "jiucuo.png"):
            _write(site_dir / "images" / img, PNG, made_dirs)
        if listing is not None and listing.matrix_path:
            _write(site_dir / QR_IMAGE.lstrip("/"), PNG, made_dirs)
        _write(root / "search" / f"{plan.site_code}.json", _search_index(site, style, as_of), made_dirs)
        if plan.tls is not None:
            other = plans[1 if plan.index == 0 else 0].host  # wrong_host: the portal's address
            for name, data in site_files(seed, plan.site_code, plan.host, plan.name, plan.tls, other).items():
                _write(root / name, data, made_dirs)
        external_404.extend(site.external_404)
        farm_sites.append(
            FarmSite(
                index=plan.index,
                site_code=plan.site_code,
                name=plan.name,
                sponsor=plan.sponsor,
                base_url=plan.base_url,
                host=plan.host,
                port=port,
                category=plan.category,
                region=plan.region,
                down=plan.behaviour == "down",
                behaviour=plan.behaviour,
                style=style.name,
                page_variant=plan.page_variant,
                encoding=enc,
                header_charset=plan.encoding[1],
                meta_charset=plan.encoding[2],
                encoding_variant=plan.encoding_variant,
                homepage=style.home,
                search_path=None if site.search == "missing" else style.search_path,
                search_param=None if site.search == "missing" else style.search_param,
                search=site.search,
                icp=plan.icp,
                psb=plan.psb,
                dir=f"www/{plan.site_code}",
                tls=plan.tls,
            )
        )
        truth_sites.append(_site_truth(site, style, farm_sites[-1], slow_seconds))
        if plan.site_code in js_columns:
            truth_sites[-1]["scripted_columns"] = js_columns[plan.site_code]
        if progress:
            progress(done, total)
    farm = Farm(
        root=root,
        seed=seed,
        as_of=as_of,
        port=port,
        province=province,
        external_host=EXTERNAL_HOST,
        external_404=sorted(external_404),
        slow_seconds=slow_seconds,
        flaky_every=FLAKY_EVERY,
        defect_rate=defect_rate,
        sites=farm_sites,
        js_columns=js_columns,
    )
    truth = {
        "schema": 1,
        "profile": "national-2019",
        "as_of": as_of.isoformat(),
        "seed": seed,
        "province": province,
        "sites": truth_sites,
    }
    _write(root / CA_FILE, pem(ca_certificate(seed)), made_dirs)
    _write(root / "truth.json", _json(truth), made_dirs)
    _write(root / MANIFEST, _json(farm.manifest()), made_dirs)
    _write(root / "registry.csv", _registry(farm_sites), made_dirs)
    _write(root / "accounts.csv", _csv(list(ACCOUNT_HEADERS), [row for _, row in account_rows]), made_dirs)
    bases = {s.index: (s.base_url, s.homepage) for s in farm_sites}
    _write(root / SITE_ACCOUNTS, listings_json(listings, bases), made_dirs)
    build_newmedia_accounts(root, seed=seed, as_of=as_of, external=external, defect_rate=defect_rate)
    return farm


def _json(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def _write(path: Path, data: bytes, made: set[Path]) -> None:
    parent = path.parent
    if parent not in made:
        parent.mkdir(parents=True, exist_ok=True)
        made.add(parent)
    path.write_bytes(data)


def _marker_path(value, style: Style):
    if isinstance(value, tuple) and value and value[0] == "missing_column":
        return style.missing_column_path(value[1])
    if isinstance(value, tuple) and value and value[0] == "path_of":
        return style.item_path(value[1])
    return value


def _resolve_links(site: Site, style: Style) -> None:
    site.home_links = [(t, _marker_path(u, style)) for t, u in site.home_links]
    site.article_links = {
        k: [(t, _marker_path(u, style)) for t, u in v] for k, v in site.article_links.items()
    }


def _search_index(site: Site, style: Style, as_of: date) -> bytes:
    entries = []
    for col in site.columns:
        for it in col.items:
            if site.search == "broken" and (as_of - it.day).days < 183:
                continue
            entries.append([it.title, style.item_path(it), it.display_day.isoformat()])
    entries.sort(key=lambda e: (e[2], e[1]), reverse=True)
    return _json(entries)


def _site_truth(site: Site, style: Style, fs: FarmSite, slow_seconds: float) -> dict:
    base = fs.base_url

    def url_of(where) -> str:
        if where == "home":
            return base + style.home
        if isinstance(where, Column):
            return base + style.col_path(where)
        if isinstance(where, Item):
            return base + style.item_path(where)
        if isinstance(where, tuple) and where[0] == "search":
            return base + style.search_url(where[1])
        raise TypeError(where)

    def value(v, item: Item | None):
        if isinstance(v, (Item, Column)):
            return url_of(v)
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, tuple):
            return base + _marker_path(v, style)
        if v == "from_style":
            return item.day.isoformat() if (item and style.dated_urls()) else None
        if isinstance(v, list):
            return [value(x, item) for x in v]
        return v

    defects = []
    for e in site.truth:
        where = e["where"]
        item = where if isinstance(where, Item) else None
        entry = {"check": e["check"], "severity": e["severity"], "url": url_of(where)}
        if "variant" in e:
            entry["variant"] = e["variant"]
        entry["evidence"] = {k: value(v, item) for k, v in e["evidence"].items()}
        defects.append(entry)
    notices = []
    if fs.behaviour == "down":
        defects = [
            {
                "check": "availability.down_at_check",
                "severity": "veto",
                "url": base + style.home,
                "evidence": {"note": "nothing listens on the address"},
            }
        ]
    elif fs.behaviour == "flaky":
        defects = [
            {
                "check": "availability.unreachable",
                "severity": "veto",
                "url": base + style.home,
                "evidence": {
                    "reset_every": FLAKY_EVERY,
                    "note": "every Nth connection to the site is reset; shows in probe history (failures ≥ 5%), "
                    "not in a one-shot fetch with retries",
                },
            }
        ]
    elif fs.behaviour == "firewall":
        notices.append(
            {
                "kind": "blocked",
                "status": 403,
                "rule": "403 to any User-Agent without 'Mozilla/'",
                "expect": "a blocked notice; never links.broken or availability findings",
            }
        )
    elif fs.behaviour == "slow":
        notices.append(
            {
                "kind": "slow",
                "delay_seconds": {"homepage": slow_seconds, "other_pages": round(slow_seconds / 6, 2)},
                "expect": "nothing (every response well under 15 s)",
            }
        )
    vetoes = sorted(
        {VETO_INDICATOR[d["check"]] for d in defects if d["severity"] == "veto"}, key=VETO_ORDER.index
    )
    return {
        "site_code": fs.site_code,
        "name": fs.name,
        "url": fs.url,
        "homepage": fs.homepage_url,
        "category": fs.category.value,
        "region": fs.region,
        "style": fs.style,
        "encoding": {
            "bytes": fs.encoding,
            "header": fs.header_charset,
            "meta": fs.meta_charset,
            "variant": fs.encoding_variant,
        },
        "behaviour": fs.behaviour,
        "tls": fs.tls,
        "search": {"path": fs.search_path, "param": fs.search_param, "state": fs.search},
        "expected_verdict": "不合格" if vetoes else "合格",
        "expected_vetoes": vetoes,
        "defects": defects,
        "notices": notices,
    }


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def _registry(sites: list[FarmSite]) -> bytes:
    rows = [
        [
            s.site_code,
            s.name,
            s.url,
            s.sponsor,
            s.region,
            s.category.value,
            RunStatus.RUNNING.value,
            s.icp,
            s.psb,
        ]
        for s in sites
    ]
    return _csv(list(SITE_HEADERS), rows)


def _style(plan: SitePlan, seed: int) -> Style:
    srng = random.Random(f"{seed}:formats:{plan.index}")
    return Style(
        plan,
        srng.choice(LIST_DATE_FORMATS),
        srng.choice(HOME_DATE_FORMATS),
        srng.choice(ARTICLE_DATE_FORMATS),
    )


def _account_rows(plans: list[SitePlan], seed: int) -> list[tuple[int, list[str]]]:
    """The registry's accounts (accounts.csv rows), each with the index of its unit's site."""
    rng = random.Random(f"{seed}:accounts")
    rows: list[tuple[int, list[str]]] = []
    seen: set[str] = set()
    for p in plans:
        short = p.name.removesuffix("人民政府")
        if p.category.is_portal:
            base = f"{short}发布"
            wanted = [(Platform.WECHAT, base), (Platform.WEIBO, base), (Platform.DOUYIN, base)]
            if rng.random() < 0.5:
                wanted.append((Platform.TOUTIAO, base))
        else:
            wanted = [(Platform.WECHAT, p.name)]
            if rng.random() < 0.4:
                wanted.append((Platform.WEIBO, p.name))
            if rng.random() < 0.2:
                wanted.append((Platform.DOUYIN, p.name))
        for platform, name in wanted:
            if platform is Platform.WECHAT:
                account_id = "gh_" + "".join(rng.choice("0123456789abcdef") for _ in range(12))
            elif platform is Platform.WEIBO:
                account_id = str(rng.randint(1000000000, 7999999999))
            else:
                account_id = str(rng.randint(10000000000, 99999999999))
            if account_id in seen:
                continue
            seen.add(account_id)
            status = RunStatus.CLOSED.value if rng.random() < 0.04 else RunStatus.RUNNING.value
            registered = "否" if rng.random() < 0.05 else "是"
            rows.append(
                (p.index, [platform.value, name, account_id, p.sponsor, p.region, status, registered])
            )
    return rows
