"""Decoding pages of government sites whose declared charsets often lie.

Order: a BOM; strict UTF-8 (valid UTF-8 with non-ASCII bytes is almost never another encoding); the declared
charset (HTTP header, then meta), any GB* mapped to gb18030 (a superset of GB2312 and GBK); then gb18030
itself; the candidate with the fewest U+FFFD wins. Raw bytes are what the snapshot store keeps — this is only
for reading links and text out of them.
"""

from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)
_HEADER = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{2,40})", re.IGNORECASE)
_GB = {
    "gb2312",
    "gbk",
    "gb_2312-80",
    "gb18030",
    "cp936",
    "x-gbk",
    "euc-cn",
    "hz-gb-2312",
    "gb_2312",
    "csgb2312",
}


_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15"}


def normalise_charset(name: str | None) -> str | None:
    """A Python codec name for a declared charset (GB* → gb18030), or None when unknown."""
    if not name:
        return None
    low = name.strip().strip("\"'").lower()
    if low in _GB or low.startswith("gb"):
        return "gb18030"
    try:
        return codecs.lookup(low).name
    except LookupError:
        return None


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    m = _HEADER.search(content_type)
    return m.group(1) if m else None


def meta_charset(body: bytes) -> str | None:
    m = _META.search(body[:4096])
    return m.group(1).decode("ascii", "replace") if m else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Text and the codec used, robust to lying charsets (see module docstring)."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec
    try:
        text = body.decode("utf-8")
        return text, "utf-8"
    except UnicodeDecodeError:
        pass
    candidates: list[str] = []
    for declared in (header_charset(content_type), meta_charset(body)):
        codec = normalise_charset(declared)
        if codec and codec not in candidates and codec != "utf-8":
            candidates.append(codec)
    if "gb18030" not in candidates:
        candidates.append("gb18030")
    # Servers default to ISO-8859-1 in the header; single-byte codecs never fail, so they are tried last.
    candidates.sort(key=lambda c: c in _SINGLE_BYTE)
    best: tuple[int, str, str] | None = None
    for codec in candidates:
        try:
            text = body.decode(codec, errors="replace")
        except LookupError:
            continue
        bad = text.count("\ufffd")
        if best is None or bad < best[0]:
            best = (bad, text, codec)
        if bad <= max(2, len(text) // 2000):
            break
    assert best is not None
    return best[1], best[2]
