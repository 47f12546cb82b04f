"""From stored pages to site models to findings: the farm read from disk as a perfect crawl, against its truth."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from govinspect.checks.registry import WEBSITE_CHECK_IDS, run_checks
from govinspect.extract.model import Expected
from govinspect.farm import Farm
from govinspect.farm.compare import compare
from govinspect.runs.contract import SiteOutcome, document
from govinspect.runs.model_builder import Override, SiteExtraction, StoredPage
from govinspect.scoring.engine import score_site
from govinspect.scoring.profile import load_profile

PROFILE = load_profile()
SKIP = (".css", ".js", ".png", ".jpg", ".gif", ".txt", ".json")


def stored_pages(farm: Farm, site) -> Iterator[StoredPage]:  # type: ignore[no-untyped-def]
    if site.down:
        for attempt in (1, 2, 3):
            yield StoredPage(attempt, site.homepage_url, None, "homepage", None, "connect", {}, attempt)
        return
    root = farm.root / "www" / site.site_code
    charset = f"; charset={site.header_charset}" if site.header_charset else ""
    for number, path in enumerate(
        sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in SKIP), 1
    ):
        relative, _, query = path.relative_to(root).as_posix().partition("@")
        url = site.base_url.rstrip("/") + "/" + relative + (f"?{query}" if query else "")
        kind = "homepage" if url == site.homepage_url else "page"
        headers = {"content-type": f"text/html{charset}"}
        yield StoredPage(number, url, None, kind, 200, None, headers, load_body=lambda p=path: p.read_bytes())


def extraction(farm: Farm, site) -> SiteExtraction:  # type: ignore[no-untyped-def]
    expected = Expected(site.site_code, site.name, site.sponsor, site.icp, site.psb)
    return SiteExtraction.read(
        expected, site.homepage_url, list(stored_pages(farm, site)), PROFILE, farm.as_of
    )


def test_checks_on_a_perfectly_crawled_farm_agree_with_its_truth(farm: Farm) -> None:
    truth = farm.truth()
    outcomes = []
    for site in farm.sites:
        model = extraction(farm, site).model()
        findings = run_checks(model, PROFILE, farm.as_of)
        outcomes.append(
            SiteOutcome(site.site_code, site.name, site.url, findings, score_site(findings, PROFILE))
        )
    # broken links, a search that finds nothing and the transport probes need the network: see their tests
    offline = ("links.broken", "search.broken", "transport.tls", "transport.ipv6")
    checks = [c for c in WEBSITE_CHECK_IDS if c not in offline]
    result = compare(truth, document(farm.as_of, PROFILE.id, outcomes), checks)
    for check in checks:
        score = result.checks.get(check)
        if score is not None:
            assert (score.false_positives, score.false_negatives) == (0, 0), (
                check,
                result.false_positives,
                result.misses,
            )
    assert sum(s.true_positives for s in result.checks.values()) >= 10
    assert result.verdicts_agree == result.sites == len(farm.sites), result.disagreements


def test_inspector_corrections_change_what_is_judged(farm: Farm) -> None:
    site = next(s for s in farm.sites if not s.down)
    extracted = extraction(farm, site)
    columns = extracted.model().columns
    dynamic = next(c for c in columns if c.column_class == "dynamic")
    overrides = {dynamic.url: Override(ignore=True)}
    corrected = extracted.model(overrides=overrides)
    assert next(c for c in corrected.columns if c.url == dynamic.url).ignored
    reclassified = extracted.model(
        overrides={dynamic.url: Override(column_class="static", max_age_days=3650)}
    )
    column = next(c for c in reclassified.columns if c.url == dynamic.url)
    assert (column.column_class, column.max_age_days) == ("static", 3650)


def _page(number: int, url: str, html: str, kind: str = "page", status: int = 200) -> StoredPage:
    body = html.encode()
    return StoredPage(number, url, None, kind, status, None if status < 400 else "http", {}, 1, lambda: body)


def test_links_to_pages_beyond_the_budget_are_verified_homepage_links_first() -> None:
    """A broken link sits on a fetched page, its target beyond the page budget: the crawl never asked for it,
    so the link checker must. Fetched targets are not asked again (spelt differently or not)."""
    home = "http://www.zgsr.gov.cn/"
    stored = [
        _page(
            1,
            home,
            '<a href="/col/col1/index.html">要闻</a><a href="/art/old.html">旧文</a>'
            '<a href="/%E6%96%B0%E9%97%BB/a.html">新闻</a><a href="http://www.gov.cn/">中国政府网</a>',
            "homepage",
        ),
        _page(2, home + "col/col1/index.html", '<a href="/art/2.html">二</a><a href="/gone.html">失效</a>'),
        _page(3, home + "新闻/a.html", "<p>ok</p>"),
        _page(4, home + "gone.html", "not found", status=404),
        StoredPage(5, home + "doc.pdf", None, "file", 200, None, {}),
    ]
    expected = Expected("3611000003", "上饶市人民政府", "上饶市人民政府办公室")
    extraction = SiteExtraction.read(expected, home, stored, PROFILE, date(2020, 3, 31))
    targets = extraction.link_targets(max_external=10, max_unfetched=2)
    assert targets == [home + "gone.html", home + "art/old.html", home + "art/2.html", "http://www.gov.cn/"]
    assert extraction.link_targets(max_external=0, max_unfetched=1) == [
        home + "gone.html",
        home + "art/old.html",
    ]
