"""Bytes → text → tree: charset decoding (lying meta tags, GB* as gb18030, binaries), parsing, visibility, text.

Pure functions, no network. :func:`decode_html` never raises. :func:`parse_html` always returns an ``<html>``
element (an empty document for empty or binary input). :class:`Layout` is one top-down pass over a tree that
says, for every element, whether it is hidden (inline style, ``hidden`` attribute, a class or id that an inline
``<style>`` rule hides, zero size, off-screen) and whether it sits in navigation or in the footer.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree
from lxml import html as lxml_html

__all__ = [
    "Decoded",
    "Layout",
    "decode_html",
    "normalise_charset",
    "parse_html",
    "text_of",
]

# ---------------------------------------------------------------------------------------------------------------
# Decoding

_GB_NAMES = {
    "gb2312",
    "gb_2312",
    "gb_2312-80",
    "gb2312-80",
    "gbk",
    "x-gbk",
    "cp936",
    "ms936",
    "windows-936",
    "euc-cn",
    "euccn",
    "csgb2312",
    "chinese",
    "iso-ir-58",
    "csiso58gb231280",
    "gb18030",
    "gb-18030",
    "x-euc-cn",
}


def normalise_charset(name: str | None) -> str | None:
    """A charset label → a Python codec name (any GB* → ``gb18030``; latin-1/ascii → ``cp1252``), or None."""
    if not name:
        return None
    label = name.strip().strip("\"'").strip().lower()
    if not label:
        return None
    if label in _GB_NAMES or label.startswith("gb2312") or label.startswith("gbk"):
        return "gb18030"
    if label in ("utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"):
        return "utf-8"
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        return None
    if codec in ("gb2312", "gbk", "gb18030", "hz"):
        return "gb18030"
    if codec in ("latin-1", "iso8859-1", "ascii", "cp1252"):
        return "cp1252"  # WHATWG: these labels all mean windows-1252
    return codec


_META_CHARSET_RE = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_\-.:]+)""",
    re.I,
)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.I)
_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\xd0\xcf\x11\xe0",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x7fELF",
    b"MZ",
    b"BM",
    b"RIFF",
    b"ID3",
    b"\x00\x00\x00",
    b"OggS",
    b"fLaC",
    b"wOFF",
    b"wOF2",
    b"\xca\xfe\xba\xbe",
)
_CONTROL = bytes(range(0, 9)) + b"\x0b\x0e\x0f" + bytes(range(0x10, 0x1B)) + bytes(range(0x1C, 0x20))


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded page. ``encoding`` is the codec used; ``mismatch`` says a declared charset was wrong."""

    text: str
    encoding: str
    declared_header: str | None  # normalised charset from the Content-Type header
    declared_meta: str | None  # normalised charset from <meta charset> / http-equiv / <?xml encoding?>
    mismatch: bool
    looks_binary: bool = False
    bom: bool = False
    replacements: int = 0  # U+FFFD characters produced while decoding


def _looks_binary(body: bytes) -> bool:
    head = body[:2048]
    if not head:
        return False
    stripped = head.lstrip()
    if stripped[:1] == b"<":
        return False
    if any(head.startswith(m) for m in _BINARY_MAGIC):
        return True
    controls = sum(head.count(bytes([c])) for c in _CONTROL)
    return controls > max(4, len(head) // 50)


def sniff_meta_charset(body: bytes) -> str | None:
    """The charset a page declares in its first 4 KB (``<?xml encoding>``, ``<meta charset>``, http-equiv)."""
    head = body[:4096]
    m = _XML_DECL_RE.match(head) or _META_CHARSET_RE.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _replaced(body: bytes, codec: str) -> tuple[str, int]:
    try:
        text = body.decode(codec, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    return text, text.count("\ufffd")


def _detector_guess(body: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body[:200_000]).best()
    except Exception:  # the detector is a hint; never let it fail a decode
        return None
    return normalise_charset(best.encoding) if best is not None else None


def decode_html(body: bytes, *, header_charset: str | None = None) -> Decoded:
    """Decode an HTML body. Order: BOM › header charset › meta charset; a declared charset that does not decode
    cleanly while utf-8, gb18030 or the detector's guess does is overruled (``mismatch=True``). Never raises."""
    body = body or b""
    header = normalise_charset(header_charset)
    meta = normalise_charset(sniff_meta_charset(body))

    is_ascii = body.isascii()

    def result(text: str, codec: str, *, bom: bool = False, repl: int = 0, binary: bool = False) -> Decoded:
        lied = not is_ascii and not binary and any(d is not None and d != codec for d in (header, meta))
        return Decoded(text.replace("\x00", ""), codec, header, meta, lied, binary, bom, repl)

    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            text, repl = _replaced(body[len(bom) :], codec)
            return result(text, codec, bom=True, repl=repl)
    if _looks_binary(body):
        return result("", header or meta or "utf-8", binary=True)
    if is_ascii:
        return result(body.decode("ascii"), header or meta or "utf-8")

    utf8 = _strict(body, "utf-8")
    declared = header or meta
    if declared is not None:
        text = _strict(body, declared)
        if text is not None:
            if declared == "utf-8" or utf8 is None:
                if declared == "cp1252" and (gb := _strict(body, "gb18030")) is not None:
                    return result(gb, "gb18030")  # a Chinese page labelled latin-1
                return result(text, declared)
            # both decode: many non-ASCII bytes that form valid UTF-8 are UTF-8, whatever the label says
            if sum(b >= 0x80 for b in body) >= 16:
                return result(utf8, "utf-8")
            return result(text, declared)
        if declared != meta and meta is not None and (text := _strict(body, meta)) is not None:
            if meta != "utf-8" and utf8 is not None:
                return result(utf8, "utf-8")
            return result(text, meta)
    # nothing declared, or the declaration does not decode cleanly
    if utf8 is not None:
        return result(utf8, "utf-8")
    gb = _strict(body, "gb18030")
    if gb is not None:
        return result(gb, "gb18030")
    guess = _detector_guess(body)
    if guess is not None and guess not in ("utf-8", "gb18030") and (text := _strict(body, guess)) is not None:
        return result(text, guess)
    # no clean candidate: the one with the fewest replacement characters, the declared charset first
    options = [c for c in (declared, "utf-8", "gb18030", guess) if c]
    best_codec, best_text, best_repl = "utf-8", "", -1
    for codec in dict.fromkeys(options):
        text, repl = _replaced(body, codec)
        if best_repl < 0 or repl < best_repl:
            best_codec, best_text, best_repl = codec, text, repl
    return result(best_text, best_codec, repl=best_repl)


