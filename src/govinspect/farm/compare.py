"""Comparing inspection results (the ``inspect --json`` contract) with a farm's ground truth.

Findings and defects are matched per site and check by a key: the broken target for ``links.broken``, nothing
for the checks a site has once (footer items, metadata, availability, homepage freshness, missing channels,
the certificate, IPv6), and the page URL otherwise. Notices are left out on both sides: they are for a person
to confirm, not claims.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_INDEX_FILES = ("index.html", "index.htm", "index.shtml", "default.html", "default.htm", "index.jsp")
_ONCE_PER_SITE = (
    "footer.",
    "meta.missing",
    "availability.",
    "freshness.homepage_stale",
    "search.missing",
    "search.",  # at most one search finding a site; the truth URL depends on the title tried
    "service.missing",
    "interaction.no_channel",
    "transport.tls",  # the certificate and IPv6: once per site, on the homepage as fetched
    "transport.ipv6",
)


def normalise_url(url: str) -> str:
    parts = urlsplit(url.strip())
    path = parts.path or "/"
    for name in _INDEX_FILES:
        if path.endswith("/" + name):
            path = path[: -len(name)]
            break
    path = path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def match_key(check: str, url: str, evidence: Mapping[str, Any]) -> str:
    if check == "links.broken":
        return normalise_url(str(evidence.get("target") or url))
    if check.startswith(_ONCE_PER_SITE):
        return ""
    return normalise_url(url)


@dataclass
class CheckScore:
    check: str
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float | None:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else None

    @property
    def recall(self) -> float | None:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else None


@dataclass
class Comparison:
    checks: dict[str, CheckScore] = field(default_factory=dict)
    sites: int = 0
    verdicts_agree: int = 0
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)  # site, check, key
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    def score(self, check: str) -> CheckScore:
        return self.checks.setdefault(check, CheckScore(check))


def _claims(items: Iterable[Mapping[str, Any]], checks: set[str] | None) -> set[tuple[str, str]]:
    return {
        (item["check"], match_key(item["check"], item.get("url", ""), item.get("evidence") or {}))
        for item in items
        if item.get("severity") != "notice" and (checks is None or item["check"] in checks)
    }


def compare(
    truth: Mapping[str, Any], results: Mapping[str, Any], checks: Iterable[str] | None = None
) -> Comparison:
    """``checks``: the check ids under evaluation; the expected verdict is then the one those checks can reach
    (a site is expected 不合格 when one of its veto defects is among them)."""
    wanted = set(checks) if checks is not None else None
    found_by_site = {site["site_code"]: site for site in results.get("sites", [])}
    comparison = Comparison()
    for expected_site in truth["sites"]:
        code = expected_site["site_code"]
        got = found_by_site.get(code)
        if got is None:
            continue
        comparison.sites += 1
        expected = _claims(expected_site["defects"], wanted)
        found = _claims(got.get("findings", []), wanted)
        for check, _key in expected & found:
            comparison.score(check).true_positives += 1
        for check, key in found - expected:
            comparison.score(check).false_positives += 1
            comparison.false_positives.append((code, check, key))
        for check, key in expected - found:
            comparison.score(check).false_negatives += 1
            comparison.misses.append((code, check, key))
        if wanted is None:
            expected_verdict = expected_site["expected_verdict"]
        else:
            vetoed = any(d["severity"] == "veto" and d["check"] in wanted for d in expected_site["defects"])
            expected_verdict = "不合格" if vetoed else "合格"
        if got.get("verdict") == expected_verdict:
            comparison.verdicts_agree += 1
        else:
            comparison.disagreements.append(
                {
                    "site_code": code,
                    "expected": expected_verdict,
                    "got": got.get("verdict"),
                    "vetoes": got.get("vetoes"),
                }
            )
    return comparison
