"""The correct official writing the text benchmarks check for false findings: the visible text of the saved
government pages in ../shared/data/gov_html, then the circulars in ../shared/seeds (read in place)."""

from __future__ import annotations

from pathlib import Path

from govinspect.text.html import visible_text


def correct_writing(shared: Path) -> list[tuple[Path, str, str]]:
    """(path, the file as read, its text) of each page and circular; empty when ``shared`` is absent."""
    paths = [
        *sorted((shared / "data" / "gov_html").glob("*.html")),
        *sorted((shared / "seeds").glob("*.txt")),
    ]
    out = []
    for path in paths:
        raw = path.read_bytes().decode("utf-8", errors="replace")
        out.append((path, raw, visible_text(raw) if path.suffix == ".html" else raw))
    return out