# ---------------------------------------------------------------------------------------------------------------
# Parsing


def _html_lookup() -> etree.ElementNamespaceClassLookup:
    """The element classes ``lxml.html`` gives (HtmlElement, FormElement, InputElement, …), chosen in C by tag
    name rather than by ``HtmlElementClassLookup``'s Python callback, which runs for every element object made
    while a tree is walked."""
    fallback = etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement,
        comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction,
        entity=lxml_html.HtmlEntity,
    )
    lookup = etree.ElementNamespaceClassLookup(fallback)
    by_tag = lookup.get_namespace(None)
    for tag, cls in lxml_html.HtmlElementClassLookup._default_element_classes.items():
        by_tag[tag] = cls
    return lookup


HTML_LOOKUP = _html_lookup()


def html_parser(**options: object) -> etree.HTMLParser:
    """An ``etree.HTMLParser`` (same options) whose trees hold the element classes of ``lxml.html``."""
    parser = etree.HTMLParser(**options)
    parser.set_element_class_lookup(HTML_LOOKUP)
    return parser


_PARSER = html_parser(encoding="utf-8", remove_comments=True, remove_pis=True)
_EMPTY = b"<html><head></head><body></body></html>"


_CLOSE_DOC_RE = re.compile(r"</\s*(?:html|body)\s*>", re.I)


