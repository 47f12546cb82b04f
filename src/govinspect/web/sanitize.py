"""A stored page, shown to an official without running anything the page's author put in it.

Crawled pages are attacker-controlled. Cleaning the page in place (removing what looks dangerous) is the
approach that keeps failing; here a *new* document is built from the page's text and from a short list of
structural tag names, with no attribute of the page copied except a table cell's span. So nothing the page
says about scripts, event handlers, styles, URLs, frames, forms or images can reach the output: links become
plain text with their address in a tooltip, images a “[图片]” placeholder. The text is escaped by lxml when
the document is serialised. The phrase a finding is about is wrapped in ``<mark>``.

The route that serves the result adds a sandboxing Content-Security-Policy, and the page that shows it frames it
with ``sandbox`` — three layers, each enough alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from lxml.html import tostring

from govinspect.extract.html import decode_html, parse_html

KEEP = frozenset(
    [
        "p",
        "div",
        "span",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "s",
        "sub",
        "sup",
        "small",
        "blockquote",
        "pre",
        "code",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "main",
        "aside",
        "center",
        "font",
        "figure",
        "figcaption",
        "label",
        "address",
        "time",
    ]
)
BLOCK_AS_DIV = frozenset(
    ["section", "article", "header", "footer", "nav", "main", "aside", "center", "figure", "address"]
)
DROP = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "svg",
        "math",
        "head",
        "title",
        "meta",
        "link",
        "base",
        "select",
        "textarea",
        "button",
        "input",
        "audio",
        "video",
        "source",
        "track",
        "canvas",
        "map",
        "area",
        "param",
        "dialog",
    ]
)
MAX_ELEMENTS = 20_000
MAX_TEXT = 2_000_000
MAX_DEPTH = 120
_SPAN = re.compile(r"^\d{1,3}$")

STYLE = """
body{font:15px/1.7 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#222;margin:12px;background:#fff}
.gi-note{background:#f3f6fa;border:1px solid #c9d6e6;padding:6px 10px;margin-bottom:12px;color:#345;font-size:13px}
mark{background:#ffe066;outline:2px solid #e03131;padding:0 2px}
.gi-link{color:#1c5fb4;text-decoration:underline dotted}
.gi-img{color:#777;font-size:12px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 4px}
"""


@dataclass(frozen=True)
class Sanitised:
    html: str  # a whole document
    marks: int  # how many times the highlighted phrase was marked
    truncated: bool
    encoding: str | None


class _Builder:
    def __init__(self, highlight: str | None) -> None:
        self.highlight = highlight or None
        self.elements = 0
        self.text = 0
        self.marks = 0
        self.truncated = False

    def _append_text(self, parent: etree._Element, text: str | None) -> None:
        if not text:
            return
        if self.text + len(text) > MAX_TEXT:
            text = text[: max(0, MAX_TEXT - self.text)]
            self.truncated = True
        self.text += len(text)
        parts = text.split(self.highlight) if self.highlight and self.highlight in text else [text]
        for index, part in enumerate(parts):
            if index:
                mark = etree.SubElement(parent, "mark")
                self.marks += 1
                mark.set("id", f"mark-{self.marks}")
                mark.text = self.highlight
            self._raw_text(parent, part)

    @staticmethod
    def _raw_text(parent: etree._Element, text: str) -> None:
        if not text:
            return
        if len(parent):
            last = parent[-1]
            last.tail = (last.tail or "") + text
        else:
            parent.text = (parent.text or "") + text

    def copy(self, source: etree._Element, target: etree._Element, depth: int) -> None:
        self._append_text(target, source.text)
        for child in source:
            if self.truncated:
                return
            tag = child.tag if isinstance(child.tag, str) else None
            if tag is None:  # a comment or processing instruction: its tail is text of the parent
                self._append_text(target, child.tail)
                continue
            tag = tag.lower()
            if tag in DROP:
                self._append_text(target, child.tail)
                continue
            self.elements += 1
            if self.elements > MAX_ELEMENTS:
                self.truncated = True
                return
            if depth >= MAX_DEPTH:
                self._append_text(target, "".join(child.itertext()))
            elif tag == "a":
                link = etree.SubElement(target, "span")
                link.set("class", "gi-link")
                href = (child.get("href") or "").strip()
                if href:
                    link.set("title", f"链接：{href[:500]}")
                self.copy(child, link, depth + 1)
            elif tag == "img":
                image = etree.SubElement(target, "span")
                image.set("class", "gi-img")
                alt = (child.get("alt") or child.get("title") or "").strip()[:100]
                image.text = f"[图片：{alt}]" if alt else "[图片]"
            elif tag in KEEP:
                element = etree.SubElement(target, "div" if tag in BLOCK_AS_DIV else tag)
                if tag in ("td", "th"):
                    for name in ("colspan", "rowspan"):
                        value = child.get(name)
                        if value and _SPAN.match(value.strip()):
                            element.set(name, value.strip())
                self.copy(child, element, depth + 1)
            else:  # unknown or unlisted: keep the text, drop the element
                self.copy(child, target, depth + 1)
            self._append_text(target, child.tail)


def sanitise(
    body: bytes, *, content_type: str | None = None, highlight: str | None = None, note: str | None = None
) -> Sanitised:
    """A safe, self-contained HTML document showing the page's text and structure."""
    charset = None
    if content_type:
        m = re.search(r"charset=([\w.:-]+)", content_type, re.I)
        charset = m.group(1) if m else None
    decoded = decode_html(body, header_charset=charset)
    source = parse_html("" if decoded.looks_binary else decoded.text)
    html = etree.Element("html")
    head = etree.SubElement(html, "head")
    etree.SubElement(head, "meta").set("charset", "utf-8")
    style = etree.SubElement(head, "style")
    style.text = STYLE
    page = etree.SubElement(html, "body")
    notice = etree.SubElement(page, "div")
    notice.set("class", "gi-note")
    notice.text = note or "以下是检查时保存的页面内容，已去除脚本、样式、图片与链接，仅供核对文字。"
    builder = _Builder(highlight)
    body_el = source.find("body")
    if decoded.looks_binary:
        notice.text = "该快照不是网页文本（可能是文件或二进制内容），不予显示。"
    else:
        builder.copy(body_el if body_el is not None else source, page, 0)
    if builder.truncated:
        tail = etree.SubElement(page, "div")
        tail.set("class", "gi-note")
        tail.text = "页面过大，以下内容已省略。"
    text = "<!doctype html>\n" + tostring(html, encoding="unicode", method="html")
    return Sanitised(text, builder.marks, builder.truncated, decoded.encoding)
