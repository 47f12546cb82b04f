"""Scoring inspection results against a farm's ground truth."""

from __future__ import annotations

from govinspect.farm.compare import compare, match_key, normalise_url

TRUTH = {
    "sites": [
        {
            "site_code": "3600000003",
            "expected_verdict": "不合格",
            "defects": [
                {
                    "check": "links.broken",
                    "severity": "deduction",
                    "url": "http://h/a.html",
                    "evidence": {"target": "http://h/gone.html"},
                },
                {
                    "check": "freshness.column_stale",
                    "severity": "veto",
                    "url": "http://h/col/col1/index.html",
                    "evidence": {},
                },
                {
                    "check": "footer.icp",
                    "severity": "deduction",
                    "url": "http://h/index.html",
                    "evidence": {},
                },
                {
                    "check": "content.typo",
                    "severity": "deduction",
                    "url": "http://h/art/1.html",
                    "evidence": {},
                },
                {
                    "check": "transport.mixed_content",
                    "severity": "notice",
                    "url": "http://h/",
                    "evidence": {},
                },
            ],
        },
        {"site_code": "3600000004", "expected_verdict": "合格", "defects": []},
    ]
}


def test_urls_and_keys_normalise() -> None:
    assert normalise_url("HTTP://H:80/col/col1/index.html") == "http://h:80/col/col1"
    assert normalise_url("http://h/content.jsp?id=3") == "http://h/content.jsp?id=3"
    assert normalise_url("http://h/") == normalise_url("http://h/index.shtml") == "http://h/"
    assert (
        match_key("links.broken", "http://h/other.html", {"target": "http://h/gone.html"})
        == "http://h/gone.html"
    )
    assert match_key("footer.icp", "http://h/any.html", {}) == ""


def test_precision_recall_and_verdicts_on_the_checks_evaluated() -> None:
    results = {
        "sites": [
            {
                "site_code": "3600000003",
                "verdict": "不合格",
                "findings": [
                    {
                        "check": "links.broken",
                        "severity": "deduction",
                        "url": "http://h/b.html",
                        "evidence": {"target": "http://h/gone.html"},
                    },
                    {
                        "check": "links.broken",
                        "severity": "deduction",
                        "url": "http://h/b.html",
                        "evidence": {"target": "http://h/ok.html"},
                    },
                    {
                        "check": "freshness.column_stale",
                        "severity": "veto",
                        "url": "http://h/col/col1/",
                        "evidence": {},
                    },
                    {
                        "check": "links.blocked",
                        "severity": "notice",
                        "url": "http://h/",
                        "evidence": {"target": "x"},
                    },
                ],
            },
            {"site_code": "3600000004", "verdict": "不合格", "findings": []},
        ]
    }
    result = compare(TRUTH, results, checks=["links.broken", "freshness.column_stale", "footer.icp"])
    links, stale, icp = (result.checks[c] for c in ("links.broken", "freshness.column_stale", "footer.icp"))
    assert (links.true_positives, links.false_positives, links.precision, links.recall) == (1, 1, 0.5, 1.0)
    assert (stale.precision, stale.recall) == (1.0, 1.0)
    assert (icp.recall, icp.precision) == (0.0, None)
    assert "content.typo" not in result.checks  # not evaluated
    assert (result.sites, result.verdicts_agree) == (2, 1)
    assert result.disagreements == [
        {"site_code": "3600000004", "expected": "合格", "got": "不合格", "vetoes": None}
    ]