_TAG_RE = re.compile(r"<(/?)([A-Za-z][\w:-]*)[^<>]*?(/?)>")
_VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
        "basefont",
        "frame",
        "keygen",
    ]
)
MAX_DEPTH = 200  # below libxml2's 256


def _too_deep() -> bool:
    return any(e.type_name == "ERR_RESOURCE_LIMIT" and "depth" in e.message for e in _PARSER.error_log)


def flatten_deep(text: str, limit: int = MAX_DEPTH) -> str:
    """The page with the tags nested deeper than ``limit`` removed (their text stays): what can be read of
    HTML nested 10,000 deep. Unclosed tags make the count drift up, so this is only for pages libxml2
    refused."""
    depth = 0

    def tag(m: re.Match[str]) -> str:
        nonlocal depth
        closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
        if name in _VOID_TAGS or self_closing:
            return m.group(0) if depth < limit else ""
        if closing:
            depth = max(0, depth - 1)
            return m.group(0) if depth < limit else ""
        depth += 1
        return m.group(0) if depth <= limit else ""

    return _TAG_RE.sub(tag, text)


def parse_html(text: str) -> etree._Element:
    """An lxml ``<html>`` element for a page's text (comments dropped); never raises on junk.

    Stray ``</html>``/``</body>`` tags (a server-side include of a whole header page) are dropped first: libxml2
    stops reading at them, browsers do not."""
    if text:
        text = _CLOSE_DOC_RE.sub("", text.replace("\x00", ""))
    data = text.encode("utf-8", errors="replace") if text else b""
    if not data.strip():
        data = _EMPTY
    try:
        root = etree.fromstring(data, parser=_PARSER)
        if _too_deep():
            # libxml2 drops everything after 256 levels; a browser nests on. Re-read with the deepest tags
            # dropped (their text kept), so the footer and the rest of the page are still there.
            root = etree.fromstring(flatten_deep(text).encode("utf-8", errors="replace"), parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:
        root = etree.fromstring(_EMPTY, parser=_PARSER)
    return root


# ---------------------------------------------------------------------------------------------------------------
# Visibility and regions

_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "title", "meta", "link", "object", "embed"}
_BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "ul",
    "marquee",
    "option",
    "select",
}
_CELL_TAGS = {"td", "th"}

_STYLE_HIDDEN_RE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|(?:^|;)\s*opacity\s*:\s*0(?:\.0*)?\s*(?:;|$)", re.I
)
_OFFSCREEN_RE = re.compile(
    r"(?:^|[;\s])(?:left|top|right|margin-left|margin-top|text-indent)\s*:\s*-\s*(\d{3,})(?:\.\d+)?\s*(?:px|em|rem|pt)?",
    re.I,
)
_SIZE_RE = re.compile(r"(?:^|[;\s])(width|height)\s*:\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*(?:;|$|!)", re.I)
_FONT0_RE = re.compile(r"font-size\s*:\s*0(?:px|pt|em)?\s*(?:;|$|!)", re.I)
_CSS_RULE_RE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR_RE = re.compile(r"^\s*(?:[a-z0-9]+)?([.#])([A-Za-z0-9_\-]+)\s*$")
_HIDDEN_CLASS_NAMES = {"hidden", "hide", "d-none", "display-none", "invisible"}
_SIZED_TAGS = frozenset(("iframe", "img", "div", "span", "a", "p", "marquee"))

_NAV_TOKEN_RE = re.compile(
    r"(?:^|[-_\d])(?:nav|navs|navbar|navigation|menu|menus|mainmenu|daohang|dh|lanmu)(?:[-_\d]|$)|^(?:nav|menu|topnav|mainnav|subnav)",
    re.I,
)
_FOOTER_TOKEN_RE = re.compile(
    r"(?:^|[-_\d])(?:footer|foot|bottom|copyright|copy|db|dibu|bq|banquan|wzdb|ft|footnav|webfoot)(?:[-_\d]|$)"
    r"|^(?:footer|foot|bottom|copyright)",
    re.I,
)


def _tokens(el: etree._Element) -> list[str]:
    out: list[str] = []
    for attr in ("id", "class"):
        v = el.get(attr)
        if v:
            out.extend(v.split())
    return out


