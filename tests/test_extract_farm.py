"""Extraction against the farm's ground truth (truth.json, registry.csv), reading the farm's files from disk."""

from __future__ import annotations

import csv
from datetime import date
from functools import cache
from urllib.parse import urlsplit

from govinspect.extract.columns import discover_columns, find_sitemap_link
from govinspect.extract.listing import homepage_items, list_items
from govinspect.extract.page import Page, parse_page
from govinspect.farm import Farm, FarmSite
from govinspect.scoring.profile import load_profile

CLASSES = load_profile().column_classes


def _disk(farm: Farm, site: FarmSite, url: str):
    u = urlsplit(url)
    path = u.path.lstrip("/") or "index.html"
    if path.endswith("/"):
        path += "index.html"
    if u.query:
        path = f"{path}@{u.query}"
    return farm.site_dir(site) / path


def _load(farm: Farm, site: FarmSite, url: str) -> Page:
    headers = {"Content-Type": f"text/html; charset={site.header_charset}"} if site.header_charset else {}
    return parse_page(url, _disk(farm, site, url).read_bytes(), headers=headers, reference=farm.as_of)


@cache
def _registry(root: str) -> dict[str, dict[str, str]]:
    with open(f"{root}/registry.csv", encoding="utf-8-sig") as fh:
        return {r["网站标识码"]: r for r in csv.DictReader(fh)}


def _sites(farm: Farm):
    for ts in farm.truth()["sites"]:
        yield ts, farm.site(ts["site_code"])


def _state(found, expected: str) -> str:
    if found is None:
        return "missing"
    if isinstance(found, str):
        return "ok" if found == expected else "mismatch"
    if not found.valid:
        return "malformed"
    return "ok" if found.value.replace(" ", "") == expected.replace(" ", "") else "mismatch"


def test_footer_findings_match_the_truth(farm: Farm) -> None:
    registry = _registry(str(farm.root))
    seen_variants = set()
    for ts, site in _sites(farm):
        home = _load(farm, site, ts["homepage"])
        f = home.footer
        truth = {d["check"]: d for d in ts["defects"] if d["check"].startswith("footer.")}
        reg = registry[site.site_code]
        for field, column in (
            ("site_code", "网站标识码"),
            ("icp", "ICP备案号"),
            ("psb", "公安备案号"),
            ("sponsor", "主办单位"),
        ):
            d = truth.get(f"footer.{field}")
            want = d["variant"] if d else "ok"
            seen_variants.add((field, want))
            assert _state(getattr(f, field), reg[column]) == want, (
                site.site_code,
                field,
                getattr(f, field),
                d,
            )
            if d and d["variant"] == "malformed":
                assert getattr(f, field).raw.replace(" ", "") == d["evidence"]["found"].replace(" ", "")
        assert f.conac == ("footer.conac" not in truth), site.site_code
        assert f.jiucuo == ("footer.jiucuo" not in truth), site.site_code
        assert bool(f.ads) == ("footer.ads" in truth), (site.site_code, f.ads)
        if "footer.ads" in truth:
            assert truth["footer.ads"]["evidence"]["target"] in [a.url for a in f.ads]
    assert {v for _, v in seen_variants} >= {"ok", "missing"}  # the small farm carries real defects


def test_encodings_decode_cleanly_and_lies_are_flagged(farm: Farm) -> None:
    variants = set()
    for ts, site in _sites(farm):
        home = _load(farm, site, ts["homepage"])
        variants.add(ts["encoding"]["variant"])
        assert "\ufffd" not in home.body_text and home.decoded.replacements == 0
        assert site.name in home.body_text
        lying = ts["encoding"]["variant"] in ("gbk_meta_lies", "gbk_header_lies", "utf8_header_lies")
        assert home.decoded.mismatch == lying, (site.site_code, ts["encoding"], home.decoded)
        assert home.decoded.encoding == ("gb18030" if ts["encoding"]["bytes"] == "gbk" else "utf-8")
    assert any("lies" in v for v in variants) and "gbk" in variants


def test_meta_missing_pages_lack_the_tags(farm: Farm) -> None:
    for ts, site in _sites(farm):
        home = _load(farm, site, ts["homepage"])
        missing = any(d["check"] == "meta.missing" for d in ts["defects"])
        assert bool(home.missing_meta(("SiteName", "SiteDomain", "SiteIDCode"))) == missing
        if not missing:
            assert home.meta_get("siteidcode") == site.site_code


def test_dark_links_are_hidden(farm: Farm) -> None:
    found = 0
    for ts, site in _sites(farm):
        home = _load(farm, site, ts["homepage"])
        visible_gambling = [link for link in home.links if "/bc/" in link.url and not link.hidden]
        assert not visible_gambling
        for d in ts["defects"]:
            if d["check"] == "content.dark_link":
                hits = [link for link in home.links if link.url == d["evidence"]["target"]]
                assert hits and all(link.hidden for link in hits), d
                found += 1
    assert found >= 1


def test_columns_items_dates_pagination_against_truth(farm: Farm) -> None:
    as_of: date = farm.as_of
    checked_stale = checked_blank = checked_trs = 0
    for ts, site in _sites(farm):
        if ts["behaviour"] == "down":
            continue
        home = _load(farm, site, ts["homepage"])
        sitemap_url = find_sitemap_link(home)
        assert sitemap_url is not None
        cols = discover_columns(home, _load(farm, site, sitemap_url), profile_classes=CLASSES)
        by_url = {c.url: c for c in cols}
        stale = {d["url"]: d for d in ts["defects"] if d["check"] == "freshness.column_stale"}
        blank = {d["url"]: d for d in ts["defects"] if d["check"] == "freshness.column_blank"}
        assert set(stale) | set(blank) <= set(by_url), "every column the truth names is discovered"
        for col in cols:
            page = _load(farm, site, col.url)
            listing = list_items(page, reference=as_of)
            if col.url in blank:
                assert not listing.items or listing.placeholder, col
                checked_blank += 1
                continue
            assert listing.items and listing.placeholder is None, col
            if col.url in stale:
                assert listing.newest == date.fromisoformat(stale[col.url]["evidence"]["latest"]), col
                checked_stale += 1
            if site.style == "trs" and page.pagination.urls:
                assert page.pagination.kind == "trs"
                for url in page.pagination.urls:
                    assert _disk(farm, site, url).exists(), url
                checked_trs += 1
        # the homepage's own freshness agrees with the truth
        newest = max((i.date for i in homepage_items(home, reference=as_of)), default=None)
        home_stale = newest is None or (as_of - newest).days > 14
        assert home_stale == any(d["check"] == "freshness.homepage_stale" for d in ts["defects"])
    assert checked_stale and checked_blank and checked_trs
