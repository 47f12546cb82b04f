"""The farm on disk: determinism, truth, registry, encodings, markup. No server needed."""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from govinspect.farm import Farm, build_farm, load_farm
from govinspect.farm.render import disk_name
from govinspect.farm.tls import VALID_TO, ca_certificate, site_certificate
from govinspect.registry.identifiers import check_icp, check_psb, check_site_code

# Every check id of INDICATORS.md (§2–§4), spelled exactly as there.
INDICATOR_CHECK_IDS = {
    "content.serious_error", "content.illegal", "content.dark_link", "security.malicious_script", "content.fake_date",
    "availability.unreachable", "availability.down_at_check", "freshness.homepage_stale", "freshness.column_stale",
    "freshness.column_blank", "interaction.no_channel", "interaction.reply_overdue", "service.missing",
    "service.guide_incomplete", "links.broken", "content.typo", "content.sensitive", "content.privacy_leak",
    "interpretation.missing", "interpretation.unlinked", "search.missing", "search.broken", "interaction.reply_slow",
    "interaction.survey_feedback_missing", "footer.site_code", "footer.icp", "footer.psb", "footer.conac",
    "footer.sponsor", "footer.jiucuo", "footer.ads", "meta.missing", "transport.tls", "transport.ipv6",
    "transport.mixed_content", "newmedia.serious_error", "newmedia.stale", "newmedia.no_interaction",
    "newmedia.unregistered", "newmedia.status_mismatch", "newmedia.ads", "newmedia.duplicate", "newmedia.dormant",
    "links.blocked",  # the engine issue's notice for refused links ("blocked ≠ broken", INDICATORS.md §2)
}  # fmt: skip
VETO_NAMES = {
    "安全、泄密事故等严重问题",
    "站点无法访问",
    "首页不更新",
    "栏目不更新",
    "互动回应差",
    "服务不实用",
}
NOT_ON_A_PAGE = {"transport.ipv6"} | {c for c in INDICATOR_CHECK_IDS if c.startswith("newmedia.")}


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_farms(tmp_path: Path) -> None:
    a = build_farm(tmp_path / "a", sites=8, seed=42, port=18099)
    b = build_farm(tmp_path / "b", sites=8, seed=42, port=18099)
    c = build_farm(tmp_path / "c", sites=8, seed=43, port=18099)
    ha, hb = _hashes(a.root), _hashes(b.root)
    assert len(ha) > 8 * 60
    assert ha == hb
    assert _hashes(c.root) != ha
    # certificates and keys too (derived keys, deterministic signatures), and they depend on the seed
    assert "ca.pem" in ha and any(name.startswith("tls/") and name.endswith(".crt") for name in ha)
    assert _hashes(c.root)["ca.pem"] != ha["ca.pem"]


def test_manifest_round_trips(farm: Farm) -> None:
    again = load_farm(farm.root)
    assert again.sites == farm.sites
    assert again.as_of == farm.as_of and again.seed == farm.seed
    assert len({s.host for s in farm.sites}) == len(farm.sites)
    assert all(s.host.startswith("127.0.") and s.host != "127.0.0.2" for s in farm.sites)


def test_truth_uses_only_indicator_check_ids_and_covers_every_page_level_one(farm: Farm) -> None:
    truth = farm.truth()
    seen = {d["check"] for s in truth["sites"] for d in s["defects"]}
    assert seen <= INDICATOR_CHECK_IDS, seen - INDICATOR_CHECK_IDS
    assert seen == INDICATOR_CHECK_IDS - NOT_ON_A_PAGE
    for s in truth["sites"]:
        for d in s["defects"]:
            assert d["severity"] in ("veto", "deduction", "notice")
            assert d["url"].startswith(f"{urlsplit(s['url']).scheme}://{urlsplit(s['url']).netloc}/")
            if d["check"] in ("links.broken", "links.blocked"):
                assert d["evidence"]["target"].startswith(("http://", "https://"))
            assert d["check"] != "links.blocked" or d["severity"] == "notice"