@lru_cache(maxsize=8192)
def _region_flags(eid: str | None, cls: str | None) -> tuple[bool, bool]:
    """(navigation, footer) as an element's id and class tokens say; the same few values recur on every page
    of a site, so the answer is remembered."""
    toks = [*(eid.split() if eid else ()), *(cls.split() if cls else ())]
    return any(_NAV_TOKEN_RE.search(t) for t in toks), any(_FOOTER_TOKEN_RE.search(t) for t in toks)


def _hidden_selectors(root: etree._Element) -> tuple[set[str], set[str]]:
    """Classes and ids that the page's own ``<style>`` blocks hide with simple selectors (``.x{display:none}``)."""
    classes: set[str] = set()
    ids: set[str] = set()
    for style in root.iter("style"):
        css = style.text or ""
        if "none" not in css and "hidden" not in css and "-9" not in css:
            continue
        for m in _CSS_RULE_RE.finditer(css):
            body = m.group(2)
            if not (_STYLE_HIDDEN_RE.search(body) or _offscreen(body)):
                continue
            for selector in m.group(1).split(","):
                s = _SIMPLE_SELECTOR_RE.match(selector)
                if s:
                    (classes if s.group(1) == "." else ids).add(s.group(2))
    return classes, ids


def _offscreen(style: str) -> bool:
    return any(int(m.group(1)) >= 500 for m in _OFFSCREEN_RE.finditer(style))


def _tiny(el: etree._Element, style: str) -> bool:
    if not style and el.get("width") is None and el.get("height") is None:
        return False  # nothing gives a size: the common case, answered without the regex
    sizes = {m.group(1).lower(): float(m.group(2)) for m in _SIZE_RE.finditer(style)}
    for attr in ("width", "height"):
        v = (el.get(attr) or "").strip().rstrip("px").strip()
        if v and attr not in sizes and re.fullmatch(r"\d+(?:\.\d+)?", v):
            sizes[attr] = float(v)
    if sizes.get("width", 9) <= 1 and sizes.get("height", 9) <= 1:
        return True
    overflow = "overflow" in style and "hidden" in style
    return overflow and (sizes.get("width", 9) <= 1 or sizes.get("height", 9) <= 1)


