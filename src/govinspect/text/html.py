"""The text a reader sees in an HTML page, for the text checks (scripts, styles and comments dropped)."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_PUBLISHED = re.compile(r"(20\d{2}|19\d{2})[-年/.](\d{1,2})[-月/.](\d{1,2})")


def visible_text(html: str) -> str:
    """Body text with block breaks kept as newlines, so sentences of different blocks are not joined."""
    if not html.strip():
        return ""
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ""
    etree.strip_elements(doc, etree.Comment, "script", "style", "noscript", with_tail=False)
    for block in doc.iter("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "td", "dd", "dt"):
        block.tail = "\n" + (block.tail or "")
    return re.sub(r"\n\s*\n+", "\n", doc.text_content())


def first_date(text: str) -> tuple[int, int, int] | None:
    """The first plausible date written in a text (a page's publication date, usually)."""
    for m in _PUBLISHED.finditer(text):
        year, month, day = (int(g) for g in m.groups())
        if 1 <= month <= 12 and 1 <= day <= 31:
            return year, month, day
    return None