def test_truth_verdicts_follow_vetoes(farm: Farm) -> None:
    truth = farm.truth()
    verdicts = set()
    for s in truth["sites"]:
        vetoes = s["expected_vetoes"]
        assert set(vetoes) <= VETO_NAMES
        assert (s["expected_verdict"] == "不合格") == bool(vetoes)
        assert bool(vetoes) == any(d["severity"] == "veto" for d in s["defects"])
        verdicts.add(s["expected_verdict"])
        if s["behaviour"] == "firewall":
            assert s["notices"][0]["kind"] == "blocked" and not s["defects"]
        stale = [d for d in s["defects"] if d["check"] == "freshness.column_stale"]
        assert all(d["severity"] == ("veto" if len(stale) >= 5 else "deduction") for d in stale)
        blank = [d for d in s["defects"] if d["check"] == "freshness.column_blank"]
        assert all(d["severity"] == ("veto" if len(blank) >= 5 else "deduction") for d in blank)
    assert verdicts == {"合格", "不合格"}


def test_registry_identifiers_are_valid_and_unique(farm: Farm) -> None:
    raw = farm.registry_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert list(rows[0]) == [
        "网站标识码",
        "网站名称",
        "首页网址",
        "主办单位",
        "所属地区",
        "类别",
        "运行状态",
        "ICP备案号",
        "公安备案号",
    ]
    assert len(rows) == len(farm.sites)
    codes = [r["网站标识码"] for r in rows]
    assert len(set(codes)) == len(codes)
    for r in rows:
        assert check_site_code(r["网站标识码"]) is None, r
        assert check_icp(r["ICP备案号"]) is None, r
        assert check_psb(r["公安备案号"]) is None, r
    assert {r["类别"] for r in rows} >= {"省级门户", "省级部门", "市级门户", "市级部门", "县级门户"}
    accounts = list(csv.DictReader(farm.accounts_csv.read_text("utf-8-sig").splitlines()))
    assert list(accounts[0]) == ["平台", "账号名称", "账号ID", "主办单位", "所属地区", "运行状态", "是否备案"]
    assert {a["是否备案"] for a in accounts} <= {"是", "否"}


def test_malformed_footer_identifiers_fail_validation(farm: Farm) -> None:
    checkers = {"footer.site_code": check_site_code, "footer.icp": check_icp, "footer.psb": check_psb}
    found = 0
    for s in farm.truth()["sites"]:
        for d in s["defects"]:
            if d["check"] in checkers and d.get("variant") in ("malformed", "mismatch"):
                value = d["evidence"]["found"]
                assert value != d["evidence"]["expected"]
                bad = checkers[d["check"]](value)
                assert (bad is not None) == (d["variant"] == "malformed"), d
                found += 1
    assert found


def test_gbk_site_with_lying_meta(farm: Farm) -> None:
    site = next(s for s in farm.sites if s.encoding_variant == "gbk_meta_lies")
    raw = (farm.site_dir(site) / disk_name(site.homepage)).read_bytes()
    text = raw.decode("gbk")
    assert 'charset="utf-8"' in text or "charset=utf-8" in text
    assert site.name in text
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        raise AssertionError("GBK bytes decoded as UTF-8")


def test_trs_pagination_only_through_create_page_html(farm: Farm) -> None:
    site = next(s for s in farm.sites if s.style == "trs" and not s.down)
    root = farm.site_dir(site)
    checked = 0
    for page0 in sorted(root.glob("col/col*/index.html")):
        text = page0.read_bytes().decode(site.encoding)
        if "<h2>网站地图</h2>" in text:
            continue
        m = re.search(r'createPageHTML\((\d+), 0, "index", "html"\)', text)
        assert m, page0
        count = int(m.group(1))
        for k in range(1, count):
            assert (page0.parent / f"index_{k}.html").is_file()
            assert f"index_{k}.html" not in text  # reachable only through the script
        assert not (page0.parent / f"index_{count}.html").exists()
        checked += count > 1
    assert checked >= 2


