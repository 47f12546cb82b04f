"""From stored pages to site models to findings: the farm read from disk as a perfect crawl, against its truth."""

from __future__ import annotations

from collections.abc import Iterator

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
    checks = [
        c for c in WEBSITE_CHECK_IDS if c != "links.broken"
    ]  # broken links need the network: see crawl tests
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
