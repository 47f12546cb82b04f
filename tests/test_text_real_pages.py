"""Correct official text must give no serious-error or illegal-content finding: real pages and circulars.

Reads ../shared/data/gov_html and ../shared/seeds in place; skipped with the reason when they are absent.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from govinspect.text.check import check_text
from govinspect.text.hidden_links import find_html_threats
from govinspect.text.html import first_date, visible_text

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PAGES = sorted((SHARED / "data" / "gov_html").glob("*.html"))
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))
VETO_CHECKS = {"content.serious_error", "content.illegal", "content.dark_link", "security.malicious_script"}


def _date_of(text: str) -> date:
    found = first_date(text)
    return date(*found) if found else date.today()


@pytest.mark.skipif(not PAGES, reason=f"no saved government pages in {SHARED / 'data' / 'gov_html'}")
@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_real_pages_give_no_serious_or_illegal_finding(path: Path) -> None:
    html = path.read_bytes().decode("utf-8", errors="replace")
    text = visible_text(html)
    assert len(text) > 200
    on_page = [f for f in check_text(text, as_of=_date_of(text), typos=False) if f.check in VETO_CHECKS]
    assert on_page == []
    threats = [f for f in find_html_threats(html) if f.severity == "veto"]
    assert threats == []
    # judged at today's date, an old page may name a body renamed since, but never as a veto in a label list
    assert [f for f in check_text(text, as_of=date.today(), typos=False) if f.severity == "veto"] == []


@pytest.mark.skipif(not SEEDS, reason=f"no circulars in {SHARED / 'seeds'}")
@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_circulars_give_no_serious_finding(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for day in (_date_of(text), date.today()):
        found = [f for f in check_text(text, as_of=day, typos=False) if f.check in VETO_CHECKS]
        assert found == [], (day, found)


@pytest.mark.skipif(not SEEDS, reason=f"no circulars in {SHARED / 'seeds'}")
def test_circulars_in_traditional_characters_give_no_serious_finding() -> None:
    """The same correct text written in 繁體 (OpenCC s2t): read as simplified, still nothing to veto."""
    from opencc import OpenCC

    s2t = OpenCC("s2t")
    for path in SEEDS:
        text = s2t.convert(path.read_text(encoding="utf-8"))
        found = [f for f in check_text(text, as_of=_date_of(text), typos=False) if f.check in VETO_CHECKS]
        assert found == [], (path.name, found)