def _links(text: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(r'(?:href|src)="([^"]+)"', text)]


def test_no_accidental_broken_internal_links(farm: Farm) -> None:
    truth = {s["site_code"]: s for s in farm.truth()["sites"]}
    for site in farm.sites:
        if site.behaviour:
            continue
        broken = {
            d["evidence"]["target"] for d in truth[site.site_code]["defects"] if d["check"] == "links.broken"
        }
        root = farm.site_dir(site)
        for page in root.rglob("*"):
            if not page.is_file() or page.suffix in (".css", ".js", ".png", ".txt"):
                continue
            rel = page.relative_to(root).as_posix()
            path = "/" + rel.replace("@", "?")
            text = page.read_bytes().decode(site.encoding)
            for link in _links(text):
                absolute = urljoin(site.base_url + path, link)
                parts = urlsplit(absolute)
                if parts.netloc != f"{site.host}:{site.port}" or absolute in broken:
                    continue
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                target = site.homepage if target == "/" else target
                assert (root / disk_name(target)).is_file(), (page, link)


def test_truth_json_is_valid_utf8_json(farm: Farm) -> None:
    data = json.loads(farm.truth_path.read_text("utf-8"))
    assert data["profile"] == "national-2019" and data["as_of"] == farm.as_of.isoformat()


def test_https_sites_certificates_and_truth(farm: Farm) -> None:
    """Every certificate variant once in the small farm, each on its own site, written as the truth says:
    good ones chain to the farm CA for the site's own address; an expiring one is left to the server."""
    from cryptography import x509

    truth = {s["site_code"]: s for s in farm.truth()["sites"]}
    ca = x509.load_pem_x509_certificate(farm.ca_file.read_bytes())
    assert ca == ca_certificate(farm.seed) and ca.not_valid_after_utc == VALID_TO
    https = [s for s in farm.sites if s.tls is not None]
    assert sorted(s.tls for s in https) == ["expired", "expiring", "ok", "self_signed", "wrong_host"]
    assert farm.sites[0].tls is None  # the portal stays the plain first site
    for site in farm.sites:
        ts = truth[site.site_code]
        tls = [d for d in ts["defects"] if d["check"] == "transport.tls"]
        assert ts["tls"] == site.tls
        assert site.base_url.startswith("https://" if site.tls else "http://") and ts["url"] == site.url
        if site.tls in (None, "ok"):
            assert tls == []
        else:
            (defect,) = tls
            assert defect["variant"] == site.tls and defect["url"] == site.homepage_url
            assert defect["severity"] == ("notice" if site.tls == "expiring" else "deduction")
        mixed = [d for d in ts["defects"] if d["check"] == "transport.mixed_content"]
        assert all(d["severity"] == ("deduction" if site.tls else "notice") for d in mixed)
        crt = farm.root / "tls" / f"{site.site_code}.crt"
        assert crt.exists() == (site.tls not in (None, "expiring"))
        assert (farm.root / "tls" / f"{site.site_code}.key").exists() == (site.tls is not None)
        if not crt.exists():
            continue
        cert = x509.load_pem_x509_certificate(crt.read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        addresses = [str(a) for a in names.get_values_for_type(x509.IPAddress)]
        assert (addresses == [site.host]) == (site.tls != "wrong_host"), (site.tls, addresses)
        if site.tls == "self_signed":
            cert.verify_directly_issued_by(cert)
        else:
            cert.verify_directly_issued_by(ca)
        assert (cert.not_valid_after_utc.year == 2021) == (site.tls == "expired")
    expiring = next(s for s in https if s.tls == "expiring")
    made = site_certificate(farm.seed, expiring.site_code, expiring.host, expiring.name, "expiring")
    made.verify_directly_issued_by(ca)
    assert timedelta(days=9) < made.not_valid_after_utc - datetime.now(UTC) <= timedelta(days=10)