class Layout:
    """Per element: hidden (and why), inside navigation, inside the footer. Built in one top-down pass."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.hidden: dict[etree._Element, str] = {}  # element → reason, for hidden elements only
        self.nav: set[etree._Element] = set()
        self.footer: set[etree._Element] = set()
        self.footer_roots: list[etree._Element] = []
        self.nav_roots: list[etree._Element] = []
        classes, ids = _hidden_selectors(root)
        self._hidden_classes = classes | _HIDDEN_CLASS_NAMES
        self._hidden_ids = ids
        self._walk()

    def own_hidden(self, el: etree._Element) -> str | None:
        return self._own_hidden(el, el.tag, el.get("id"), el.get("class"))

    def _own_hidden(self, el: etree._Element, tag: str, eid: str | None, cls: str | None) -> str | None:
        if el.get("hidden") is not None:
            return "hidden"
        style = el.get("style") or ""
        if style:
            m = _STYLE_HIDDEN_RE.search(style)
            if m:
                return re.sub(r"\s+", "", m.group(0)).strip(";").lower()
            if _offscreen(style):
                return "off-screen"
            if _FONT0_RE.search(style):
                return "font-size:0"
        if tag in _SIZED_TAGS and _tiny(el, style):
            return "zero-size"
        if cls and any(c in self._hidden_classes for c in cls.split()):
            return "class"
        if eid and eid in self._hidden_ids:
            return "id"
        if tag == "input" and (el.get("type") or "").lower() == "hidden":
            return "input-hidden"
        return None

    def _walk(self) -> None:
        stack: list[tuple[etree._Element, str | None, bool, bool]] = [(self.root, None, False, False)]
        pop, push = stack.pop, stack.append
        hidden_of, nav_set, footer_set = self.hidden, self.nav, self.footer
        while stack:
            el, hidden, nav, foot = pop()
            tag = el.tag
            if not isinstance(tag, str):
                continue
            eid, cls = el.get("id"), el.get("class")
            if hidden is None:
                hidden = self._own_hidden(el, tag, eid, cls)
            if hidden is not None:
                hidden_of[el] = hidden
            if not (nav and foot) and tag not in ("html", "body"):
                nav_token, foot_token = _region_flags(eid, cls) if eid or cls else (False, False)
            else:
                nav_token = foot_token = False
            if not nav and (nav_token or tag == "nav" or el.get("role") in ("navigation", "menubar", "menu")):
                nav = True
                self.nav_roots.append(el)
            if not foot and tag not in ("html", "body") and (tag == "footer" or foot_token):
                foot = True
                self.footer_roots.append(el)
            if nav:
                nav_set.add(el)
            if foot:
                footer_set.add(el)
            for child in reversed(el):
                push((child, hidden, nav, foot))

    def is_hidden(self, el: etree._Element) -> bool:
        return el in self.hidden

    def hidden_reason(self, el: etree._Element) -> str | None:
        return self.hidden.get(el)


# ---------------------------------------------------------------------------------------------------------------
# Text

_SPACES_RE = re.compile(r"[ \t\r\f\v\xa0\u2002\u2003\u2009\u200b\ufeff]+")
_NEWLINES_RE = re.compile(r"\s*\n\s*")
_WHITESPACE_RE = re.compile(r"\s+")
_NO_HIDDEN: dict[etree._Element, str] = {}


def clean_text(text: str) -> str:
    """Whitespace folded: runs of spaces to one space (ideographic spaces kept as separators), lines stripped."""
    text = _SPACES_RE.sub(" ", text.replace("\u3000", " "))
    return _NEWLINES_RE.sub("\n", text).strip()


def inline_text(el: etree._Element) -> str:
    """All the text inside an element (scripts and styles excluded), whitespace folded to single spaces."""
    if not len(el):
        # a leaf (most anchors): its own text, the padding a <br> or a cell adds is stripped anyway
        if not isinstance(el.tag, str):
            return ""
        text = el.text
        return _WHITESPACE_RE.sub(" ", text.replace("\u3000", " ")).strip() if text else ""
    parts: list[str] = []
    _collect(el, parts, None, block_breaks=False)
    return _WHITESPACE_RE.sub(" ", "".join(parts).replace("\u3000", " ")).strip()


def text_of(el: etree._Element, layout: Layout | None = None, *, include_hidden: bool = False) -> str:
    """The visible text of an element: blocks on their own lines, table cells separated by a space, inline
    elements joined without a space (so identifiers split across tags stay whole)."""
    parts: list[str] = []
    _collect(el, parts, None if include_hidden else layout, block_breaks=True)
    return clean_text("".join(parts))


def _collect(el: etree._Element, parts: list[str], layout: Layout | None, *, block_breaks: bool) -> None:
    hidden = layout.hidden if layout is not None else _NO_HIDDEN
    blocks = _BLOCK_TAGS if block_breaks else frozenset()
    br = "\n" if block_breaks else " "
    append = parts.append
    stack: list[tuple[etree._Element, bool]] = [(el, False)]
    pop, push = stack.pop, stack.append
    while stack:
        node, closing = pop()
        tag = node.tag
        if closing:  # only elements are pushed closing
            if tag in blocks:
                append("\n")
            elif tag in _CELL_TAGS:
                append(" ")
            if node is not el:
                tail = node.tail
                if tail:
                    append(tail)
            continue
        if not isinstance(tag, str) or (node is not el and tag in _SKIP_TAGS) or node in hidden:
            if node is not el:
                tail = node.tail
                if tail:
                    append(tail)
            continue
        if tag == "br":
            append(br)
        elif tag in blocks:
            append("\n")
        elif tag in _CELL_TAGS:
            append(" ")
        text = node.text
        if text:
            append(text)
        push((node, True))
        if len(node):
            for child in reversed(node):
                push((child, False))
